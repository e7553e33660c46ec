using ScaleLab.Games.Study;
using ScaleLab.Report.Plots;

namespace ScaleLab.Cli.Commands.Hex;

/// <summary>
/// The figures of <c>hex study --plot DIR</c> (<see cref="GamesPlot"/>): <c>hex-frontier.png</c> (Elo against compute per
/// board with the fitted change-point frontier, Jones 2021 Fig. 4), <c>hex-train-test-N.png</c> per board with a fitted
/// per-agent trade-off (the iso-Elo curves), <c>hex-train-test-frontier-N.png</c> per board with Jones's train–test frontier
/// (the least test compute reaching each Elo against training compute, his Fig. 9) and <c>hex-intrinsic-N.png</c> per board with an RL scaling fit (intrinsic performance
/// against samples; the law drawn only where its exponents are identified). A fit that is missing writes no figure.
/// </summary>
public static class HexStudyFigures
{
    public const string FrontierFile = "hex-frontier.png";

    /// <summary>Refuses (one line) a folder that cannot hold the figures, before any work: it must be a folder or a
    /// new path whose parent exists.</summary>
    public static void Check(string dir)
    {
        if (File.Exists(dir))
        {
            throw new UsageException($"--plot {dir}: is a file; give a folder for the figures");
        }
        var full = Path.GetFullPath(dir);
        if (!Directory.Exists(full) && !Directory.Exists(Path.GetDirectoryName(full)))
        {
            throw new UsageException($"--plot {dir}: its parent folder does not exist");
        }
    }

    /// <summary>Writes the figures the fits allow into <paramref name="dir"/> (created if missing); returns their paths.</summary>
    public static IReadOnlyList<string> Write(HexStudyResult result, string dir)
    {
        Directory.CreateDirectory(dir);
        var written = new List<string>();
        if (result.Frontier is { } frontier)
        {
            var path = Path.Combine(dir, FrontierFile);
            GamesPlot.SaveFrontier(result.FrontierPoints, frontier, path);
            written.Add(path);
        }
        foreach (var t in result.TrainTest.Where(t => t.Fit is not null))
        {
            var path = Path.Combine(dir, $"hex-train-test-{t.Board}.png");
            GamesPlot.SaveTrainTest(t.Fit!, path);
            written.Add(path);
        }
        foreach (var t in result.TrainTest.Where(t => t.Frontier is not null))
        {
            var path = Path.Combine(dir, $"hex-train-test-frontier-{t.Board}.png");
            GamesPlot.SaveTrainTestFrontier(t.Frontier!, path);
            written.Add(path);
        }
        foreach (var r in result.Rl.Where(r => r.Fit is not null))
        {
            var path = Path.Combine(dir, $"hex-intrinsic-{r.Board}.png");
            GamesPlot.SaveIntrinsic(r.Fit!, path);
            written.Add(path);
        }
        return written;
    }
}
