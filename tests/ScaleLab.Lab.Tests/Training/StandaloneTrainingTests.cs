using ScaleLab.Engine.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Studies.GradientNoise;
using ScaleLab.Lab.Sweeps;
using ScaleLab.Lab.Tests.Execution;
using ScaleLab.Lab.Training;

namespace ScaleLab.Lab.Tests.Training;

/// <summary>A standalone run (<c>scalelab train</c> without a registry): evaluations and the B_simple record sampled at each.</summary>
public sealed class StandaloneTrainingTests
{
    private static Trainer Tiny()
    {
        var spec = SweepSpec.Parse(GradientNoiseExecutionTests.GnsSpec).Expand()[0];
        return new Trainer(RunExecution.ToTrainOptions(spec, 1), Corpora.Open(spec));
    }

    [Fact]
    public void Run_WithGnsEma_SamplesTheTrackerAtEveryEvaluation()
    {
        // Given: the run's steps fed to an independent tracker (the reference), and the run itself
        using var trainer = Tiny();
        var reference = new GradientNoiseTracker(0.9);
        var expected = new Dictionary<long, GradientNoiseRecord>();
        var steps = 0;

        // When
        var result = StandaloneTraining.Run(trainer, 0.9, m => { expected[m.Step] = reference.Update(m.Step, GradientNoiseRun.Estimate(m)); steps++; },
            _ => { }, CancellationToken.None);

        // Then: every step was seen, one record per evaluation after the first step, each the reference tracker's value
        Assert.Equal(trainer.Options.Steps, steps);
        Assert.NotEmpty(result.Noise);
        Assert.Equal(result.Evals.Where(e => e.Step >= 1).Select(e => e.Step), result.Noise.Select(r => r.Step));
        Assert.All(result.Noise, r => Assert.Equal(expected[r.Step], r));
        Assert.All(result.Noise, r => Assert.True(r.BSimple > 0));
    }

    [Fact]
    public void Run_WithoutGnsEma_NoNoiseRecords()
    {
        // Given
        using var trainer = Tiny();
        var evals = 0;

        // When
        var result = StandaloneTraining.Run(trainer, null, _ => { }, _ => evals++, CancellationToken.None);

        // Then
        Assert.Equal(evals, result.Evals.Count);
        Assert.Empty(result.Noise);
    }
}
