using System.Globalization;
using ScottPlot;

namespace ScaleLab.Report.Plots;

/// <summary>One comparison of two SAEs of equal size n on a pair of models (<paramref name="Pair"/>: e.g. seed or size):
/// the fraction of latents shared (and among the latents that fired, when known) and the same fraction for the two
/// models' neurons, each with its standard error.</summary>
public sealed record UniversalityPoint(string Pair, int Latents, double FeaturesShared, double FeaturesSe, double NeuronsShared, double NeuronsSe,
    double? FiredShared = null);

/// <summary>
/// The universality figure (Bricken et al. 2023's question): fraction of SAE latents shared between two models against
/// the SAE size n (log2 axis), one line per model pair with ±1 standard-error bars, and the same pair's neurons as a
/// dashed horizontal line (the neurons do not depend on n).
/// </summary>
public static class UniversalityPlot
{
    public const int Width = 900;
    public const int Height = 600;

    /// <summary>Writes the figure to <paramref name="path"/> (.svg, else PNG).</summary>
    public static void Save(IReadOnlyList<UniversalityPoint> points, double threshold, string path)
    {
        PlotFile.Save(Build(points, threshold), path, PlotFile.FormatOf(path), Width, Height);
    }

    public static Plot Build(IReadOnlyList<UniversalityPoint> points, double threshold)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Count == 0) throw new ArgumentException("the universality figure needs at least one comparison");
        var plot = new Plot();
        plot.Title(string.Create(CultureInfo.InvariantCulture, $"features vs neurons shared between models (Hungarian match, correlation > {threshold:0.##})"));
        plot.XLabel("SAE latents n (log2)");
        plot.YLabel("fraction shared (±1 SE over units)");
        var palette = new ScottPlot.Palettes.Category10();
        var (lo, hi) = (Math.Log2(points.Min(p => p.Latents)), Math.Log2(points.Max(p => p.Latents)));
        var i = 0;
        foreach (var pair in points.GroupBy(p => p.Pair))
        {
            var color = palette.GetColor(i++);
            var sorted = pair.OrderBy(p => p.Latents).ToArray();
            var xs = sorted.Select(p => Math.Log2(p.Latents)).ToArray();
            var line = plot.Add.Scatter(xs, sorted.Select(p => p.FeaturesShared).ToArray());
            line.Color = color;
            line.LineWidth = 2;
            line.MarkerSize = 8;
            line.LegendText = $"features, {pair.Key} pair";
            if (sorted.All(p => p.FiredShared is not null))
            {
                var fired = plot.Add.Scatter(xs, sorted.Select(p => p.FiredShared!.Value).ToArray());
                fired.Color = color;
                fired.LineWidth = 1;
                fired.LinePattern = LinePattern.Dotted;
                fired.MarkerShape = MarkerShape.OpenCircle;
                fired.MarkerSize = 8;
                fired.LegendText = $"features that fired, {pair.Key} pair";
            }
            foreach (var p in sorted)
            {
                plot.Add.Line(Math.Log2(p.Latents), p.FeaturesShared - p.FeaturesSe, Math.Log2(p.Latents), p.FeaturesShared + p.FeaturesSe).Color = color;
            }
            var neurons = sorted.Average(p => p.NeuronsShared);
            var se = sorted.Average(p => p.NeuronsSe);
            var flat = plot.Add.Line(lo - 0.25, neurons, hi + 0.25, neurons);
            flat.Color = color;
            flat.LinePattern = LinePattern.Dashed;
            flat.LineWidth = 2;
            flat.LegendText = string.Create(CultureInfo.InvariantCulture, $"neurons, {pair.Key} pair ({neurons:0.00} ± {se:0.00})");
        }
        plot.Axes.SetLimitsY(0, 1.05);
        plot.Axes.SetLimitsX(lo - 0.5, hi + 0.5);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = v => Math.Pow(2, v).ToString("0", CultureInfo.InvariantCulture),
            IntegerTicksOnly = true,
        };
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }
}
