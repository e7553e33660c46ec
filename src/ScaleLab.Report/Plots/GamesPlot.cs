using System.Globalization;
using ScaleLab.Laws;
using ScaleLab.Laws.Games;
using ScottPlot;

namespace ScaleLab.Report.Plots;

/// <summary>
/// The board-game figures. <see cref="Frontier"/>: Elo against log10 compute, one colour per board, every agent as a faint
/// dot, the frontier points as filled dots and the fitted change-point frontier as a line (Jones 2021, Fig. 4).
/// <see cref="TrainTest"/>: the iso-Elo curves, log10 test compute against log10 train compute per target Elo, with the
/// common within-level slope drawn through each level's centre (Jones 2021, Fig. 7). <see cref="Intrinsic"/>: log10
/// intrinsic performance against log10 samples per run with the fitted Hilton et al. (2023) law.
/// Each <c>Save*</c> writes PNG or SVG by the file's extension.
/// </summary>
public static class GamesPlot
{
    public const int Width = 900;
    public const int Height = 600;

    public static void SaveFrontier(IEnumerable<EloPoint> agents, FrontierFit fit, string path) =>
        PlotFile.Save(Frontier(agents, fit), path, PlotFile.FormatOf(path), Width, Height);

    public static void SaveTrainTest(TrainTestFit fit, string path) =>
        PlotFile.Save(TrainTest(fit), path, PlotFile.FormatOf(path), Width, Height);

    public static void SaveTrainTestFrontier(TrainTestFrontierFit fit, string path) =>
        PlotFile.Save(TrainTestFrontier(fit), path, PlotFile.FormatOf(path), Width, Height);

    public static void SaveIntrinsic(RlScalingFit fit, string path) =>
        PlotFile.Save(Intrinsic(fit), path, PlotFile.FormatOf(path), Width, Height);

    /// <summary>"value [lo, hi]" to 3 significant digits (titles have room for little).</summary>
    private static string Short(Estimate e) => e.Interval is { } iv
        ? $"{NumberStyle.Format(e.Value, 3)} [{NumberStyle.Format(iv.Lo, 3)}, {NumberStyle.Format(iv.Hi, 3)}]"
        : NumberStyle.Format(e.Value, 3);

    /// <summary>Elo vs log10 compute per board with the fitted frontier.</summary>
    public static Plot Frontier(IEnumerable<EloPoint> agents, FrontierFit fit)
    {
        ArgumentNullException.ThrowIfNull(fit);
        var palette = new ScottPlot.Palettes.Category10();
        var plot = new Plot();
        var m = fit.Parameters;
        plot.Title(string.Create(CultureInfo.InvariantCulture,
            $"Elo vs compute per board (change-point fit)\n{Short(fit.EloPerDecade)} Elo/decade; ×{(fit.PerfectPlayMultiplier is { } pm ? Short(pm) : "-")} compute per board to perfect play"));
        plot.XLabel("log10 training compute");
        plot.YLabel("Elo vs perfect play");
        var all = agents.ToList();
        double lo = all.Concat(fit.Points).Min(p => p.Log10Compute), hi = all.Concat(fit.Points).Max(p => p.Log10Compute);
        int i = 0;
        foreach (int board in fit.Boards)
        {
            var color = palette.GetColor(i++);
            var mine = all.Where(p => p.Board == board).ToArray();
            if (mine.Length > 0)
            {
                var faint = plot.Add.ScatterPoints(mine.Select(p => p.Log10Compute).ToArray(), mine.Select(p => p.Elo).ToArray());
                faint.Color = color.WithAlpha(0.3);
                faint.MarkerSize = 4;
            }
            var front = fit.Points.Where(p => p.Board == board).ToArray();
            var dots = plot.Add.ScatterPoints(front.Select(p => p.Log10Compute).ToArray(), front.Select(p => p.Elo).ToArray());
            dots.Color = color;
            dots.MarkerSize = 7;
            dots.LegendText = $"{board}×{board}";
            var xs = Enumerable.Range(0, 201).Select(k => lo + (hi - lo) * k / 200).ToArray();
            var line = plot.Add.ScatterLine(xs, xs.Select(x => m.Predict(x, board)).ToArray());
            line.Color = color;
            line.LineWidth = 2;
        }
        plot.ShowLegend(Alignment.LowerRight);
        return plot;
    }

    /// <summary>Iso-Elo curves: log10 test compute vs log10 train compute per target Elo, with the common slope.</summary>
    public static Plot TrainTest(TrainTestFit fit)
    {
        ArgumentNullException.ThrowIfNull(fit);
        var palette = new ScottPlot.Palettes.Category10();
        var plot = new Plot();
        plot.Title($"train–test trade-off: slope {Short(fit.Slope)} (log test per log train at fixed Elo)");
        plot.XLabel("log10 training compute");
        plot.YLabel("log10 test-time compute");
        int i = 0;
        foreach (var curve in fit.Curves.Where(c => c.Points.Count > 0))
        {
            var color = palette.GetColor(i++);
            var x = curve.Points.Select(p => p.Log10TrainCompute).ToArray();
            var y = curve.Points.Select(p => p.Log10TestCompute).ToArray();
            var dots = plot.Add.ScatterPoints(x, y);
            dots.Color = color;
            dots.MarkerSize = 7;
            dots.LegendText = $"Elo {NumberStyle.Format(curve.Elo, 4)}";
            double mx = x.Average(), my = y.Average(), half = (x.Max() - x.Min()) / 2;
            var line = plot.Add.Line(mx - half, my - fit.Slope.Value * half, mx + half, my + fit.Slope.Value * half);
            line.Color = color;
            line.LineWidth = 2;
        }
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    /// <summary>Jones's train–test frontier (his Fig. 9): per Elo level the least log10 test compute reaching it against log10
    /// train compute (a falling staircase of dots), and the fitted plane's line for that level.</summary>
    public static Plot TrainTestFrontier(TrainTestFrontierFit fit)
    {
        ArgumentNullException.ThrowIfNull(fit);
        var palette = new ScottPlot.Palettes.Category10();
        var plot = new Plot();
        plot.Title($"train–test frontier (least compute reaching each Elo): slope {Short(fit.Slope)}\n(log test per log train at fixed Elo; Jones 2021: about -1.2)");
        plot.XLabel("log10 training compute");
        plot.YLabel("log10 test-time compute (nodes × parameters)");
        int i = 0;
        foreach (var level in fit.Points.GroupBy(p => p.Elo).OrderBy(g => g.Key))
        {
            var color = palette.GetColor(i++);
            var x = level.Select(p => p.Log10TrainCompute).ToArray();
            var y = level.Select(p => p.Log10TestCompute).ToArray();
            var dots = plot.Add.ScatterLine(x, y);
            dots.Color = color;
            dots.MarkerSize = 7;
            dots.ConnectStyle = ConnectStyle.StepHorizontal;
            dots.LegendText = $"Elo {NumberStyle.Format(level.Key, 4)}";
            if (x.Length >= 2)
            {
                var line = plot.Add.Line(x.Min(), fit.Predict(x.Min(), level.Key), x.Max(), fit.Predict(x.Max(), level.Key));
                line.Color = color;
                line.LineWidth = 1;
                line.LinePattern = LinePattern.Dashed;
            }
        }
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    /// <summary>log10 intrinsic performance vs log10 samples per run, with the fitted law per run size.</summary>
    public static Plot Intrinsic(RlScalingFit fit)
    {
        ArgumentNullException.ThrowIfNull(fit);
        var palette = new ScottPlot.Palettes.Category10();
        var plot = new Plot();
        plot.Title(fit.Identified
            ? $"intrinsic performance: α_N {Short(fit.AlphaN)}, α_E {Short(fit.AlphaE)}, N_opt ∝ C^{Short(fit.OptimalSizeExponent)}"
            : "intrinsic performance (law exponents not identified; see notes)");
        plot.XLabel("log10 self-play samples E");
        plot.YLabel("log10 intrinsic performance I (compute)");
        int i = 0;
        foreach (var run in fit.Data.GroupBy(p => p.Parameters).OrderBy(g => g.Key))
        {
            var color = palette.GetColor(i++);
            var pts = run.OrderBy(p => p.Samples).ToArray();
            var dots = plot.Add.ScatterPoints(pts.Select(p => Math.Log10(p.Samples)).ToArray(), pts.Select(p => Math.Log10(p.Intrinsic)).ToArray());
            dots.Color = color;
            dots.MarkerSize = 6;
            dots.LegendText = $"N = {NumberStyle.Format(run.Key, 3)}";
            if (fit.Identified)
            {
                double lo = Math.Log10(pts[0].Samples), hi = Math.Log10(pts[^1].Samples);
                var xs = Enumerable.Range(0, 101).Select(k => lo + (hi - lo) * k / 100).ToArray();
                var line = plot.Add.ScatterLine(xs, xs.Select(x => fit.PredictLog10(run.Key, Math.Pow(10, x))).ToArray());
                line.Color = color;
                line.LineWidth = 2;
            }
        }
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }
}
