using System.Globalization;
using ScaleLab.Games.Hex;

namespace ScaleLab.Cli.Commands.Hex;

/// <summary>Parses <c>--boards</c>: a range <c>3-5</c>, a list <c>3,4</c> or one size.</summary>
internal static class HexBoardsOption
{
    public static bool TryParse(string text, out List<int> boards, out string error)
    {
        boards = [];
        error = "";
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var ends = part.Split('-');
            if (ends.Length is < 1 or > 2 || !ends.All(e => int.TryParse(e, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            {
                error = $"--boards must be sizes like 3-5 or 3,4, got '{text}'";
                return false;
            }
            int lo = int.Parse(ends[0], CultureInfo.InvariantCulture), hi = int.Parse(ends[^1], CultureInfo.InvariantCulture);
            if (lo > hi || lo < HexBoard.MinSize || hi > HexBoard.MaxSize)
            {
                error = $"--boards must lie in {HexBoard.MinSize}-{HexBoard.MaxSize} (low to high), got '{text}'";
                return false;
            }
            for (var b = lo; b <= hi; b++) if (!boards.Contains(b)) boards.Add(b);
        }
        if (boards.Count == 0)
        {
            error = "--boards names no board";
            return false;
        }
        boards.Sort();
        return true;
    }
}
