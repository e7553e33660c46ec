using ScaleLab.Games.Hex;

namespace ScaleLab.Games.Agent;

/// <summary>
/// The network sees every position from the mover's side. Hex is symmetric under "transpose the board and swap
/// the colours" (White's left–right goal becomes a top–bottom one), so a position with White to move is
/// transposed: the mover always joins top to bottom, and one network serves both colours. Input planes
/// (2, n, n): the mover's stones, then the opponent's. A move's canonical cell is its transposition when White
/// moves (the map is an involution, so the same call maps back).
/// </summary>
public static class HexEncoding
{
    public static int InputSize(int size) => 2 * size * size;

    /// <summary>Writes the (2·n·n) input of <paramref name="board"/> into <paramref name="destination"/>.</summary>
    public static void Encode(HexBoard board, Span<float> destination)
    {
        var n = board.Size;
        var cells = n * n;
        destination[..(2 * cells)].Clear();
        var me = board.ToMove;
        for (var cell = 0; cell < cells; cell++)
        {
            var s = board[cell];
            if (s == Stone.Empty) continue;
            var canonical = CanonicalCell(board, cell);
            destination[(s == me ? 0 : cells) + canonical] = 1f;
        }
    }

    /// <summary>The canonical cell of a board cell (and back): itself with Black to move, its transposition with White.</summary>
    public static int CanonicalCell(HexBoard board, int cell) =>
        board.ToMove == Stone.White ? HexGeometry.Transpose(board.Size, cell) : cell;
}
