using ScaleLab.Engine.Sampling;

namespace ScaleLab.Engine.Tests.Sampling;

public sealed class SpeculativeStatisticsTests
{
    [Theory]
    [InlineData(0.0, 3)]
    [InlineData(0.5, 1)]
    [InlineData(0.8, 7)]
    [InlineData(0.99, 4)]
    [InlineData(1.0, 5)]
    public void ExpectedTokensPerPass_AnyAlpha_IsTheGeometricSum(double alpha, int gamma)
    {
        // Given Σ_{i=0}^{γ} α^i: the bonus or corrected token plus each run of accepted drafts
        var sum = Enumerable.Range(0, gamma + 1).Sum(i => Math.Pow(alpha, i));

        // When / Then
        Assert.Equal(sum, SpeculativeStatistics.ExpectedTokensPerPass(alpha, gamma), 12);
    }

    [Theory]
    [InlineData(0.8, 0.05)]
    [InlineData(0.6, 0.01)]
    [InlineData(0.9, 0.2)]
    [InlineData(0.3, 0.5)]
    public void OptimalGamma_AnyAlphaAndCost_MaximisesTheSpeedupOverTheGrid(double alpha, double c)
    {
        // When
        var best = SpeculativeStatistics.OptimalGamma(alpha, c, 16);

        // Then no γ in 1..16 does better, and the speedup is Leviathan et al.'s closed form
        for (var g = 1; g <= 16; g++)
        {
            Assert.True(SpeculativeStatistics.TheoreticalSpeedup(alpha, best, c) >= SpeculativeStatistics.TheoreticalSpeedup(alpha, g, c));
        }
        Assert.Equal((1 - Math.Pow(alpha, best + 1)) / ((1 - alpha) * (best * c + 1)), SpeculativeStatistics.TheoreticalSpeedup(alpha, best, c), 12);
    }

    [Fact]
    public void OptimalGamma_FreeDraftAndHighAlpha_TakesTheLongestDraft_CostlyDraftTakesOne()
    {
        // Given / When / Then: a free draft always pays; a draft as costly as the target at low α never does beyond 1
        Assert.Equal(16, SpeculativeStatistics.OptimalGamma(0.95, 0, 16));
        Assert.Equal(1, SpeculativeStatistics.OptimalGamma(0.3, 1, 16));
    }

    [Fact]
    public void Measurement_TinyPair_ReportsConsistentFiguresAndTheSamplersOutput()
    {
        // Given a small target and a smaller draft (random weights) and 150 tokens at γ = 3
        using var target = new Gpt(new GptConfig(2, 32, 4, 32, 40), maxBatch: 1);
        target.InitWeights(new Rng(1));
        using var draft = new Gpt(new GptConfig(1, 16, 2, 32, 40), maxBatch: 1);
        draft.InitWeights(new Rng(2));
        var sampling = new SamplingOptions(0.9, 0);
        var options = new SpeculativeMeasurementOptions([3, 4], 150, 3, sampling, Seed: 7, Repeats: 2);

        // When
        var m = SpeculativeMeasurement.Run(target, draft, options);

        // Then the output is the sampler's for that seed, and the theory is the closed form at the measured α̂ and c
        var expected = new SpeculativeSampler(new GptNextTokenModel(target, sampling), new GptNextTokenModel(draft, sampling), 3).Generate([3, 4], 150, new Rng(7));
        Assert.Equal(expected, m.Output);
        Assert.Equal(SpeculativeStatistics.TheoreticalSpeedup(m.AcceptanceRate, 3, m.CostRatio), m.TheoreticalSpeedup, 12);
        Assert.InRange(m.TheoreticalSpeedup, m.TheoreticalSpeedupLow, m.TheoreticalSpeedupHigh);
        Assert.InRange(m.Speedup, m.SpeedupLow, m.SpeedupHigh);
        Assert.True(m.CostRatio > 0 && m.MeasuredVerifyCost > 0 && m.TargetSecondsPerToken > 0);
        Assert.InRange(m.TokensPerTargetPass, 1, 4);
    }

    [Fact]
    public void Measurement_GammaAuto_PicksTheOptimumAtThePilotsAlpha()
    {
        // Given
        using var target = new Gpt(new GptConfig(2, 32, 4, 32, 40), maxBatch: 1);
        target.InitWeights(new Rng(1));
        using var draft = new Gpt(new GptConfig(1, 16, 2, 32, 40), maxBatch: 1);
        draft.InitWeights(new Rng(2));
        var options = new SpeculativeMeasurementOptions([3], 100, null, new SamplingOptions(), Seed: 7, Repeats: 1);

        // When
        var m = SpeculativeMeasurement.Run(target, draft, options);

        // Then
        Assert.True(m.GammaAuto);
        Assert.NotNull(m.PilotAcceptanceRate);
        var choice = Assert.IsType<AutoGammaChoice>(m.AutoChoice);
        Assert.Equal([1, 2, 4, 8, 16], choice.VerifyCost.Gammas);
        Assert.All(choice.VerifyCost.Costs, v => Assert.True(v > 0));
        Assert.Equal(m.PilotAcceptanceRate, choice.PilotAcceptanceRate);
        // γ is chosen before the timed rounds (they time the chosen γ), at c from the fastest warm-up runs
        Assert.True(choice.CostRatio > 0);
        Assert.Equal(SpeculativeStatistics.OptimalGamma(m.PilotAcceptanceRate!.Value, choice.CostRatio, SpeculativeMeasurementOptions.MaxAutoGamma, choice.VerifyCost.At), m.Gamma);
        Assert.Equal(SpeculativeStatistics.OptimalGamma(m.PilotAcceptanceRate!.Value, choice.CostRatio, SpeculativeMeasurementOptions.MaxAutoGamma), choice.IssueGamma);
    }

    [Fact]
    public void Measurement_WithinContextOnCpuTime_DrawsIndependentContinuationsThatFitTheContext()
    {
        // Given a context of 32 and a 2-token prompt: 100 tokens are continuations of 30, 30, 30 and 10 tokens
        using var target = new Gpt(new GptConfig(2, 32, 4, 32, 40), maxBatch: 1);
        target.InitWeights(new Rng(1));
        using var draft = new Gpt(new GptConfig(1, 16, 2, 32, 40), maxBatch: 1);
        draft.InitWeights(new Rng(2));
        var sampling = new SamplingOptions(0.9, 0);
        var options = new SpeculativeMeasurementOptions([3, 4], 100, 2, sampling, Seed: 7, Repeats: 1, CpuTime: OperatingSystem.IsLinux(), WithinContext: true);

        // When
        var m = SpeculativeMeasurement.Run(target, draft, options);

        // Then
        var sampler = new SpeculativeSampler(new GptNextTokenModel(target, sampling), new GptNextTokenModel(draft, sampling), 2);
        int[] expected = [.. sampler.Generate([3, 4], 30, new Rng(7)), .. sampler.Generate([3, 4], 30, new Rng(8)),
            .. sampler.Generate([3, 4], 30, new Rng(9)), .. sampler.Generate([3, 4], 10, new Rng(10))];
        Assert.Equal(expected, m.Output);
        Assert.Equal(OperatingSystem.IsLinux(), m.CpuTime);
        Assert.True(m.TargetSecondsPerToken > 0);
    }
}
