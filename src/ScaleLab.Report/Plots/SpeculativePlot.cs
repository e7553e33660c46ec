using System.Globalization;
using ScaleLab.Lab.Studies.Speculative;
using ScottPlot;

namespace ScaleLab.Report.Plots;

/// <summary>
/// The two figures of <c>scalelab speculate --study S --plot FILE</c>. Figure 1: wall-clock speedup of speculative over
/// plain target sampling against log10 draft parameters, one colour per target: measured at the auto γ (dots, with the
/// range over the repeats) beside Leviathan et al.'s theory at the measured α̂ and c (line, v = 1) and the theory at the
/// measured verify-pass cost (dashed). Figure 2 (<see cref="AcceptancePath"/>): pooled acceptance α̂ against the
/// draft/target loss gap, with the fitted law logit α = a + bΔ.
/// </summary>
public static class SpeculativePlot
{
    private const int Width = 900;
    private const int Height = 600;

    /// <summary>Path of the second figure: FILE.png → FILE-acceptance.png.</summary>
    public static string AcceptancePath(string path) =>
        Path.Combine(Path.GetDirectoryName(path) ?? "", Path.GetFileNameWithoutExtension(path) + "-acceptance" + Path.GetExtension(path));

    public static void Save(SpeculativeStudyResult result, string path)
    {
        ArgumentNullException.ThrowIfNull(result);
        var (speedup, acceptance) = Build(result);
        Save(speedup, path);
        Save(acceptance, AcceptancePath(path));
    }

    /// <summary>The row a pair is plotted at: its auto step, else its fastest fixed γ.</summary>
    public static SpeculativeRow? Headline(SpeculativePairResult pair) =>
        pair.Rows.FirstOrDefault(r => r.Auto) ?? pair.Rows.MaxBy(r => r.Speedup);

    public static (Plot Speedup, Plot Acceptance) Build(SpeculativeStudyResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var palette = new ScottPlot.Palettes.Category10();
        var speedup = new Plot();
        speedup.Title("speculative sampling: speedup against draft size (auto γ)");
        speedup.XLabel("log10 draft non-embedding parameters");
        speedup.YLabel("speedup over plain target sampling (×)");
        var i = 0;
        foreach (var group in result.Pairs.Where(p => Headline(p) is not null).GroupBy(p => p.Target.Run))
        {
            var color = palette.GetColor(i++);
            var pairs = group.OrderBy(p => p.Draft.Parameters).ToList();
            var rows = pairs.Select(p => Headline(p)!).ToList();
            var x = pairs.Select(p => Math.Log10(p.Draft.Parameters)).ToArray();
            var dots = speedup.Add.ScatterPoints(x, rows.Select(r => r.Speedup).ToArray());
            dots.Color = color;
            dots.MarkerSize = 8;
            dots.LegendText = string.Create(CultureInfo.InvariantCulture, $"target {group.First().Target.Parameters:N0} params: measured");
            for (var k = 0; k < x.Length; k++)
            {
                speedup.Add.Line(x[k], rows[k].SpeedupLow, x[k], rows[k].SpeedupHigh).Color = color;
            }
            var theory = speedup.Add.ScatterLine(x, rows.Select(r => r.Theory).ToArray());
            theory.Color = color;
            theory.LegendText = "theory (1 − α^(γ+1))/((1 − α)(γc + 1))";
            var atV = speedup.Add.ScatterLine(x, rows.Select(r => r.TheoryAtVerifyCost).ToArray());
            atV.Color = color;
            atV.LinePattern = LinePattern.Dashed;
            atV.LegendText = "theory at the measured verify cost v";
        }
        speedup.Add.HorizontalLine(1).Color = Colors.Gray;
        speedup.ShowLegend(Alignment.UpperRight);

        var acceptance = new Plot();
        acceptance.Title("acceptance rate against the draft/target loss gap");
        acceptance.XLabel("loss gap Δ = draft loss − target loss (nats/token)");
        acceptance.YLabel("acceptance α̂ (pooled over fixed γ)");
        var done = result.Pairs.Where(p => p.PooledCounts.Trials > 0).ToList();
        if (done.Count > 0)
        {
            var points = acceptance.Add.ScatterPoints(done.Select(p => p.LossGap).ToArray(),
                done.Select(p => (double)p.PooledCounts.Accepted / p.PooledCounts.Trials).ToArray());
            points.MarkerSize = 8;
            points.LegendText = "draft/target pairs";
            if (result.GapFit is { } fit)
            {
                double lo = Math.Min(0, done.Min(p => p.LossGap)), hi = done.Max(p => p.LossGap) * 1.1;
                var gaps = Enumerable.Range(0, 101).Select(k => lo + (hi - lo) * k / 100).ToArray();
                var line = acceptance.Add.ScatterLine(gaps, gaps.Select(fit.Acceptance).ToArray());
                line.LineWidth = 2;
                line.LegendText = string.Create(CultureInfo.InvariantCulture, $"logit α = {fit.Intercept:0.00} + ({fit.Slope:0.00})·Δ");
            }
        }
        acceptance.ShowLegend(Alignment.UpperRight);
        return (speedup, acceptance);
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
