using ScaleLab.Lab.Studies.GradientNoise;
using Xunit.Abstractions;

namespace ScaleLab.Lab.Tests.GradientNoise;

public sealed class GradientNoiseTrackerTests(ITestOutputHelper output)
{
    [Fact]
    public void Update_FirstStep_BiasCorrectedEmaEqualsEstimate()
    {
        // Given
        var tracker = new GradientNoiseTracker(0.99);

        // When
        var record = tracker.Update(5, new NoiseEstimate(2.0, 30.0));

        // Then: m̂_1 = (1−β)x/(1−β) = x
        Assert.Equal(new GradientNoiseRecord(5, 2.0, 30.0, 2.0, 30.0, 15.0), record);
    }

    [Fact]
    public void Update_TwoSteps_MatchesHandComputedBiasCorrectedEma()
    {
        // Given: β = 0.5, |G|² estimates 2 then 4
        var tracker = new GradientNoiseTracker(0.5);
        tracker.Update(0, new NoiseEstimate(2.0, 10.0));

        // When
        var record = tracker.Update(1, new NoiseEstimate(4.0, 30.0));

        // Then: m_2 = 0.5·(0.5·2) + 0.5·4 = 2.5, m̂_2 = 2.5/(1 − 0.25) = 10/3; tr: (2.5 + 15)/0.75 = 70/3
        Assert.Equal(10.0 / 3.0, record.GradNormSqEma, 12);
        Assert.Equal(70.0 / 3.0, record.TraceCovEma, 12);
        Assert.Equal(7.0, record.BSimple, 12);
    }

    /// <summary>
    /// The reported B_simple (ratio of EMAs) converges to the exact tr(Σ)/|G|²; an EMA of per-step ratios,
    /// fed the same estimates, does not (Jensen: the per-step |G|² estimate is noisy and often negative).
    /// Both are held to the same relative-error criterion.
    /// </summary>
    [Fact]
    public void BSimple_RatioOfEmasOnManySteps_ConvergesToExact_EmaOfRatiosDoesNot()
    {
        // Given: B_small = 2, k = 4 (B_big = 8), 40 000 steps, β = 0.9995 (window ≈ 2000 steps)
        var problem = LogisticProblem.Create(count: 256, dim: 10, seed: 17);
        var exact = GradientNoiseEstimators.Exact(problem.Gradients, problem.Count, problem.Dim);
        var (grad, trace) = GradientNoiseEstimatorsTests.DrawEstimates(problem, "two-batch", 2, 4, new Random(23), draws: 40_000);
        var tracker = new GradientNoiseTracker(0.9995);
        double emaOfRatios = 0, power = 1;

        // When
        for (var t = 0; t < grad.Length; t++)
        {
            tracker.Update(t, new NoiseEstimate(grad[t], trace[t]));
            emaOfRatios = 0.9995 * emaOfRatios + 0.0005 * (trace[t] / grad[t]);
            power *= 0.9995;
        }
        emaOfRatios /= 1 - power;

        // Then
        var negatives = grad.Count(g => g < 0) / (double)grad.Length;
        output.WriteLine($"exact B_simple={exact.BSimple:G6}; ratio of EMAs={tracker.BSimple:G6}; EMA of ratios={emaOfRatios:G6}; " +
            $"share of steps with |G|² estimate < 0: {negatives:P1}");
        Assert.True(RelativeError(tracker.BSimple, exact.BSimple) < 0.10, $"ratio of EMAs {tracker.BSimple} vs {exact.BSimple}");
        Assert.False(RelativeError(emaOfRatios, exact.BSimple) < 0.10, $"EMA of ratios {emaOfRatios} vs {exact.BSimple}");
    }

    [Fact]
    public void Constructor_DecayOutsideUnitInterval_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new GradientNoiseTracker(1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GradientNoiseTracker(0.0));
    }

    [Fact]
    public void Update_NonFiniteEstimate_Throws()
    {
        var tracker = new GradientNoiseTracker();
        Assert.Throws<ArgumentException>(() => tracker.Update(0, new NoiseEstimate(double.NaN, 1)));
    }

    private static double RelativeError(double actual, double expected) => Math.Abs(actual - expected) / Math.Abs(expected);
}
