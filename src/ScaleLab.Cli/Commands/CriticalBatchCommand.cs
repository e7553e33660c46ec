using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Studies.CriticalBatch;
using ScaleLab.Lab.Studies.GradientNoise;
using ScottPlot;
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
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        Settings.TryParseList(settings.Batches, "--batches", out var batchList, out _);
        Settings.TryParseList(settings.LearningRates, "--lrs", out var lrs, out _);
        Settings.TryParseList(settings.Targets, "--targets", out var targets, out _);
        var batches = batchList.Select(b => (int)b).Distinct().Order().ToList();
        targets = [.. targets.Distinct().OrderDescending()];
        OutputPaths.Check([("--corpus", settings.Corpus)],
            settings.Plot is null ? [] : [("--plot", settings.Plot), ("--plot (B_crit figure)", BCritPlotPath(settings.Plot))]);
        var corpus = settings.OpenCorpus();
        var (corpusSpec, corpusSha) = settings.RegistryCorpus();
        // Model, seed, warmup (default 10 steps), evaluation windows and micro-batching preference; the sweep sets the rest.
        var template = settings.ToTrainOptions(settings.Batch, settings.LearningRate, settings.Steps)
            with { WarmupSteps = settings.Warmup ?? 10, EvalSequences = Defaults.EvalSequencesFor(Defaults.Batch) };
        var plan = new CriticalBatchPlan(settings.Study, corpusSpec, corpusSha, template, targets[^1], settings.MaxExamples,
            settings.MinSteps, settings.EvalPoints, settings.Ema);
        var runs = batches.SelectMany(b => lrs.Select(lr => (b, lr)))
            .Select((x, i) => CriticalBatchSweep.Plan(plan, x.b, x.lr, i)).ToList();
        var registry = RunStores.Resolve(settings.Registry);
        var options = new ExecutorOptions
        {
            Workers = settings.Workers,
            ThreadsPerWorker = settings.Threads,
            CheckpointDirectory = settings.CheckpointDir ?? SweepCommand.DefaultCheckpointDirectory(registry),
            CheckpointInterval = settings.CheckpointInterval,
        };
        // Opened once up front so a bad registry is one clear error before any training.
        using (RunStores.Open(registry)) { }
        stderr.WriteLine($"critical-batch: {runs.Count} runs in study {settings.Study} of {registry}");
        // The runs are ordinary language-model runs of the study: any executor trains them, as sweep would.
        Func<string, IReadOnlyList<RunOutcome>>? executor = settings.Executor == "threads" ? null : study =>
        {
            using var store = RunStores.Open(registry);
            return ExecutorChoice.Run(settings, registry, store, study, options, null, stderr.WriteLine, cancellationToken).Outcomes;
        };
        var outcomes = CriticalBatchSweep.Execute(() => RunStores.Open(registry), runs, StudySpec(settings), options,
            stderr.WriteLine, executor, cancellationToken);
        foreach (var outcome in outcomes)
        {
            var how = !outcome.TrainedNow ? "from the registry"
                : outcome.ResumedFromStep > 0 ? GnsCommand.Inv($"resumed from step {outcome.ResumedFromStep}") : "trained";
            stderr.WriteLine(GnsCommand.Inv(
                $"B={outcome.Batch} lr={outcome.LearningRate:G3}: {outcome.Ending} after {outcome.StepsRun} steps, last validation loss {(outcome.Curve.Count > 0 ? outcome.Curve[^1].Loss : double.NaN):F4} ({how})"));
        }
        var analysis = CriticalBatchStudy.Analyze(
            outcomes.Select(o => o.ToSweepRun()).ToList(),
            targets);
        if (settings.Plot is not null)
        {
            SavePlots(analysis, settings.Plot);
        }
        if (settings.Json)
        {
            var doc = (Dictionary<string, object?>)ToJson(analysis, outcomes, settings, corpus.Description);
            doc["study"] = settings.Study;
            doc["registry"] = registry;
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(doc, GnsCommand.JsonOptions));
            return CliApp.ExitOk;
        }
        WriteHuman(analysis, settings, corpus.Description);
        return CliApp.ExitOk;
    }

    private void WriteHuman(CriticalBatchAnalysis analysis, Settings settings, string corpus)
    {
        console.MarkupLine(Markup.Escape(
            $"{corpus}; model L={settings.Layers} C={settings.DModel} T={settings.Seq}; batch sizes in sequences; fits: least squares on ln S, 95% profile intervals"));
        var table = new Table().AddColumns("target loss", "batch sizes", "S_min (steps)", "E_min (sequences)", "B_crit (sequences)", "95% interval", "B_simple", "B_crit/B_simple");
        foreach (var t in analysis.Targets)
        {
            var fit = t.Fit;
            table.AddRow(
                GnsCommand.Inv($"{t.TargetLoss:F3}"),
                t.Runs.Count.ToString(CultureInfo.InvariantCulture),
                fit is null ? "—" : GnsCommand.Inv($"{fit.SMin:G4}"),
                fit is null ? "—" : GnsCommand.Inv($"{fit.EMin:G4}"),
                fit is null ? "—" : GnsCommand.Inv($"{fit.BCrit:G4}"),
                fit is null ? "—" : Markup.Escape(GnsCommand.Inv($"[{fit.BCritInterval.Lo:G3}, {Bound(fit.BCritInterval.Hi)}]")),
                t.BSimple is { } b ? GnsCommand.Inv($"{b:G4}") : "—",
                fit is not null && t.BSimple is { } b2 ? GnsCommand.Inv($"{fit.BCrit / b2:G3}") : "—");
        }
        console.Write(table);
        var runs = new Table().AddColumns("target loss", "B", "best lr", "steps S", "examples E");
        foreach (var t in analysis.Targets)
        {
            for (var i = 0; i < t.Runs.Count; i++)
            {
                runs.AddRow(GnsCommand.Inv($"{t.TargetLoss:F3}"), GnsCommand.Inv($"{t.Runs[i].BatchSize}"),
                    GnsCommand.Inv($"{t.BestLearningRates[i]:G3}"), GnsCommand.Inv($"{t.Runs[i].Steps:F1}"), GnsCommand.Inv($"{t.Runs[i].Examples:F0}"));
            }
        }
        console.Write(runs);
        if (analysis.Ratio is { } ratio)
        {
            console.MarkupLine(Markup.Escape(GnsCommand.Inv(
                $"geometric means over targets: B_crit {analysis.MeanBCrit:G4}, B_simple {analysis.MeanBSimple:G4}, ratio {ratio:G3}")));
        }
        if (analysis.LossScaling is { } s)
        {
            console.MarkupLine(Markup.Escape(GnsCommand.Inv(
                $"B_crit ∝ L^{s.Slope:F2} (α_B = {s.AlphaB:G3}, 95% [{s.AlphaBInterval.Lo:G3}, {Bound(s.AlphaBInterval.Hi)}]); Kaplan et al. 2020 report α_B ≈ 0.21")));
        }
    }

    internal static object ToJson(CriticalBatchAnalysis analysis, IReadOnlyList<SweepOutcome> outcomes, Settings settings, string corpus) =>
        new Dictionary<string, object?>
        {
            ["command"] = "critical-batch",
            ["corpus"] = corpus,
            ["model"] = new { layers = settings.Layers, d_model = settings.DModel, heads = settings.Heads, seq = settings.Seq },
            ["batch_unit"] = "sequences",
            ["schedule"] = "linear warmup then constant learning rate",
            ["fit"] = "least squares on ln S of S = S_min (1 + B_crit / B); profile intervals",
            ["targets"] = analysis.Targets.Select(t => new Dictionary<string, object?>
            {
                ["target_loss"] = t.TargetLoss,
                ["runs"] = t.Runs.Select((r, i) => new { batch = r.BatchSize, steps = r.Steps, examples = r.Examples, learning_rate = t.BestLearningRates[i] }).ToList(),
                ["s_min"] = t.Fit?.SMin,
                ["s_min_interval"] = Interval(t.Fit?.SMinInterval),
                ["e_min"] = t.Fit?.EMin,
                ["e_min_interval"] = Interval(t.Fit?.EMinInterval),
                ["b_crit"] = t.Fit?.BCrit,
                ["b_crit_interval"] = Interval(t.Fit?.BCritInterval),
                ["b_crit_within_observed_range"] = t.Fit?.BCritWithinObservedRange,
                ["residual_sd_ln_steps"] = t.Fit?.ResidualStdDev,
                ["b_simple"] = t.BSimple,
            }).ToList(),
            ["plots"] = settings.Plot is null ? null : new[] { settings.Plot, BCritPlotPath(settings.Plot) },
            ["mean_b_crit"] = analysis.MeanBCrit,
            ["mean_b_simple"] = analysis.MeanBSimple,
            ["ratio_b_crit_over_b_simple"] = analysis.Ratio,
            ["loss_scaling"] = analysis.LossScaling is { } s
                ? new Dictionary<string, object?>
                {
                    ["alpha_b"] = s.AlphaB,
                    ["alpha_b_interval"] = Interval(s.AlphaBInterval),
                    ["slope"] = s.Slope,
                    ["slope_se"] = s.SlopeStdError,
                    ["b_star"] = s.BStar,
                }
                : null,
            ["sweep"] = outcomes.Select(o => new Dictionary<string, object?>
            {
                ["run_key"] = o.RunKey,
                ["trained_now"] = o.TrainedNow,
                ["resumed_from_step"] = o.ResumedFromStep,
                ["batch"] = o.Batch,
                ["learning_rate"] = o.LearningRate,
                ["micro_batches"] = o.MicroBatches,
                ["step_cap"] = o.StepCap,
                ["steps_run"] = o.StepsRun,
                ["ending"] = o.Ending.ToString(),
                ["curve"] = o.Curve.Select(p => new { step = p.Step, validation_loss = p.Loss }).ToList(),
                ["b_simple_at_evals"] = o.NoiseScale.Select(p => new { validation_loss = p.Loss, b_simple = p.BSimple }).ToList(),
            }).ToList(),
        };

    /// <summary>What is stored as the study's spec the first time: the settings that shape its runs.</summary>
    private static string StudySpec(Settings s) => JsonSerializer.Serialize(new
    {
        command = "critical-batch",
        corpus = s.Corpus,
        layers = s.Layers,
        d_model = s.DModel,
        heads = s.Heads,
        seq = s.Seq,
        batches = s.Batches,
        lrs = s.LearningRates,
        targets = s.Targets,
        max_examples = s.MaxExamples,
        min_steps = s.MinSteps,
        eval_points = s.EvalPoints,
        micro_batches = s.MicroBatches,
        ema = s.Ema,
        seed = s.Seed,
    }, GnsCommand.JsonOptions);

    /// <summary>Path of the second figure: FILE.png → FILE-bcrit.png.</summary>
    internal static string BCritPlotPath(string path) =>
        Path.Combine(Path.GetDirectoryName(path) ?? "", Path.GetFileNameWithoutExtension(path) + "-bcrit" + Path.GetExtension(path));

    /// <summary>
    /// Figure 1 (McCandlish et al. 2018, Fig. 3 style): log10 steps against log10 examples, one colour per target,
    /// measured runs as dots and the fitted E = E_min(1 + B/B_crit), S = S_min(1 + B_crit/B) traced over B.
    /// Figure 2: log10 B_crit (with its interval) and log10 B_simple against the target loss.
    /// </summary>
    private static void SavePlots(CriticalBatchAnalysis analysis, string path)
    {
        var palette = new ScottPlot.Palettes.Category10();
        var tradeoff = new Plot();
        tradeoff.Title("steps vs examples to reach each target loss");
        tradeoff.XLabel("log10 examples E (sequences)");
        tradeoff.YLabel("log10 steps S");
        var bCrit = new Plot();
        bCrit.Title("critical batch B_crit and gradient noise scale B_simple");
        bCrit.XLabel("target loss (nats/token)");
        bCrit.YLabel("log10 batch size (sequences)");
        var i = 0;
        var crit = new List<(double L, double B, double Lo, double Hi)>();
        var simple = new List<(double L, double B)>();
        foreach (var t in analysis.Targets)
        {
            var color = palette.GetColor(i++);
            var dots = tradeoff.Add.ScatterPoints(t.Runs.Select(r => Math.Log10(r.Examples)).ToArray(), t.Runs.Select(r => Math.Log10(r.Steps)).ToArray());
            dots.Color = color;
            dots.MarkerSize = 7;
            dots.LegendText = GnsCommand.Inv($"L = {t.TargetLoss:0.###}");
            if (t.Fit is { } fit)
            {
                var batches = Enumerable.Range(0, 121).Select(k => fit.MinBatch / 8 * Math.Pow(64 * fit.MaxBatch / fit.MinBatch, k / 120.0)).ToArray();
                var line = tradeoff.Add.ScatterLine(batches.Select(b => Math.Log10(fit.PredictExamples(b))).ToArray(),
                    batches.Select(b => Math.Log10(fit.PredictSteps(b))).ToArray());
                line.Color = color;
                line.LineWidth = 2;
                crit.Add((t.TargetLoss, fit.BCrit, fit.BCritInterval.Lo, fit.BCritInterval.Hi));
            }
            if (t.BSimple is { } b)
            {
                simple.Add((t.TargetLoss, b));
            }
        }
        tradeoff.ShowLegend(Alignment.UpperRight);
        if (crit.Count > 0)
        {
            var c = bCrit.Add.ScatterPoints(crit.Select(x => x.L).ToArray(), crit.Select(x => Math.Log10(x.B)).ToArray());
            c.LegendText = "B_crit (hyperbola fit, 95% profile interval)";
            c.MarkerSize = 8;
            foreach (var x in crit.Where(x => x.Lo > 0))
            {
                var hi = double.IsFinite(x.Hi) ? Math.Log10(x.Hi) : Math.Log10(x.B) + 1;
                bCrit.Add.Line(x.L, Math.Log10(x.Lo), x.L, hi).Color = c.Color;
            }
        }
        if (simple.Count > 0)
        {
            var s = bCrit.Add.ScatterPoints(simple.Select(x => x.L).ToArray(), simple.Select(x => Math.Log10(x.B)).ToArray());
            s.LegendText = "B_simple (same runs, at the target loss)";
            s.MarkerSize = 8;
            s.MarkerShape = MarkerShape.OpenSquare;
        }
        bCrit.ShowLegend(Alignment.UpperRight);
        Save(tradeoff, path);
        Save(bCrit, BCritPlotPath(path));
    }

    private static void Save(Plot plot, string path)
    {
        if (Path.GetExtension(path).Equals(".svg", StringComparison.OrdinalIgnoreCase))
        {
            plot.SaveSvg(path, 900, 600);
        }
        else
        {
            plot.SavePng(path, 900, 600);
        }
    }

    private static object? Interval(ScaleLab.Laws.Interval? interval) =>
        interval is { } i ? new { lo = i.Lo, hi = i.Hi } : null;

    private static string Bound(double v) => double.IsFinite(v) ? v.ToString("G3", CultureInfo.InvariantCulture) : "∞";
}
