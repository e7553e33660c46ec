using System.Globalization;
using ScaleLab.Laws.Trend;
using ScottPlot;

namespace ScaleLab.Report.Plots;

/// <summary>
/// Compute (or parameters) against publication date on a log y axis: one dot per model and one trend line
/// per era, labelled with its doubling time. Log axis the ScottPlot 5 way: plot log10 y, label ticks 10^y.
/// </summary>
public static class TrendPlot
{
    public const int Width = 1000;
    public const int Height = 600;

    /// <summary>Writes the figure to <paramref name="path"/>: PNG or SVG chosen by the extension (.png / .svg).</summary>
    public static void Save(TrendResult result, string quantityLabel, string path, int width = Width, int height = Height)
    {
        var format = PlotFile.FormatOf(path);
        var plot = Build(result, quantityLabel);
        PlotFile.Save(plot, path, format, width, height);
    }

    public static Plot Build(TrendResult result, string quantityLabel)
    {
        var plot = new Plot();
        plot.Title(result.Options.FrontierTop is { } top ? $"{quantityLabel} trend (frontier: top {top} per year)" : $"{quantityLabel} trend");
        plot.XLabel("publication date (fractional year)");
        plot.YLabel(quantityLabel);
        var dots = plot.Add.ScatterPoints(
            result.Points.Select(p => p.Year).ToArray(),
            result.Points.Select(p => Math.Log10(p.Value)).ToArray());
        dots.Color = Colors.SteelBlue.WithAlpha(0.6);
        dots.MarkerSize = 5;
        dots.LegendText = $"models (n = {result.Points.Count})";
        var palette = new ScottPlot.Palettes.Category10();
        var i = 1;
        foreach (var era in result.Eras)
        {
            var xs = new[] { era.From, era.To };
            var line = plot.Add.ScatterLine(xs, xs.Select(era.Fit.Predict).ToArray());
            line.Color = palette.GetColor(i++);
            line.LineWidth = 3;
            line.LegendText = string.Create(CultureInfo.InvariantCulture,
                $"{era.From:0.#}–{era.To:0.#}: {era.GrowthPerYear:0.##}×/yr, {(era.DoublingMonths.Value < 0 ? "halving" : "doubling")} {Bound(Math.Abs(era.DoublingMonths.Value))} mo [{Bound(era.DoublingMonths.Lo)}, {Bound(era.DoublingMonths.Hi)}], n = {era.N}");
        }
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = PlotFile.Pow10Label,
            IntegerTicksOnly = true,
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
        };
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = v => v.ToString("0.##", CultureInfo.InvariantCulture),
        };
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }

    private static string Bound(double v) => double.IsFinite(v) ? v.ToString("0.0", CultureInfo.InvariantCulture) : v > 0 ? "∞" : "−∞";
}
