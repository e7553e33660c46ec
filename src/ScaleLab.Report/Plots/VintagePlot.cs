using ScaleLab.Laws;
using ScaleLab.Report.Efficiency;
using ScottPlot;

namespace ScaleLab.Report.Plots;

/// <summary>
/// The recipe-vintage figure, two panels (after Hernandez &amp; Brown 2020, Figure 1): left, each recipe's
/// compute-efficient frontier runs and fitted line log10 L = a + b·log10 C on log-log axes, with the headline target
/// loss; right, the compute each recipe needs to reach that loss, oldest first, with its interval.
/// </summary>
public static class VintagePlot
{
    public const int Width = 1400;
    public const int Height = 600;

    /// <summary>Writes the figure to <paramref name="path"/>: PNG or SVG chosen by the extension.</summary>
    public static void Save(VintageStudyResult result, string path, int width = Width, int height = Height)
    {
        var format = PlotFile.FormatOf(path);
        var (frontiers, compute) = Build(result);
        PlotFile.SaveColumns(frontiers, compute, path, format, width, height);
    }

    public static (Plot Frontiers, Plot Compute) Build(VintageStudyResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var ladder = result.Ladder;
        var palette = new ScottPlot.Palettes.Category10();
        var frontiers = new Plot();
        frontiers.Title("Compute-efficient frontiers per recipe");
        frontiers.XLabel("compute C (FLOP)");
        frontiers.YLabel("validation loss (nats/token)");
        for (var i = 0; i < ladder.Rungs.Count; i++)
        {
            var rung = ladder.Rungs[i];
            var color = palette.GetColor(i);
            var points = result.Recipes[i].Frontier;
            var dots = frontiers.Add.ScatterPoints(points.Select(p => Math.Log10(p.C)).ToArray(), points.Select(p => Math.Log10(p.Loss)).ToArray());
            dots.Color = color;
            dots.MarkerSize = 8;
            dots.LegendText = result.Recipes[i].Name;
            var ends = new[] { Math.Log10(rung.Law.MinC), Math.Log10(rung.Law.MaxC) };
            var line = frontiers.Add.ScatterLine(ends, ends.Select(rung.Law.Fit.Predict).ToArray());
            line.Color = color;
            line.LineWidth = 2;
        }
        var target = frontiers.Add.HorizontalLine(Math.Log10(ladder.HeadlineTarget));
        target.Color = Colors.Gray;
        target.LinePattern = LinePattern.Dashed;
        target.LegendText = $"target L = {NumberStyle.Format(ladder.HeadlineTarget, 4)}";
        frontiers.Axes.Bottom.TickGenerator = LogTicks();
        frontiers.Axes.Left.TickGenerator = LogTicks();
        frontiers.ShowLegend(Alignment.UpperRight);

        var compute = new Plot();
        compute.Title($"Compute to reach L = {NumberStyle.Format(ladder.HeadlineTarget, 4)} ({NumberStyle.Percent(ladder.Options.Level, 2)} intervals)");
        compute.XLabel("recipe (oldest first)");
        compute.YLabel("compute C (FLOP)");
        for (var i = 0; i < ladder.Rungs.Count; i++)
        {
            var c = ladder.Rungs[i].Compute[ladder.Headline];
            var color = palette.GetColor(i);
            if (double.IsFinite(c.Lo) && double.IsFinite(c.Hi))
            {
                var bar = compute.Add.Line(i, Math.Log10(c.Lo), i, Math.Log10(c.Hi));
                bar.Color = color;
                bar.LineWidth = 3;
            }
            var marker = compute.Add.Marker(i, Math.Log10(c.Value));
            marker.Color = color;
            marker.Size = 12;
        }
        compute.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. Enumerable.Range(0, ladder.Rungs.Count).Select(i => (double)i)], [.. result.Recipes.Select(r => r.Name)]);
        compute.Axes.Left.TickGenerator = LogTicks();
        compute.Axes.SetLimitsX(-0.5, ladder.Rungs.Count - 0.5);
        return (frontiers, compute);
    }

    private static ScottPlot.TickGenerators.NumericAutomatic LogTicks() => new()
    {
        LabelFormatter = PlotFile.Pow10Label,
        MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
    };
}
