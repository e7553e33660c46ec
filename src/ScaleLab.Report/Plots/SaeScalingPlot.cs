using System.Globalization;
using ScaleLab.Lab.Studies.Sae;
using ScaleLab.Laws;
using ScottPlot;

namespace ScaleLab.Report.Plots;

/// <summary>
/// The SAE scaling figure (after Gao et al. 2024, Figure 1): held-out FVU against the latent count n on log-log axes,
/// one colour per k; each k's runs as dots, its fitted power law FVU = E + A·n^(−α) as a solid line over the sizes it was
/// fitted on (only where fitted: a k with fewer than four sizes has none), and Gao et al.'s joint law L(n, k) at that k
/// as a dashed line. An identified law is extended to 2× the largest n so its extrapolation is visible; one that is not
/// identified is drawn only over the sizes it was fitted on (its extrapolation means nothing). The FVU axis spans the
/// runs (÷3 to ×3) so that no line sets the scale. The legend names each k's exponent, or says it is not identified.
/// </summary>
public static class SaeScalingPlot
{
    public const int Width = 900;
    public const int Height = 600;

    /// <summary>Writes the figure to <paramref name="path"/>: PNG or SVG chosen by the extension.</summary>
    public static void Save(string path, IReadOnlyList<SaeScalingPoint> points, IReadOnlyList<SaeScalingFit> fits, SaeJointFit? joint,
        int width = Width, int height = Height)
    {
        var format = PlotFile.FormatOf(path);
        PlotFile.Save(Build(points, fits, joint), path, format, width, height);
    }

    public static Plot Build(IReadOnlyList<SaeScalingPoint> points, IReadOnlyList<SaeScalingFit> fits, SaeJointFit? joint)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(fits);
        var plot = new Plot();
        plot.Title("SAE held-out FVU against latents n, per k");
        plot.XLabel("latents n");
        plot.YLabel("held-out FVU (fraction of variance unexplained)");
        var palette = new ScottPlot.Palettes.Category10();
        var ks = points.Select(p => p.K).Distinct().Order().ToList();
        double lo = points.Min(p => p.Latents), hi = points.Max(p => p.Latents);
        double[] Grid(double end) => [.. Enumerable.Range(0, 80).Select(i => Math.Pow(10, Math.Log10(lo) + (Math.Log10(end) - Math.Log10(lo)) * i / 79.0))];
        for (var i = 0; i < ks.Count; i++)
        {
            var k = ks[i];
            var color = palette.GetColor(i);
            var mine = points.Where(p => p.K == k).ToList();
            var name = k > 0 ? $"k = {k}" : "ReLU+L1";
            var dots = plot.Add.ScatterPoints(mine.Select(p => Math.Log10(p.Latents)).ToArray(), mine.Select(p => Math.Log10(p.Fvu)).ToArray());
            dots.Color = color;
            dots.MarkerSize = 7;
            dots.LegendText = $"{name}: {mine.Count} runs";
            if (fits.FirstOrDefault(f => f.K == k) is { } fit)
            {
                var alpha = Array.IndexOf(fit.Fit.Symbols.ToArray(), "alpha");
                var identified = fit.Fit.Identification().AllIdentified;
                var xs = Grid(identified ? 2 * hi : hi);
                var line = plot.Add.ScatterLine(xs.Select(Math.Log10).ToArray(), xs.Select(x => Math.Log10(fit.Fit.Predict(new LawPoint(N: x)))).ToArray());
                line.Color = color;
                line.LineWidth = 2;
                line.LegendText = identified && alpha >= 0
                    ? string.Create(CultureInfo.InvariantCulture, $"{name}: E + A·n^-α, α = {NumberStyle.Format(fit.Fit.Values[alpha], 3)}") +
                      (fit.Fit.Bootstrap is { } b ? $" [{NumberStyle.Format(b.Parameters[alpha].Lo, 3)}, {NumberStyle.Format(b.Parameters[alpha].Hi, 3)}]" : "")
                    : $"{name}: E + A·n^-α (not identified)";
            }
            if (joint is not null && k > 0)
            {
                var xs = Grid(joint.Fit.Identification().AllIdentified ? 2 * hi : hi);
                var dashed = plot.Add.ScatterLine(xs.Select(Math.Log10).ToArray(), xs.Select(x => Math.Log10(joint.Fit.Predict(new LawPoint(N: x, D: k, C: x)))).ToArray());
                dashed.Color = color;
                dashed.LinePattern = LinePattern.Dashed;
                var exponent = joint.Exponents.FirstOrDefault(e => e.K == k);
                dashed.LegendText = exponent is null ? $"{name}: joint law" : $"{name}: joint law, exponent of n {NumberStyle.Format(exponent.Exponent, 3)}" +
                    (exponent.Interval is { } iv ? $" [{NumberStyle.Format(iv.Lo, 3)}, {NumberStyle.Format(iv.Hi, 3)}]" : "");
            }
        }
        var edge = plot.Add.VerticalLine(Math.Log10(hi));
        edge.Color = Colors.Gray;
        edge.LinePattern = LinePattern.Dotted;
        edge.LegendText = $"largest n run ({NumberStyle.Format(hi, 4)}); beyond it the lines extrapolate";
        double fvuLo = points.Min(p => p.Fvu), fvuHi = points.Max(p => p.Fvu);
        plot.Axes.SetLimits(Math.Log10(lo) - 0.1, Math.Log10(2 * hi) + 0.1, Math.Log10(fvuLo / 3), Math.Log10(fvuHi * 3));
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = PlotFile.Pow10Label, MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator() };
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = PlotFile.Pow10Label, MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator() };
        plot.ShowLegend(Alignment.LowerRight);
        return plot;
    }
}
