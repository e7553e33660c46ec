using System.ComponentModel;
using System.Globalization;
using ScaleLab.Engine;
using ScaleLab.Engine.Data;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;
using ScaleLab.Lab.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// <c>scalelab train</c>: trains one GPT on the built-in synthetic corpus (exact entropy rate known) or a
/// text file, with a progress bar on stderr, a summary on the console, or one JSON document on stdout.
/// Examples: <c>scalelab train --layers 2 --d-model 64 --heads 4 --steps 500</c>;
/// <c>scalelab train --corpus book.txt --seq 128 --tokens 2000000 --checkpoint run.ckpt</c>;
/// <c>scalelab train --resume run.ckpt --json</c>. (VerbAttribute.Examples is a jagged array, which C#
/// does not accept as an attribute argument, so the examples live here.)
/// </summary>
[Verb("train", "Train a small GPT on the synthetic corpus (known entropy rate) or a text file",
    Examples = ["train --layers 2 --d-model 64 --heads 4 --seq 64 --tokens 1000000 --checkpoint run.ckpt", "train --corpus input.txt --steps 2000 --checkpoint shakespeare.ckpt", "train --resume run.ckpt --steps 2000 --json"])]
public sealed class TrainCommand(IAnsiConsole console, Stderr stderr) : Command<TrainCommand.Settings>
{
    /// <summary>Every flag left out: the shared run defaults (the same as gns's and a sweep spec's).</summary>
    internal static RunDefaults Defaults => RunDefaults.Shared;

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
        [Description("AdamW decoupled weight decay on matrices (default 0.1)")]
        public double? WeightDecay { get; set; }

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

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        // Ctrl+C or SIGTERM stops training at the next step boundary: the trainer writes its checkpoint first.
        using var signals = new ShutdownSignals(cancellationToken);
        cancellationToken = signals.Token;
        if (settings.Registry is not null)
        {
            return ExecuteInRegistry(settings, cancellationToken);
        }
        // The checkpoint may overwrite the --resume file (that is how a run continues), never the corpus.
        OutputPaths.Check([("--corpus", IsSynthetic(settings.Corpus) ? null : settings.Corpus)], [("--checkpoint", settings.Checkpoint ?? settings.Resume)]);
        if (!IsSynthetic(settings.Corpus))
        {
            InputFiles.EnsureRegularFile("--corpus", settings.Corpus);
        }
        if (settings.Resume is not null)
        {
            InputFiles.EnsureRegularFile("--resume", settings.Resume);
        }
        var corpus = OpenCorpus(settings.Corpus);
        long? savedSteps = null;
        using var trainer = settings.Resume is null
            ? new Trainer(CheckWarmup(NewRunOptions(settings)), corpus)
            : Trainer.Resume(settings.Resume, corpus, saved =>
            {
                savedSteps = saved.Steps;
                return CheckWarmup(ResumeOptions(saved, settings));
            });
        var o = trainer.Options;
        if (settings.Resume is not null && trainer.Step >= o.Steps)
        {
            // Nothing to train: say so, rather than a summary of zero steps (whose rates are 0/0).
            throw new UsageException($"checkpoint {settings.Resume} is already at step {trainer.Step} of {o.Steps}; give --steps N (more than {trainer.Step}) to train further");
        }
        if (savedSteps is { } before && before != o.Steps)
        {
            stderr.WriteLine($"note: the learning-rate schedule is re-stretched from {before} to {o.Steps} steps: " +
                $"from step {trainer.Step} the cosine decay follows the {o.Steps}-step schedule, so this run differs from one trained for {o.Steps} steps from the start");
        }
        if (settings.Gns && o.MicroBatches < 2)
        {
            throw new UsageException("--gns needs a run with 2 or more micro-batches");
        }
        var progress = new TrainProgress(stderr, o.Steps, trainer.Step);
        StandaloneTrainingResult result;
        try
        {
            result = StandaloneTraining.Run(trainer, settings.Gns ? settings.GnsEma : null, progress.OnStep, progress.OnEval, cancellationToken);
        }
        catch (OperationCanceledException) when (signals.Received is not null)
        {
            progress.Dispose();
            stderr.WriteLine(o.CheckpointPath is null
                ? $"error: stopped by {signals.Received} at step {trainer.Step} of {o.Steps}; no checkpoint was configured, so the run is lost (give --checkpoint FILE to keep one)"
                : $"error: stopped by {signals.Received} at step {trainer.Step} of {o.Steps}; checkpoint written to {o.CheckpointPath} (continue with: scalelab train --resume {o.CheckpointPath})");
            return CliApp.ExitFailure;
        }
        finally
        {
            progress.Dispose();
        }
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(TrainRunDocument.Standalone(result.Summary, o, result.Evals, settings.Corpus, settings.Gns ? result.Noise : null));
            return CliApp.ExitOk;
        }
        WriteHuman(result.Summary, o);
        foreach (var r in result.Noise)
        {
            console.MarkupLine(Inv($"step {r.Step}: B_simple {r.BSimple:G4} sequences ({r.BSimple * o.Model.SeqLen:G4} tokens)"));
        }
        return CliApp.ExitOk;
    }

    /// <summary><c>train --registry</c>: the run as a registry run of its study (the same path a sweep worker takes, so
    /// its metrics, checkpoints and resumption are a sweep's), trained in this process.</summary>
    private int ExecuteInRegistry(Settings settings, CancellationToken cancellationToken)
    {
        var options = CheckWarmup(NewRunOptions(settings));
        options.Validate();
        var study = settings.Study ?? "train";
        var spec = ToRunSpec(study, settings.Corpus, options, settings.Gns ? settings.GnsEma : null);
        Corpora.Open(spec);   // a missing or unreadable corpus is one line before anything is recorded
        var registry = RunStores.Resolve(settings.Registry);
        using var store = RunStores.Open(registry);
        var start = RegistryTraining.Enqueue(store, spec);
        stderr.WriteLine(start.Describe(study, registry));
        var executor = new ExecutorOptions
        {
            Workers = 1,
            ThreadsPerWorker = settings.Threads,
            CheckpointDirectory = ExecutorOptions.DefaultCheckpointDirectory(registry),
            CheckpointInterval = settings.CheckpointInterval > 0 ? settings.CheckpointInterval : 100,
        };
        var run = start.AlreadyDone ? store.GetRun(spec.Key)! : RegistryTraining.Train(registry, store, spec, executor, stderr.WriteLine, cancellationToken);
        var metrics = store.ReadMetrics(spec.Key);
        if (run.Status == RunStatus.Failed)
        {
            stderr.WriteLine($"error: run {run.Key} failed: {run.Error}");
            return CliApp.ExitFailure;
        }
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(TrainRunDocument.InRegistry(registry, study, run, options.Steps, metrics));
            return CliApp.ExitOk;
        }
        console.MarkupLine(Inv($"run [bold]{run.Key}[/] of study [bold]{Markup.Escape(study)}[/]: {run.Status.ToString().ToLowerInvariant()}, final loss {run.FinalLoss:F4} nats/token, {metrics.Count} steps logged (see [italic]scalelab runs --study {Markup.Escape(study)} --metrics[/])"));
        return CliApp.ExitOk;
    }

    /// <summary>The registry's description of a run with these options: everything that determines its result.</summary>
    internal static RunSpec ToRunSpec(string study, string corpus, TrainOptions o, double? gnsEma)
    {
        var synthetic = corpus.Equals("synthetic", StringComparison.OrdinalIgnoreCase);
        string? sha = null;
        if (!synthetic)
        {
            using var stream = File.OpenRead(corpus);
            sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
        }
        return new RunSpec(study, 0, synthetic ? "synthetic" : Path.GetFullPath(corpus), sha, o.Model.Layers, o.Model.DModel,
            o.Model.Heads, o.Model.SeqLen, o.Model.Vocab, o.Batch, o.Steps, o.LearningRate, o.EffectiveWarmupSteps,
            o.MinLearningRateFraction, o.WeightDecay, o.GradClip, o.EvalInterval, (o.EvalSequences + o.Batch - 1) / o.Batch,
            checked((long)o.Seed), o.MicroBatches == 1 ? null : o.MicroBatches, gnsEma, o.EvalSequences);
    }

    internal static ICorpus OpenCorpus(string spec) =>
        IsSynthetic(spec) ? SyntheticCorpus.Default : TextCorpus.Load(spec);

    /// <summary>A warm-up longer than the run would never reach the peak learning rate: a mistake, not a schedule.</summary>
    private static TrainOptions CheckWarmup(TrainOptions o) => o.WarmupSteps is { } w && w > o.Steps
        ? throw new UsageException($"--warmup {w} is longer than the run ({o.Steps} steps); give a warm-up of at most {o.Steps} steps")
        : o;

    internal static bool IsSynthetic(string spec) => spec.Equals("synthetic", StringComparison.OrdinalIgnoreCase);

    internal static TrainOptions NewRunOptions(Settings s)
    {
        var model = new GptConfig(s.Layers ?? Defaults.Layers, s.DModel ?? Defaults.DModel, s.Heads ?? Defaults.Heads, s.Seq ?? Defaults.SeqLen);
        var batch = s.Batch ?? Defaults.Batch;
        var steps = s.Tokens is { } d ? TrainOptions.StepsForTokens(d, batch, model.SeqLen) : s.Steps ?? Defaults.Steps;
        var options = new TrainOptions
        {
            Model = model,
            Batch = batch,
            MicroBatches = s.MicroBatches ?? Defaults.MicroBatches,
            Steps = steps,
            LearningRate = Defaults.LearningRate,
            // A fraction, not a step count, so a resume with another --steps keeps 10% of the run; stated, because
            // null is the engine's rule for checkpoints written before the shared defaults.
            WarmupFraction = Defaults.WarmupFraction,
            MinLearningRateFraction = Defaults.MinLrFraction,
            WeightDecay = Defaults.WeightDecay,
            GradClip = Defaults.GradClip,
            EvalInterval = Defaults.EvalInterval,
            EvalSequences = Defaults.EvalSequencesFor(batch),
            Seed = s.Seed ?? Defaults.Seed,
        };
        return Adjust(options, s);
    }

    /// <summary>On resume: the checkpoint's options, with the flags the user gave on top (size flags must agree).</summary>
    private static TrainOptions ResumeOptions(TrainOptions saved, Settings s)
    {
        var m = saved.Model;
        var model = new GptConfig(s.Layers ?? m.Layers, s.DModel ?? m.DModel, s.Heads ?? m.Heads, s.Seq ?? m.SeqLen, m.Vocab);
        var steps = s.Tokens is { } d ? TrainOptions.StepsForTokens(d, saved.Batch, m.SeqLen) : s.Steps ?? saved.Steps;
        return Adjust(saved with { Model = model, Steps = steps, CheckpointPath = s.Checkpoint ?? s.Resume }, s);
    }

    private static TrainOptions Adjust(TrainOptions o, Settings s) => o with
    {
        LearningRate = s.LearningRate ?? o.LearningRate,
        WarmupSteps = s.Warmup ?? o.WarmupSteps,
        MinLearningRateFraction = s.MinLrFraction ?? o.MinLearningRateFraction,
        WeightDecay = s.WeightDecay ?? o.WeightDecay,
        GradClip = s.Clip ?? o.GradClip,
        EvalInterval = s.EvalInterval ?? o.EvalInterval,
        EvalSequences = s.EvalSequences ?? o.EvalSequences,
        Threads = s.Threads,
        CheckpointPath = s.Checkpoint ?? o.CheckpointPath,
        CheckpointInterval = s.CheckpointInterval > 0 ? s.CheckpointInterval : o.CheckpointInterval,
    };

    private void WriteHuman(TrainSummary s, TrainOptions o)
    {
        var table = new Table().AddColumns("", "value");
        void Row(string name, string value) => table.AddRow(Markup.Escape(name), Markup.Escape(value));
        Row("corpus", s.Corpus);
        Row("model", Checkpoint.Describe(s.Model));
        Row("parameters (total / non-embedding)", Inv($"{s.Parameters:N0} / {s.NonEmbeddingParameters:N0}"));
        Row("steps / tokens", Inv($"{s.Steps:N0} / {s.Tokens:N0}"));
        Row("final train loss (last 20 steps)", Inv($"{s.FinalTrainLoss:F4} nats/token"));
        Row("final validation loss", Inv($"{s.FinalValidationLoss:F4} nats/token"));
        if (s.LossFloor is { } floor && s.EntropyRate is { } h)
        {
            Row("entropy rate / loss floor at T", Inv($"{h:F4} / {floor:F4} (gap {s.FinalValidationLoss - floor:F4})"));
        }
        if (s.ValidationFloor is { } vf)
        {
            Row("Bayes-optimal loss on these validation windows", Inv($"{vf:F4} (paired gap {s.FinalValidationLoss - vf:F4})"));
        }
        Row("FLOPs 6·N·D (non-embedding / total)", Inv($"{s.FlopsNonEmbedding:0.###e+0} / {s.FlopsTotal:0.###e+0}"));
        Row("wall time / tokens per second", Inv($"{s.WallSeconds:F1} s / {s.TokensPerSecond:N0} ({s.Threads} threads)"));
        if (o.CheckpointPath is not null)
        {
            Row("checkpoint", o.CheckpointPath);
        }
        console.Write(table);
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
