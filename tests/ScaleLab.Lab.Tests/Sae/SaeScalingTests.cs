using ScaleLab.Lab.Studies.Sae;
using ScaleLab.Laws;

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
    public void Direction_FromTheExponentsInterval_RisesOnlyWhenTheWholeIntervalIsBelowZero()
    {
        // An exponent of n > 0 means FVU falls with n; the verdict needs the whole interval on one side of 0.
        Assert.Equal("falls", SaeScaling.Direction(new Interval(0.1, 0.4)));
        Assert.Equal("rises", SaeScaling.Direction(new Interval(-0.8, -0.47)));
        Assert.Equal("unresolved", SaeScaling.Direction(new Interval(-0.26, 0.095)));
        Assert.Equal("unresolved", SaeScaling.Direction(new Interval(0, 0.3)));
        Assert.Equal("unresolved", SaeScaling.Direction(null));
        Assert.Contains("FVU rises with n", SaeScaling.DirectionInWords(new Interval(-0.8, -0.47)), StringComparison.Ordinal);
        Assert.Contains("FVU falls with n", SaeScaling.DirectionInWords(new Interval(0.1, 0.4)), StringComparison.Ordinal);
        Assert.Contains("includes 0", SaeScaling.DirectionInWords(new Interval(-0.26, 0.095)), StringComparison.Ordinal);
    }

    [Fact]
    public void NotConverged_FallOverLastIntervalAboveTwoPercent_FlaggedOthersNot()
    {
        // Given: a run still falling 3% over its last interval, one falling 1%, one rising, one never evaluated twice.
        List<SaeScalingPoint> points =
        [
            new("a", 2048, 8, 1, 0.01, 1e9, null, 0.03, 1000), new("b", 1024, 8, 1, 0.01, 1e9, null, 0.01, 1000),
            new("c", 512, 8, 1, 0.01, 1e9, null, -0.05, 1000), new("d", 256, 8, 1, 0.01, 1e9),
        ];

        // When / Then: only the first.
        Assert.Equal(["a"], SaeScaling.NotConverged(points).Select(p => p.Run));
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

    /// <summary>Points of Gao et al.'s joint law with planted A = 3, beta_k = −0.3, beta_n = −0.4, gamma = <paramref name="gamma"/>,
    /// Z = 0.02, eta = −0.2 at n = 64..4096 (7 sizes) and k = 8, 16, 32, 64, with 2% seeded multiplicative noise;
    /// <paramref name="broken"/> doubles every FVU at the largest n.</summary>
    private static List<SaeScalingPoint> PlantedJoint(double gamma = -0.05, bool broken = false)
    {
        var rng = new Random(11);
        var points = new List<SaeScalingPoint>();
        foreach (var n in new[] { 64, 128, 256, 512, 1024, 2048, 4096 })
        {
            foreach (var k in new[] { 8, 16, 32, 64 })
            {
                var fvu = 3 * Math.Pow(k, -0.3) * Math.Pow(n, -0.4 + gamma * Math.Log(k)) + 0.02 * Math.Pow(k, -0.2);
                if (broken && n == 4096) fvu *= 2;
                points.Add(new SaeScalingPoint($"r{n}-{k}", n, k, 1, fvu * Math.Exp(0.02 * (rng.NextDouble() - 0.5) * 3.46), 1e9));
            }
        }
        return points;
    }

    [Fact]
    public void FitJoint_PlantedGaoLaw_IntervalsHoldEveryParameterAndTheExponentsInN()
    {
        // When
        var joint = SaeScaling.FitJoint(PlantedJoint(), bootstrap: 100, seed: 3, out var skipped)!;

        // Then: every planted parameter inside its 95% bootstrap interval; the exponent of n at each k, 0.4 + 0.05·ln k,
        // inside its interval; gamma's interval excludes 0; the largest n predicted within 5% for every k.
        Assert.Null(skipped);
        double[] truth = [3, -0.3, -0.4, -0.05, 0.02, -0.2];
        var symbols = joint.Fit.Symbols.ToArray();
        Assert.Equal(["A", "beta_k", "beta_n", "gamma", "Z", "eta"], symbols);
        for (var j = 0; j < 6; j++)
        {
            var iv = joint.Fit.Bootstrap!.Parameters[j];
            Assert.True(iv.Lo <= truth[j] && truth[j] <= iv.Hi, $"{symbols[j]} = {truth[j]} outside [{iv.Lo}, {iv.Hi}] (fit {joint.Fit.Values[j]})");
        }
        Assert.True(joint.Fit.Bootstrap!.Parameters[3].Hi < 0, "gamma's interval should exclude 0");
        Assert.Equal([8, 16, 32, 64], joint.Exponents.Select(e => e.K));
        foreach (var e in joint.Exponents)
        {
            var planted = 0.4 + 0.05 * Math.Log(e.K);
            Assert.True(e.Interval!.Lo <= planted && planted <= e.Interval.Hi, $"k = {e.K}: exponent {planted} outside [{e.Interval.Lo}, {e.Interval.Hi}]");
        }
        Assert.Equal(4, joint.Backtest!.Points.Count);
        Assert.All(joint.Backtest.Points, p => Assert.True(Math.Abs(p.RelativeError) < 0.05, $"back-test error {p.RelativeError}"));
    }

    [Fact]
    public void FitJoint_NoInteraction_GammaIsNotIdentifiedAndSaysSoInWords()
    {
        // Negative control for the interaction: planted gamma = 0, so the exponent of n is the same at every k; gamma's
        // interval must hold 0 and the identification must say gamma is not identified (with the planted −0.05 it is).
        var joint = SaeScaling.FitJoint(PlantedJoint(gamma: 0), bootstrap: 100, seed: 3, out _)!;
        var iv = joint.Fit.Bootstrap!.Parameters[3];
        Assert.True(iv.Lo <= 0 && 0 <= iv.Hi, $"gamma interval [{iv.Lo}, {iv.Hi}]");
        var gamma = joint.Fit.Identification().Parameters.Single(p => p.Symbol == "gamma");
        Assert.Equal(ParameterStatus.NotIdentified, gamma.Status);
        Assert.Contains("interval includes 0", gamma.Statement, StringComparison.Ordinal);
    }

    [Fact]
    public void FitJoint_LawBrokenAtTheLargestN_BacktestMissesIt()
    {
        var joint = SaeScaling.FitJoint(PlantedJoint(broken: true), bootstrap: 30, seed: 3, out _)!;
        Assert.All(joint.Backtest!.Points, p => Assert.True(Math.Abs(p.RelativeError) > 0.3, $"back-test error {p.RelativeError}"));
    }

    [Fact]
    public void FitJoint_OneKOnly_IsSkippedWithTheReason()
    {
        var joint = SaeScaling.FitJoint(PlantedJoint().Where(p => p.K == 8).ToList(), bootstrap: 10, seed: 3, out var skipped);
        Assert.Null(joint);
        Assert.Contains("≥ 2 values of k", skipped, StringComparison.Ordinal);
    }
}
