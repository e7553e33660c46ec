using ScaleLab.Engine;
using ScaleLab.Engine.Data;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Studies.CriticalBatch;

namespace ScaleLab.Lab.Tests.CriticalBatch;

public sealed class CriticalBatchSweepTests
{
    [Theory]
    [InlineData(1, 8, 1)]
    [InlineData(4, 8, 4)]
    [InlineData(64, 8, 8)]
    [InlineData(12, 8, 6)]
    [InlineData(7, 8, 7)]
    [InlineData(14, 8, 7)]
    public void MicroBatchesFor_Batch_LargestDivisorUpToRequested(int batch, int requested, int expected)
    {
        Assert.Equal(expected, CriticalBatchSweep.MicroBatchesFor(batch, requested));
    }

    [Fact]
    public void Run_ReachableTarget_StopsThereWithCurveAndBSimple()
    {
        // Given: a tiny GPT starts near ln 256 ≈ 5.5 nats and passes 4.0 within a few dozen steps
        var template = new TrainOptions
        {
            Model = new GptConfig(Layers: 1, DModel: 16, Heads: 2, SeqLen: 16),
            MicroBatches = 4,
            WarmupSteps = 5,
            EvalSequences = 16,
            Seed = 3,
        };

        // When
        var outcome = CriticalBatchSweep.Run(template, SyntheticCorpus.Default, batch: 8, learningRate: 1e-2, lowestTarget: 4.0,
            maxExamples: 8 * 400, minSteps: 10, evalPoints: 100, emaDecay: 0.9);

        // Then
        Assert.Equal(SweepEnding.ReachedTargets, outcome.Ending);
        Assert.Equal(400, outcome.StepCap);
        Assert.True(outcome.StepsRun < outcome.StepCap);
        Assert.Equal(outcome.StepsRun, (long)outcome.Curve[^1].Step);
        Assert.True(outcome.Curve[^1].Loss <= 4.0);
        Assert.All(outcome.Curve.SkipLast(1), p => Assert.True(p.Loss > 4.0));
        Assert.Equal(outcome.Curve.Count, outcome.NoiseScale.Count);
        Assert.True(double.IsFinite(outcome.NoiseScale[^1].BSimple));
        Assert.NotNull(StepsToTarget.Find(outcome.Curve, 4.0));
    }
}
