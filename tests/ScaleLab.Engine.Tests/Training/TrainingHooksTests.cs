using ScaleLab.Engine.Kernels;
using ScaleLab.Engine.Training;

namespace ScaleLab.Engine.Tests.Training;

public sealed class TrainingHooksTests
{
    /// <summary>The cross-entropy written as an outside objective would write it: logits from a forward without targets,
    /// dlogits formed here, the backward from them; scaled by <paramref name="scale"/>.</summary>
    private sealed class ExternalCrossEntropy(float scale) : ITrainingObjective
    {
        public double ForwardBackward(Gpt model, MicroBatch batch)
        {
            int n = batch.Batch * batch.SeqLen, V = model.Config.Vocab;
            model.Forward(batch.Inputs, [], batch.Batch, batch.SeqLen);
            var (probs, losses, dlogits) = (new float[n * V], new float[n], new float[n * V]);
            CrossEntropy.Forward(model.Logits, batch.Targets, n, V, probs, losses);
            CrossEntropy.Backward(probs, batch.Targets, Enumerable.Repeat(scale / n, n).ToArray(), n, V, dlogits);
            model.Backward(dlogits);
            var sum = 0.0;
            foreach (var l in losses) sum += l;
            return scale * (float)(sum / n);
        }
    }

    private sealed class Recorder : ITrainingObserver
    {
        public List<string> Calls { get; } = [];
        public List<double> MicroNormSq { get; } = [];
        public double StepNormSq { get; private set; }

        public void OnStepStart(long step, int microBatches) => Calls.Add($"start {step} {microBatches}");

        public void OnMicroBatch(int index, double loss, ReadOnlySpan<float> gradient)
        {
            Calls.Add($"micro {index}");
            MicroNormSq.Add(GradientClipping.NormSquared(gradient));
        }

        public void OnStepGradient(ReadOnlySpan<float> gradient)
        {
            Calls.Add("gradient");
            StepNormSq = GradientClipping.NormSquared(gradient);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void TrainStep_ExternalCrossEntropyObjective_BitIdenticalToDefault(int microBatches)
    {
        // Given: two trainers with the same seed, one on the built-in objective and one on the outside one.
        using var builtIn = new Trainer(TrainerTests.Tiny(3, microBatches), TrainerTests.SmallCorpus);
        using var outside = new Trainer(TrainerTests.Tiny(3, microBatches), TrainerTests.SmallCorpus) { Objective = new ExternalCrossEntropy(1f) };

        // When
        var a = Enumerable.Range(0, 3).Select(_ => builtIn.TrainStep()).ToList();
        var b = Enumerable.Range(0, 3).Select(_ => outside.TrainStep()).ToList();

        // Then: losses, gradient statistics and parameters to the bit.
        Assert.Equal(a.Select(m => (m.Loss, m.GradNorm, m.MicroGradNormSq, m.AccumGradNormSq)), b.Select(m => (m.Loss, m.GradNorm, m.MicroGradNormSq, m.AccumGradNormSq)));
        Assert.Equal(builtIn.Model.Parameters, outside.Model.Parameters);
    }

    [Fact]
    public void TrainStep_ObjectiveScaledByTwo_GradientAndLossExactlyDoubled()
    {
        // Given: clipping off, so the step's gradient reaches the observer as the objective made it. Scaling by 2 is
        // exact in binary floating point, so every sum doubles exactly.
        var options = TrainerTests.Tiny(1, microBatches: 2) with { GradClip = 0 };
        using var plain = new Trainer(options, TrainerTests.SmallCorpus);
        using var doubled = new Trainer(options, TrainerTests.SmallCorpus) { Objective = new ExternalCrossEntropy(2f) };

        // When
        var a = plain.TrainStep();
        var b = doubled.TrainStep();

        // Then
        Assert.Equal(2 * a.Loss, b.Loss);
        Assert.Equal(4 * a.AccumGradNormSq, b.AccumGradNormSq);
        Assert.Equal(4 * a.MicroGradNormSq, b.MicroGradNormSq);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void TrainStep_Observers_SeeEachMicroBatchThenTheStepGradientInOrder(int microBatches)
    {
        // Given: a recorder and an outside gradient-noise observer.
        using var trainer = new Trainer(TrainerTests.Tiny(2, microBatches), TrainerTests.SmallCorpus);
        var recorder = new Recorder();
        var noise = new GradientNoiseObserver();
        trainer.Observers.Add(recorder);
        trainer.Observers.Add(noise);

        // When
        trainer.TrainStep();
        recorder.Calls.Clear();
        recorder.MicroNormSq.Clear();
        var metrics = trainer.TrainStep();

        // Then: the call order, and the step metrics' gradient-noise fields are the observer's sums exactly.
        Assert.Equal(["start 1 " + microBatches, .. Enumerable.Range(0, microBatches).Select(i => $"micro {i}"), "gradient"], recorder.Calls);
        var micro = 0.0;
        foreach (var sq in recorder.MicroNormSq) micro += sq;
        Assert.Equal(micro / microBatches, metrics.MicroGradNormSq);
        Assert.Equal(recorder.StepNormSq, metrics.AccumGradNormSq);
        Assert.Equal((metrics.MicroGradNormSq, metrics.AccumGradNormSq), (noise.MicroGradNormSq, noise.AccumGradNormSq));
        Assert.True(microBatches == 1 ? metrics.MicroGradNormSq == metrics.AccumGradNormSq : metrics.MicroGradNormSq > metrics.AccumGradNormSq);
    }
}
