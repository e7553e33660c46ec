using ScaleLab.Lab.Studies.Sae;
using ScaleLab.Report.Plots;
using ScottPlot.Plottables;

namespace ScaleLab.Report.Tests;

public sealed class SaeScalingPlotTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("scalelab-saeplot-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>FVU = 0.01 + 2·n^(−0.6)·(k/8)^(−0.5) with 1% seeded noise at n = 64..2048 for k = 8 and 16, and k = 32 at only
    /// three sizes (too few for its own power law).</summary>
    private static List<SaeScalingPoint> Planted()
    {
        var rng = new Random(4);
        var points = new List<SaeScalingPoint>();
        foreach (var k in new[] { 8, 16 })
        {
            foreach (var n in new[] { 64, 128, 256, 512, 1024, 2048 })
            {
                points.Add(new SaeScalingPoint($"r{n}-{k}", n, k, 1, Law(n, k) * (1 + 0.01 * (rng.NextDouble() - 0.5)), 1e9));
            }
        }
        points.AddRange(new[] { 128, 512, 2048 }.Select(n => new SaeScalingPoint($"r{n}-32", n, 32, 1, Law(n, 32), 1e9)));
        return points;
    }

    private static double Law(double n, double k) => 0.01 + 2 * Math.Pow(n, -0.6) * Math.Pow(k / 8, -0.5);

    [Fact]
    public void Build_PlantedStudy_DrawsEachFittedLawThroughItsPointsAndNoneWhereUnfitted()
    {
        // Given
        var points = Planted();
        var fits = SaeScaling.Fit(points, bootstrap: 20, seed: 1);
        var joint = SaeScaling.FitJoint(points, bootstrap: 0, seed: 1, out _);

        // When
        var plot = SaeScalingPlot.Build(points, fits, joint);

        // Then: dots for all three k; a solid power-law line for k = 8 and k = 16 only (k = 32 has 3 sizes) whose value at
        // n = 512 is within 3% of the planted law, its legend naming α; a dashed joint-law line per k.
        var lines = plot.GetPlottables().OfType<Scatter>().Where(s => s.LineWidth > 0 && s.LinePattern.Equals(ScottPlot.LinePattern.Solid) && s.MarkerSize == 0).ToList();
        Assert.Equal(3, plot.GetPlottables().OfType<Scatter>().Count(s => s.LegendText.EndsWith(" runs", StringComparison.Ordinal)));
        Assert.Equal(2, lines.Count);
        foreach (var (line, k) in lines.Zip(new[] { 8, 16 }))
        {
            Assert.StartsWith($"k = {k}: E + A·n^-α, α = ", line.LegendText, StringComparison.Ordinal);
            var xy = line.Data.GetScatterPoints().MinBy(p => Math.Abs(p.X - Math.Log10(512)));
            Assert.InRange(Math.Pow(10, xy.Y) / Law(Math.Pow(10, xy.X), k), 0.97, 1.03);
        }
        // The planted laws are identified, so they run to 2× the largest n; the axis spans the runs' FVU (÷3, ×3).
        Assert.All(lines, l => Assert.Equal(Math.Log10(4096), l.Data.GetScatterPoints().Max(p => p.X), 9));
        Assert.Equal(Math.Log10(points.Max(p => p.Fvu) * 3), plot.Axes.GetLimits().Top, 9);
        Assert.NotNull(joint);
        Assert.Equal(3, plot.GetPlottables().OfType<Scatter>().Count(s => s.LinePattern.Equals(ScottPlot.LinePattern.Dashed)));
    }

    [Fact]
    public void Build_FlatStudy_UnidentifiedLawNotExtrapolated()
    {
        // Given: FVU flat in n (the power law's A and α are not identified).
        var rng = new Random(7);
        var points = new[] { 64, 128, 256, 512, 1024, 2048 }.Select(n => new SaeScalingPoint($"f{n}", n, 16, 1, 0.0054 * (1 + 0.05 * (rng.NextDouble() - 0.5)), 1e9)).ToList();
        var fits = SaeScaling.Fit(points, bootstrap: 20, seed: 1);
        Assert.False(fits[0].Fit.Identification().AllIdentified);

        // When
        var plot = SaeScalingPlot.Build(points, fits, joint: null);

        // Then: its line stops at the largest n trained, and says it is not identified.
        var line = Assert.Single(plot.GetPlottables().OfType<Scatter>(), s => s.LegendText.Contains("E + A", StringComparison.Ordinal));
        Assert.EndsWith("(not identified)", line.LegendText, StringComparison.Ordinal);
        Assert.Equal(Math.Log10(2048), line.Data.GetScatterPoints().Max(p => p.X), 9);
    }

    [Fact]
    public void Save_Svg_WritesAnSvgFile()
    {
        // Given
        var points = Planted();
        var path = Path.Combine(_dir, "sae.svg");

        // When
        SaeScalingPlot.Save(path, points, SaeScaling.Fit(points, bootstrap: 0, seed: 1), joint: null);

        // Then
        Assert.Contains("<svg", File.ReadAllText(path), StringComparison.Ordinal);
    }
}
