using ScaleLab.Games.Hex;

namespace ScaleLab.Games.Tests.Hex;

public class HexSolverTests
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
        Assert.Throws<ArgumentOutOfRangeException>(() => new HexSolver(5));
}
