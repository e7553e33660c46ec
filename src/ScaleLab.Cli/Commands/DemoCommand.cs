using System.ComponentModel;
using System.Diagnostics;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

[Verb("demo", "The main job: train an isoFLOP sweep of tiny GPTs on the built-in synthetic corpus, fit and diagnose scaling laws, back-test them against naive baselines, plan the compute-optimal run at 10x the largest budget, train it to score the forecast, and write report.html",
    Examples = ["demo", "demo --quick --out demo-out", "demo --no-verify --json"])]
public sealed class DemoCommand(IAnsiConsole console, Stderr stderr) : Command<DemoCommand.Settings>
{
    /// <summary>The verification run's compute as a multiple of the largest sweep run's. It trains on one thread: at the
    /// demo's widths (under 64) the engine's second thread costs more in synchronisation than it gains (measured: a
    /// 2x40 model trains at 68k tokens/s on one thread and 20k on two on this 2-core machine).</summary>
    public const double VerifyMultiple = 10;

    public sealed class Settings : CommandSettings
    {
        [CommandOption("--out <DIR>")]
        [Description("Folder for the registry, checkpoints, the spec and the report (default scalelab-demo); re-running resumes")]
        public string Out { get; init; } = "scalelab-demo";

        [CommandOption("--quick")]
        [Description("A smaller study that finishes in about a minute on 2 cores (for CI and a first look)")]
        public bool Quick { get; init; }

        [CommandOption("--workers <N>")]
        [Description("Concurrent runs, each single-threaded (default: the core count)")]
        public int? Workers { get; init; }

        [CommandOption("--bootstrap <N>")]
        [Description("Bootstrap resamples for intervals and back-tests (default 200)")]
        public int Bootstrap { get; init; } = 200;

        [CommandOption("--json")]
        [Description("Write the report's JSON document to stdout")]
        public bool Json { get; init; }

        [CommandOption("--no-verify")]
        [Description("Skip the verification run (training the planned model at 10x the largest budget to score the forecast)")]
        public bool NoVerify { get; init; }

        public override ValidationResult Validate() =>
            Workers is < 1 ? ValidationResult.Error("--workers must be at least 1")
            : Bootstrap < 0 ? ValidationResult.Error("--bootstrap must be >= 0")
            : ValidationResult.Success();
    }

    /// <summary>The demo's checkpoints: where <c>scalelab sweep</c> looks for those of the demo's registry
    /// (<see cref="ExecutorOptions.DefaultCheckpointDirectory"/>), so an interrupted demo resumed with
    /// <c>scalelab sweep DIR/demo.toml --registry sqlite:DIR/scalelab.db</c> continues its runs instead of retraining them.</summary>
    internal static string CheckpointDirectory(string outDir) =>
        ExecutorOptions.DefaultCheckpointDirectory("sqlite:" + Path.Combine(outDir, "scalelab.db"));

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var outDir = Path.GetFullPath(settings.Out);
        if (File.Exists(outDir))
        {
            throw new UsageException($"--out {settings.Out}: is a file, not a folder");
        }
        Directory.CreateDirectory(outDir);
        var specText = DemoSpec.Toml(settings.Quick);
        var specPath = Path.Combine(outDir, "demo.toml");
        File.WriteAllText(specPath, specText);
        var spec = SweepSpec.Parse(specText, specPath, outDir);
        var registry = "sqlite:" + Path.Combine(outDir, "scalelab.db");

        using var store = RunStores.Open(registry);
        store.EnsureSchema();
        var enqueued = SweepPlan.Enqueue(store, spec, specText);
        var workers = settings.Workers ?? Environment.ProcessorCount;
        stderr.WriteLine($"demo: {enqueued.Runs} runs ({enqueued.Added} new, {enqueued.Existing} already in {registry}); {workers} worker(s), 1 thread each");

        var legacy = Path.Combine(outDir, "checkpoints");
        if (Directory.Exists(legacy) && !Directory.Exists(CheckpointDirectory(outDir)))
        {
            // Checkpoints of a demo run by an earlier release, which kept them where sweep does not look.
            Directory.Move(legacy, CheckpointDirectory(outDir));
        }
        var result = InProcessExecutor.Run(() => RunStores.Open(registry), spec.Study, new ExecutorOptions
        {
            Workers = workers,
            ThreadsPerWorker = 1,
            CheckpointDirectory = CheckpointDirectory(outDir),
            CheckpointInterval = spec.CheckpointInterval,
        }, new PeriodicStatusLine(stderr, () => clock.Elapsed).Show, stderr.WriteLine, cancellationToken);
        if (result.Counts.Failed > 0)
        {
            stderr.WriteLine($"demo: {result.Counts.Failed} run(s) failed; the report uses the {result.Counts.Done} that finished");
        }

        var options = StudyReportFiles.Options(store, spec.Study, settings.Bootstrap, seed: 0, TimeProvider.System, stderr.WriteLine);
        var analysis = Report.Study.StudyAnalysis.Analyse(store, spec.Study, options);
        if (!settings.NoVerify && analysis.Chinchilla is not null && !cancellationToken.IsCancellationRequested)
        {
            analysis = ForecastCheck.Run(() => RunStores.Open(registry), store, analysis, analysis.LargestCompute * VerifyMultiple,
                shape => DemoSpec.LearningRate(shape.DModel), threads: 1, CheckpointDirectory(outDir), options,
                stderr.WriteLine, cancellationToken, allowUnidentified: settings.Quick);
        }
        var output = StudyReportFiles.Write(analysis, Path.Combine(outDir, "report.html"));
        stderr.WriteLine($"demo: done in {clock.Elapsed.TotalSeconds:0} s");
        StudyReportFiles.Show(console, output, settings.Json);
        return result.Counts.Done >= Report.Study.StudyAnalysis.MinimumRuns ? CliApp.ExitOk : CliApp.ExitFailure;
    }
}
