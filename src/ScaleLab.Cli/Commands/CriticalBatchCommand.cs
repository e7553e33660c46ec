using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Studies;
using ScaleLab.Lab.Studies.CriticalBatch;
using ScaleLab.Report.Plots;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// <c>scalelab critical-batch</c>: measures the critical batch size directly (McCandlish et al. 2018, Sec. 2.3)
/// and sets it beside the gradient noise scale measured in the same runs. For every batch size B (sequences)
/// and learning rate in the grid, a small GPT trains at a constant learning rate after warmup until its
/// validation loss reaches the lowest target (or a cap on examples); the steps S to each target are read off
/// the validation curve, the fewest over learning rates is kept per B, and S = S_min·(1 + B_crit/B) is fitted
/// per target. Each run also tracks B_simple (two-batch estimator over its micro-batches), read at the step
/// the run reached each target. Finally B_crit(L) = B*·L^(−1/α_B) across targets (Kaplan et al. 2020).
/// The runs are runs of a study in the run registry (<c>--registry</c>, <c>--study</c>), trained by in-process
/// workers with checkpoints, and the analysis reads their curves back from it: running the same command again
/// trains nothing that finished, resumes what was interrupted, and prints the same result.
/// </summary>
[Verb("critical-batch", "Critical batch size from steps-vs-examples trade-offs, beside the gradient noise scale B_simple. Defaults are the shared run defaults except a smaller model (2x32x2, T 32), 8 micro-batches, an EMA of 0.95 and a 10-step warmup: its loss targets were calibrated for these, and its runs' registry keys hash them",
    Examples = ["critical-batch --plot critical.png", "critical-batch --executor slurm --registry \"postgres:Host=db;Username=u;Password=pw;Database=scalelab\""])]
public sealed class CriticalBatchCommand(IAnsiConsole console, Stderr stderr) : Command<CriticalBatchCommand.Settings>
{
    /// <summary>
    /// critical-batch's defaults: the shared run defaults with the small model its loss targets (2.4 to 2.0) and example
    /// cap were calibrated for (2x32x2, T 32), 8 micro-batches for B_simple, and an EMA of 0.95; its runs' registry keys
    /// hash these, so changing them would orphan existing studies. Every run is scored on the same validation windows
    /// (4 batches of the shared 16: 64), whatever its batch size, so the batch sizes are compared on equal terms.
    /// </summary>
    internal static RunDefaults Defaults { get; } =
        RunDefaults.Shared with { DModel = 32, Heads = 2, SeqLen = 32, MicroBatches = 8, Steps = 300, GnsEma = 0.95 };

    public sealed class Settings : StudyRunSettings
    {
        public Settings()
            : base(CriticalBatchCommand.Defaults, "critical-batch")
        {
        }

        [CommandOption("--batches <LIST>")]
        [Description("Batch sizes in sequences, comma-separated (default 4,8,16,32,64,128)")]
        public string Batches { get; set; } = "4,8,16,32,64,128";

        [CommandOption("--lrs <LIST>")]
        [Description("Learning rates tried per batch size; the fastest to each target is kept (default 2e-3,5e-3,1.2e-2)")]
        public string LearningRates { get; set; } = "2e-3,5e-3,1.2e-2";

        [CommandOption("--targets <LIST>")]
        [Description("Target validation losses in nats/token, comma-separated (default 2.4,2.3,2.2,2.1,2.0: low enough that B_crit lies inside the batch range)")]
        public string Targets { get; set; } = "2.4,2.3,2.2,2.1,2.0";

        [CommandOption("--max-examples <E>")]
        [Description("Cap on sequences per run (default 40000); a run also stops once it reaches the lowest target")]
        public long MaxExamples { get; set; } = 40000;

        [CommandOption("--min-steps <S>")]
        [Description("Smallest step cap of any run (default 60)")]
        public long MinSteps { get; set; } = 60;

        [CommandOption("--eval-points <K>")]
        [Description("Validation evaluations over a run's step cap (default 300, so small batches are read every few dozen steps)")]
        public int EvalPoints { get; set; } = 300;

        [CommandOption("--json")]
        [Description("Write one JSON document to stdout")]
        public bool Json { get; set; }

        [CommandOption("--plot <FILE>")]
        [Description("Write S against E with the fitted hyperbolas to FILE (.png or .svg), and B_crit and B_simple against loss beside it (FILE-bcrit)")]
        public string? Plot { get; set; }

        public override ValidationResult Validate()
        {
            var baseResult = ValidateCommon(checkBatch: false);
            if (!baseResult.Successful)
            {
                return baseResult;
            }
            if (Plot is not null && Path.GetExtension(Plot).ToLowerInvariant() is not (".png" or ".svg"))
            {
                return ValidationResult.Error($"--plot {Plot}: the file must end in .png or .svg");
            }
            if (!TryParseList(Batches, "--batches", out var batches, out var error)
                || !TryParseList(LearningRates, "--lrs", out _, out error)
                || !TryParseList(Targets, "--targets", out _, out error))
            {
                return ValidationResult.Error(error);
            }
            if (batches.Any(b => b < 1 || b != Math.Floor(b)) || batches.Distinct().Count() < 3)
            {
                return ValidationResult.Error($"--batches must hold at least 3 distinct positive integers, got '{Batches}'");
            }
            if (MaxExamples < 1 || MinSteps < 1 || EvalPoints < 2)
            {
                return ValidationResult.Error("--max-examples and --min-steps must be positive and --eval-points at least 2");
            }
            return ValidateStudyRuns();
        }

        internal static bool TryParseList(string text, string flag, out List<double> values, out string error)
        {
            values = [];
            error = "";
            foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !(v > 0) || !double.IsFinite(v))
                {
                    error = $"{flag}: '{part}' is not a positive number";
                    return false;
                }
                values.Add(v);
            }
            if (values.Count == 0)
            {
                error = $"{flag} is empty";
                return false;
            }
            return true;
        }

        /// <summary>What is stored as the study's spec the first time: the settings that shape its runs.</summary>
        internal string StudySpec() => JsonSerializer.Serialize(new
        {
            command = "critical-batch",
            corpus = Corpus,
            layers = Layers,
            d_model = DModel,
            heads = Heads,
            seq = Seq,
            batches = Batches,
            lrs = LearningRates,
            targets = Targets,
            max_examples = MaxExamples,
            min_steps = MinSteps,
            eval_points = EvalPoints,
            micro_batches = MicroBatches,
            ema = Ema,
            seed = Seed,
        }, StudyJson.Options);
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        Settings.TryParseList(settings.Batches, "--batches", out var batchList, out _);
        Settings.TryParseList(settings.LearningRates, "--lrs", out var lrs, out _);
        Settings.TryParseList(settings.Targets, "--targets", out var targets, out _);
        var batches = batchList.Select(b => (int)b).Distinct().Order().ToList();
        targets = [.. targets.Distinct().OrderDescending()];
        string[]? plots = settings.Plot is null ? null : [settings.Plot, CriticalBatchPlot.BCritPath(settings.Plot)];
        OutputPaths.Check([("--corpus", settings.Corpus)], plots is null ? [] : [("--plot", plots[0]), ("--plot (B_crit figure)", plots[1])]);
        var corpus = settings.OpenCorpus();
        var (corpusSpec, corpusSha) = settings.RegistryCorpus();
        // Model, seed, warmup (default 10 steps), evaluation windows and micro-batching preference; the sweep sets the rest.
        var template = settings.ToTrainOptions(settings.Batch, settings.LearningRate, settings.Steps)
            with { WarmupSteps = settings.Warmup ?? 10, EvalSequences = Defaults.EvalSequencesFor(Defaults.Batch) };
        var plan = new CriticalBatchPlan(settings.Study, corpusSpec, corpusSha, template, targets[^1], settings.MaxExamples,
            settings.MinSteps, settings.EvalPoints, settings.Ema);
        var runs = CriticalBatchSweep.Plan(plan, batches, lrs);
        var registry = RunStores.Resolve(settings.Registry);
        var options = settings.ToExecutorOptions(registry);
        // Opened once up front so a bad registry is one clear error before any training.
        using (RunStores.Open(registry)) { }
        stderr.WriteLine($"critical-batch: {runs.Count} runs in study {settings.Study} of {registry}");
        // The runs are ordinary language-model runs of the study: any executor trains them, as sweep would.
        Func<string, IReadOnlyList<RunOutcome>>? executor = settings.Executor == "threads" ? null : study =>
        {
            using var store = RunStores.Open(registry);
            return ExecutorChoice.Run(settings, registry, store, study, options, null, stderr.WriteLine, cancellationToken).Outcomes;
        };
        var outcomes = StudyRuns.TrainAndReadBack(() => RunStores.Open(registry), runs, settings.StudySpec(), options,
            stderr.WriteLine, executor, cancellationToken);
        foreach (var outcome in outcomes)
        {
            stderr.WriteLine(outcome.Describe());
        }
        var analysis = CriticalBatchStudy.Analyze(outcomes.Select(o => o.ToSweepRun()).ToList(), targets);
        if (settings.Plot is not null)
        {
            CriticalBatchPlot.Save(analysis, settings.Plot);
        }
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(
                CriticalBatchDocument.ToJson(analysis, outcomes, template.Model, corpus.Description, plots, settings.Study, registry));
            return CliApp.ExitOk;
        }
        CriticalBatchOutput.Write(console, analysis, template.Model, corpus.Description);
        return CliApp.ExitOk;
    }
}
