using System.Xml.Linq;
using ScaleLab.Laws;
using ScaleLab.Laws.Games;
using ScaleLab.Report.Plots;
using SkiaSharp;

namespace ScaleLab.Report.Tests;

public sealed class GamesPlotTests
{
    private static readonly ChangePointFrontier Truth = new(500, -430, -2500, -300, 0);

    private static List<EloPoint> Agents()
    {
        var rng = SplitMix64.Stream(1, 0);
        var points = new List<EloPoint>();
        foreach (int n in new[] { 3, 4, 5 })
        {
            for (double x = 4; x <= 11; x += 0.25)
            {
                points.Add(new EloPoint(x, n, Truth.Predict(x, n) + 40 * rng.NextGaussian()));
            }
        }
        return points;
    }

    private static TrainTestFit TrainTestData()
    {
        var points = new List<TrainTestPoint>();
        for (double xt = 5; xt <= 9; xt += 0.5)
        {
            for (double xs = 0; xs <= 3; xs += 0.5)
            {
                points.Add(new TrainTestPoint($"a{xt}", xt, xs, 400 * xt + 330 * xs - 3500));
            }
        }
        return TrainTestTradeoff.Fit(points, [-600, -300, 0], bootstrap: 50, seed: 1);
    }

    private static TrainTestFrontierFit TrainTestFrontierData()
    {
        var points = new List<TrainTestPoint>();
        for (double xt = 5; xt <= 9; xt += 0.5)
        {
            for (double xs = 0; xs <= 3; xs += 0.5)
            {
                points.Add(new TrainTestPoint($"a{xt}", xt, xs, 400 * xt + 330 * xs - 3500));
            }
        }
        return TrainTestFrontier.Fit(points, [-600, -300, 0], bootstrap: 20, seed: 1);
    }

    [Fact]
    public void TrainTestFrontier_StaircasePerLevel_WithThePlanesLine()
    {
        // Given a noiseless plane: iso-Elo slope −400/330
        var fit = TrainTestFrontierData();
        Assert.InRange(fit.Slope.Value, -1.35, -1.05);

        // When
        var plot = GamesPlot.TrainTestFrontier(fit);

        // Then: one staircase and one dashed line per level, the line on the fitted plane at its ends
        var stairs = plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().ToArray();
        var lines = plot.GetPlottables().OfType<ScottPlot.Plottables.LinePlot>().ToArray();
        var levels = fit.Points.Select(p => p.Elo).Distinct().Count();
        Assert.Equal(levels, stairs.Length);
        Assert.Equal(levels, lines.Length);
        Assert.All(stairs, s => Assert.Equal(ScottPlot.ConnectStyle.StepHorizontal, s.ConnectStyle));
        var first = fit.Points.Where(p => p.Elo == fit.Points.Min(q => q.Elo)).ToArray();
        Assert.Equal(fit.Predict(first.Min(p => p.Log10TrainCompute), first[0].Elo), lines[0].Start.Y, 9);
    }

    private static RlScalingFit RlData()
    {
        // I^(−β) = (N_c/N)^α_N + (E_c/E)^α_E with β = α_Nα_E/(α_N+α_E): α_N 0.8, α_E 0.5, N_c 3e3, E_c 1e5.
        static double LnI(double n, double e) => -(1 / 0.8 + 1 / 0.5) * Math.Log(Math.Pow(3e3 / n, 0.8) + Math.Pow(1e5 / e, 0.5));
        var data = new List<IntrinsicPoint>();
        foreach (double n in new[] { 1e3, 1e4, 1e5, 1e6 })
        {
            for (double le = 4; le <= 9; le += 0.5)
            {
                double e = Math.Pow(10, le);
                data.Add(new IntrinsicPoint($"N{n}", n, e, n * e, double.NaN, Math.Exp(LnI(n, e))));
            }
        }
        return RlScaling.Fit(data, new RlScalingOptions { Bootstrap = 0 });
    }

    [Fact]
    public void Frontier_ThreeBoards_DrawsAgentsFrontierAndFittedLinePerBoard()
    {
        // Given
        var agents = Agents();
        var fit = FrontierFitter.Fit(agents, new FrontierFitOptions { FrontierOnly = false, Bootstrap = 20, Seed = 1 });

        // When
        var plot = GamesPlot.Frontier(agents, fit);

        // Then: three plottables per board (faint agents, frontier dots, fitted line), and the line follows the fit.
        var lines = plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().Where(s => s.LineWidth == 2).ToArray();
        Assert.Equal(9, plot.GetPlottables().Count());
        Assert.Equal(3, lines.Length);
        var first = lines[0].Data.GetScatterPoints();
        Assert.Equal(fit.Parameters.Predict(first[100].X, 3), first[100].Y, 9);
    }

    [Theory]
    [InlineData("png")]
    [InlineData("svg")]
    public void SaveAll_PngOrSvg_WritesValidFiles(string extension)
    {
        // Given
        var agents = Agents();
        var frontier = FrontierFitter.Fit(agents, new FrontierFitOptions { FrontierOnly = false, Bootstrap = 20, Seed = 1 });
        var dir = Path.Combine(Path.GetTempPath(), $"games-plot-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            // When
            string[] paths = [Path.Combine(dir, $"frontier.{extension}"), Path.Combine(dir, $"traintest.{extension}"), Path.Combine(dir, $"intrinsic.{extension}"),
                Path.Combine(dir, $"traintest-frontier.{extension}")];
            GamesPlot.SaveFrontier(agents, frontier, paths[0]);
            GamesPlot.SaveTrainTest(TrainTestData(), paths[1]);
            GamesPlot.SaveIntrinsic(RlData(), paths[2]);
            GamesPlot.SaveTrainTestFrontier(TrainTestFrontierData(), paths[3]);

            // Then
            foreach (var path in paths)
            {
                if (extension == "png")
                {
                    var bytes = File.ReadAllBytes(path);
                    using var bitmap = SKBitmap.Decode(bytes);
                    Assert.Equal(GamesPlot.Width, bitmap.Width);
                    Assert.True(PlotImages.DistinctColours(bitmap) > 20, path);
                }
                else
                {
                    var doc = XDocument.Load(path);
                    Assert.Equal("svg", doc.Root!.Name.LocalName);
                    Assert.True(doc.Descendants().Count() > 50, path);
                }
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
