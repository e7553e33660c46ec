namespace ScaleLab.Engine.Training;

/// <summary>
/// The one set of defaults for a language-model run: <c>train</c>, <c>gns</c> and a sweep spec (and
/// <see cref="TrainOptions"/>) take every value a user leaves out from <see cref="Shared"/>, so the same
/// unstated setting means the same run everywhere. A verb that needs another value says so in its <c>--help</c>
/// with the reason (<c>gns</c>: micro-batches and steps; <c>critical-batch</c>: its calibrated small model), and
/// builds it as <c>Shared with { ... }</c>.
/// </summary>
/// <remarks>
/// The schedule and evaluation values are the sweep spec's (a sweep's run keys hash them, so moving them would
/// orphan the runs of existing specs); the model and data shape are <c>train</c>'s (a sweep spec names its models).
/// The warmup is a fraction of the run, not a step count, so runs of different lengths in one sweep have the same
/// schedule shape.
/// </remarks>
public sealed record RunDefaults
{
    public static RunDefaults Shared { get; } = new();

    public int Layers { get; init; } = 2;
    public int DModel { get; init; } = 64;
    public int Heads { get; init; } = 4;

    /// <summary>Context length T in tokens.</summary>
    public int SeqLen { get; init; } = 64;

    /// <summary>Sequences per optimizer step (B).</summary>
    public int Batch { get; init; } = 16;

    /// <summary>Micro-batches per step (1 = no gradient accumulation).</summary>
    public int MicroBatches { get; init; } = 1;

    /// <summary>Optimizer steps of a single run (a sweep gives token or compute budgets instead).</summary>
    public long Steps { get; init; } = 1000;

    public double LearningRate { get; init; } = 3e-3;

    /// <summary>Linear warmup as a fraction of the run's steps (rounded to whole steps).</summary>
    public double WarmupFraction { get; init; } = 0.1;

    /// <summary>Final learning rate of the cosine as a fraction of the peak.</summary>
    public double MinLrFraction { get; init; } = 0.1;

    public double WeightDecay { get; init; } = 0.1;
    public double GradClip { get; init; } = 1.0;

    /// <summary>Steps between validation evaluations (and always after the last).</summary>
    public int EvalInterval { get; init; } = 50;

    /// <summary>Validation batches of <see cref="Batch"/> sequences per evaluation.</summary>
    public int EvalBatches { get; init; } = 4;

    public ulong Seed { get; init; } = 1;

    /// <summary>EMA decay of the |G|² and tr(Σ) estimates behind the gradient noise scale B_simple.</summary>
    public double GnsEma { get; init; } = 0.99;

    /// <summary>Warmup steps of a run of <paramref name="steps"/> steps: round(fraction · steps).</summary>
    public int WarmupStepsFor(long steps) => (int)Math.Round(WarmupFraction * steps);

    /// <summary>Validation windows per evaluation at batch size <paramref name="batch"/>: EvalBatches · B.</summary>
    public int EvalSequencesFor(int batch) => EvalBatches * batch;
}
