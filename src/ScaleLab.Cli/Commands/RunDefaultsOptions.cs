using ScaleLab.Engine;
using ScaleLab.Engine.Training;

namespace ScaleLab.Cli.Commands;

/// <summary>The training options the run verbs (<c>train</c>, <c>distill</c>, <c>gns</c>, <c>critical-batch</c>) start
/// from, so a default added to <see cref="RunDefaults"/> reaches each of them from one place.</summary>
internal static class RunDefaultsOptions
{
    /// <summary>A run of <paramref name="model"/> at <paramref name="batch"/> sequences for <paramref name="steps"/>
    /// steps with the defaults' schedule and evaluation: warmup fraction, learning-rate floor, weight decay, gradient
    /// clip, evaluation interval and sequences (<see cref="RunDefaults.EvalSequencesFor"/> at this batch). The verb sets
    /// the rest (learning rate, seed, micro-batches, warmup steps, threads) from its flags. The warmup is a fraction, not
    /// a step count, so a resume with another --steps keeps 10% of the run; stated, because null is the engine's rule
    /// for checkpoints written before the shared defaults.</summary>
    public static TrainOptions NewRun(this RunDefaults defaults, GptConfig model, int batch, long steps) => new()
    {
        Model = model,
        Batch = batch,
        Steps = steps,
        WarmupFraction = defaults.WarmupFraction,
        MinLearningRateFraction = defaults.MinLrFraction,
        WeightDecay = defaults.WeightDecay,
        GradClip = defaults.GradClip,
        EvalInterval = defaults.EvalInterval,
        EvalSequences = defaults.EvalSequencesFor(batch),
    };
}
