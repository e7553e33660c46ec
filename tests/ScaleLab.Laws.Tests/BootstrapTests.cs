using Xunit.Abstractions;

namespace ScaleLab.Laws.Tests;

public sealed class BootstrapTests(ITestOutputHelper output)
{
    private static readonly double[] PowerTruth = [1.7, 30, 0.07]; // E, A, alpha of L = E + A·C^-alpha

    private static ScalingDataset PowerData(int count, int seed, double sigma = 0.02) =>
        Synthetic.FromLaw(new PowerLaw(LawInputs.C), PowerTruth,
            Synthetic.LogSpace(1e17, 1e23, count).Select(c => new LawPoint(C: c)).ToList(), sigma, seed);

    [Fact]
    public void Run_FourTimesThePoints_IntervalsShrink()
    {
        // Given: the same law and noise sampled with 20 and with 80 points.
        var law = new PowerLaw(LawInputs.C);
        var small = PowerData(20, 1);
        var large = PowerData(80, 2);
        var options = new BootstrapOptions { Samples = 300, Seed = 5, GridStarts = 0 };

        // When
        var bSmall = LawFitter.Fit(law, small).WithBootstrap(small, options).Bootstrap!;
        var bLarge = LawFitter.Fit(law, large).WithBootstrap(large, options).Bootstrap!;

        // Then: widths scale roughly as 1/sqrt(n) (expected ratio 0.5); demand clearly below 0.8.
        for (int k = 0; k < 3; k++)
        {
            double ratio = bLarge.Parameters[k].Width / bSmall.Parameters[k].Width;
            Assert.True(ratio < 0.8, $"{law.Symbols[k]}: width ratio 80/20 points = {ratio:F2}");
        }
    }

    [Fact]
    public void Run_OneThreadOrAll_GivesIdenticalDraws()
    {
        // Given
        var law = new PowerLaw(LawInputs.C);
        var data = PowerData(30, 3);
        var fit = LawFitter.Fit(law, data);

        // When
        var serial = Bootstrap.Run(data, fit, new BootstrapOptions { Samples = 64, Seed = 9, MaxDegreeOfParallelism = 1 });
        var parallel = Bootstrap.Run(data, fit, new BootstrapOptions { Samples = 64, Seed = 9, MaxDegreeOfParallelism = -1 });

        // Then
        Assert.Equal(serial.Draws.Length, parallel.Draws.Length);
        for (int i = 0; i < serial.Draws.Length; i++)
        {
            Assert.Equal(serial.Draws[i], parallel.Draws[i]);
        }
    }

    private (double Coverage, double MeanCoverage, int Points) Coverage(int replications, int samples)
    {
        var law = new PowerLaw(LawInputs.C);
        int covered = 0, coveredMean = 0, total = 0;
        for (int rep = 0; rep < replications; rep++)
        {
            var data = PowerData(25, 100 + rep);
            var options = new BacktestOptions { Holdout = 4, Bootstrap = samples, Seed = (ulong)rep, GridStarts = 0, Interval = IntervalKind.Prediction };
            var prediction = Backtester.Run(law, data, options);
            var mean = Backtester.Run(law, data, options with { Interval = IntervalKind.Mean });
            covered += prediction.Points.Count(p => p.Covered);
            coveredMean += mean.Points.Count(p => p.Covered);
            total += prediction.Points.Count;
        }
        output.WriteLine($"coverage over {total} held-out points: prediction {covered / (double)total:P1}, mean-only {coveredMean / (double)total:P1}");
        return (covered / (double)total, coveredMean / (double)total, total);
    }

    [Fact]
    public void Backtest_SyntheticDataFromTrueLaw_PredictionIntervalCoverageNearNominal_MeanOnlyControlFails()
    {
        // Given: 12 independent data sets of 25 points from the true law (2% noise); hold out the 4 largest.
        // When
        var (coverage, meanCoverage, _) = Coverage(12, 100);

        // Then: 95% nominal; 48 points give a binomial sd of 3%. The mean-curve interval ignores the noise of a
        // new observation (a deliberately wrong interval for an observation) and must fail the same check.
        Assert.InRange(coverage, 0.85, 1.0);
        Assert.False(meanCoverage is >= 0.85 and <= 1.0, $"mean-only coverage {meanCoverage:P1} passed the check");
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void Backtest_SyntheticDataFromTrueLaw_CoverageNearNominalOn240Points()
    {
        // Given / When: 60 data sets, 240 held-out points (binomial sd 1.4%).
        var (coverage, meanCoverage, _) = Coverage(60, 200);

        // Then
        Assert.InRange(coverage, 0.90, 0.99);
        Assert.False(meanCoverage is >= 0.90 and <= 0.99, $"mean-only coverage {meanCoverage:P1} passed the check");
    }

    [Fact]
    public void Backtest_HoldoutAbove_HoldsOutExactlyThePointsAbove()
    {
        // Given
        var law = new PowerLaw(LawInputs.C);
        var data = PowerData(20, 4);

        // When
        var result = Backtester.Run(law, data, new BacktestOptions { HoldoutAbove = 1e22, Bootstrap = 50, GridStarts = 0 });

        // Then
        int above = data.C!.Count(c => c > 1e22);
        Assert.Equal(above, result.Points.Count);
        Assert.Equal(20 - above, result.TrainCount);
        Assert.All(result.Points, p => Assert.True(p.Scale > 1e22 && p.Lo <= p.Hi));
        Assert.Equal(result.Points.Average(p => Math.Abs(p.RelativeError)), result.MeanAbsRelativeError, 1e-12);
    }
}
