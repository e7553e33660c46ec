using ScaleLab.Engine.Data;
using ScaleLab.Engine.Training;
using Xunit.Abstractions;

namespace ScaleLab.Engine.Tests.Training;

public sealed class TrainerTests(ITestOutputHelper output)
{
    /// <summary>A small source (A = 8, K = 2) that a tiny model can learn in seconds.</summary>
    internal static readonly SyntheticCorpus SmallCorpus = new(new MarkovSourceOptions
    {
        AlphabetSize = 8,
        MaxOrder = 2,
        SplitProbabilities = [1.0, 0.5],
        Seed = 3,
    });

    internal static TrainOptions Tiny(long steps, int microBatches = 1) => new()
    {
        Model = new GptConfig(Layers: 1, DModel: 16, Heads: 2, SeqLen: 16),
        Batch = 8,
        MicroBatches = microBatches,
        Steps = steps,
        LearningRate = 1e-2,
        EvalInterval = 0,
        EvalSequences = 16,
        Seed = 7,
    };

    [Fact]
    public void TrainStep_FourMicroBatches_GradientEqualsOneBigBatch()
    {
        // Given two trainers with the same seed (same weights, same 8 sequences per step), one summing
        // 4 micro-batches of 2 sequences, one taking the 8 at once; clipping off so Gradients keeps G.
        using var big = new Trainer(Tiny(1) with { GradClip = 0 }, SmallCorpus);
        using var accumulated = new Trainer(Tiny(1, microBatches: 4) with { GradClip = 0 }, SmallCorpus);
        Assert.Equal(big.Model.Parameters, accumulated.Model.Parameters);

        // When
        var a = big.TrainStep();
        var b = accumulated.TrainStep();

        // Then: G agrees to float rounding; the loss is the same mean; and mean |g_micro|² ≥ |G|² (Jensen),
        // with equality for M = 1.
        var g1 = big.Model.Gradients;
        var g2 = accumulated.Model.Gradients;
        var scale = g1.Max(Math.Abs);
        for (var i = 0; i < g1.Length; i++)
        {
            Assert.True(Math.Abs(g1[i] - g2[i]) <= 1e-5 * scale, $"gradient {i}: {g1[i]} vs {g2[i]}");
        }
        Assert.Equal(a.Loss, b.Loss, 1e-5);
        Assert.Equal(a.AccumGradNormSq, b.AccumGradNormSq, 1e-4 * a.AccumGradNormSq);
        Assert.Equal(a.MicroGradNormSq, a.AccumGradNormSq);
        Assert.True(b.MicroGradNormSq > b.AccumGradNormSq, $"micro {b.MicroGradNormSq} vs accumulated {b.AccumGradNormSq}");
        Assert.Equal((4, 2), (b.MicroBatches, b.MicroBatchSize));
    }

    [Fact]
    public void Resume_AfterCheckpointAtHalfway_EqualsUninterruptedRunBitForBit()
    {
        // Given an uninterrupted 2000-step run
        var dir = Directory.CreateTempSubdirectory("scalelab-resume-");
        var path = Path.Combine(dir.FullName, "half.ckpt");
        float[] straight;
        using (var t = new Trainer(Tiny(2000, microBatches: 2), SmallCorpus))
        {
            t.Run();
            straight = (float[])t.Model.Parameters.Clone();
        }

        // When the same run stops at 1000 (a checkpoint) and a fresh trainer resumes it for 1000 more
        using (var first = new Trainer(Tiny(2000, microBatches: 2), SmallCorpus))
        {
            for (var i = 0; i < 1000; i++) first.TrainStep();
            first.SaveCheckpoint(path);
        }
        float[] resumed;
        using (var second = Trainer.Resume(path, SmallCorpus))
        {
            Assert.Equal(1000, second.Step);
            second.Run();
            resumed = (float[])second.Model.Parameters.Clone();
            Assert.Equal(2000, second.Step);
        }

        // Then: identical bytes
        Assert.Equal(straight.Length, resumed.Length);
        Assert.True(straight.AsSpan().SequenceEqual(resumed), "resumed parameters differ from the uninterrupted run");
        dir.Delete(true);
    }

    [Fact]
    public void Run_CancelledThenResumed_EqualsUninterruptedRun()
    {
        // Given an uninterrupted 60-step run, and the same run cancelled from its step callback at step 30
        var dir = Directory.CreateTempSubdirectory("scalelab-cancel-");
        var path = Path.Combine(dir.FullName, "run.ckpt");
        using var straight = new Trainer(Tiny(60), SmallCorpus);
        straight.Run();
        using var cts = new CancellationTokenSource();
        using (var first = new Trainer(Tiny(60) with { CheckpointPath = path }, SmallCorpus))
        {
            // When: cancellation writes a checkpoint before throwing, and a fresh trainer resumes it
            Assert.Throws<OperationCanceledException>(() => first.Run(m => { if (m.Step == 30) cts.Cancel(); }, null, cts.Token));
            Assert.Equal(30, first.Step);
        }
        using var resumed = Trainer.Resume(path, SmallCorpus);
        resumed.Run();

        // Then
        Assert.True(straight.Model.Parameters.AsSpan().SequenceEqual(resumed.Model.Parameters));
        dir.Delete(true);
    }

    [Fact]
    public void Run_OneAndTwoThreads_GiveTheSameParameters()
    {
        // Given the same run at 1 and 2 threads (the kernels split work with a fixed reduction order)
        using var one = new Trainer(Tiny(40) with { Threads = 1 }, SmallCorpus);
        using var two = new Trainer(Tiny(40) with { Threads = 2 }, SmallCorpus);

        // When
        one.Run();
        two.Run();

        // Then
        Assert.True(one.Model.Parameters.AsSpan().SequenceEqual(two.Model.Parameters));
    }

    [Fact]
    public void Resume_WithoutRestoringDataPosition_WouldDiverge()
    {
        // Given (negative control for the resume test) a run checkpointed at step 50
        var dir = Directory.CreateTempSubdirectory("scalelab-resume-");
        var path = Path.Combine(dir.FullName, "c.ckpt");
        using var a = new Trainer(Tiny(100), SmallCorpus);
        for (var i = 0; i < 50; i++) a.TrainStep();
        a.SaveCheckpoint(path);
        for (var i = 0; i < 50; i++) a.TrainStep();

        // When a fresh trainer takes the checkpoint's weights and optimizer state but restarts the data stream
        var checkpoint = Checkpoint.Load(path);
        using var b = new Trainer(Tiny(100), SmallCorpus);
        checkpoint.Parameters.CopyTo(b.Model.Parameters, 0);
        b.Optimizer.Restore(checkpoint.OptimizerStep, checkpoint.M, checkpoint.V);
        for (var i = 0; i < 50; i++) b.TrainStep();

        // Then it does not reproduce the run: restoring the data position is what makes resume exact
        Assert.False(a.Model.Parameters.AsSpan().SequenceEqual(b.Model.Parameters));
        dir.Delete(true);
    }

    [Fact]
    public void Run_FewHundredSteps_LossFallsWellBelowLogAlphabet()
    {
        // Given a tiny model on the A = 8 source: uniform over the alphabet is ln 8 = 2.08 nats, uniform
        // over bytes ln 256 = 5.55
        var options = Tiny(300) with { Batch = 16, EvalSequences = 64 };
        using var trainer = new Trainer(options, SmallCorpus);
        var evals = new List<EvalMetrics>();
        var steps = new List<StepMetrics>();

        // When
        var summary = trainer.Run(steps.Add, evals.Add);

        // Then
        var floor = summary.ValidationFloor!.Value;
        output.WriteLine($"300 steps: validation {summary.FinalValidationLoss:F4}, Bayes floor {floor:F4}, ln 8 {Math.Log(8):F4}");
        Assert.Equal(300, steps.Count);
        Assert.Single(evals);
        Assert.True(summary.FinalValidationLoss < Math.Log(8) - 0.4, $"validation loss {summary.FinalValidationLoss:F3}, ln 8 = {Math.Log(8):F3}, floor {floor:F3}");
        Assert.True(summary.FinalValidationLoss > floor - 0.01, $"validation loss {summary.FinalValidationLoss:F3} below the Bayes floor {floor:F3}");
        Assert.Equal(300L * 16 * 16, summary.Tokens);
        Assert.Equal(6.0 * options.Model.NonEmbeddingParameterCount * summary.Tokens, summary.FlopsNonEmbedding);
        Assert.Equal(6.0 * options.Model.ParameterCount * summary.Tokens, summary.FlopsTotal);
        Assert.True(steps[^1].LearningRate < steps[50].LearningRate);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void Run_SmallSource_ReachesItsBayesFloorWithinAFewHundredths()
    {
        // Given the A = 8, K = 2 source (H = 1.313 nats) and a 13k-parameter model, 1000 steps of 16×32 tokens
        var options = Tiny(1000) with { Model = new GptConfig(1, 32, 2, 32), Batch = 16, EvalSequences = 256 };
        using var trainer = new Trainer(options, SmallCorpus);

        // When
        var s = trainer.Run();

        // Then: the paired gap (model minus the Bayes-optimal loss on the same 256 windows) is small and not
        // meaningfully negative (no model beats the true source in expectation)
        var gap = s.FinalValidationLoss - s.ValidationFloor!.Value;
        output.WriteLine($"small source: H {s.EntropyRate:F4}, validation {s.FinalValidationLoss:F4}, Bayes floor {s.ValidationFloor:F4}, gap {gap:F4} after {s.Steps} steps / {s.Tokens} tokens, {s.TokensPerSecond:F0} tok/s, {s.WallSeconds:F1} s");
        Assert.InRange(gap, -0.01, 0.03);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void Run_DefaultCorpus_LearnsBeyondBigramsTowardTheEntropyRate()
    {
        // Given the default corpus (A = 16, K = 4, H = 1.541) and a 100k-parameter model, 1000 steps of 16×64 tokens
        var corpus = SyntheticCorpus.Default;
        var options = new TrainOptions { Model = new GptConfig(2, 64, 4, 64), Batch = 16, Steps = 1000, EvalInterval = 0, Seed = 1 };
        using var trainer = new Trainer(options, corpus);

        // When
        var s = trainer.Run();

        // Then: below the order-1 conditional entropy H_1 (it uses at least two symbols of context), and the
        // gap to the Bayes floor of the validation windows is stated and bounded
        var gap = s.FinalValidationLoss - s.ValidationFloor!.Value;
        output.WriteLine($"default corpus: H {s.EntropyRate:F4}, H_1 {corpus.Source.ConditionalEntropy(1):F4}, H_2 {corpus.Source.ConditionalEntropy(2):F4}, validation {s.FinalValidationLoss:F4}, Bayes floor {s.ValidationFloor:F4}, gap {gap:F4} after {s.Steps} steps / {s.Tokens} tokens, {s.TokensPerSecond:F0} tok/s, {s.WallSeconds:F1} s");
        Assert.True(s.FinalValidationLoss < corpus.Source.ConditionalEntropy(1) - 0.15, $"validation {s.FinalValidationLoss:F4}");
        Assert.InRange(gap, 0, 0.35);
    }

    [Fact]
    public void Constructor_HeadsNotDividingWidthOrShortCorpus_IsRefused()
    {
        // Given
        var badHeads = Tiny(10) with { Model = new GptConfig(1, 18, 4, 16) };
        var tooLong = Tiny(10) with { Model = new GptConfig(1, 16, 2, 64) };
        var shortFile = TextCorpus.FromBytes("short", new byte[300]);

        // When / Then
        Assert.Contains("divide", Assert.Throws<ArgumentException>(() => new Trainer(badHeads, SmallCorpus)).Message);
        Assert.Contains("seq len 64", Assert.Throws<InvalidDataException>(() => new Trainer(tooLong, shortFile)).Message);
        Assert.Throws<ArgumentException>(() => new Trainer(Tiny(10, microBatches: 3), SmallCorpus));
    }
}
