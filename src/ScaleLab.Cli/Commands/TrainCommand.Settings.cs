using System.ComponentModel;
using System.Globalization;
using ScaleLab.Engine;
using ScaleLab.Engine.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary><c>scalelab train</c>'s flags, their checks, and the training options they make (a new run, or a resumed
/// checkpoint with the flags given on top).</summary>
public sealed partial class TrainCommand
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--corpus <CORPUS>")]
        [Description("'synthetic' (default: the built-in Markov source with known entropy rate) or a text file, read as bytes")]
        public string Corpus { get; set; } = "synthetic";

        [CommandOption("--layers <L>")]
        [Description("Transformer blocks (default 2)")]
        public int? Layers { get; set; }

        [CommandOption("--d-model <C>")]
        [Description("Width (default 64)")]
        public int? DModel { get; set; }

        [CommandOption("--heads <H>")]
        [Description("Attention heads, must divide the width (default 4)")]
        public int? Heads { get; set; }

        [CommandOption("--seq <T>")]
        [Description("Context length in tokens (default 64)")]
        public int? Seq { get; set; }

        [CommandOption("--batch <B>")]
        [Description("Sequences per optimizer step (default 16)")]
        public int? Batch { get; set; }

        [CommandOption("--micro-batches <M>")]
        [Description("Split each batch into M micro-batches and accumulate gradients (default 1)")]
        public int? MicroBatches { get; set; }

        [CommandOption("--steps <S>")]
        [Description("Optimizer steps (default 1000)")]
        public long? Steps { get; set; }

        [CommandOption("--tokens <D>")]
        [Description("Token budget instead of --steps: steps = ceil(D / (B·T))")]
        public long? Tokens { get; set; }

        [CommandOption("--lr <LR>")]
        [Description("Peak learning rate (default 3e-3)")]
        public double? LearningRate { get; set; }

        [CommandOption("--warmup <STEPS>")]
        [Description("Linear warmup steps (default 10% of the run)")]
        public int? Warmup { get; set; }

        [CommandOption("--min-lr-fraction <F>")]
        [Description("Final learning rate of the cosine as a fraction of the peak (default 0.1)")]
        public double? MinLrFraction { get; set; }

        [CommandOption("--weight-decay <WD>")]
        [Description("Decoupled weight decay on matrices, AdamW or SGD (default 0.1)")]
        public double? WeightDecay { get; set; }

        [CommandOption("--lr-schedule <NAME>")]
        [Description("cosine (default: warmup, then cosine decay) or constant: the --lr at every step, no warmup, no decay")]
        public string? LrSchedule { get; set; }

        [CommandOption("--optimizer <NAME>")]
        [Description("adamw (default) or sgd: SGD with heavy-ball momentum (Polyak), not Nesterov")]
        public string? Optimizer { get; set; }

        [CommandOption("--momentum <MU>")]
        [Description("SGD's momentum μ, 0 ≤ μ < 1 (default 0.9; needs --optimizer sgd)")]
        public double? Momentum { get; set; }

        [CommandOption("--clip <NORM>")]
        [Description("Global gradient-norm clip, 0 = off (default 1)")]
        public double? Clip { get; set; }

        [CommandOption("--eval-interval <STEPS>")]
        [Description("Validation every this many steps, 0 = only at the end (default 50)")]
        public int? EvalInterval { get; set; }

        [CommandOption("--eval-sequences <N>")]
        [Description("Validation windows per evaluation (default 4 batches: 64 at the default batch of 16)")]
        public int? EvalSequences { get; set; }

        [CommandOption("--seed <S>")]
        [Description("Seed of the initialisation and the data stream (default 1)")]
        public ulong? Seed { get; set; }

        [CommandOption("--threads <N>")]
        [Description("Threads (default 1); results are reproducible for a given thread count")]
        public int Threads { get; set; } = 1;

        [CommandOption("--checkpoint <FILE>")]
        [Description("Write a checkpoint here after the last step (and every --checkpoint-interval steps)")]
        public string? Checkpoint { get; set; }

        [CommandOption("--checkpoint-interval <STEPS>")]
        [Description("Steps between checkpoints (default 0 = only at the end)")]
        public int CheckpointInterval { get; set; }

        [CommandOption("--resume <FILE>")]
        [Description("Continue the run in this checkpoint bit for bit (keeps writing to it unless --checkpoint)")]
        public string? Resume { get; set; }

        [CommandOption("--registry <REGISTRY>")]
        [Description("Record the run in this registry (sqlite:PATH or postgres:CONN) as a one-run study: per-step metrics (B_simple with --gns), checkpoints beside the registry, and re-running the same command resumes or reports it; see scalelab runs")]
        public string? Registry { get; set; }

        [CommandOption("--study <NAME>")]
        [Description("With --registry: the study the run joins (default train)")]
        public string? Study { get; set; }

        [CommandOption("--json")]
        [Description("Write one JSON summary to stdout")]
        public bool Json { get; set; }

        [CommandOption("--gns")]
        [Description("Track the gradient noise scale B_simple (McCandlish et al. 2018) from the micro-batch and accumulated gradients; needs --micro-batches >= 2")]
        public bool Gns { get; set; }

        [CommandOption("--gns-ema <BETA>")]
        [Description("EMA decay of the |G|^2 and tr(Sigma) estimates behind --gns (default 0.99)")]
        public double GnsEma { get; set; } = RunDefaults.Shared.GnsEma;

        public override ValidationResult Validate()
        {
            if (Steps is not null && Tokens is not null)
            {
                return ValidationResult.Error("give --steps or --tokens, not both");
            }
            foreach (var (name, value) in new (string, long?)[]
            {
                ("--layers", Layers), ("--d-model", DModel), ("--heads", Heads), ("--seq", Seq), ("--batch", Batch),
                ("--micro-batches", MicroBatches), ("--steps", Steps), ("--tokens", Tokens), ("--eval-sequences", EvalSequences),
                ("--threads", Threads),
            })
            {
                if (value is <= 0)
                {
                    return ValidationResult.Error($"{name} must be positive, got {value}");
                }
            }
            if (Warmup is < 0 || EvalInterval is < 0 || CheckpointInterval < 0)
            {
                return ValidationResult.Error("--warmup, --eval-interval and --checkpoint-interval must be 0 or more");
            }
            if (LearningRate is { } lr && !(lr > 0 && double.IsFinite(lr)))
            {
                return ValidationResult.Error($"--lr must be a positive number, got {lr.ToString(CultureInfo.InvariantCulture)}");
            }
            if (LrSchedule is not null and not "cosine" and not "constant")
            {
                return ValidationResult.Error($"--lr-schedule must be cosine or constant, got {LrSchedule}");
            }
            if (LrSchedule == "constant" && (Warmup is not null || MinLrFraction is not null))
            {
                return ValidationResult.Error("--lr-schedule constant has no warmup and no decay; drop --warmup and --min-lr-fraction");
            }
            if (Optimizer is not null and not "adamw" and not "sgd")
            {
                return ValidationResult.Error($"--optimizer must be adamw or sgd, got {Optimizer}");
            }
            if (Momentum is { } mu && !(mu is >= 0 and < 1))
            {
                return ValidationResult.Error($"--momentum must be in [0, 1), got {mu.ToString(CultureInfo.InvariantCulture)}");
            }
            if (Momentum is not null && Optimizer != "sgd" && Resume is null)
            {
                return ValidationResult.Error("--momentum is SGD's; add --optimizer sgd");
            }
            if (WeightDecay is { } wd && !(wd >= 0 && double.IsFinite(wd)))
            {
                return ValidationResult.Error($"--weight-decay must be 0 or more, got {wd.ToString(CultureInfo.InvariantCulture)}");
            }
            if (CheckpointInterval > 0 && Checkpoint is null && Resume is null)
            {
                return ValidationResult.Error("--checkpoint-interval needs --checkpoint FILE");
            }
            if (Gns && Resume is null && MicroBatches is not > 1)
            {
                return ValidationResult.Error("--gns needs --micro-batches of 2 or more (the micro-batch is the small batch of the two-batch estimator)");
            }
            if (!(GnsEma is > 0 and < 1))
            {
                return ValidationResult.Error($"--gns-ema must be in (0, 1), got {GnsEma.ToString(CultureInfo.InvariantCulture)}");
            }
            if (Registry is not null && (Resume is not null || Checkpoint is not null))
            {
                return ValidationResult.Error("with --registry the run's checkpoints live beside the registry and re-running resumes it; drop --resume and --checkpoint");
            }
            if (Study is not null && Registry is null)
            {
                return ValidationResult.Error("--study needs --registry");
            }
            if (Resume is not null && (Batch is not null || MicroBatches is not null || Seed is not null))
            {
                return ValidationResult.Error("--resume continues the checkpoint's batch, micro-batches and seed; drop those flags");
            }
            return ValidationResult.Success();
        }
    }

    /// <summary>A warm-up longer than the run would never reach the peak learning rate: a mistake, not a schedule.</summary>
    internal static TrainOptions CheckWarmup(TrainOptions o) => o.WarmupSteps is { } w && w > o.Steps
        ? throw new UsageException($"--warmup {w} is longer than the run ({o.Steps} steps); give a warm-up of at most {o.Steps} steps")
        : o;

    /// <summary>A new run's options: the flags given, the shared run defaults (<see cref="Defaults"/>) for the rest.</summary>
    internal static TrainOptions NewRunOptions(Settings s)
    {
        var model = new GptConfig(s.Layers ?? Defaults.Layers, s.DModel ?? Defaults.DModel, s.Heads ?? Defaults.Heads, s.Seq ?? Defaults.SeqLen);
        var batch = s.Batch ?? Defaults.Batch;
        var steps = s.Tokens is { } d ? TrainOptions.StepsForTokens(d, batch, model.SeqLen) : s.Steps ?? Defaults.Steps;
        var options = Defaults.NewRun(model, batch, steps) with
        {
            MicroBatches = s.MicroBatches ?? Defaults.MicroBatches,
            LearningRate = Defaults.LearningRate,
            Seed = s.Seed ?? Defaults.Seed,
        };
        return Adjust(options, s);
    }

    /// <summary>On resume: the checkpoint's options, with the flags the user gave on top (size flags must agree).</summary>
    internal static TrainOptions ResumeOptions(TrainOptions saved, Settings s)
    {
        var m = saved.Model;
        var model = new GptConfig(s.Layers ?? m.Layers, s.DModel ?? m.DModel, s.Heads ?? m.Heads, s.Seq ?? m.SeqLen, m.Vocab);
        var steps = s.Tokens is { } d ? TrainOptions.StepsForTokens(d, saved.Batch, m.SeqLen) : s.Steps ?? saved.Steps;
        return Adjust(saved with { Model = model, Steps = steps, CheckpointPath = s.Checkpoint ?? s.Resume }, s);
    }

    private static TrainOptions Adjust(TrainOptions o, Settings s) => o with
    {
        LearningRate = s.LearningRate ?? o.LearningRate,
        // constant = the cosine with no warmup and its floor at the peak (exactly η at every step).
        WarmupSteps = s.LrSchedule == "constant" ? 0 : s.Warmup ?? o.WarmupSteps,
        MinLearningRateFraction = s.LrSchedule == "constant" ? 1.0 : s.MinLrFraction ?? o.MinLearningRateFraction,
        WeightDecay = s.WeightDecay ?? o.WeightDecay,
        Optimizer = s.Optimizer switch { "sgd" => OptimizerKind.Sgd, "adamw" => OptimizerKind.AdamW, _ => o.Optimizer },
        Momentum = s.Momentum ?? o.Momentum,
        GradClip = s.Clip ?? o.GradClip,
        EvalInterval = s.EvalInterval ?? o.EvalInterval,
        EvalSequences = s.EvalSequences ?? o.EvalSequences,
        Threads = s.Threads,
        CheckpointPath = s.Checkpoint ?? o.CheckpointPath,
        CheckpointInterval = s.CheckpointInterval > 0 ? s.CheckpointInterval : o.CheckpointInterval,
    };
}
