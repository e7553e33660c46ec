using ScaleLab.Games.Hex;

namespace ScaleLab.Games.Tests.Hex;

/// <summary>Brute-force reference for win detection: a breadth-first flood fill over a 2-D grid with the six Hex
/// directions written out again (independent of <see cref="HexGeometry"/>).</summary>
internal static class FloodFill
{
    public static bool Connects(Stone[,] grid, Stone side)
    {
        var n = grid.GetLength(0);
        var seen = new bool[n, n];
        var queue = new Queue<(int R, int C)>();
        for (var i = 0; i < n; i++)
        {
            var (r, c) = side == Stone.Black ? (0, i) : (i, 0);
            if (grid[r, c] == side) { seen[r, c] = true; queue.Enqueue((r, c)); }
        }
        (int, int)[] dirs = [(-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0)];
        while (queue.Count > 0)
        {
            var (r, c) = queue.Dequeue();
            if (side == Stone.Black ? r == n - 1 : c == n - 1) return true;
            foreach (var (dr, dc) in dirs)
            {
                int rr = r + dr, cc = c + dc;
                if (rr < 0 || rr >= n || cc < 0 || cc >= n || seen[rr, cc] || grid[rr, cc] != side) continue;
                seen[rr, cc] = true;
                queue.Enqueue((rr, cc));
            }
        }
        return false;
    }

    public static Stone[,] Grid(HexBoard board)
    {
        var g = new Stone[board.Size, board.Size];
        for (var r = 0; r < board.Size; r++) for (var c = 0; c < board.Size; c++) g[r, c] = board[r, c];
        return g;
    }
}
