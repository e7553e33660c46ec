using ScaleLab.Engine.Sampling;

namespace ScaleLab.Engine.Tests.Sampling;

public sealed class SpeculativeRoundsTests
{
    private const int Tokens = 100;
    private const double TargetPerToken = 0.01;
    private const double DraftPerToken = 0.0005; // c = 0.05

    /// <summary>Counts at γ with α̂ = 0.8 over 100 trials, 40 passes, γ draft passes each.</summary>
    private static SpeculativeCounts Counts(int gamma) => new(80, 100, 120, 40, 40L * gamma);

    /// <summary>One round's times with everything scaled by <paramref name="load"/>: the target, the draft, the sampler at
    /// each γ at <paramref name="speedups"/>, and a verify pass costing 1 + 0.25·γ target steps.</summary>
    private static (double Target, double Draft, double[] Spec, double[] Verify) Round(double load, int[] gammas, double[] speedups) => (
        load * TargetPerToken * Tokens,
        load * DraftPerToken * Tokens,
        [.. speedups.Select(s => load * TargetPerToken * Tokens / s)],
        [.. gammas.Select(g => load * TargetPerToken * (1 + 0.25 * g))]);

    private static SpeculativeRoundTimes Times(int[] gammas, IReadOnlyList<(double Target, double Draft, double[] Spec, double[] Verify)> rounds) => new(
        Tokens,
        [.. rounds.Select(r => r.Target)],
        [.. rounds.Select(r => r.Draft)],
        gammas,
        [.. gammas.Select((_, g) => (IReadOnlyList<double>)[.. rounds.Select(r => r.Spec[g])])],
        [.. gammas.Select((_, g) => (IReadOnlyList<double>)[.. rounds.Select(r => r.Verify[g])])]);

    [Fact]
    public void Summarise_LoadChangingBetweenRounds_PairedRatiosRecoverThePlantedFigures()
    {
        // Given five rounds under loads from 0.7x to 2.5x, planted speedups 2.0 at γ = 2 and 2.5 at γ = 4, c = 0.05,
        // α̂ = 0.8 and v = 1 + 0.25·γ
        int[] gammas = [2, 4];
        double[] speedups = [2.0, 2.5];
        var times = Times(gammas, [.. new[] { 1.0, 1.8, 0.7, 2.5, 1.1 }.Select(l => Round(l, gammas, speedups))]);

        // When
        var rows = SpeculativeRoundSummary.Summarise(times, [Counts(2), Counts(4)]);

        // Then every round gives the same ratios, so the median and both ends are the planted figures
        for (var i = 0; i < 2; i++)
        {
            var (m, gamma) = (rows[i], gammas[i]);
            Assert.Equal(gamma, m.Gamma);
            Assert.Equal(speedups[i], m.Speedup.Median, 12);
            Assert.Equal(speedups[i], m.Speedup.Low, 12);
            Assert.Equal(speedups[i], m.Speedup.High, 12);
            Assert.Equal(0.05, m.CostRatio.Median, 12);
            var theory = (1 - Math.Pow(0.8, gamma + 1)) / (0.2 * (gamma * 0.05 + 1));
            Assert.Equal(theory, m.Theory, 12);
            Assert.Equal(speedups[i] / theory, m.Ratio.Median, 12);
            Assert.Equal(1 + 0.25 * gamma, m.VerifyCost.Median, 12);
            Assert.Equal(1 + 0.25 * gamma, m.VerifyCostFitted, 12);
            var refined = (1 - Math.Pow(0.8, gamma + 1)) / (0.2 * (gamma * 0.05 + 1 + 0.25 * gamma));
            Assert.Equal(refined, m.RefinedTheory, 12);
            Assert.Equal(speedups[i] / refined, m.RefinedRatio.Median, 12);
        }
    }

    [Fact]
    public void Summarise_OneRoundDisturbedPerJob_MedianHoldsWhereTheMeanOfRoundsDoesNot()
    {
        // Given five quiet rounds at speedup 2.0, except that round 2's speculative run alone was slowed 3x and round 4's
        // target run alone 3x (another process woke up in the middle of a round)
        int[] gammas = [3];
        var rounds = Enumerable.Range(0, 5).Select(_ => Round(1, gammas, [2.0])).ToList();
        rounds[1] = rounds[1] with { Spec = [rounds[1].Spec[0] * 3] };
        rounds[3] = rounds[3] with { Target = rounds[3].Target * 3 };
        var times = Times(gammas, rounds);

        // When
        var m = SpeculativeRoundSummary.Summarise(times, [Counts(3)])[0];

        // Then the median is the planted speedup and the spread shows both disturbed rounds
        Assert.Equal(2.0, m.Speedup.Median, 12);
        Assert.Equal(2.0 / 3, m.Speedup.Low, 12);
        Assert.Equal(6.0, m.Speedup.High, 12);
        // Control: the mean over the same rounds is off by more than 10%
        var mean = times.Target.Select((t, r) => t / times.Speculative[0][r]).Average();
        Assert.True(Math.Abs(mean / 2.0 - 1) > 0.10, $"the mean {mean} should be moved by the disturbed rounds");
    }

    [Fact]
    public void Summarise_SpeculativeTimeOfDraftPassesPlusPlantedVerify_ImpliesThatVerifyCost()
    {
        // Given a speculative run whose time per pass is its γ draft passes plus 1.7 target steps
        int[] gammas = [5];
        var k = Counts(5);
        var specSeconds = k.Passes * (5 * DraftPerToken + 1.7 * TargetPerToken);
        var rounds = Enumerable.Range(0, 3).Select(_ => Round(1, gammas, [1.0])).Select(r => r with { Spec = [specSeconds] }).ToList();

        // When
        var m = SpeculativeRoundSummary.Summarise(Times(gammas, rounds), [k])[0];

        // Then
        Assert.Equal(1.7, m.ImpliedVerifyCost.Median, 12);
        Assert.Equal(TargetPerToken * Tokens / specSeconds, m.Speedup.Median, 12);
    }

    [Fact]
    public void Summarise_BadInput_Throws()
    {
        int[] gammas = [2];
        var good = Times(gammas, [Round(1, gammas, [2.0]), Round(1, gammas, [2.0])]);
        Assert.Throws<ArgumentException>(() => SpeculativeRoundSummary.Summarise(good with { Draft = [0.1] }, [Counts(2)]));
        Assert.Throws<ArgumentException>(() => SpeculativeRoundSummary.Summarise(good with { Target = [0.1, 0] }, [Counts(2)]));
        Assert.Throws<ArgumentException>(() => SpeculativeRoundSummary.Summarise(good, [Counts(2), Counts(3)]));
        Assert.Throws<ArgumentException>(() => SpeculativeRoundSummary.Summarise(good with { Speculative = [[1.0]] }, [Counts(2)]));
    }

    [Fact]
    public void RoundSpread_OddAndEvenCounts_MedianAndEnds()
    {
        Assert.Equal(new RoundSpread(3, 1, 9), RoundSpread.Of([9, 1, 3]));
        Assert.Equal(new RoundSpread(2.5, 1, 9), RoundSpread.Of([9, 1, 3, 2]));
        Assert.Throws<ArgumentException>(() => RoundSpread.Of([]));
    }

    [Fact]
    public void Run_TinyPair_TimesEveryGammaEveryRoundWithTheSamplersCounts()
    {
        // Given a small target, a smaller draft (random weights), γ 1 and 3 and auto, three rounds of 60 tokens
        using var target = new Gpt(new GptConfig(2, 32, 4, 32, 40), maxBatch: 1);
        target.InitWeights(new Rng(1));
        using var draft = new Gpt(new GptConfig(1, 16, 2, 32, 40), maxBatch: 1);
        draft.InitWeights(new Rng(2));
        var sampling = new SamplingOptions(0.9, 0);
        var options = new SpeculativeRoundsOptions([3, 4], 60, [1, 3], Auto: true, sampling, Seed: 7, Rounds: 3, VerifyPasses: 3);

        // When
        var result = SpeculativeRounds.Run(target, draft, options);

        // Then the rows are 1, 3 and auto's γ, sorted, each timed in every round
        var auto = Assert.IsType<AutoGammaChoice>(result.AutoChoice);
        Assert.Equal(auto.Gamma, result.AutoGamma);
        Assert.Equal(new[] { 1, 3, auto.Gamma }.Distinct().Order(), result.Rows.Select(r => r.Gamma));
        Assert.Equal(3, result.Times.Target.Count);
        Assert.All(result.Times.Speculative.Concat(result.Times.VerifyPass), s => Assert.All(s, t => Assert.True(t > 0)));
        // and γ = 3's output and counts are the sampler's over the same seeds: continuations of 30 and 30 tokens
        var sampler = new SpeculativeSampler(new GptNextTokenModel(target, sampling), new GptNextTokenModel(draft, sampling), 3);
        int[] expected = [.. sampler.Generate([3, 4], 30, new Rng(7)), .. sampler.Generate([3, 4], 30, new Rng(8))];
        var i = result.Rows.Select(r => r.Gamma).ToList().IndexOf(3);
        Assert.Equal(expected, result.Outputs[i]);
        Assert.Equal(SpeculativeCounts.From(sampler.Statistics), result.Rows[i].Counts);
        Assert.Equal(SpeculativeStatistics.TheoreticalSpeedup(result.Rows[i].Counts.Alpha, 3, result.Rows[i].CostRatio.Median), result.Rows[i].Theory, 12);
    }
}
