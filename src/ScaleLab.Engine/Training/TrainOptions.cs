namespace ScaleLab.Engine.Training;

/// <summary>
/// Everything that determines a training run. Two runs with equal options on the same corpus, machine and
/// thread count produce the same parameters bit for bit. <see cref="Threads"/>, the checkpoint and
/// evaluation settings do not change the trajectory and may differ on resume; the rest are stored in the
/// checkpoint and reused. Unset values are the shared <see cref="RunDefaults"/>.
/// </summary>
public sealed record TrainOptions
{
    public required GptConfig Model { get; init; }

    /// <summary>Sequences per optimizer step (the global batch B); tokens per step = B·T.</summary>
    public int Batch { get; init; } = RunDefaults.Shared.Batch;

    /// <summary>M: the batch is processed as M micro-batches of B/M sequences whose gradients are averaged.</summary>
    public int MicroBatches { get; init; } = RunDefaults.Shared.MicroBatches;

    /// <summary>Optimizer steps S. Use <see cref="StepsForTokens"/> to train on a token budget.</summary>
    public long Steps { get; init; } = RunDefaults.Shared.Steps;

    /// <summary>Peak learning rate η of the warmup + cosine schedule.</summary>
    public double LearningRate { get; init; } = RunDefaults.Shared.LearningRate;

    /// <summary>Linear warmup steps; null means <see cref="WarmupFraction"/> of the run.</summary>
    public int? WarmupSteps { get; init; }

    /// <summary>
    /// Warmup as a fraction of the run when <see cref="WarmupSteps"/> is null, so a resumed run given more or fewer steps
    /// keeps the fraction (the CLI sets <see cref="RunDefaults.WarmupFraction"/>). Null too is the rule of checkpoints
    /// written before <see cref="RunDefaults"/> (5% of the run, at least 1 and at most 200 steps), kept so they resume
    /// bit for bit.
    /// </summary>
    public double? WarmupFraction { get; init; }

    /// <summary>Final learning rate as a fraction of the peak.</summary>
    public double MinLearningRateFraction { get; init; } = RunDefaults.Shared.MinLrFraction;

    public double WeightDecay { get; init; } = RunDefaults.Shared.WeightDecay;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.95;
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>The update rule; AdamW unless set (and in every checkpoint written before SGD existed). β1, β2 and ε are
    /// AdamW's; <see cref="Momentum"/> is SGD's; <see cref="WeightDecay"/> (decoupled, matrices only) applies to both.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.AdamW;

    /// <summary>Heavy-ball momentum μ of SGD (ignored by AdamW).</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>Global gradient-norm clip; 0 disables clipping.</summary>
    public double GradClip { get; init; } = RunDefaults.Shared.GradClip;

    /// <summary>Validation every this many steps (and always after the last); 0 = only after the last.</summary>
    public int EvalInterval { get; init; } = RunDefaults.Shared.EvalInterval;

    /// <summary>Validation windows per evaluation (the same windows 0..n−1 in every run on the corpus).</summary>
    public int EvalSequences { get; init; } = RunDefaults.Shared.EvalSequencesFor(RunDefaults.Shared.Batch);

    /// <summary>Seeds both the weight initialisation and (through a separate stream) the training data.</summary>
    public ulong Seed { get; init; } = RunDefaults.Shared.Seed;

    public int Threads { get; init; } = 1;

    /// <summary>Checkpoint file written every <see cref="CheckpointInterval"/> steps and after the last; null = none.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Steps between checkpoints; 0 = only after the last step.</summary>
    public int CheckpointInterval { get; init; }

    public int MicroBatchSize => Batch / MicroBatches;
    public long TokensPerStep => (long)Batch * Model.SeqLen;
    public int EffectiveWarmupSteps => WarmupSteps
        ?? (WarmupFraction is { } f ? (int)Math.Round(f * Steps) : (int)Math.Clamp(Steps / 20, 1, 200));

    public LearningRateSchedule Schedule => new(LearningRate, EffectiveWarmupSteps, Steps, MinLearningRateFraction);

    public AdamWOptions AdamW => new(Beta1, Beta2, Epsilon, WeightDecay);

    public SgdOptions Sgd => new(Momentum, WeightDecay);

    /// <summary>Steps needed to see at least <paramref name="tokens"/> training tokens at B·T tokens per step.</summary>
    public static long StepsForTokens(long tokens, int batch, int seqLen)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokens);
        var perStep = (long)batch * seqLen;
        return (tokens + perStep - 1) / perStep;
    }

    /// <summary>Throws <see cref="ArgumentException"/> with one line naming the first bad setting.</summary>
    public void Validate()
    {
        Model.Validate();
        if (Batch <= 0) throw new ArgumentException($"batch must be positive, got {Batch}");
        if (MicroBatches <= 0 || Batch % MicroBatches != 0)
        {
            throw new ArgumentException($"micro-batches ({MicroBatches}) must be positive and divide the batch ({Batch})");
        }
        if (Steps <= 0) throw new ArgumentException($"steps must be positive, got {Steps}");
        if (WarmupSteps is < 0) throw new ArgumentException($"warmup steps must be ≥ 0, got {WarmupSteps}");
        if (WarmupFraction is { } wf && !(wf is >= 0 and < 1)) throw new ArgumentException($"warmup fraction must be in [0, 1), got {wf}");
        Schedule.Validate();
        if (!Enum.IsDefined(Optimizer)) throw new ArgumentException($"optimizer must be adamw or sgd, got {Optimizer}");
        if (Optimizer == OptimizerKind.Sgd) Sgd.Validate(); else AdamW.Validate();
        if (!(GradClip >= 0)) throw new ArgumentException($"gradient clip must be ≥ 0, got {GradClip}");
        if (EvalInterval < 0 || EvalSequences <= 0)
        {
            throw new ArgumentException($"eval interval ({EvalInterval}) must be ≥ 0 and eval sequences ({EvalSequences}) positive");
        }
        if (Threads <= 0) throw new ArgumentException($"threads must be positive, got {Threads}");
        if (CheckpointInterval < 0) throw new ArgumentException($"checkpoint interval must be ≥ 0, got {CheckpointInterval}");
    }
}
