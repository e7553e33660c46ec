using System.Text.Json;
using System.Text.Json.Nodes;
using ScaleLab.Engine.Parallelism;
using ScaleLab.Engine.Training;
using Xunit.Abstractions;

namespace ScaleLab.Engine.Tests.Training;

public sealed class SgdMomentumTests(ITestOutputHelper output)
{
    /// <summary>Naive heavy-ball SGDW in double: b ← μb + g; θ ← θ(1 − lr·wd on decayed entries) − lr·b. With
    /// <paramref name="nesterov"/> the step uses g + μb instead of b (the variant we did NOT implement).</summary>
    private static void ReferenceStep(double[] theta, double[] b, float[] g, double lr, double mu, double wd, int decayed, bool nesterov = false)
    {
        for (var i = 0; i < theta.Length; i++)
        {
            b[i] = mu * b[i] + g[i];
            var direction = nesterov ? g[i] + mu * b[i] : b[i];
            theta[i] = theta[i] * (i < decayed ? 1 - lr * wd : 1) - lr * direction;
        }
    }

    [Fact]
    public void Update_TenSteps_MatchesDoubleReferenceAndNotNesterov()
    {
        // Given 1003 values (vector body and scalar tail; 600 decayed, the rest not), μ = 0.9, wd = 0.1
        var rng = new Rng(5);
        const int n = 1003;
        const double lr = 0.05, mu = 0.9, wd = 0.1;
        var theta = Enumerable.Range(0, n).Select(_ => (float)rng.NextGaussian()).ToArray();
        var reference = theta.Select(x => (double)x).ToArray();
        var nesterov = (double[])reference.Clone();
        var (b, bn) = (new double[n], new double[n]);
        var sgd = new SgdMomentum(n, [new(0, 600, true), new(600, n - 600, false)], new SgdOptions(mu, wd));

        // When: ten steps with fresh gradients
        for (var t = 1; t <= 10; t++)
        {
            var g = Enumerable.Range(0, n).Select(_ => (float)rng.NextGaussian()).ToArray();
            sgd.Update(theta, g, lr);
            ReferenceStep(reference, b, g, lr, mu, wd, 600);
            ReferenceStep(nesterov, bn, g, lr, mu, wd, 600, nesterov: true);
        }

        // Then: float agrees with the double reference to rounding; the Nesterov variant (negative control) does not
        var maxError = Enumerable.Range(0, n).Max(i => Math.Abs(theta[i] - reference[i]));
        var maxNesterov = Enumerable.Range(0, n).Max(i => Math.Abs(theta[i] - nesterov[i]));
        output.WriteLine($"max |float − double| {maxError:E2}; max |ours − Nesterov| {maxNesterov:E2}");
        Assert.True(maxError < 1e-5, $"max error {maxError:E2}");
        Assert.True(maxNesterov > 1e-2, $"the Nesterov variant differs by only {maxNesterov:E2}: the test cannot tell them apart");
        for (var i = 0; i < n; i++)
        {
            Assert.Equal(b[i], sgd.M[i], 1e-4);
        }
        Assert.All(sgd.V, v => Assert.Equal(0f, v));
        Assert.Equal(10, sgd.Step);
    }

    [Fact]
    public void Update_NoWeightDecay_LeavesMatricesUndecayed()
    {
        // Given θ = 1, g = 0 on a decayed segment and wd = 0
        float[] theta = [1, 1, 1];
        var sgd = new SgdMomentum(3, [new(0, 3, true)], new SgdOptions(0.9, 0));

        // When
        sgd.Update(theta, new float[3], 0.5);

        // Then: nothing moves (with wd = 0.1 it would be 0.95)
        Assert.Equal([1f, 1f, 1f], theta);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Update_OnAPool_BitIdenticalToOneThread(int threads)
    {
        // Given segments whose boundaries fall inside the threads' shares
        var rng = new Rng(11);
        const int n = 1003;
        ParameterSegment[] segments = [new(0, 600, true), new(600, 7, false), new(607, n - 607, true)];
        var start = Enumerable.Range(0, n).Select(_ => (float)rng.NextGaussian()).ToArray();
        var grads = Enumerable.Range(0, 5).Select(_ => Enumerable.Range(0, n).Select(_ => (float)rng.NextGaussian()).ToArray()).ToList();
        float[] Run(WorkerPool? pool)
        {
            var theta = (float[])start.Clone();
            var sgd = new SgdMomentum(n, segments, new SgdOptions(0.9, 0.1));
            foreach (var g in grads) sgd.Update(theta, g, 1e-2, pool);
            return [.. theta, .. sgd.M];
        }
        using var pool = new WorkerPool(threads);

        // When
        var one = Run(null);
        var many = Run(pool);

        // Then
        Assert.Equal(one, many);
        Assert.NotEqual(start, one[..n]);
    }

    [Theory]
    [InlineData(-0.1, 0)]
    [InlineData(1.0, 0)]
    [InlineData(double.NaN, 0)]
    [InlineData(0.9, -1)]
    public void Validate_BadMomentumOrDecay_IsRefused(double momentum, double wd)
    {
        var options = TrainerTests.Tiny(10) with { Optimizer = OptimizerKind.Sgd, Momentum = momentum, WeightDecay = wd };
        var ex = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("SGD", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_TinyModelUnderSgdAtAConstantRate_LossFallsWellBelowLogAlphabet()
    {
        // Given the tiny model of TrainerTests on the A = 8 source (ln 8 = 2.08 nats), SGD μ = 0.9, no weight decay,
        // and a constant rate (no warmup, floor = peak): the oldest recipe vintage of issue 17
        var options = TrainerTests.Tiny(300) with
        {
            Batch = 16, EvalSequences = 64, Optimizer = OptimizerKind.Sgd, Momentum = 0.9, LearningRate = 0.3, WeightDecay = 0,
            WarmupSteps = 0, MinLearningRateFraction = 1,
        };
        using var trainer = new Trainer(options, TrainerTests.SmallCorpus);
        var steps = new List<StepMetrics>();

        // When
        var summary = trainer.Run(steps.Add);

        // Then
        output.WriteLine($"SGD 300 steps: first train loss {steps[0].Loss:F4}, validation {summary.FinalValidationLoss:F4}, floor {summary.ValidationFloor:F4}");
        Assert.IsType<SgdMomentum>(trainer.Optimizer);
        Assert.All(steps, s => Assert.Equal(0.3, s.LearningRate));
        Assert.True(summary.FinalValidationLoss < Math.Log(8) - 0.3, $"validation loss {summary.FinalValidationLoss:F3}, ln 8 = {Math.Log(8):F3}");
    }

    [Fact]
    public void Schedule_NoWarmupFloorAtPeak_IsExactlyConstant()
    {
        // Given the constant-rate schedule as the CLI and specs build it
        var schedule = new LearningRateSchedule(0.3, 0, 1000, 1.0);

        // When / Then: η at every step, bit for bit (η_min + ½·0·(1 + cos) = η)
        for (long s = 0; s < 1100; s++)
        {
            Assert.Equal(0.3, schedule.At(s));
        }
    }

    [Fact]
    public void Resume_SgdCheckpointAtHalfway_EqualsUninterruptedRunBitForBit()
    {
        // Given an uninterrupted 400-step SGD run
        var dir = Directory.CreateTempSubdirectory("scalelab-sgd-resume-");
        var path = Path.Combine(dir.FullName, "half.ckpt");
        var options = TrainerTests.Tiny(400, microBatches: 2) with { Optimizer = OptimizerKind.Sgd, Momentum = 0.8, LearningRate = 0.2 };
        float[] straight;
        using (var t = new Trainer(options, TrainerTests.SmallCorpus))
        {
            t.Run();
            straight = [.. t.Model.Parameters, .. t.Optimizer.M];
        }

        // When the same run stops at 200 (a checkpoint) and a fresh trainer resumes it
        using (var first = new Trainer(options, TrainerTests.SmallCorpus))
        {
            for (var i = 0; i < 200; i++) first.TrainStep();
            first.SaveCheckpoint(path);
        }
        float[] resumed;
        using (var second = Trainer.Resume(path, TrainerTests.SmallCorpus))
        {
            Assert.Equal(OptimizerKind.Sgd, second.Options.Optimizer);
            Assert.Equal(0.8, second.Options.Momentum);
            Assert.IsType<SgdMomentum>(second.Optimizer);
            second.Run();
            resumed = [.. second.Model.Parameters, .. second.Optimizer.M];
        }

        // Then: identical bytes, parameters and momentum buffer
        Assert.True(straight.AsSpan().SequenceEqual(resumed), "resumed SGD run differs from the uninterrupted run");

        // And resuming it as AdamW is refused (the state buffers mean different things)
        var ex = Assert.Throws<ArgumentException>(() => Trainer.Resume(path, TrainerTests.SmallCorpus, o => o with { Optimizer = OptimizerKind.AdamW }));
        Assert.Contains("same optimizer", ex.Message, StringComparison.Ordinal);
        dir.Delete(true);
    }

    [Fact]
    public void Options_JsonOfAnOlderRelease_ReadsAsAdamW()
    {
        // Given the options JSON a checkpoint of the previous release holds: every property but Optimizer and Momentum
        var current = TrainerTests.Tiny(10) with { Optimizer = OptimizerKind.Sgd, Momentum = 0.5 };
        var node = JsonNode.Parse(JsonSerializer.Serialize(current))!.AsObject();
        Assert.Equal("Sgd", (string?)node["Optimizer"]);
        node.Remove("Optimizer");
        node.Remove("Momentum");

        // When
        var old = JsonSerializer.Deserialize<TrainOptions>(node.ToJsonString())!;
        var roundTrip = JsonSerializer.Deserialize<TrainOptions>(JsonSerializer.Serialize(current))!;

        // Then: the old one is AdamW; the new one keeps SGD and its momentum
        Assert.Equal(OptimizerKind.AdamW, old.Optimizer);
        Assert.Equal(OptimizerKind.Sgd, roundTrip.Optimizer);
        Assert.Equal(0.5, roundTrip.Momentum);
    }
}
