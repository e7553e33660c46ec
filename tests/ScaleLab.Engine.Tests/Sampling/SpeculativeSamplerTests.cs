using ScaleLab.Engine.Sampling;

namespace ScaleLab.Engine.Tests.Sampling;

/// <summary>
/// Exactness of <see cref="SpeculativeSampler"/> on explicit Markov tables: for every seed, a chi-square test of each
/// of the first γ+2 emitted positions (so a second round is always reached) and of the joint of the first two
/// tokens against their closed-form distributions under the target alone; across seeds those p-values must be
/// uniform (Kolmogorov–Smirnov). The default suite runs 20 seeds × 5,000 samples; the Slow trait 200 × 10^4, and the
/// issue's 200 × 10^5 with SCALELAB_SPECULATIVE_FULL=1. Two deliberately wrong samplers must fail the same tests at p &lt; 10^-6.
/// </summary>
public sealed class SpeculativeSamplerTests
{
    private const int Start = 0;

    /// <summary>p-values of one seed: positions 0..m−1, then the first pair.</summary>
    private static double[] SeedPValues(PairKind kind, int vocab, int gamma, SpeculativeVariant variant, int seed, int samples, long[][] pooled)
    {
        var (target, draft) = ExplicitPairs.Make(kind, vocab, seed: 1000 + (ulong)vocab);
        var sampler = new SpeculativeSampler(target, draft, gamma, variant);
        var m = gamma + 2;
        var counts = new long[m + 1][];
        for (var j = 0; j < m; j++) counts[j] = new long[vocab];
        counts[m] = new long[vocab * vocab];
        var rng = new Rng((ulong)(seed * 7919 + gamma));
        for (var s = 0; s < samples; s++)
        {
            var tokens = sampler.Generate([Start], m, rng);
            for (var j = 0; j < m; j++) counts[j][tokens[j]]++;
            counts[m][tokens[0] * vocab + tokens[1]]++;
        }
        lock (pooled)
        {
            for (var j = 0; j <= m; j++)
            {
                for (var c = 0; c < counts[j].Length; c++) pooled[j][c] += counts[j][c];
            }
        }
        return Expected(target, m).Select((e, j) => GoodnessOfFit.ChiSquarePValue(counts[j], e)).ToArray();
    }

    private static double[][] Expected(TableModel target, int m) =>
        [.. Enumerable.Range(0, m).Select(j => target.Marginal(Start, j)), target.FirstPair(Start)];

    /// <summary>Per test (positions, then the pair): the KS p-value of its per-seed p-values, and the chi-square
    /// p-value of the counts pooled over all seeds.</summary>
    private static (double[] Ks, double[] Pooled) Run(PairKind kind, int vocab, int gamma, SpeculativeVariant variant, int seeds, int samples)
    {
        var m = gamma + 2;
        var pooled = new long[m + 1][];
        for (var j = 0; j < m; j++) pooled[j] = new long[vocab];
        pooled[m] = new long[vocab * vocab];
        var perSeed = new double[seeds][];
        Parallel.For(0, seeds, seed => perSeed[seed] = SeedPValues(kind, vocab, gamma, variant, seed, samples, pooled));
        var (target, _) = ExplicitPairs.Make(kind, vocab, seed: 1000 + (ulong)vocab);
        var expected = Expected(target, m);
        var ks = Enumerable.Range(0, m + 1).Select(t => GoodnessOfFit.KsUniformPValue(perSeed.Select(p => p[t]).ToArray())).ToArray();
        var all = Enumerable.Range(0, m + 1).Select(t => GoodnessOfFit.ChiSquarePValue(pooled[t], expected[t])).ToArray();
        return (ks, all);
    }

    private static void AssertExact(PairKind kind, int vocab, int gamma, int seeds, int samples)
    {
        // When
        var (ks, pooled) = Run(kind, vocab, gamma, SpeculativeVariant.Exact, seeds, samples);

        // Then: every test's per-seed p-values are uniform. γ+3 KS tests run here, so each is held to 0.01/(γ+3)
        // (Bonferroni): the chance that an exact sampler fails this method is at most 1%. The pooled counts pass too.
        // A deterministic position (one-hot p) has no χ² statistic (NaN); there only the support is checked (p = 0
        // for a single token off it), hence "not ≤ level" rather than "> level".
        var level = 0.01 / ks.Length;
        for (var t = 0; t < ks.Length; t++)
        {
            var name = t < ks.Length - 1 ? $"position {t}" : "first pair";
            Assert.False(ks[t] <= level, $"{kind} V={vocab} γ={gamma} {name}: KS p = {ks[t]:G3} ≤ {level:G3}");
            Assert.False(pooled[t] <= level, $"{kind} V={vocab} γ={gamma} {name}: pooled χ² p = {pooled[t]:G3} ≤ {level:G3}");
        }
    }

    public static TheoryData<PairKind, int, int> Cases()
    {
        var data = new TheoryData<PairKind, int, int>();
        (PairKind Kind, int Vocab)[] pairs = [(PairKind.Equal, 8), (PairKind.Disjoint, 16), (PairKind.OneHotTarget, 32), (PairKind.Random, 24)];
        foreach (var (kind, vocab) in pairs)
        {
            foreach (var gamma in new[] { 1, 3, 7 }) data.Add(kind, vocab, gamma);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generate_ExplicitPair_EveryPositionAndFirstPairDistributedAsTarget(PairKind kind, int vocab, int gamma)
    {
        // Given an explicit draft/target pair (the case), 20 seeds of 5,000 samples each
        AssertExact(kind, vocab, gamma, seeds: 20, samples: 5_000);
    }

    /// <summary>CI runs the Slow tests too (a budget of minutes), so they draw 200 seeds of 10^4 samples (all 12 cases:
    /// 1 min 45 s on the busy 2-core machine); the 200 × 10^5 (ten times as long) runs with
    /// SCALELAB_SPECULATIVE_FULL=1.</summary>
    private static int SlowSamples => Environment.GetEnvironmentVariable("SCALELAB_SPECULATIVE_FULL") == "1" ? 100_000 : 10_000;

    [Theory]
    [Trait("Category", "Slow")]
    [MemberData(nameof(Cases))]
    public void Generate_ExplicitPairAtFullScale_EveryPositionAndFirstPairDistributedAsTarget(PairKind kind, int vocab, int gamma)
    {
        // Given the 200 seeds, of 10^4 samples each (10^5 with SCALELAB_SPECULATIVE_FULL=1)
        AssertExact(kind, vocab, gamma, seeds: 200, samples: SlowSamples);
    }

    [Theory]
    [InlineData(WrongSampler.AlwaysAccept, PairKind.Disjoint, 16)]
    [InlineData(WrongSampler.AlwaysAccept, PairKind.OneHotTarget, 32)]
    [InlineData(WrongSampler.AlwaysAccept, PairKind.Random, 24)]
    [InlineData(WrongSampler.ResampleFromTarget, PairKind.Random, 24)]
    public void Generate_WrongSampler_RejectedByTheSameTests(WrongSampler wrong, PairKind kind, int vocab)
    {
        var variant = wrong == WrongSampler.AlwaysAccept ? SpeculativeVariant.AlwaysAccept : SpeculativeVariant.ResampleFromTarget;
        // Given a deliberately wrong sampler on a pair where it differs from the exact one (resampling from p is
        // only wrong where the residual is not p: never on disjoint supports or a one-hot p)

        // When the exactness tests of the default suite run on it
        var (ks, pooled) = Run(kind, vocab, gamma: 3, variant, seeds: 20, samples: 5_000);

        // Then some position (or the pair) is rejected at p < 10^-6, by the KS test over seeds and by the pooled χ²
        var worstKs = ks.Where(p => !double.IsNaN(p)).Min();
        var worstPooled = pooled.Where(p => !double.IsNaN(p)).Min();
        Assert.True(worstKs < 1e-6, $"{wrong} on {kind}: smallest KS p = {worstKs:G3}");
        Assert.True(worstPooled < 1e-6, $"{wrong} on {kind}: smallest pooled χ² p = {worstPooled:G3}");
    }

    [Theory]
    [InlineData(1, 16)]
    [InlineData(3, 16)]
    [InlineData(7, 32)]
    public void Round_ContextFreePair_AcceptanceAndTokensPerPassMatchTheory(int gamma, int vocab)
    {
        // Given a context-free random pair: every trial has the same acceptance α = Σ min(p, q)
        var (target, draft) = ExplicitPairs.Make(PairKind.Random, vocab, seed: 77 + (ulong)gamma, contextFree: true);
        var alpha = SpeculativeSampler.OverlapMass(target.Rows[0], draft.Rows[0]);
        var sampler = new SpeculativeSampler(target, draft, gamma);
        var rng = new Rng(5);
        const int rounds = 200_000;
        var output = new List<int>();

        // When
        sampler.Start([Start]);
        double sum = 0, sumSq = 0;
        for (var r = 0; r < rounds; r++)
        {
            double k = sampler.Round(output, rng);
            sum += k;
            sumSq += k * k;
            if (output.Count > 100_000) output.Clear();
        }

        // Then the acceptance rate is α within 3 standard errors, and tokens per target pass are
        // (1 − α^(γ+1))/(1 − α) within 1% — a margin that is itself at least 3 standard errors of the mean
        var stats = sampler.Statistics;
        Assert.True(Math.Abs(stats.AcceptanceRate - alpha) < 3 * stats.AcceptanceStandardError,
            $"α̂ = {stats.AcceptanceRate:F5} ± {stats.AcceptanceStandardError:F5}, Σ min(p, q) = {alpha:F5}");
        var expected = SpeculativeStatistics.ExpectedTokensPerPass(alpha, gamma);
        var mean = sum / rounds;
        var se = Math.Sqrt((sumSq / rounds - mean * mean) / rounds);
        Assert.True(0.01 * expected >= 3 * se, $"1% of {expected:F4} is under 3 SE ({se:F5}): too few rounds to test");
        Assert.True(Math.Abs(mean - expected) <= 0.01 * expected, $"tokens per pass {mean:F4}, theory {expected:F4}");
        Assert.Equal(mean, stats.TokensPerTargetPass, 12);
        Assert.InRange(alpha, 0.2, 0.9); // the pair is informative: neither always nor never accepted
    }

    [Fact]
    public void Round_AlwaysAcceptControl_FailsTheAcceptanceTest()
    {
        // Given the same kind of pair and a sampler that keeps every draft token
        var (target, draft) = ExplicitPairs.Make(PairKind.Random, 16, seed: 80, contextFree: true);
        var alpha = SpeculativeSampler.OverlapMass(target.Rows[0], draft.Rows[0]);
        var sampler = new SpeculativeSampler(target, draft, 3, SpeculativeVariant.AlwaysAccept);
        var rng = new Rng(5);
        var output = new List<int>();

        // When
        sampler.Start([Start]);
        for (var r = 0; r < 10_000; r++) sampler.Round(output, rng);

        // Then its acceptance rate is far outside 3 standard errors of Σ min(p, q) (its SE is 0: it never rejects)
        var stats = sampler.Statistics;
        Assert.True(Math.Abs(stats.AcceptanceRate - alpha) > 3 * Math.Sqrt(alpha * (1 - alpha) / stats.Trials));
    }

    [Theory]
    [InlineData(PairKind.Random, 24, 3)]
    [InlineData(PairKind.OneHotTarget, 32, 7)]
    public void Round_MarkovPair_AcceptanceMatchesMeanOverlapOfItsTrials(PairKind kind, int vocab, int gamma)
    {
        // Given a pair whose α depends on the context
        var (target, draft) = ExplicitPairs.Make(kind, vocab, seed: 31);
        var sampler = new SpeculativeSampler(target, draft, gamma);
        var rng = new Rng(8);
        var output = new List<int>();

        // When
        sampler.Start([Start]);
        for (var r = 0; r < 100_000; r++) sampler.Round(output, rng);

        // Then the accepted fraction matches the mean of Σ min(p, q) over the trials made, within 3 SE
        var stats = sampler.Statistics;
        Assert.True(Math.Abs(stats.AcceptanceRate - stats.MeanOverlap) < 3 * stats.AcceptanceStandardError,
            $"α̂ = {stats.AcceptanceRate:F5} ± {stats.AcceptanceStandardError:F5}, mean β = {stats.MeanOverlap:F5}");
    }

    [Fact]
    public void Generate_ZeroTemperatureTables_IsTheTargetsGreedyPath()
    {
        // Given one-hot (greedy) target and draft tables that disagree on some tokens
        var (target, _) = ExplicitPairs.Make(PairKind.OneHotTarget, 16, seed: 3);
        var (_, other) = ExplicitPairs.Make(PairKind.OneHotTarget, 16, seed: 3);
        var draftRows = target.Rows.Select((r, a) => a % 3 == 0 ? r : other.Rows[(a + 5) % 16].Select(_ => 0.0).ToArray()).ToArray();
        for (var a = 0; a < 16; a++)
        {
            if (a % 3 != 0) draftRows[a][(5 * a + 2) % 16] = 1;
        }
        var sampler = new SpeculativeSampler(target, new TableModel(draftRows), 4);

        // When
        var tokens = sampler.Generate([Start], 60, new Rng(1));

        // Then each token is the target's deterministic successor of the one before
        var previous = Start;
        foreach (var t in tokens)
        {
            Assert.Equal((3 * previous + 1) % 16, t);
            previous = t;
        }
    }

    [Theory]
    [InlineData(3, 9)]
    [InlineData(7, 10)]
    public void Generate_PastTheContext_WindowsBothModelsAndStaysExact(int gamma, int context)
    {
        // Given a pair with a short context, so rounds re-window often
        var (t, d) = ExplicitPairs.Make(PairKind.Random, 8, seed: 12);
        var target = new TableModel(t.Rows, context);
        var sampler = new SpeculativeSampler(target, new TableModel(d.Rows, context), gamma);
        var rng = new Rng(2);
        var counts = new long[8];
        const int length = 40;

        // When many long outputs are drawn (a Markov table's next token depends only on the previous one)
        for (var s = 0; s < 5_000; s++) counts[sampler.Generate([Start], length, rng)[^1]]++;

        // Then the last token still has the target's marginal, and no model was fed past its context
        Assert.True(GoodnessOfFit.ChiSquarePValue(counts, target.Marginal(Start, length - 1)) > 1e-3);
        Assert.InRange(target.Position, 0, context);
    }

    [Fact]
    public void Constructor_MismatchedModelsOrGamma_Throws()
    {
        // Given
        var (t, d) = ExplicitPairs.Make(PairKind.Random, 8, seed: 1);
        var (t16, _) = ExplicitPairs.Make(PairKind.Random, 16, seed: 1);

        // When / Then
        Assert.Contains("vocabulary", Assert.Throws<ArgumentException>(() => new SpeculativeSampler(t16, d, 2)).Message);
        Assert.Contains("context", Assert.Throws<ArgumentException>(() => new SpeculativeSampler(new TableModel(t.Rows, 32), d, 2)).Message);
        Assert.Contains("gamma", Assert.Throws<ArgumentException>(() => new SpeculativeSampler(t, d, 0)).Message);
    }
}
