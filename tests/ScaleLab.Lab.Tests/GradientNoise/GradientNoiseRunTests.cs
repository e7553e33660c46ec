using ScaleLab.Engine;
using ScaleLab.Engine.Data;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Studies.GradientNoise;
using Xunit.Abstractions;

namespace ScaleLab.Lab.Tests.GradientNoise;

/// <summary>
/// The estimator on the real engine: a tiny GPT whose weights are frozen (learning rate 1e-12, so AdamW moves
/// them by ~1e-12 per step) sees fresh i.i.d. windows of the synthetic corpus every step, so each step's
/// estimate is an independent draw with the same expectation. The same B = 8 sequences per step are split
/// as 8 micro-batches of 1 (per-example variant) or 2 of 4: the unbiased estimates of |G|² and tr(Σ) must
/// agree between the two splits, and the naive |G_small|² must not.
/// </summary>
public sealed class GradientNoiseRunTests(ITestOutputHelper output)
{
    private const int Steps = 150;

    private static TrainOptions Frozen(int microBatches) => new()
    {
        Model = new GptConfig(Layers: 1, DModel: 16, Heads: 2, SeqLen: 16),
        Batch = 8,
        MicroBatches = microBatches,
        Steps = Steps,
        LearningRate = 1e-12,
        WarmupSteps = 0,
        GradClip = 0,
        EvalInterval = 0,
        EvalSequences = 16,
        Seed = 5,
    };

    [Fact]
    public void Train_FrozenModelTwoMicroBatchSplits_UnbiasedEstimatesAgree_NaiveDiffers()
    {
        // Given: the same seed, so both splits see the same weights and the same sequences every step
        var perExample = GradientNoiseRun.Train(Frozen(8), SyntheticCorpus.Default, 0.99);
        var halves = GradientNoiseRun.Train(Frozen(2), SyntheticCorpus.Default, 0.99);

        // When: paired differences per step
        var gradDiff = new double[Steps];
        var traceDiff = new double[Steps];
        var naiveDiff = new double[Steps];
        for (var t = 0; t < Steps; t++)
        {
            var a = perExample.Points[t].Record;
            var b = halves.Points[t].Record;
            gradDiff[t] = a.GradNormSq - b.GradNormSq;
            traceDiff[t] = a.TraceCov - b.TraceCov;
            // Naive: |G_small|² = |G|² + tr(Σ)/B_small recovered from the same unbiased pieces, as the trainer logs it.
            naiveDiff[t] = (a.GradNormSq + a.TraceCov / 1) - (b.GradNormSq + b.TraceCov / 4);
        }
        var grad = MonteCarloCheck.Of(gradDiff, 0);
        var trace = MonteCarloCheck.Of(traceDiff, 0);
        var naive = MonteCarloCheck.Of(naiveDiff, 0);

        // Then
        output.WriteLine($"B_simple (seq) per-example split {perExample.Points[^1].Record.BSimple:G4}, 2×4 split {halves.Points[^1].Record.BSimple:G4}");
        output.WriteLine($"Δ|G|²: {grad}\nΔtr(Σ): {trace}\nΔ naive |G_small|²: {naive}");
        Assert.True(grad.IsConsistentWithTarget(), grad.ToString());
        Assert.True(trace.IsConsistentWithTarget(), trace.ToString());
        Assert.False(naive.IsConsistentWithTarget(), naive.ToString());
        Assert.True(double.IsFinite(perExample.ValidationLoss));
    }

    [Fact]
    public void Estimate_OneMicroBatch_Throws()
    {
        var metrics = new StepMetrics(1, 16, 5.0, 1e-3, 1.0, 2.0, 2.0, 1, 16, 0, 0);
        Assert.Throws<ArgumentException>(() => GradientNoiseRun.Estimate(metrics));
    }
}
