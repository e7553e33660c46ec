using ScaleLab.Laws.IsoFlop;

namespace ScaleLab.Laws.Tests.IsoFlop;

public sealed class IsoFlopWindowTests
{
    /// <summary>
    /// Five budgets 10^18 … 10^22 of the known law of <see cref="IsoFlopSynthetic"/>; per budget 10 sizes log-spaced over
    /// 2 decades, placed asymmetrically around the true N_opt: the optimum sits <c>below[k]</c> decades above the smallest
    /// size, from 0.3 at the smallest budget to 1.7 at the largest (so the grid leans the other way as compute grows,
    /// as on a fixed grid of model sizes). Gaussian loss noise σ.
    /// </summary>
    internal static List<IsoFlopRun> AsymmetricGrid(double sigma, int seed)
    {
        var rng = new Random(seed);
        var runs = new List<IsoFlopRun>();
        double g = Math.Pow(IsoFlopSynthetic.Alpha * IsoFlopSynthetic.A / (IsoFlopSynthetic.Beta * IsoFlopSynthetic.B), 1 / (IsoFlopSynthetic.Alpha + IsoFlopSynthetic.Beta));
        double[] below = [0.3, 0.65, 1.0, 1.35, 1.7];
        for (int k = 0; k < 5; k++)
        {
            double c = Math.Pow(10, 18 + k);
            double x0 = Math.Log10(g * Math.Pow(c / 6, IsoFlopSynthetic.TrueA));
            for (int i = 0; i < 10; i++)
            {
                double n = Math.Pow(10, x0 - below[k] + 2.0 * i / 9);
                double d = c / (6 * n);
                runs.Add(new IsoFlopRun(c, n, IsoFlopSynthetic.Loss(n, d) + sigma * Synthetic.Gaussian(rng)));
            }
        }
        return runs;
    }

    [Fact]
    public void Fit_AsymmetricGridWindowedProfiles_RecoversExponentWhereAllPointsParabolaIsBiased()
    {
        // Given noise-free losses on the asymmetric grid
        var runs = AsymmetricGrid(0, 1);

        // When the profiles are fitted in a half-decade window and (negative control) to all points
        var windowed = IsoFlopAnalysis.Fit(runs, new IsoFlopOptions { Bootstrap = 0, WindowDecades = 0.5 });
        var allPoints = IsoFlopAnalysis.Fit(runs, new IsoFlopOptions { Bootstrap = 0, WindowDecades = null });

        // Then the windowed exponent is within 0.01 of the truth and the all-points one is not
        double windowedError = Math.Abs(windowed.NExponent.Value - IsoFlopSynthetic.TrueA);
        double allError = Math.Abs(allPoints.NExponent.Value - IsoFlopSynthetic.TrueA);
        Assert.True(windowedError < 0.01, $"windowed a = {windowed.NExponent.Value}, truth {IsoFlopSynthetic.TrueA}");
        Assert.True(allError > 0.01, $"all-points a = {allPoints.NExponent.Value}, truth {IsoFlopSynthetic.TrueA}");
    }

    [Fact]
    public void Fit_NoisyAsymmetricGrids_WindowedMeanErrorSmallAllPointsBiased()
    {
        // Given ten noisy asymmetric grids (loss noise σ = 0.002)
        double windowed = 0, all = 0;
        for (int seed = 0; seed < 10; seed++)
        {
            var runs = AsymmetricGrid(0.002, seed);

            // When
            windowed += IsoFlopAnalysis.Fit(runs, new IsoFlopOptions { Bootstrap = 0 }).NExponent.Value / 10;
            all += IsoFlopAnalysis.Fit(runs, new IsoFlopOptions { Bootstrap = 0, WindowDecades = null }).NExponent.Value / 10;
        }

        // Then the windowed mean is within 0.005 of the truth; the all-points mean is off by more than 0.01
        Assert.InRange(windowed, IsoFlopSynthetic.TrueA - 0.005, IsoFlopSynthetic.TrueA + 0.005);
        Assert.True(Math.Abs(all - IsoFlopSynthetic.TrueA) > 0.01, $"all-points mean {all}");
    }

    [Fact]
    public void Fit_WindowSensitivity_ReportsEachWindowAndTheSpread()
    {
        // When
        var result = IsoFlopAnalysis.Fit(AsymmetricGrid(0, 1), new IsoFlopOptions { Bootstrap = 0 });

        // Then the all-points row shows the bias the windowed rows do not
        Assert.Equal(4, result.Sensitivity.Count);
        Assert.Null(result.Sensitivity[^1].WindowDecades);
        Assert.True(result.SensitivitySpread > 0.01, $"spread {result.SensitivitySpread}");
        Assert.All(result.Sensitivity.Take(3), w => Assert.InRange(w.NExponent, IsoFlopSynthetic.TrueA - 0.005, IsoFlopSynthetic.TrueA + 0.005));
        Assert.All(result.Accepted, b => Assert.True(b.Used.Count < b.Runs.Count));
    }

    [Fact]
    public void Fit_NearestSizes_UsesKSizesPerBudget()
    {
        var result = IsoFlopAnalysis.Fit(AsymmetricGrid(0, 1), new IsoFlopOptions { Bootstrap = 0, NearestSizes = 4 });
        Assert.All(result.Budgets, b => Assert.Equal(4, b.Used.Count));
        Assert.Equal(5, result.Sensitivity.Count);
        Assert.StartsWith("the 4 model sizes nearest", result.Sensitivity[0].Window);
        Assert.InRange(result.NExponent.Value, IsoFlopSynthetic.TrueA - 0.005, IsoFlopSynthetic.TrueA + 0.005);
    }
}
