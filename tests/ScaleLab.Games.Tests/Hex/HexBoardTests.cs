using ScaleLab.Games.Hex;

namespace ScaleLab.Games.Tests.Hex;

public class HexBoardTests
{
    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(7)]
    [InlineData(11)]
    public void Play_RandomGames_WinnerMatchesFloodFillAfterEveryMove(int n)
    {
        // Given random games (uniform random legal moves), 200 per size
        var rng = new Random(1000 + n);
        for (var game = 0; game < 200; game++)
        {
            var board = new HexBoard(n);
            while (!board.IsOver)
            {
                var moves = board.LegalMoves();
                // When a move is played
                board.Play(moves[rng.Next(moves.Count)]);
                // Then union-find's winner equals the flood fill's on this partial board
                var grid = FloodFill.Grid(board);
                var black = FloodFill.Connects(grid, Stone.Black);
                var white = FloodFill.Connects(grid, Stone.White);
                Assert.False(black && white);
                Assert.Equal(black ? Stone.Black : white ? Stone.White : Stone.Empty, board.Winner);
            }
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(6)]
    [InlineData(11)]
    public void FromCells_RandomFullBoards_ExactlyOneWinnerEqualToFloodFill(int n)
    {
        // Given full boards coloured at random (half black, half white, in a random arrangement)
        var rng = new Random(2000 + n);
        for (var trial = 0; trial < 300; trial++)
        {
            var cells = new Stone[n * n];
            for (var i = 0; i < cells.Length; i++) cells[i] = i % 2 == 0 ? Stone.Black : Stone.White;
            rng.Shuffle(cells);
            // When the position is built
            var board = HexBoard.FromCells(n, cells, Stone.Black);
            // Then exactly one side connects (flood fill), and it is the board's winner
            var grid = FloodFill.Grid(board);
            var black = FloodFill.Connects(grid, Stone.Black);
            var white = FloodFill.Connects(grid, Stone.White);
            Assert.True(black ^ white);
            Assert.Equal(black ? Stone.Black : Stone.White, board.Winner);
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    public void FromCells_RandomPartialBoards_WinnerMatchesFloodFill(int n)
    {
        // Given partial boards: each cell empty, black or white at random (positions where both connect are skipped)
        var rng = new Random(3000 + n);
        var checkedWins = 0;
        for (var trial = 0; trial < 500; trial++)
        {
            var cells = new Stone[n * n];
            for (var i = 0; i < cells.Length; i++) cells[i] = (Stone)rng.Next(3);
            var grid = new Stone[n, n];
            for (var i = 0; i < cells.Length; i++) grid[i / n, i % n] = cells[i];
            var black = FloodFill.Connects(grid, Stone.Black);
            var white = FloodFill.Connects(grid, Stone.White);
            if (black && white)
            {
                // Then a position where both connect is refused
                Assert.Throws<ArgumentException>(() => HexBoard.FromCells(n, cells, Stone.Black));
                continue;
            }
            // When built, Then the winner is the flood fill's
            var board = HexBoard.FromCells(n, cells, Stone.White);
            Assert.Equal(black ? Stone.Black : white ? Stone.White : Stone.Empty, board.Winner);
            if (board.IsOver) checkedWins++;
        }
        Assert.True(checkedWins > 50, $"only {checkedWins} won positions were checked");
    }

    [Fact]
    public void Play_OccupiedCellOrFinishedGame_Throws()
    {
        // Given a 3x3 board where Black has played b2
        var board = new HexBoard(3);
        board.Play(4);
        // When/Then playing b2 again, or off the board, is refused
        var ex = Assert.Throws<InvalidOperationException>(() => board.Play(4));
        Assert.Contains("b2 is occupied", ex.Message);
        Assert.Throws<InvalidOperationException>(() => board.Play(9));
        // Given Black wins down column b
        board.Play(0);
        board.Play(1);
        board.Play(2);
        board.Play(7);
        Assert.Equal(Stone.Black, board.Winner);
        Assert.Empty(board.LegalMoves());
        Assert.Throws<InvalidOperationException>(() => board.Play(3));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(12)]
    public void Constructor_SizeOutOfRange_Throws(int n) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new HexBoard(n));

    [Theory]
    [InlineData(5, "c3", 12)]
    [InlineData(5, " A1 ", 0)]
    [InlineData(11, "k11", 120)]
    public void TryParse_ValidMove_GivesCell(int n, string text, int expected)
    {
        Assert.True(HexMoves.TryParse(n, text, out var cell, out _));
        Assert.Equal(expected, cell);
        Assert.Equal(text.Trim().ToLowerInvariant(), HexMoves.Format(n, cell));
    }

    [Theory]
    [InlineData(3, "d1", "off the 3x3 board")]
    [InlineData(3, "a4", "off the 3x3 board")]
    [InlineData(3, "a0", "off the 3x3 board")]
    [InlineData(3, "3c", "not a move")]
    [InlineData(3, "c", "not a move")]
    [InlineData(3, "c-1", "not a move")]
    public void TryParse_BadMove_OneLineReason(int n, string text, string reason)
    {
        Assert.False(HexMoves.TryParse(n, text, out _, out var error));
        Assert.Contains(reason, error);
        Assert.DoesNotContain('\n', error);
    }
}
