using ScaleLab.Lab.Studies.CriticalBatch;
using Xunit.Abstractions;

namespace ScaleLab.Lab.Tests.CriticalBatch;

/// <summary>B_crit(L) = B*·L^(−1/α_B) on synthetic data with Kaplan et al. 2020's α_B = 0.21, B* = 2·10^8.</summary>
public sealed class BatchLossScalingTests(ITestOutputHelper output)
{
    private const double TrueAlpha = 0.21;
    private const double TrueBStar = 2e8;

    private static readonly double[] Losses = [2.0, 2.25, 2.5, 2.75, 3.0, 3.5, 4.0, 4.5];

    private static List<CriticalBatchAtLoss> Synthetic(double sigma, Random rng) =>
        Losses.Select(l => new CriticalBatchAtLoss(l, TrueBStar * Math.Pow(l, -1 / TrueAlpha) * Math.Exp(sigma * Gaussian(rng)))).ToList();

    [Fact]
    public void Fit_NoiseFree_RecoversAlphaAndBStar()
    {
        // When
        var fit = BatchLossScaling.Fit(Synthetic(0, new Random(1)));

        // Then
        Assert.Equal(TrueAlpha, fit.AlphaB, 9);
        Assert.Equal(TrueBStar, fit.BStar, TrueBStar * 1e-9);
        Assert.Equal(TrueBStar * Math.Pow(3.0, -1 / TrueAlpha), fit.Predict(3.0), 1e-6);
    }

    [Fact]
    public void Fit_TenPercentNoise_AlphaInsideIntervalAndClose()
    {
        // When
        var fit = BatchLossScaling.Fit(Synthetic(0.10, new Random(5)));

        // Then
        output.WriteLine($"α_B={fit.AlphaB:F4} {fit.AlphaBInterval}; slope={fit.Slope:F3}±{fit.SlopeStdError:F3}; B*={fit.BStar:G3}");
        Assert.True(fit.AlphaBInterval.Contains(TrueAlpha), fit.AlphaBInterval.ToString());
        Assert.InRange(fit.AlphaB, 0.18, 0.25);
    }

    [Fact]
    public void Fit_ManyReplicates_AlphaIntervalCoversNearNominal()
    {
        // Given
        const int replicates = 1000;
        var rng = new Random(77);
        var covered = 0;

        // When
        for (var k = 0; k < replicates; k++)
        {
            covered += BatchLossScaling.Fit(Synthetic(0.3, rng)).AlphaBInterval.Contains(TrueAlpha) ? 1 : 0;
        }

        // Then: t-intervals are exact for this linear Gaussian model; 95 % ± 3 binomial SE (0.7 %)
        var coverage = covered / (double)replicates;
        output.WriteLine($"α_B interval coverage {coverage:P1}");
        Assert.InRange(coverage, 0.93, 0.97);
    }

    [Fact]
    public void Fit_FlatBCrit_AlphaIntervalUnbounded()
    {
        // Given: B_crit independent of loss up to noise; the slope interval then straddles 0
        var rng = new Random(3);
        var points = Losses.Select(l => new CriticalBatchAtLoss(l, 100 * Math.Exp(0.2 * Gaussian(rng)))).ToList();

        // When
        var fit = BatchLossScaling.Fit(points);

        // Then
        output.WriteLine($"slope {fit.SlopeInterval}; α {fit.AlphaBInterval}");
        Assert.True(fit.SlopeInterval.Contains(0));
        Assert.False(fit.AlphaBInterval.IsBounded);
    }

    private static double Gaussian(Random rng)
    {
        var u1 = 1.0 - rng.NextDouble();
        var u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
