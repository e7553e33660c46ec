using ScaleLab.Laws.Games;
using Xunit.Abstractions;

namespace ScaleLab.Laws.Tests.Games;

public sealed class TrainTestTradeoffTests(ITestOutputHelper output)
{
    // Planted: Elo = 400·log10 train + 330·log10 test − 3500, so at fixed Elo d log test / d log train = −400/330.
    private const double TrueSlope = -400.0 / 330.0;
    private static readonly double[] Levels = [-800, -600, -400, -200, 0];

    private static List<TrainTestPoint> Synthetic(ulong seed, double noise = 20)
    {
        var rng = SplitMix64.Stream(seed, 0);
        var points = new List<TrainTestPoint>();
        for (double xt = 5; xt <= 9; xt += 0.25)
        {
            for (double xs = 0; xs <= 3; xs += 0.25)
            {
                points.Add(new TrainTestPoint($"agent@{xt}", xt, xs, 400 * xt + 330 * xs - 3500 + noise * rng.NextGaussian()));
            }
        }
        return points;
    }

    [Fact]
    public void Fit_ThirtyPlantedTradeoffs_SlopeUnbiasedAndIntervalsCoverNearNominal()
    {
        // Given: 30 independent data sets from the planted trade-off (17 agents × 13 test computes, 20 Elo noise).
        // When
        var fits = Enumerable.Range(0, 30).Select(s => TrainTestTradeoff.Fit(Synthetic((ulong)s + 10), Levels, bootstrap: 200, seed: 2)).ToArray();

        // Then: the mean slope is within 1% of the planted −1.212 and the 95% agent-bootstrap intervals cover it in
        // at least 25 of 30 (binomial 0.95·30 = 28.5, sd 1.2).
        double mean = fits.Average(f => f.Slope.Value);
        int covered = fits.Count(f => f.Slope.Covers(TrueSlope));
        output.WriteLine($"mean slope {mean:F4} (planted {TrueSlope:F4}), covered {covered}/30; first: {fits[0].Slope}; per level: {string.Join(", ", fits[0].Curves.Select(c => $"{c.Elo}: {c.Slope} n={c.Points.Count}"))}");
        Assert.InRange(mean, TrueSlope - 0.012, TrueSlope + 0.012);
        Assert.InRange(covered, 25, 30);
        Assert.Equal(17, fits[0].Agents);
        Assert.All(fits[0].Curves, c => Assert.InRange(c.Slope!.Value, TrueSlope - 0.15, TrueSlope + 0.15));
    }

    [Fact]
    public void Fit_NaivePooledRegressionWithOneIntercept_MissesTheSlope()
    {
        // Given: the same iso-Elo points pooled across levels with a single intercept (the wrong estimator).
        var fit = TrainTestTradeoff.Fit(Synthetic(1), Levels, bootstrap: 0);
        var x = fit.Curves.SelectMany(c => c.Points.Select(p => p.Log10TrainCompute)).ToArray();
        var y = fit.Curves.SelectMany(c => c.Points.Select(p => p.Log10TestCompute)).ToArray();

        // When
        var naive = LinearFit.Ols(x, y);

        // Then: levels differ in both coordinates, so pooling confounds them and the slope is far off.
        output.WriteLine($"naive pooled slope {naive.Slope:F3} vs within-level {fit.Slope.Value:F3} (planted {TrueSlope:F3})");
        Assert.True(Math.Abs(naive.Slope - TrueSlope) > 0.3, $"naive {naive.Slope:F3}");
        Assert.Null(fit.Slope.Interval);
    }

    [Fact]
    public void Crossing_PiecewiseLinear_InterpolatesAndRefusesToExtrapolate()
    {
        TrainTestPoint[] evals = [new("a", 5, 0, -500), new("a", 5, 1, -300), new("a", 5, 2, -100)];
        Assert.Equal(0.5, TrainTestTradeoff.Crossing(evals, -400), 12);
        Assert.Equal(1.75, TrainTestTradeoff.Crossing(evals, -150), 12);
        Assert.True(double.IsNaN(TrainTestTradeoff.Crossing(evals, 0)));
        Assert.True(double.IsNaN(TrainTestTradeoff.Crossing(evals, -600)));
    }

    [Fact]
    public void Monotone_OneViolation_PoolsTheAdjacentPair()
    {
        TrainTestPoint[] evals = [new("a", 5, 0, 0), new("a", 5, 1, 10), new("a", 5, 2, 5), new("a", 5, 3, 20)];
        Assert.Equal([0, 7.5, 7.5, 20], TrainTestTradeoff.Monotone(evals).Select(e => e.Elo));
    }

    [Fact]
    public void Fit_NoLevelReachedAtTwoComputes_RefusedWithOneLine()
    {
        var e = Assert.Throws<InvalidDataException>(() => TrainTestTradeoff.Fit(Synthetic(1), [5000]));
        Assert.Contains("no target Elo is reached", e.Message, StringComparison.Ordinal);
    }
}
