namespace ScaleLab.Games.Hex;

/// <summary>Neighbour tables and the board's symmetries, per size (cached: boards share them).</summary>
public static class HexGeometry
{
    private static readonly int[][][] Tables = Enumerable.Range(0, HexBoard.MaxSize + 1)
        .Select(n => n < HexBoard.MinSize ? [] : Build(n)).ToArray();

    /// <summary>The on-board neighbours of every cell of an n×n board (indexed row·n + column).</summary>
    public static int[][] Neighbours(int size)
    {
        HexBoard.CheckSize(size);
        return Tables[size];
    }

    /// <summary>The 180° rotation (r, c) → (n−1−r, n−1−c): it maps each side's edges onto themselves, so it
    /// maps a position to an equivalent one for both players.</summary>
    public static int Rotate180(int size, int cell) => size * size - 1 - cell;

    /// <summary>The transposition (r, c) → (c, r): it swaps the top/bottom edges with the left/right ones, so with
    /// the colours swapped it maps a position with White to move onto one with Black to move.</summary>
    public static int Transpose(int size, int cell) => cell % size * size + cell / size;

    private static int[][] Build(int n)
    {
        int[] dr = [-1, -1, 0, 0, 1, 1];
        int[] dc = [0, 1, -1, 1, -1, 0];
        var table = new int[n * n][];
        for (var r = 0; r < n; r++)
        {
            for (var c = 0; c < n; c++)
            {
                var list = new List<int>(6);
                for (var k = 0; k < 6; k++)
                {
                    int rr = r + dr[k], cc = c + dc[k];
                    if (rr >= 0 && rr < n && cc >= 0 && cc < n) list.Add(rr * n + cc);
                }
                table[r * n + c] = list.ToArray();
            }
        }
        return table;
    }
}
