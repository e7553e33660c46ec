using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using ScaleLab.Engine;
using ScaleLab.Engine.Data;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Studies;
using ScaleLab.Lab.Studies.CriticalBatch;
using ScaleLab.Lab.Studies.GradientNoise;
using ScaleLab.Laws;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// <c>scalelab gns</c>: trains a small GPT with gradient accumulation and reports the online gradient noise
/// scale B_simple (McCandlish et al. 2018, App. A.1) per step. Each step's M micro-batches of B/M sequences
/// give |G_small|² (mean over micro-batches) and the accumulated batch of B sequences gives |G_big|²; the
/// two-batch estimates of |G|² and tr(Σ) are smoothed by separate bias-corrected EMAs and B_simple is their
/// ratio. Batch sizes are counted in sequences; B_simple·T converts to tokens. With
/// <c>--micro-batches</c> equal to <c>--batch</c> the small batch is one sequence: the per-example
/// (B_small = 1) variant; <c>--compare-per-example</c> trains the same run (same seed, so the same batches) both
/// ways and prints the two B_simple trajectories side by side with their ratio.
/// The run is an ordinary language-model run of a registry study (<c>--registry</c>, <c>--study</c>, default gns), as
/// critical-batch's runs are: any executor trains it (<c>--executor threads|local|slurm</c>), it is checkpointed where
/// sweep looks and resumed after an interruption, <c>runs</c> lists it, and the table is read back from its per-step
/// metrics (the same trajectory, bit for bit, as training it in memory: <see cref="GradientNoiseRegistryRun"/>). Running
/// the same command again trains nothing and prints the same table. <c>--compare-per-example</c> trains its two runs in
/// this process, outside the registry.
/// </summary>
[Verb("gns", "Gradient noise scale B_simple while training a small GPT with gradient accumulation. Defaults are train's and a sweep spec's (model 2x64x4, T 64, B 16, lr 3e-3, 10% warmup, EMA 0.99), except --micro-batches 8 (the estimator needs two batch sizes) and --steps 300 (B_simple is read over the first few hundred steps). The run is a run of a registry study (--registry, --study gns) trained by --executor, resumed and listed like a sweep's; running the same command again reads it back. --compare-per-example trains standalone, in this process and outside the registry",
    Examples = ["gns --batch 32 --micro-batches 4 --steps 600 --lr 5e-3",
        "gns --registry sqlite:runs.db --study gns-b32 --batch 32 --micro-batches 4 --json",
        "gns --executor slurm --partition gpu --registry \"postgres:Host=db;Username=u;Password=pw;Database=scalelab\"",
        "gns --compare-per-example"])]
public sealed class GnsCommand(IAnsiConsole console, Stderr stderr) : Command<GnsCommand.Settings>
{
    /// <summary>
    /// gns's defaults: the shared run defaults, except 8 micro-batches (the two-batch estimator needs a small batch
    /// B/M beside the big one B, so M ≥ 2; 8 puts them a factor 8 apart) and 300 steps (B_simple is read over the
    /// first few hundred steps; a full default run is not needed to see it).
    /// </summary>
    internal static RunDefaults Defaults { get; } = RunDefaults.Shared with { MicroBatches = 8, Steps = 300 };

    public sealed class Settings : StudyRunSettings
    {
        public Settings()
            : base(GnsCommand.Defaults, "gns")
        {
        }

        [CommandOption("--every <K>")]
        [Description("Print one table row every K steps (default: about 20 rows)")]
        public int? Every { get; set; }

        [CommandOption("--json")]
        [Description("Write one JSON document (every step) to stdout")]
        public bool Json { get; set; }

        [CommandOption("--compare-per-example")]
        [Description("Also train the same run (same seed and batches) with one sequence per micro-batch (B_small = 1) and show both B_simple trajectories and their ratio. Both runs train in this process, outside the registry (no --registry, --study, --executor, --workers or checkpoint flags)")]
        public bool ComparePerExample { get; set; }

        public override ValidationResult Validate()
        {
            var baseResult = base.Validate();
            if (!baseResult.Successful)
            {
                return baseResult;
            }
            if (MicroBatches < 2)
            {
                return ValidationResult.Error($"--micro-batches must be at least 2 for two batch sizes, got {MicroBatches}");
            }
            if (ComparePerExample && MicroBatches == Batch)
            {
                return ValidationResult.Error(
                    $"--compare-per-example compares against micro-batches of one sequence; --micro-batches {MicroBatches} = --batch already is that (use fewer micro-batches)");
            }
            if (Every is < 1)
            {
                return ValidationResult.Error($"--every must be at least 1, got {Every}");
            }
            if (ComparePerExample && (Registry is not null || Executor != "threads" || Study != "gns" || Workers != 1
                || CheckpointDir is not null || CheckpointInterval != 100))
            {
                return ValidationResult.Error(
                    "--compare-per-example trains both runs in this process, outside the registry; drop --registry, --study, --executor, --workers and the checkpoint flags");
            }
            return ValidateStudyRuns();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var corpus = settings.OpenCorpus();
        var options = settings.ToTrainOptions(settings.Batch, settings.LearningRate, settings.Steps);
        var every = settings.Every ?? (int)Math.Max(1, settings.Steps / 20);
        if (settings.ComparePerExample)
        {
            return Compare(settings, options, corpus, every, cancellationToken);
        }
        var (result, run) = TrainInRegistry(settings, options, corpus.Description, every, cancellationToken);
        if (settings.Json)
        {
            var doc = (Dictionary<string, object?>)ToJson(result, settings);
            doc["study"] = settings.Study;
            doc["run_key"] = run.RunKey;
            doc["trained_now"] = run.TrainedNow;
            doc["resumed_from_step"] = run.ResumedFromStep;
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(doc, JsonOptions));
            return CliApp.ExitOk;
        }
        var seq = options.Model.SeqLen;
        var table = new Table().AddColumns("step", "train loss", "|G|² (EMA)", "tr(Σ) (EMA)", "B_simple (seq)", "B_simple (tokens)");
        foreach (var p in result.Points.Where(p => p.Step % every == 0 || p.Step == options.Steps))
        {
            table.AddRow(p.Step.ToString(CultureInfo.InvariantCulture), Inv($"{p.Loss:F4}"), Inv($"{p.Record.GradNormSqEma:G4}"),
                Inv($"{p.Record.TraceCovEma:G4}"), Inv($"{p.Record.BSimple:G4}"), Inv($"{p.Record.BSimple * seq:G4}"));
        }
        console.MarkupLine(Markup.Escape(
            $"{corpus.Description}; model L={options.Model.Layers} C={options.Model.DModel} T={seq}; " +
            $"B={options.Batch} sequences as {options.MicroBatches} micro-batches of {options.MicroBatchSize}; EMA decay {settings.Ema}"));
        console.Write(table);
        console.MarkupLine(Markup.Escape(Inv(
            $"validation loss {result.ValidationLoss:F4}; B_simple = EMA(tr Σ)/EMA(|G|²) from the two-batch estimators (McCandlish et al. 2018, App. A.1)")));
        return CliApp.ExitOk;
    }

    /// <summary>
    /// Enqueues the run in its study (a run with the same settings already there keeps its state), has the chosen
    /// executor train it unless it is done, and reads its trajectory back from the registry's per-step rows. While it
    /// trains, the rows of every <paramref name="every"/>-th step are printed on stderr as the registry receives them.
    /// </summary>
    private (GradientNoiseTrajectory Result, SweepOutcome Run) TrainInRegistry(Settings settings, TrainOptions options,
        string corpus, int every, CancellationToken cancellationToken)
    {
        var registry = RunStores.Resolve(settings.Registry);
        var (corpusSpec, corpusSha) = settings.RegistryCorpus();
        var spec = GradientNoiseRegistryRun.Plan(settings.Study, corpusSpec, corpusSha, options, settings.Ema);
        var executorOptions = settings.ToExecutorOptions(registry);
        // Opened once up front so a bad registry is one clear error before any training. A new run is numbered after
        // the study's others (a gns study collects one run per setting); a run already there keeps its number.
        using (var store = RunStores.Open(registry))
        {
            var runs = store.ListRuns(settings.Study);
            spec = spec with { Ordinal = runs.FirstOrDefault(r => r.Key == spec.Key)?.Ordinal ?? (runs.Count == 0 ? 0 : runs.Max(r => r.Ordinal) + 1) };
        }
        stderr.WriteLine($"gns: run {spec.Key} of study {settings.Study} in {registry}");
        var run = StudyRuns.TrainAndReadBack(() => RunStores.Open(registry), [spec], StudySpec, executorOptions, stderr.WriteLine,
            study =>
            {
                using var store = RunStores.Open(registry);
                var printed = 0L;
                // Called on this thread about once a second by every executor while it waits, and once at the end.
                Action<SweepStatus> progress = _ =>
                {
                    if (settings.Json)
                    {
                        return;
                    }
                    foreach (var m in store.ReadMetrics(spec.Key).Where(m => m.Step > printed && (m.Step % every == 0 || m.Step == options.Steps)))
                    {
                        stderr.WriteLine(Inv($"step {m.Step}: loss {m.TrainLoss:F4}, B_simple {m.BSimple:G4}"));
                        printed = m.Step;
                    }
                };
                return ExecutorChoice.Run(settings, registry, store, study, executorOptions, progress, stderr.WriteLine, cancellationToken).Outcomes;
            }, cancellationToken)[0];
        if (run.Ending == SweepEnding.Diverged)
        {
            throw new InvalidOperationException($"run {spec.Key} of study {settings.Study} diverged; lower --lr");
        }
        stderr.WriteLine(!run.TrainedNow ? $"gns: run {spec.Key} read from the registry (finished before)"
            : run.ResumedFromStep > 0 ? Inv($"gns: run {spec.Key} resumed from step {run.ResumedFromStep} and finished") : $"gns: run {spec.Key} trained");
        using var reader = RunStores.Open(registry);
        var record = reader.GetRun(spec.Key) ?? throw new InvalidOperationException($"run {spec.Key} is not in {registry}");
        return (GradientNoiseRegistryRun.Read(record, reader.ReadMetrics(spec.Key), corpus, settings.Threads), run);
    }

    /// <summary>Stored as the study's spec when gns creates it: its runs each carry their own settings.</summary>
    private const string StudySpec = "{\"command\": \"gns\"}";

    /// <summary><c>--compare-per-example</c>: both runs, a table of both B_simple and their ratio, and the mean of
    /// each over the second half of training (after the EMAs and the early transient have settled).</summary>
    private int Compare(Settings settings, TrainOptions options, ICorpus corpus, int every, CancellationToken cancellationToken)
    {
        var comparison = PerExampleComparison.Run(options, corpus, settings.Ema, (which, p) =>
        {
            if (!settings.Json && (p.Step % every == 0 || p.Step == options.Steps))
            {
                stderr.WriteLine(Inv($"{which} step {p.Step}: loss {p.Loss:F4}, B_simple {p.Record.BSimple:G4}"));
            }
        }, cancellationToken);
        var from = options.Steps / 2 + 1;
        var mean = comparison.MeanOver(from, options.Steps);
        var ratios = comparison.Ratios;
        if (settings.Json)
        {
            var doc = new Dictionary<string, object?>
            {
                ["command"] = "gns",
                ["comparison"] = "B_simple with micro-batches of B/M sequences vs one sequence (B_small = 1), same seed and batches",
                ["micro"] = ToJson(comparison.Micro, settings),
                ["per_example"] = ToJson(comparison.PerExample, settings),
                ["ratio_per_example_over_micro"] = ratios.ToList(),
                ["mean_from_step"] = from,
                ["mean_b_simple_micro"] = mean.Micro,
                ["mean_b_simple_per_example"] = mean.PerExample,
                ["mean_ratio"] = mean.Ratio,
            };
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(doc, JsonOptions));
            return CliApp.ExitOk;
        }
        var table = new Table().AddColumns("step", "train loss (micro)", "train loss (per-example)",
            Inv($"B_simple, B_small = {options.MicroBatchSize}"), "B_simple, B_small = 1", "ratio");
        var points = comparison.Micro.Points.Zip(comparison.PerExample.Points, (m, p) => (m, p)).Zip(ratios, (x, r) => (x.m, x.p, r));
        foreach (var (m, p, r) in points.Where(x => x.m.Step % every == 0 || x.m.Step == options.Steps))
        {
            table.AddRow(m.Step.ToString(CultureInfo.InvariantCulture), Inv($"{m.Loss:F4}"), Inv($"{p.Loss:F4}"),
                Inv($"{m.Record.BSimple:G4}"), Inv($"{p.Record.BSimple:G4}"), Inv($"{r:F3}"));
        }
        console.MarkupLine(Markup.Escape(
            $"{corpus.Description}; model L={options.Model.Layers} C={options.Model.DModel} T={options.Model.SeqLen}; " +
            $"B={options.Batch} sequences as {options.MicroBatches} micro-batches of {options.MicroBatchSize} vs {options.Batch} of 1; seed {options.Seed}; EMA decay {settings.Ema}"));
        console.Write(table);
        console.MarkupLine(Markup.Escape(Inv(
            $"mean B_simple over steps {from}-{options.Steps}: {mean.Micro:G4} (B_small = {options.MicroBatchSize}), {mean.PerExample:G4} (B_small = 1), ratio {mean.Ratio:F3}")));
        return CliApp.ExitOk;
    }

    internal static object ToJson(GradientNoiseTrajectory result, Settings settings)
    {
        var o = result.Options;
        return new Dictionary<string, object?>
        {
            ["command"] = "gns",
            ["corpus"] = result.Corpus,
            ["model"] = new { layers = o.Model.Layers, d_model = o.Model.DModel, heads = o.Model.Heads, seq = o.Model.SeqLen },
            ["batch"] = o.Batch,
            ["micro_batches"] = o.MicroBatches,
            ["micro_batch_size"] = o.MicroBatchSize,
            ["steps"] = o.Steps,
            ["learning_rate"] = o.LearningRate,
            ["seed"] = o.Seed,
            ["ema_decay"] = settings.Ema,
            ["batch_unit"] = "sequences",
            ["estimator"] = "two-batch (McCandlish et al. 2018 App. A.1), ratio of bias-corrected EMAs",
            ["validation_loss"] = result.ValidationLoss,
            ["trajectory"] = result.Points.Select(p => new Dictionary<string, object?>
            {
                ["step"] = p.Step,
                ["tokens"] = p.Tokens,
                ["loss"] = p.Loss,
                ["grad_norm_sq_est"] = p.Record.GradNormSq,
                ["trace_cov_est"] = p.Record.TraceCov,
                ["grad_norm_sq_ema"] = p.Record.GradNormSqEma,
                ["trace_cov_ema"] = p.Record.TraceCovEma,
                ["b_simple"] = p.Record.BSimple,
                ["b_simple_tokens"] = p.Record.BSimple * o.Model.SeqLen,
            }).ToList(),
        };
    }

    /// <summary>The JSON settings of the study documents (<see cref="StudyJson"/>).</summary>
    internal static JsonSerializerOptions JsonOptions => StudyJson.Options;

    internal static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// Model and training flags shared by <c>gns</c> and <c>critical-batch</c> (a subset of <c>train</c>'s). Every flag left
/// out is the verb's <see cref="Defaults"/>: the shared run defaults (<see cref="RunDefaults.Shared"/>, those of train and
/// sweep specs) with the overrides each verb states in its --help and its option descriptions.
/// </summary>
public class GnsTrainSettings : CommandSettings
{
    protected GnsTrainSettings(RunDefaults defaults)
    {
        Defaults = defaults;
        Layers = defaults.Layers;
        DModel = defaults.DModel;
        Heads = defaults.Heads;
        Seq = defaults.SeqLen;
        Batch = defaults.Batch;
        MicroBatches = defaults.MicroBatches;
        Steps = defaults.Steps;
        LearningRate = defaults.LearningRate;
        Ema = defaults.GnsEma;
        Seed = defaults.Seed;
    }

    /// <summary>The values of the flags left out.</summary>
    internal RunDefaults Defaults { get; }

    [CommandOption("--corpus <CORPUS>")]
    [Description("synthetic (default: the built-in Markov corpus) or a text file")]
    public string Corpus { get; set; } = "synthetic";

    [CommandOption("--layers <L>")]
    [Description("Transformer blocks (default 2)")]
    public int Layers { get; set; }

    [CommandOption("--d-model <C>")]
    [Description("Channels (default 64; critical-batch 32)")]
    public int DModel { get; set; }

    [CommandOption("--heads <H>")]
    [Description("Attention heads (default 4; critical-batch 2)")]
    public int Heads { get; set; }

    [CommandOption("--seq <T>")]
    [Description("Context length (default 64; critical-batch 32)")]
    public int Seq { get; set; }

    [CommandOption("--batch <B>")]
    [Description("Sequences per step (default 16)")]
    public int Batch { get; set; }

    [CommandOption("--micro-batches <M>")]
    [Description("Micro-batches per step; the small batch is B/M sequences (default 8: the estimator needs 2 or more)")]
    public int MicroBatches { get; set; }

    [CommandOption("--steps <S>")]
    [Description("Optimizer steps (default 300)")]
    public long Steps { get; set; }

    [CommandOption("--lr <LR>")]
    [Description("Peak learning rate (default 3e-3)")]
    public double LearningRate { get; set; }

    [CommandOption("--warmup <W>")]
    [Description("Warmup steps (default 10% of the run; critical-batch 10 steps)")]
    public int? Warmup { get; set; }

    [CommandOption("--ema <BETA>")]
    [Description("EMA decay of the |G|² and tr(Σ) estimates (default 0.99; critical-batch 0.95)")]
    public double Ema { get; set; }

    [CommandOption("--seed <S>")]
    [Description("Seed for initialisation and data (default 1)")]
    public ulong Seed { get; set; }

    [CommandOption("--threads <N>")]
    [Description("Worker threads (default 1)")]
    public int Threads { get; set; } = 1;

    public override ValidationResult Validate() => ValidateCommon(checkBatch: true);

    /// <summary>Checks the shared flags; <paramref name="checkBatch"/> false for commands that take their own batch sizes.</summary>
    protected ValidationResult ValidateCommon(bool checkBatch)
    {
        if (Layers < 1 || DModel < 1 || Heads < 1 || Seq < 1)
        {
            return ValidationResult.Error($"--layers, --d-model, --heads and --seq must be positive, got {Layers}, {DModel}, {Heads}, {Seq}");
        }
        if (DModel % Heads != 0)
        {
            return ValidationResult.Error($"--d-model ({DModel}) must be a multiple of --heads ({Heads})");
        }
        if (MicroBatches < 1 || (checkBatch && (Batch < 1 || Batch % MicroBatches != 0)))
        {
            return ValidationResult.Error($"--micro-batches ({MicroBatches}) must be positive and divide --batch ({Batch})");
        }
        if (Steps < 1)
        {
            return ValidationResult.Error($"--steps must be positive, got {Steps}");
        }
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate))
        {
            return ValidationResult.Error($"--lr must be positive, got {LearningRate.ToString(CultureInfo.InvariantCulture)}");
        }
        if (!(Ema > 0 && Ema < 1))
        {
            return ValidationResult.Error($"--ema must be in (0, 1), got {Ema.ToString(CultureInfo.InvariantCulture)}");
        }
        return Threads < 1 ? ValidationResult.Error($"--threads must be positive, got {Threads}") : ValidationResult.Success();
    }

    internal ICorpus OpenCorpus() => Corpus == "synthetic" ? SyntheticCorpus.Default : TextCorpus.Load(Corpus);

    internal TrainOptions ToTrainOptions(int batch, double learningRate, long steps, int? microBatches = null) => new()
    {
        Model = new GptConfig(Layers, DModel, Heads, Seq),
        Batch = batch,
        MicroBatches = microBatches ?? MicroBatches,
        Steps = steps,
        LearningRate = learningRate,
        WarmupSteps = Warmup,
        WarmupFraction = Defaults.WarmupFraction,
        MinLearningRateFraction = Defaults.MinLrFraction,
        WeightDecay = Defaults.WeightDecay,
        GradClip = Defaults.GradClip,
        Seed = Seed,
        Threads = Threads,
        EvalInterval = Defaults.EvalInterval,
        EvalSequences = Defaults.EvalSequencesFor(batch),
    };
}
