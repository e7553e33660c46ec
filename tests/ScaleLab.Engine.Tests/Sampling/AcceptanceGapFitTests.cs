using ScaleLab.Engine.Sampling;

namespace ScaleLab.Engine.Tests.Sampling;

public sealed class AcceptanceGapFitTests
{
    private static double Logistic(double x) => 1 / (1 + Math.Exp(-x));

    [Fact]
    public void Fit_ExpectedCounts_RecoversTheLogisticLawExactly()
    {
        // Given counts equal to their expectations under logit α = 2.5 − 3Δ (10^9 trials each, so rounding is negligible)
        const long n = 1_000_000_000;
        var pairs = new[] { 0.05, 0.2, 0.4, 0.7, 1.1, 1.6 }.Select(d => new AcceptancePair(d, (long)Math.Round(n * Logistic(2.5 - 3 * d)), n)).ToArray();

        // When
        var fit = AcceptanceGapFit.Fit(pairs, out var why, resamples: 200);

        // Then
        Assert.Null(why);
        Assert.NotNull(fit);
        Assert.Equal(2.5, fit!.Intercept, 6);
        Assert.Equal(-3.0, fit.Slope, 6);
        Assert.Equal(Logistic(2.5 - 3 * 0.5), fit.Acceptance(0.5), 6);
        Assert.InRange(fit.Slope, fit.SlopeLow, fit.SlopeHigh);
        Assert.InRange(fit.Intercept, fit.InterceptLow, fit.InterceptHigh);
    }

    [Fact]
    public void Mle_AnyCounts_ZeroesTheScore()
    {
        // Given noisy counts (seeded)
        var rng = new Rng(3);
        var pairs = Enumerable.Range(0, 7).Select(i =>
        {
            var d = 0.1 + 0.2 * i;
            var alpha = Logistic(1.5 - 2 * d + 0.4 * rng.NextGaussian());
            return new AcceptancePair(d, (long)(alpha * 4000), 4000);
        }).ToArray();

        // When
        var (a, b) = AcceptanceGapFit.Mle(pairs)!.Value;

        // Then the binomial log-likelihood's gradient Σ (k − nμ)(1, Δ) is zero, and moving off the estimate lowers it
        double LogLik(double aa, double bb) => pairs.Sum(p => p.Accepted * Math.Log(Logistic(aa + bb * p.LossGap)) + (p.Trials - p.Accepted) * Math.Log(1 - Logistic(aa + bb * p.LossGap)));
        Assert.Equal(0, pairs.Sum(p => p.Accepted - p.Trials * Logistic(a + b * p.LossGap)), 6);
        Assert.Equal(0, pairs.Sum(p => (p.Accepted - p.Trials * Logistic(a + b * p.LossGap)) * p.LossGap), 6);
        foreach (var (da, db) in new[] { (1e-3, 0.0), (-1e-3, 0.0), (0.0, 1e-3), (0.0, -1e-3) }) Assert.True(LogLik(a + da, b + db) < LogLik(a, b));
    }

    [Fact]
    public void Fit_OverdispersedPairs_PairsBootstrapCovers_BinomialWaldIntervalDoesNot()
    {
        // Given 200 studies of 10 pairs each: logit α = 2.5 − 2Δ plus a pair effect N(0, 0.3²) (what Δ does not explain),
        // 5,000 trials per pair; the 90% interval for the slope should contain −2 in about 90% of studies
        const double a = 2.5, b = -2, sd = 0.3;
        var rng = new Rng(14);
        int bootstrapCovers = 0, waldCovers = 0;
        const int studies = 200;
        for (var s = 0; s < studies; s++)
        {
            var pairs = Enumerable.Range(0, 10).Select(_ =>
            {
                var d = 0.05 + rng.NextDouble();
                var alpha = Logistic(a + b * d + sd * rng.NextGaussian());
                var k = 0L;
                for (var t = 0; t < 5000; t++) if (rng.NextDouble() < alpha) k++;
                return new AcceptancePair(d, k, 5000);
            }).ToArray();

            // When
            var fit = AcceptanceGapFit.Fit(pairs, out _, resamples: 200, level: 0.9, seed: (ulong)s + 1)!;

            // Then (tallied): the pairs bootstrap; and, as a deliberately wrong interval, the binomial Wald interval
            // ±1.645 SE from the Fisher information, which ignores the spread between pairs
            if (fit.SlopeLow <= b && b <= fit.SlopeHigh) bootstrapCovers++;
            double h00 = 0, h01 = 0, h11 = 0;
            foreach (var p in pairs)
            {
                var mu = Logistic(fit.Intercept + fit.Slope * p.LossGap);
                var w = p.Trials * mu * (1 - mu);
                h00 += w;
                h01 += w * p.LossGap;
                h11 += w * p.LossGap * p.LossGap;
            }
            var seSlope = Math.Sqrt(h00 / (h00 * h11 - h01 * h01));
            if (Math.Abs(fit.Slope - b) <= 1.645 * seSlope) waldCovers++;
        }
        var bootstrapCoverage = (double)bootstrapCovers / studies;
        var waldCoverage = (double)waldCovers / studies;
        // A percentile bootstrap over 10 pairs runs a little under its level; 0.75 is ~5 binomial SEs below 0.9.
        Assert.InRange(bootstrapCoverage, 0.75, 1.0);
        Assert.True(waldCoverage < 0.5, $"Wald coverage {waldCoverage}, bootstrap {bootstrapCoverage}");
    }

    [Fact]
    public void Fit_TooFewPairsOrOneGap_IsUnidentifiedWithAReason()
    {
        // Given three pairs; and five pairs at one loss gap
        var three = new[] { new AcceptancePair(0.1, 80, 100), new AcceptancePair(0.3, 70, 100), new AcceptancePair(0.5, 60, 100) };
        var oneGap = Enumerable.Range(0, 5).Select(i => new AcceptancePair(0.3, 60 + i, 100)).ToArray();

        // When / Then
        Assert.Null(AcceptanceGapFit.Fit(three, out var why3));
        Assert.Contains("at least 4", why3, StringComparison.Ordinal);
        Assert.Null(AcceptanceGapFit.Fit(oneGap, out var why1));
        Assert.Contains("do not identify a slope", why1, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => AcceptanceGapFit.Fit([new AcceptancePair(0.1, 5, 4)], out _));
    }
}
