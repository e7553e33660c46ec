using ScaleLab.Games.Hex;
using Xunit.Abstractions;

namespace ScaleLab.Games.Tests.Hex;

public class HexSolverTests(ITestOutputHelper output)
{
    /// <summary>Plain minimax on <see cref="HexBoard"/> (no table, no pruning bounds, no symmetry): an independent
    /// reference for small positions.</summary>
    private static bool BruteMoverWins(HexBoard board)
    {
        if (board.IsOver) return false;
        foreach (var move in board.LegalMoves())
        {
            var child = board.Clone();
            child.Play(move);
            if (child.IsOver || !BruteMoverWins(child)) return true;
        }
        return false;
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    public void MoverWins_EmptyBoard_FirstPlayerWins(int n)
    {
        // Given an empty board (strategy stealing: the first player wins every n×n Hex without swap)
        var solver = new HexSolver(n);
        // When / Then
        Assert.True(solver.MoverWins(new HexBoard(n)));
        Assert.NotEmpty(solver.WinningMoves(new HexBoard(n)));
    }

    [Fact]
    public void WinningMoves_3x3_EqualBruteForceMinimax()
    {
        // Given the empty 3x3 board
        var board = new HexBoard(3);
        // When both solvers list Black's winning first moves
        var brute = board.LegalMoves().Where(m =>
        {
            var child = board.Clone();
            child.Play(m);
            return child.IsOver || !BruteMoverWins(child);
        }).ToList();
        var solved = new HexSolver(3).WinningMoves(board);
        // Then they agree, and not every move wins (the test could fail)
        Assert.Equal(brute, solved);
        Assert.InRange(brute.Count, 1, 8);
    }

    [Fact]
    public void MoverWins_Random4x4Positions_EqualBruteForceMinimax()
    {
        // Given random 4x4 positions reached by 7 to 10 random moves
        var rng = new Random(44);
        var solver = new HexSolver(4);
        int wins = 0, losses = 0;
        for (var trial = 0; trial < 150; trial++)
        {
            var board = new HexBoard(4);
            var plies = rng.Next(7, 11);
            for (var i = 0; i < plies && !board.IsOver; i++)
            {
                var moves = board.LegalMoves();
                board.Play(moves[rng.Next(moves.Count)]);
            }
            // When / Then the solver's value equals plain minimax's
            var expected = BruteMoverWins(board);
            Assert.Equal(expected, solver.MoverWins(board));
            if (expected) wins++; else losses++;
        }
        Assert.True(wins > 20 && losses > 20, $"wins {wins}, losses {losses}: the sample does not exercise both values");
    }

    [Fact]
    public void WinningMoves_4x4AfterReply_AreWinningForTheMover()
    {
        // Given Black's first winning move on 4x4 and every White reply
        var solver = new HexSolver(4);
        var board = new HexBoard(4);
        board.Play(solver.WinningMoves(board)[0]);
        foreach (var reply in board.LegalMoves())
        {
            var child = board.Clone();
            child.Play(reply);
            // Then Black (to move) still wins and has a winning move
            Assert.True(solver.MoverWins(child));
            Assert.NotEmpty(solver.WinningMoves(child));
        }
    }

    [Fact]
    public void Constructor_BoardTooBig_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new HexSolver(6));

    private static ulong Bits(int n, params (int Row, int Col)[] cells) => cells.Aggregate(0UL, (b, c) => b | 1UL << (c.Row * n + c.Col));

    [Fact]
    public void Connection_TwoBridgesAndEdgeTemplates_FullThenSemiWhenOneCarrierCellIsTaken()
    {
        // Given Black stones at (row 1, col 2) and (row 3, col 1) on an empty 5x5 board: each joins its edge row by two
        // empty cells and the two join by a bridge over (2,1) and (2,2)
        var solver = new HexSolver(5);
        var black = Bits(5, (1, 2), (3, 1));
        var full = (1UL << 25) - 1;
        // When / Then Black is connected whatever White does (carrier 0: no move needed)
        Assert.True(solver.Connection(black, full & ~black, black: true, out var carrier));
        Assert.Equal(0UL, carrier);
        // And with White on (2,2) the bridge is broken: one move (2,1) connects, and the carrier holds it
        var white = Bits(5, (2, 2));
        Assert.True(solver.Connection(black, full & ~(black | white), black: true, out var semi));
        Assert.NotEqual(0UL, semi);
        Assert.NotEqual(0UL, semi & Bits(5, (2, 1)));
        // And with White on both bridge cells Black is not connected at all (control: the test can fail)
        white |= Bits(5, (2, 1));
        Assert.False(solver.Connection(black, full & ~(black | white), black: true, out _));
    }

    [Fact]
    public void Connection_CentreStoneOn5x5_JoinsBothEdgesByZigguratsUnlessOneIsBroken()
    {
        // Given a lone Black stone at c3 (row 2, column 2) on 5x5: a ziggurat to the top edge and one to the bottom, disjoint
        var solver = new HexSolver(5);
        var full = (1UL << 25) - 1;
        var black = Bits(5, (2, 2));
        Assert.True(solver.Connection(black, full & ~black, black: true, out var carrier));
        Assert.Equal(0UL, carrier);
        // And with White on (1, 2), a cell of both top ziggurats, Black is no longer connected without a move (control)
        var white = Bits(5, (1, 2));
        Assert.False(solver.Connection(black, full & ~(black | white), black: true, out var after) && after == 0);
    }

    [Fact]
    public void MoverWins_Random5x5Positions_EqualBruteForceMinimax()
    {
        // Given random 5x5 positions with 11 to 13 empty cells (room for bridges and ziggurats; memoised minimax stays cheap)
        var rng = new Random(55);
        var solver = new HexSolver(5);
        var memo = new Dictionary<string, bool>();
        int wins = 0, losses = 0;
        for (var trial = 0; trial < 60; trial++)
        {
            var board = new HexBoard(5);
            var plies = rng.Next(12, 15);
            for (var i = 0; i < plies && !board.IsOver; i++)
            {
                var moves = board.LegalMoves();
                board.Play(moves[rng.Next(moves.Count)]);
            }
            // When / Then the solver (virtual connections, must-play regions) agrees with plain minimax
            var expected = MinimaxReference.MoverWins(board, memo);
            Assert.Equal(expected, solver.MoverWins(board));
            if (expected) wins++; else losses++;
        }
        Assert.True(wins > 10 && losses > 10, $"wins {wins}, losses {losses}: the sample does not exercise both values");
    }

    [Fact]
    public void WinningMoves_4x4_AreTheShortDiagonal()
    {
        // Given the empty 4x4 board, solved by the earlier solver without virtual connections as d1 c2 b3 a4
        var moves = new HexSolver(4).WinningMoves(new HexBoard(4)).Select(m => HexMoves.Format(4, m)).ToList();
        // Then the solver with them agrees
        Assert.Equal(["d1", "c2", "b3", "a4"], moves);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void WinningMoves_5x5_FirstPlayerWins_SymmetricUnder180Rotation()
    {
        // Given the empty 5x5 board
        var solver = new HexSolver(5);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // When Black's winning first moves are listed
        var winning = solver.WinningMoves(new HexBoard(5));
        // Then the first player wins (strategy stealing), not every move wins, and the set maps onto itself under the 180° rotation
        Assert.True(solver.MoverWins(new HexBoard(5)));
        Assert.InRange(winning.Count, 1, 24);
        Assert.Equal(winning.Order(), winning.Select(m => 24 - m).Order());
        Assert.Contains(12, winning); // the centre c3
        output.WriteLine($"5x5 winning first moves: {string.Join(" ", winning.Select(m => HexMoves.Format(5, m)))}; {solver.Nodes} nodes, {solver.CachedPositions} positions, {clock.Elapsed.TotalSeconds:F1} s");
    }
}
