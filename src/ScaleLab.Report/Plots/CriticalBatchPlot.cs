using System.Globalization;
using ScaleLab.Lab.Studies.CriticalBatch;
using ScottPlot;

namespace ScaleLab.Report.Plots;

/// <summary>
/// The two figures of <c>scalelab critical-batch --plot FILE</c>. Figure 1 (McCandlish et al. 2018, Fig. 3 style):
/// log10 steps against log10 examples, one colour per target, measured runs as dots and the fitted
/// E = E_min(1 + B/B_crit), S = S_min(1 + B_crit/B) traced over B. Figure 2 (<see cref="BCritPath"/>): log10 B_crit
/// (with its interval) and log10 B_simple against the target loss.
/// </summary>
public static class CriticalBatchPlot
{
    private const int Width = 900;
    private const int Height = 600;

    /// <summary>Path of the second figure: FILE.png → FILE-bcrit.png.</summary>
    public static string BCritPath(string path) =>
        Path.Combine(Path.GetDirectoryName(path) ?? "", Path.GetFileNameWithoutExtension(path) + "-bcrit" + Path.GetExtension(path));

    /// <summary>Writes figure 1 to <paramref name="path"/> and figure 2 to <see cref="BCritPath"/> (.svg, else PNG).</summary>
    public static void Save(CriticalBatchAnalysis analysis, string path)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        var (tradeoff, bCrit) = Build(analysis);
        Save(tradeoff, path);
        Save(bCrit, BCritPath(path));
    }

    /// <summary>Figure 1 (steps against examples) and figure 2 (B_crit and B_simple against the target loss).</summary>
    public static (Plot Tradeoff, Plot BCrit) Build(CriticalBatchAnalysis analysis)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        var palette = new ScottPlot.Palettes.Category10();
        var tradeoff = new Plot();
        tradeoff.Title("steps vs examples to reach each target loss");
        tradeoff.XLabel("log10 examples E (sequences)");
        tradeoff.YLabel("log10 steps S");
        var bCrit = new Plot();
        bCrit.Title("critical batch B_crit and gradient noise scale B_simple");
        bCrit.XLabel("target loss (nats/token)");
        bCrit.YLabel("log10 batch size (sequences)");
        var i = 0;
        var crit = new List<(double L, double B, double Lo, double Hi)>();
        var simple = new List<(double L, double B)>();
        foreach (var t in analysis.Targets)
        {
            var color = palette.GetColor(i++);
            var dots = tradeoff.Add.ScatterPoints(t.Runs.Select(r => Math.Log10(r.Examples)).ToArray(), t.Runs.Select(r => Math.Log10(r.Steps)).ToArray());
            dots.Color = color;
            dots.MarkerSize = 7;
            dots.LegendText = string.Create(CultureInfo.InvariantCulture, $"L = {t.TargetLoss:0.###}");
            if (t.Fit is { } fit)
            {
                var batches = Enumerable.Range(0, 121).Select(k => fit.MinBatch / 8 * Math.Pow(64 * fit.MaxBatch / fit.MinBatch, k / 120.0)).ToArray();
                var line = tradeoff.Add.ScatterLine(batches.Select(b => Math.Log10(fit.PredictExamples(b))).ToArray(),
                    batches.Select(b => Math.Log10(fit.PredictSteps(b))).ToArray());
                line.Color = color;
                line.LineWidth = 2;
                crit.Add((t.TargetLoss, fit.BCrit, fit.BCritInterval.Lo, fit.BCritInterval.Hi));
            }
            if (t.BSimple is { } b)
            {
                simple.Add((t.TargetLoss, b));
            }
        }
        tradeoff.ShowLegend(Alignment.UpperRight);
        if (crit.Count > 0)
        {
            var c = bCrit.Add.ScatterPoints(crit.Select(x => x.L).ToArray(), crit.Select(x => Math.Log10(x.B)).ToArray());
            c.LegendText = "B_crit (hyperbola fit, 95% profile interval)";
            c.MarkerSize = 8;
            foreach (var x in crit.Where(x => x.Lo > 0))
            {
                var hi = double.IsFinite(x.Hi) ? Math.Log10(x.Hi) : Math.Log10(x.B) + 1;
                bCrit.Add.Line(x.L, Math.Log10(x.Lo), x.L, hi).Color = c.Color;
            }
        }
        if (simple.Count > 0)
        {
            var s = bCrit.Add.ScatterPoints(simple.Select(x => x.L).ToArray(), simple.Select(x => Math.Log10(x.B)).ToArray());
            s.LegendText = "B_simple (same runs, at the target loss)";
            s.MarkerSize = 8;
            s.MarkerShape = MarkerShape.OpenSquare;
        }
        bCrit.ShowLegend(Alignment.UpperRight);
        return (tradeoff, bCrit);
    }

    private static void Save(Plot plot, string path)
    {
        if (Path.GetExtension(path).Equals(".svg", StringComparison.OrdinalIgnoreCase))
        {
            plot.SaveSvg(path, Width, Height);
        }
        else
        {
            plot.SavePng(path, Width, Height);
        }
    }
}
