using ScaleLab.Lab.Studies.Sae;

namespace ScaleLab.Lab.Tests.Sae;

public sealed class SaeScalingTests
{
    /// <summary>FVU = 0.01 + 2·n^(−0.6) with 2% multiplicative seeded noise, n = 64..4096 (7 sizes), 2 seeds each, k = 8 and
    /// k = 16 (the latter with only 4 sizes).</summary>
    private static List<SaeScalingPoint> Planted(Func<int, double>? law = null)
    {
        law ??= n => 0.01 + 2 * Math.Pow(n, -0.6);
        var rng = new Random(5);
        var points = new List<SaeScalingPoint>();
        foreach (var n in new[] { 64, 128, 256, 512, 1024, 2048, 4096 })
        {
            for (var seed = 1; seed <= 2; seed++)
            {
                points.Add(new SaeScalingPoint($"r{n}-{seed}", n, 8, seed, law(n) * Math.Exp(0.02 * (rng.NextDouble() - 0.5) * 3.46), 1e9));
            }
        }
        points.AddRange(new[] { 64, 256, 1024, 2048 }.SelectMany(n => new[] { 1, 2 }.Select(seed => new SaeScalingPoint($"s{n}-{seed}", n, 16, seed, law(n) * (1 + 0.01 * seed), 1e9))));
        return points;
    }

    [Fact]
    public void Fit_PlantedPowerLaw_RecoversExponentAndPredictsLargestSize()
    {
        // When
        var fits = SaeScaling.Fit(Planted(), bootstrap: 100, seed: 3);

        // Then: both k fitted; at k = 8 α inside its interval near 0.6 and the largest n predicted within 5%; k = 16 has too
        // few sizes to back-test and says so.
        Assert.Equal([8, 16], fits.Select(f => f.K));
        var k8 = fits[0];
        var alpha = k8.Fit["alpha"];
        Assert.InRange(alpha, 0.5, 0.7);
        var interval = k8.Fit.Bootstrap!.Parameters[Array.IndexOf(k8.Fit.Symbols.ToArray(), "alpha")];
        Assert.True(interval.Lo <= 0.6 && 0.6 <= interval.Hi, $"α interval [{interval.Lo}, {interval.Hi}]");
        Assert.NotNull(k8.Backtest);
        Assert.All(k8.Backtest!.Points, p => Assert.True(Math.Abs(p.RelativeError) < 0.05, $"back-test error {p.RelativeError}"));
        Assert.Null(fits[1].Backtest);
        Assert.Contains("needs ≥ 5 sizes", fits[1].BacktestSkipped, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_CurveThatBendsUpAtTheLargestSize_BacktestMissesIt()
    {
        // Given: the negative control: a law that holds up to 2048 and then breaks (FVU doubles at 4096); a faithful
        // back-test must report the miss instead of a small error.
        var points = Planted(n => n == 4096 ? 2 * (0.01 + 2 * Math.Pow(n, -0.6)) : 0.01 + 2 * Math.Pow(n, -0.6));

        // When
        var k8 = SaeScaling.Fit(points, bootstrap: 50, seed: 3)[0];

        // Then
        Assert.All(k8.Backtest!.Points, p => Assert.True(Math.Abs(p.RelativeError) > 0.3, $"back-test error {p.RelativeError}"));
    }
}
