using ScaleLab.Games.Hex;

namespace ScaleLab.Games.Tests.Hex;

/// <summary>The tests' reference value of a Hex position: plain minimax with a table of positions already valued (no
/// pruning bounds, no symmetry, no virtual connections), for positions with few empty cells.</summary>
internal static class MinimaxReference
{
    public static bool MoverWins(HexBoard board, Dictionary<string, bool> memo)
    {
        if (board.IsOver) return false;
        var key = string.Concat(Enumerable.Range(0, board.CellCount).Select(c => (int)board[c]));
        if (memo.TryGetValue(key, out var known)) return known;
        var result = false;
        foreach (var move in board.LegalMoves())
        {
            var child = board.Clone();
            child.Play(move);
            if (child.IsOver || !MoverWins(child, memo)) { result = true; break; }
        }
        return memo[key] = result;
    }
}
