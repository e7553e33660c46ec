namespace ScaleLab.Laws.Tests.Efficiency;

public sealed class GainLadderTests
{
    private const double AIntercept = 0.6, ASlope = -0.04;

    /// <summary>
    /// A frontier of <paramref name="budgets"/> budgets 10^(9.5 + 0.4k) FLOP (the vintage study's spacing) with
    /// log10 L = a + b·log10 C + σ·ε, σ = 0.003 decades, from its own SplitMix64 stream. A recipe with a constant gain G
    /// over the base law has the same slope and intercept a + b·log10 G (it reaches every loss with C/G).
    /// </summary>
    private static List<FrontierPoint> Frontier(double gain, ulong seed, int budgets = 6, double sigma = 0.003)
    {
        var rng = SplitMix64.Stream(seed, 0);
        var a = AIntercept + ASlope * Math.Log10(gain);
        return [.. Enumerable.Range(0, budgets).Select(k =>
        {
            var logC = 9.5 + 0.4 * k;
            return new FrontierPoint(Math.Pow(10, logC), Math.Pow(10, a + ASlope * logC + sigma * rng.NextGaussian()));
        })];
    }

    private static double TrueCompute(double loss, double gain) => Math.Pow(10, (Math.Log10(loss) - AIntercept) / ASlope) / gain;

    [Fact]
    public void Measure_PlantedThreeFoldSteps_LadderFindsThreeAndNine()
    {
        // Given three recipes, oldest first, each reaching every loss with a third of the compute of the one before
        var recipes = new List<(string, IReadOnlyList<FrontierPoint>)> { ("old", Frontier(1, 1)), ("mid", Frontier(3, 2)), ("new", Frontier(9, 3)) };

        // When
        var ladder = GainLadder.Measure(recipes, new ComputeGainOptions { Bootstrap = 1000, Seed = 4 });

        // Then three common targets, the middle one the headline; gains over the oldest hold 3 and 9 and exclude 1, each
        // step holds 3; the ratio of the rungs' computes is the pairwise gain; the best recipe is the newest
        Assert.Equal(3, ladder.Targets.Count);
        Assert.Equal(1, ladder.Headline);
        Assert.True(ladder.Targets[0] > ladder.Targets[1] && ladder.Targets[1] > ladder.Targets[2]);
        for (var t = 0; t < 3; t++)
        {
            Assert.True(ladder.VersusOldest[0].Gains[t].Gain.Covers(3) && !ladder.VersusOldest[0].Gains[t].Gain.Covers(1), $"{ladder.VersusOldest[0].Gains[t].Gain}");
            Assert.True(ladder.VersusOldest[1].Gains[t].Gain.Covers(9) && !ladder.VersusOldest[1].Gains[t].Gain.Covers(3), $"{ladder.VersusOldest[1].Gains[t].Gain}");
            Assert.All(ladder.Steps, s => Assert.True(s.Gains[t].Gain.Covers(3), $"{s.B.Study}: {s.Gains[t].Gain}"));
            Assert.Equal(ladder.Rungs[0].Compute[t].Value / ladder.Rungs[2].Compute[t].Value, ladder.VersusOldest[1].Gains[t].Gain.Value, 1e-9 * 9);
            Assert.All(ladder.Rungs.Zip([1.0, 3, 9]), r => Assert.True(r.First.Compute[t].Covers(TrueCompute(ladder.Targets[t], r.Second)), $"{r.First.Study} {r.First.Compute[t]}"));
        }
        Assert.Equal("new", ladder.Best!.B.Study);
        Assert.Equal("mid", ladder.Steps[0].B.Study);
        Assert.Equal("mid", ladder.Steps[1].A.Study);
    }

    [Fact]
    public void Measure_TwoIdenticalRecipes_GainIntervalContainsOneAndNotThree()
    {
        // Given the negative control: two recipes drawn from the same law (different noise)
        var recipes = new List<(string, IReadOnlyList<FrontierPoint>)> { ("a", Frontier(1, 11)), ("a-again", Frontier(1, 12)) };

        // When
        var ladder = GainLadder.Measure(recipes, new ComputeGainOptions { Bootstrap = 1000, Seed = 5 });

        // Then every gain interval holds 1 and none holds the 3 the planted test finds (the same assertion fails here)
        Assert.All(ladder.VersusOldest[0].Gains, g => Assert.True(g.Gain.Covers(1) && !g.Gain.Covers(3), $"{g.Gain}"));
        Assert.StartsWith("no detectable change", ladder.VersusOldest[0].Trend);
    }

    [Fact]
    public void ComputeToReach_PlantedLaw_CoversNearNominal_AndPlainPercentilesUnderCover()
    {
        // Given 300 frontiers of 6 budgets from one law (the full vintage design's count), and a target in the middle
        const int sets = 300;
        const double target = 1.5;
        var truth = TrueCompute(target, 1);
        // The wrong variant: plain percentile intervals at 95%, i.e. the level whose expansion at ν = 4 is 0.95.
        double lo = 0.5, hi = 0.95;
        for (var i = 0; i < 60; i++)
        {
            var mid = (lo + hi) / 2;
            (lo, hi) = ComputeGain.ExpandedLevel(mid, 4) < 0.95 ? (mid, hi) : (lo, mid);
        }
        int covers = 0, controlCovers = 0;

        // When each frontier's compute to reach the target is bootstrapped, by the method and by the control
        for (var i = 0; i < sets; i++)
        {
            var points = Frontier(1, (ulong)(100 + i));
            var right = ComputeGain.ComputeToReach("a", points, [target], new ComputeGainOptions { Bootstrap = 400, Seed = (ulong)i });
            var wrong = ComputeGain.ComputeToReach("a", points, [target], new ComputeGainOptions { Bootstrap = 400, Seed = (ulong)i, Level = lo });
            covers += right.Compute[0].Covers(truth) ? 1 : 0;
            controlCovers += wrong.Compute[0].Covers(truth) ? 1 : 0;
        }

        // Then the expanded 95% interval covers near 95% (binomial sd 1.3%; measured 94.0%) and the plain percentile one,
        // too narrow with 4 residual degrees of freedom, fails the same test (measured 86.0%)
        Assert.InRange(covers / (double)sets, 0.90, 0.99);
        Assert.True(controlCovers / (double)sets < 0.90, $"control covered {controlCovers}/{sets}");
    }

    [Fact]
    public void Measure_NoCommonLoss_OneLineNamingTheRecipes()
    {
        // Given a recipe so much better that its worst loss beats the old recipe's best (a gain of 10^4 over 2 decades)
        var recipes = new List<(string, IReadOnlyList<FrontierPoint>)> { ("old", Frontier(1, 1)), ("far", Frontier(1e4, 2)) };

        // When / Then
        var ex = Assert.Throws<InvalidDataException>(() => GainLadder.Measure(recipes, new ComputeGainOptions { Bootstrap = 10 }));
        Assert.Contains("no loss is reached by every recipe", ex.Message);
        Assert.Contains("'old'", ex.Message);
        Assert.Contains("'far'", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Measure_OneRecipe_IsAnError()
    {
        // Given / When / Then
        var ex = Assert.Throws<InvalidDataException>(() => GainLadder.Measure([("only", Frontier(1, 1))], new ComputeGainOptions()));
        Assert.Contains("at least 2 recipes", ex.Message);
    }
}
