using ScaleLab.Lab.Studies.CriticalBatch;
using Xunit.Abstractions;

namespace ScaleLab.Lab.Tests.CriticalBatch;

/// <summary>
/// The hyperbola fit on synthetic runs drawn from S = S_min·(1 + B_crit/B) with multiplicative (log-normal)
/// noise on S, true S_min = 1000 steps, B_crit = 256, E_min = 256 000 examples.
/// </summary>
public sealed class CriticalBatchFitterTests(ITestOutputHelper output)
{
    private const double TrueSMin = 1000;
    private const double TrueBCrit = 256;
    private const double TrueEMin = TrueSMin * TrueBCrit;

    /// <summary>Batch sizes 2^3 .. 2^10: B_crit sits inside the range, the largest batch is only 4·B_crit.</summary>
    private static readonly double[] Batches = [8, 16, 32, 64, 128, 256, 512, 1024];

    private static List<BatchRun> Synthetic(double[] batches, double sigma, Random rng) =>
        batches.Select(b => new BatchRun(b, TrueSMin * (1 + TrueBCrit / b) * Math.Exp(sigma * Gaussian(rng)))).ToList();

    /// <summary>
    /// The recovery criterion applied to every estimator here: S_min, E_min and B_crit each within 10 % (in ln)
    /// of the truth. With σ = 5 % noise on 8 batch sizes the fit's own standard errors are a few percent.
    /// </summary>
    private static bool Recovers(double sMin, double eMin, double bCrit, double tolerance = 0.10) =>
        Math.Abs(Math.Log(sMin / TrueSMin)) <= tolerance
        && Math.Abs(Math.Log(eMin / TrueEMin)) <= tolerance
        && Math.Abs(Math.Log(bCrit / TrueBCrit)) <= tolerance;

    [Fact]
    public void Fit_NoiseFreeHyperbola_RecoversParametersExactly()
    {
        // Given
        var runs = Synthetic(Batches, 0, new Random(1));

        // When
        var fit = CriticalBatchFitter.Fit(runs);

        // Then
        Assert.Equal(TrueSMin, fit.SMin, TrueSMin * 1e-6);
        Assert.Equal(TrueEMin, fit.EMin, TrueEMin * 1e-6);
        Assert.Equal(TrueBCrit, fit.BCrit, TrueBCrit * 1e-6);
        foreach (var run in runs)
        {
            // (S/S_min − 1)(E/E_min − 1) = 1 on every run
            Assert.Equal(1.0, (run.Steps / fit.SMin - 1) * (run.Examples / fit.EMin - 1), 6);
        }
    }

    [Fact]
    public void Fit_MultiplicativeNoise_RecoversSMinEMinInsideIntervals()
    {
        // Given: 5 % log-normal noise on S
        var runs = Synthetic(Batches, 0.05, new Random(42));

        // When
        var fit = CriticalBatchFitter.Fit(runs);

        // Then
        output.WriteLine($"S_min={fit.SMin:F1} {fit.SMinInterval}; E_min={fit.EMin:F0} {fit.EMinInterval}; " +
            $"B_crit={fit.BCrit:F1} {fit.BCritInterval}; σ̂={fit.ResidualStdDev:F4}");
        Assert.True(Recovers(fit.SMin, fit.EMin, fit.BCrit), $"S_min={fit.SMin}, E_min={fit.EMin}, B_crit={fit.BCrit}");
        Assert.True(fit.SMinInterval.Contains(TrueSMin));
        Assert.True(fit.EMinInterval.Contains(TrueEMin));
        Assert.True(fit.BCritInterval.Contains(TrueBCrit));
        Assert.True(fit.BCritWithinObservedRange);
        Assert.Equal(fit.EMin / fit.SMin, fit.BCrit, 1e-9 * fit.BCrit);
    }

    /// <summary>
    /// Negative control: reading S_min and E_min straight off the data (fewest steps seen, fewest examples
    /// seen) instead of fitting the hyperbola. Over 8..1024 with B_crit = 256 the fewest steps seen is
    /// S(1024) = 1.25·S_min, so the same recovery criterion must reject it.
    /// </summary>
    [Fact]
    public void ReadOffMinima_SameNoisyRuns_FailsRecoveryCriterion()
    {
        // Given
        var runs = Synthetic(Batches, 0.05, new Random(42));

        // When
        var naiveSMin = runs.Min(r => r.Steps);
        var naiveEMin = runs.Min(r => r.Examples);
        var fit = CriticalBatchFitter.Fit(runs);

        // Then
        output.WriteLine($"read-off S_min={naiveSMin:F1} E_min={naiveEMin:F0} B_crit={naiveEMin / naiveSMin:F1}; " +
            $"fit S_min={fit.SMin:F1} E_min={fit.EMin:F0} B_crit={fit.BCrit:F1}");
        Assert.False(Recovers(naiveSMin, naiveEMin, naiveEMin / naiveSMin));
        Assert.True(Recovers(fit.SMin, fit.EMin, fit.BCrit));
    }

    /// <summary>
    /// Coverage sanity: over 300 seeded replicate experiments (10 % noise), each nominal-95 % profile interval
    /// should contain the truth in roughly 95 % of them; the accepted band [0.90, 0.99] is about ±3 binomial SE.
    /// </summary>
    [Fact]
    public void Fit_ManyReplicates_ProfileIntervalsCoverNearNominal()
    {
        // Given
        const int replicates = 300;
        var rng = new Random(2024);
        int coverS = 0, coverE = 0, coverB = 0;

        // When
        for (var k = 0; k < replicates; k++)
        {
            var fit = CriticalBatchFitter.Fit(Synthetic(Batches, 0.10, rng));
            coverS += fit.SMinInterval.Contains(TrueSMin) ? 1 : 0;
            coverE += fit.EMinInterval.Contains(TrueEMin) ? 1 : 0;
            coverB += fit.BCritInterval.Contains(TrueBCrit) ? 1 : 0;
        }

        // Then
        var (s, e, b) = (coverS / (double)replicates, coverE / (double)replicates, coverB / (double)replicates);
        output.WriteLine($"coverage S_min={s:P1} E_min={e:P1} B_crit={b:P1}");
        Assert.InRange(s, 0.90, 0.99);
        Assert.InRange(e, 0.90, 0.99);
        Assert.InRange(b, 0.90, 0.99);
    }

    [Fact]
    public void Fit_AllBatchesFarBelowBCrit_BCritIntervalUnboundedAbove()
    {
        // Given: B ≤ 16 with B_crit = 256, where S ≈ E_min/B: only E_min is pinned down, not the knee.
        var runs = Synthetic([1, 2, 4, 8, 16], 0.05, new Random(9));

        // When
        var fit = CriticalBatchFitter.Fit(runs);

        // Then
        output.WriteLine($"B_crit={fit.BCrit:G4} {fit.BCritInterval}; E_min={fit.EMin:G4} {fit.EMinInterval}");
        Assert.True(double.IsPositiveInfinity(fit.BCritInterval.Hi));
        Assert.True(fit.EMinInterval.IsBounded);
        Assert.True(fit.EMinInterval.Contains(TrueEMin));
    }

    [Fact]
    public void Fit_FewerThanThreeRuns_Throws()
    {
        Assert.Throws<ArgumentException>(() => CriticalBatchFitter.Fit([new BatchRun(8, 100), new BatchRun(16, 60)]));
    }

    [Fact]
    public void Fit_NonPositiveSteps_ThrowsNamingRun()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            CriticalBatchFitter.Fit([new BatchRun(8, 100), new BatchRun(16, 0), new BatchRun(32, 40)]));
        Assert.Contains("run 1", ex.Message);
    }

    private static double Gaussian(Random rng)
    {
        var u1 = 1.0 - rng.NextDouble();
        var u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
