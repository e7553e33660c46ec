using MathNet.Numerics.Distributions;

namespace ScaleLab.Laws.Tests.Statistics;

public sealed class LinearFitTests
{
    [Fact]
    public void Ols_HandComputedExample_GivesEveryStatistic()
    {
        // Given x = 1..5, y = (2, 4, 5, 4, 5). By hand: x̄ = 3, ȳ = 4, Sxx = 10, Sxy = 6, so b = 0.6, a = 2.2;
        // residuals (−0.8, 0.6, 1.0, −0.6, −0.2), SSres = 2.4, s² = 0.8, se(b) = √0.08, se(a) = √(0.8·1.1),
        // SStot = 6, R² = 0.6; t(3, 0.975) = 3.182446305 (tables).
        double[] x = [1, 2, 3, 4, 5];
        double[] y = [2, 4, 5, 4, 5];

        // When
        var fit = LinearFit.Ols(x, y);
        var slope = fit.SlopeInterval(0.95);
        var intercept = fit.InterceptInterval(0.95);
        var mean = fit.MeanInterval(3, 0.95);

        // Then
        Assert.Equal(0.6, fit.Slope, 12);
        Assert.Equal(2.2, fit.Intercept, 12);
        Assert.Equal(Math.Sqrt(0.08), fit.SlopeStdError, 12);
        Assert.Equal(Math.Sqrt(0.88), fit.InterceptStdError, 12);
        Assert.Equal(Math.Sqrt(0.8), fit.ResidualStdError, 12);
        Assert.Equal(0.6, fit.R2, 12);
        Assert.Equal(3, fit.XMean, 12);
        Assert.Equal(10, fit.Sxx, 12);
        Assert.Equal(3, fit.DegreesOfFreedom);
        Assert.Equal(3.182446305, fit.TQuantile(0.95), 1e-8);
        Assert.Equal(0.6 - 3.182446305 * Math.Sqrt(0.08), slope.Lo, 1e-8);
        Assert.Equal(0.6 + 3.182446305 * Math.Sqrt(0.08), slope.Hi, 1e-8);
        Assert.Equal(2.2 + 3.182446305 * Math.Sqrt(0.88), intercept.Hi, 1e-8);
        // at x₀ = x̄ the mean response is ȳ with se s/√n = 0.4
        Assert.Equal(4, mean.Value, 12);
        Assert.Equal(4 + 3.182446305 * 0.4, mean.Hi, 1e-8);
    }

    [Fact]
    public void SlopeInterval_TinySamples_CoverNominallyWhileTheNormalQuantileUnderCovers()
    {
        // Given 4,000 synthetic lines y = 1 + 0.5·x + N(0, 1) with n = 5 points (3 degrees of freedom)
        const int replications = 4000;
        const double slope = 0.5;
        double[] x = [0, 1, 2, 3, 4];
        var y = new double[x.Length];
        int tCovers = 0, zCovers = 0;
        var z = Normal.InvCDF(0, 1, 0.975);
        for (var rep = 0; rep < replications; rep++)
        {
            var rng = SplitMix64.Stream(2026, (ulong)rep);
            for (var i = 0; i < x.Length; i++)
            {
                y[i] = 1 + slope * x[i] + rng.NextGaussian();
            }

            // When: the Student-t interval, and as the negative control the same interval with the normal quantile 1.96
            var fit = LinearFit.Ols(x, y);
            tCovers += fit.SlopeInterval(0.95).Covers(slope) ? 1 : 0;
            zCovers += Math.Abs(fit.Slope - slope) <= z * fit.SlopeStdError ? 1 : 0;
        }

        // Then the t-interval covers 95% ± 1.4% (4 binomial standard errors); the normal one covers about 86%
        // (P(|t₃| ≤ 1.96) = 0.855), far below nominal
        Assert.InRange(tCovers / (double)replications, 0.936, 0.964);
        Assert.InRange(zCovers / (double)replications, 0.80, 0.90);
    }

    [Fact]
    public void Ols_AllXEqual_IsOneLineError()
    {
        // Given three points at one x
        double[] x = [2, 2, 2];
        double[] y = [1, 2, 3];

        // When
        var ex = Assert.Throws<InvalidDataException>(() => LinearFit.Ols(x, y));

        // Then
        Assert.Equal("linear fit: all x values are equal", ex.Message);
    }
}
