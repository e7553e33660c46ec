using System.ComponentModel;
using System.Globalization;
using ScaleLab.Engine.Data;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Studies;
using ScaleLab.Lab.Studies.CriticalBatch;
using ScaleLab.Lab.Studies.GradientNoise;
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
        var every = settings.Every ?? GnsOutput.DefaultEvery(settings.Steps);
        if (settings.ComparePerExample)
        {
            return Compare(settings, options, corpus, every, cancellationToken);
        }
        var (result, run) = TrainInRegistry(settings, options, corpus.Description, every, cancellationToken);
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(GnsDocument.ToJson(result, settings.Ema, settings.Study, run));
        }
        else
        {
            GnsOutput.Write(console, result, options, corpus.Description, settings.Ema, every);
        }
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
                    foreach (var m in store.ReadMetrics(spec.Key).Where(m => m.Step > printed && GnsOutput.Shown(m.Step, every, options.Steps)))
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

    /// <summary><c>--compare-per-example</c>: both runs (<see cref="PerExampleComparison"/>), a table of both B_simple
    /// and their ratio, and the mean of each over the second half of training.</summary>
    private int Compare(Settings settings, TrainOptions options, ICorpus corpus, int every, CancellationToken cancellationToken)
    {
        var comparison = PerExampleComparison.Run(options, corpus, settings.Ema, (which, p) =>
        {
            if (!settings.Json && GnsOutput.Shown(p.Step, every, options.Steps))
            {
                stderr.WriteLine(Inv($"{which} step {p.Step}: loss {p.Loss:F4}, B_simple {p.Record.BSimple:G4}"));
            }
        }, cancellationToken);
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(GnsDocument.ToJson(comparison, settings.Ema));
        }
        else
        {
            GnsOutput.WriteComparison(console, comparison, options, corpus.Description, settings.Ema, every);
        }
        return CliApp.ExitOk;
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
