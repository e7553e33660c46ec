using ScaleLab.Engine;
using ScaleLab.Games.Hex;
using ScaleLab.Games.Play;
using ScaleLab.Games.Tests.Hex;
using Xunit.Abstractions;

namespace ScaleLab.Games.Tests.Play;

public class PerfectPlayerTests(ITestOutputHelper output)
{
    private static HexBoard RandomPosition(int n, int plies, Random rng)
    {
        var board = new HexBoard(n);
        for (var i = 0; i < plies && !board.IsOver; i++)
        {
            var moves = board.LegalMoves();
            board.Play(moves[rng.Next(moves.Count)]);
        }
        return board;
    }

    [Fact]
    public void WinningMove_Random5x5Positions_WinsExactlyWhereMinimaxSaysWon()
    {
        // Given random 5x5 positions with 11 to 13 empty cells, solved by memoised minimax
        var rng = new Random(505);
        var solver = new HexSolver(5);
        var memo = new Dictionary<string, bool>();
        int won = 0, lost = 0, firstLegalLoses = 0;
        for (var trial = 0; trial < 40; trial++)
        {
            var board = RandomPosition(5, rng.Next(12, 15), rng);
            if (board.IsOver) continue;
            // When the solver gives one winning move
            var move = solver.WinningMove(board);
            var expected = MinimaxReference.MoverWins(board, memo);
            // Then it gives one exactly where the mover wins, and that move leaves the opponent lost (by minimax)
            Assert.Equal(expected, move >= 0);
            if (!expected) { lost++; continue; }
            won++;
            var child = board.Clone();
            child.Play(move);
            Assert.True(child.IsOver || !MinimaxReference.MoverWins(child, memo), $"{HexMoves.Format(5, move)} does not win in\n{board.Render()}");
            // (Control: the first legal move, the answer of a player that does not search, loses in some of these positions.)
            var naive = board.Clone();
            naive.Play(board.LegalMoves()[0]);
            if (!naive.IsOver && MinimaxReference.MoverWins(naive, memo)) firstLegalLoses++;
        }
        Assert.True(won > 10 && lost > 10, $"won {won}, lost {lost}: the sample does not exercise both values");
        Assert.True(firstLegalLoses > 3, $"the first legal move lost in only {firstLegalLoses} won positions: the check cannot tell a winning move");
    }

    [Fact]
    public void WinningMove_5x5OpeningPositions_AnsweredWithinASmallBudget_AndWinWhereWon()
    {
        // Given 5x5 positions after 1 to 4 random moves (the hardest ones a game reaches: most cells empty), one solver
        // with a budget of 3 M cached positions reused across all of them, as a perfect player in a match uses it
        var rng = new Random(5150);
        var solver = new HexSolver(5, maxPositions: 3_000_000);
        var check = new HexSolver(5, maxPositions: 3_000_000);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int won = 0, lost = 0;
        for (var trial = 0; trial < 8; trial++)
        {
            var board = RandomPosition(5, 1 + trial % 4, rng);
            // When it gives a move (no SolverLimitException within the budget)
            var move = solver.WinningMove(board);
            // Then the move is winning exactly where the solver's full search says the position is won
            var moverWins = check.MoverWins(board);
            Assert.Equal(moverWins, move >= 0);
            if (move < 0) { lost++; continue; }
            won++;
            var child = board.Clone();
            child.Play(move);
            Assert.False(check.MoverWins(child), $"{HexMoves.Format(5, move)} leaves the opponent a win in\n{board.Render()}");
            Assert.InRange(solver.CachedPositions, 0, 3_000_000);
        }
        Assert.True(won > 0 && lost > 0, $"won {won}, lost {lost}");
        output.WriteLine($"8 opening positions: {won} won, {lost} lost; {solver.Nodes} nodes, {solver.CachedPositions} cached, {clock.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public void PerfectPlayer_ManyGamesWithASmallTable_StaysWithinBudget_AndBeatsRandomPlay()
    {
        // Given a 5x5 perfect player whose table may hold 400k positions: every position of 24 games against random
        // play passes through it, more than the table holds over the whole match without the release between positions
        var solver = new HexSolver(5, maxPositions: 400_000);
        var perfect = new PerfectPlayer(solver);
        // When they play
        var outcome = Arena.Play(perfect, new RandomPlayer(), 5, 24, seed: 7);
        // Then no limit was hit, the table stayed within budget, and perfect play won every game as Black (the first player wins 5x5)
        Assert.InRange(solver.CachedPositions, 0, 400_000);
        Assert.Equal(outcome.GamesAsBlack, outcome.WinsAsBlack);
        Assert.True(outcome.WinsAsWhite >= outcome.GamesAsWhite * 3 / 4, $"as White perfect play won {outcome.WinsAsWhite}/{outcome.GamesAsWhite} against random play");
        output.WriteLine($"{solver.Nodes} nodes, {solver.CachedPositions} cached at the end");
    }

    [Fact]
    public void WinningMoves_BudgetTooSmall_ThrowsSolverLimitException()
    {
        // Given a 5x5 solver allowed 1,000 cached positions (proving every first move needs hundreds of thousands; one
        // winning move does not: the centre completes two ziggurats at once)
        var solver = new HexSolver(5, maxPositions: 1_000);
        Assert.Equal(12, solver.WinningMove(new HexBoard(5)));
        // When / Then listing every winning move stops with the limit's own exception, naming the board
        var ex = Assert.Throws<SolverLimitException>(() => solver.WinningMoves(new HexBoard(5)));
        Assert.Contains("5x5", ex.Message);
    }
}
