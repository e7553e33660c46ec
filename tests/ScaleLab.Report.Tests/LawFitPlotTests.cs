using ScaleLab.Laws;
using ScaleLab.Report.Plots;

namespace ScaleLab.Report.Tests;

public sealed class LawFitPlotTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("scalelab-lawplot-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static ScalingDataset Data(IScalingLaw law, double[] symbols, IReadOnlyList<LawPoint> points)
    {
        var rng = new Random(2);
        var y = points.Select(p => law.Predict(symbols, p) * Math.Exp(0.01 * (rng.NextDouble() - 0.5))).ToArray();
        return new ScalingDataset("plot", y, points.All(p => double.IsNaN(p.N)) ? null : points.Select(p => p.N).ToArray(),
            points.All(p => double.IsNaN(p.D)) ? null : points.Select(p => p.D).ToArray(),
            points.All(p => double.IsNaN(p.C)) ? null : points.Select(p => p.C).ToArray());
    }

    [Fact]
    public void Save_PowerLawWithBootstrapAndBacktest_WritesPngWithBand()
    {
        // Given
        var law = new PowerLaw(LawInputs.C);
        var data = Data(law, [1.7, 30, 0.07], Enumerable.Range(0, 20).Select(i => new LawPoint(C: 1e17 * Math.Pow(10, i * 0.3))).ToList());
        var fit = LawFitter.Fit(law, data).WithBootstrap(data, new BootstrapOptions { Samples = 30, GridStarts = 0 });
        var backtest = Backtester.Run(law, data, new BacktestOptions { Holdout = 4, Bootstrap = 30, GridStarts = 0 });
        var path = Path.Combine(_dir, "fit.png");

        // When
        LawFitPlot.Save(path, fit, data, backtest);
        var plot = LawFitPlot.Build(fit, data, backtest);

        // Then: PNG signature; data, held-out points, band, fitted line and dashed extrapolation.
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(path)[..4]);
        Assert.Equal(5, plot.GetPlottables().Count());
        Assert.Contains(plot.GetPlottables(), p => p is ScottPlot.Plottables.FillY);
    }

    [Fact]
    public void Save_ChinchillaSvg_WritesSvgOfTheFrontier()
    {
        // Given
        var law = ChinchillaLaw.Instance;
        var points = new List<LawPoint>();
        foreach (var n in new[] { 1e8, 3e8, 1e9, 3e9 })
        {
            foreach (var d in new[] { 1e9, 1e10, 1e11 })
            {
                points.Add(new LawPoint(n, d, 6 * n * d));
            }
        }
        var data = Data(law, [1.8, 480, 2100, 0.35, 0.37], points);
        var fit = LawFitter.Fit(law, data, new FitOptions { Starts = [[6, 7.6, 0.6, 0.35, 0.37]] });
        var path = Path.Combine(_dir, "fit.svg");

        // When
        LawFitPlot.Save(path, fit, data);

        // Then
        Assert.Contains("<svg", File.ReadAllText(path));
    }

    [Fact]
    public void Save_OtherExtension_ThrowsArgumentException()
    {
        var law = new PowerLaw(LawInputs.C);
        var data = Data(law, [1.7, 30, 0.07], Enumerable.Range(0, 8).Select(i => new LawPoint(C: 1e17 * Math.Pow(10, i))).ToList());
        var fit = LawFitter.Fit(law, data);
        Assert.Throws<ArgumentException>(() => LawFitPlot.Save(Path.Combine(_dir, "fit.jpg"), fit, data));
    }
}
