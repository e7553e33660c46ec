namespace ScaleLab.Games.Hex;

/// <summary>Move notation: a column letter then a 1-based row number, <c>c3</c> = row 3, column c.</summary>
public static class HexMoves
{
    public static string Format(int size, int cell) => $"{(char)('a' + cell % size)}{cell / size + 1}";

    /// <summary>Parses <c>c3</c> on an n×n board; false with a one-line reason for malformed text or a cell off the
    /// board (whether the cell is empty is the board's question).</summary>
    public static bool TryParse(int size, string text, out int cell, out string error)
    {
        cell = -1;
        var t = text.Trim().ToLowerInvariant();
        var last = (char)('a' + size - 1);
        if (t.Length < 2 || t[0] < 'a' || t[0] > 'z' || !int.TryParse(t.AsSpan(1), System.Globalization.NumberStyles.None, null, out var row))
        {
            error = $"'{text.Trim()}' is not a move: type a column letter a-{last} then a row number 1-{size}, e.g. b2";
            return false;
        }
        var col = t[0] - 'a';
        if (col >= size || row < 1 || row > size)
        {
            error = $"'{t}' is off the {size}x{size} board (columns a-{last}, rows 1-{size})";
            return false;
        }
        cell = (row - 1) * size + col;
        error = "";
        return true;
    }
}
