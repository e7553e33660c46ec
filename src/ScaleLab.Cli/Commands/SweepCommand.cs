using System.ComponentModel;
using System.Globalization;
using System.Runtime.InteropServices;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// <c>scalelab sweep SPEC</c>: validates a sweep spec (TOML, see <see cref="SweepSpecReader"/>), enqueues its
/// runs in the registry (runs already there are kept, so re-running resumes) and executes them on N local
/// worker processes (default), threads, or a Slurm job array, with one live status line on stderr.
/// Examples: <c>scalelab sweep sweep.toml --workers 2</c>;
/// <c>scalelab sweep sweep.toml --registry postgres:Host=db;Username=u;Password=p;Database=scalelab</c>;
/// <c>scalelab sweep sweep.toml --dry-run --json</c>.
/// </summary>
[Verb("sweep", "Run a sweep spec (model shapes x token budgets x seeds) into the run registry",
    Examples = ["sweep sweep.toml --workers 2", "sweep sweep.toml --executor threads --registry sqlite:runs.db",
        "sweep sweep.toml --executor slurm --partition cpu --time-limit 4:00:00 --registry \"postgres:Host=db;Username=u;Password=p;Database=scalelab\"",
        "sweep sweep.toml --dry-run"])]
public sealed class SweepCommand(IAnsiConsole console, Stderr stderr) : Command<SweepCommand.Settings>
{
    public sealed class Settings : CommandSettings, IExecutorSettings
    {
        [CommandArgument(0, "<SPEC>")]
        [Description("Sweep spec file (TOML). Required: study, [[[[models]]]] or [[grid]] (layers, d_model, heads), and tokens, tokens_per_parameter or compute. The rest default to the run defaults train and gns share: corpus synthetic, seq_len 64, batch_size 16, seeds [[1]], learning_rates [[3e-3]], eval_interval 50, eval_batches 4, threads_per_run 1, checkpoint_interval 100, micro_batches 1, gns false (log B_simple per step; needs micro_batches >= 2), gns_ema 0.99, [[schedule]] warmup_fraction 0.1 (or warmup_steps), min_lr_fraction 0.1, weight_decay 0.1, grad_clip 1")]
        public string Spec { get; set; } = "";

        [CommandOption("--workers <N>")]
        [Description("Concurrent workers (default: cores / threads per worker)")]
        public int? Workers { get; set; }

        [CommandOption("--threads-per-worker <K>")]
        [Description("Kernel threads per worker (default: the spec's threads_per_run)")]
        public int? ThreadsPerWorker { get; set; }

        [CommandOption("--executor <KIND>")]
        [Description("local (worker processes, default), threads (workers inside this process), or slurm (a job array of workers through sbatch; use a postgres: registry on a cluster)")]
        public string Executor { get; set; } = "local";

        [CommandOption("--partition <NAME>")]
        [Description("Slurm: sbatch --partition (default: the cluster's default)")]
        public string? Partition { get; set; }

        [CommandOption("--time-limit <TIME>")]
        [Description("Slurm: sbatch --time per worker task, e.g. 2:00:00 (a task stopped by it is resubmitted and its run resumes)")]
        public string? TimeLimit { get; set; }

        [CommandOption("--account <NAME>")]
        [Description("Slurm: sbatch --account")]
        public string? Account { get; set; }

        [CommandOption("--slurm-logs <DIR>")]
        [Description("Slurm: folder for the batch script and the task logs, visible to the nodes (default: slurm-logs beside the checkpoints)")]
        public string? SlurmLogs { get; set; }

        [CommandOption("--slurm-bin <DIR>")]
        [Description("Slurm: folder holding sbatch, squeue and scancel (default: the PATH)")]
        public string? SlurmBin { get; set; }

        [CommandOption("--add-to-study")]
        [Description("Add the spec's runs to its study even when their corpus, context length, batch or schedule differ from the runs already in it (refused otherwise)")]
        public bool AddToStudy { get; set; }

        [CommandOption("--registry <REGISTRY>")]
        [Description("sqlite:PATH (default sqlite:scalelab.db, or $SCALELAB_REGISTRY) or postgres:CONNSTRING")]
        public string? Registry { get; set; }

        [CommandOption("--checkpoint-dir <DIR>")]
        [Description("Checkpoint folder (default: scalelab-checkpoints beside a SQLite registry, else in the current folder)")]
        public string? CheckpointDir { get; set; }

        [CommandOption("--retry-failed")]
        [Description("Queue the study's failed runs again before starting")]
        public bool RetryFailed { get; set; }

        [CommandOption("--dry-run")]
        [Description("Validate and list the runs; enqueue and train nothing")]
        public bool DryRun { get; set; }

        [CommandOption("--json")]
        [Description("Write one JSON summary to stdout")]
        public bool Json { get; set; }

        public override ValidationResult Validate()
        {
            if (Workers is <= 0 || ThreadsPerWorker is <= 0)
            {
                return ValidationResult.Error("--workers and --threads-per-worker must be positive");
            }
            return ExecutorChoice.Validate(this) is { } error ? ValidationResult.Error(error) : ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        InputFiles.EnsureRegularFile("SPEC", settings.Spec);
        var spec = SweepSpec.Load(settings.Spec);
        if (settings.DryRun)
        {
            return spec.Kind is null ? WriteDryRun(spec, spec.Expand(), settings.Json) : WriteKindDryRun(spec, settings.Json);
        }
        var registry = RunStores.Resolve(settings.Registry);
        var threads = settings.ThreadsPerWorker ?? spec.ThreadsPerRun;
        var slurm = settings.Executor == "slurm";
        var options = new ExecutorOptions
        {
            // Here, the cores; on a cluster, one task per run left to train (set below, after enqueueing, so a re-run of a
            // half-done sweep submits fewer; Slurm queues the tasks that do not fit).
            Workers = settings.Workers ?? Math.Max(1, Environment.ProcessorCount / threads),
            ThreadsPerWorker = threads,
            CheckpointDirectory = settings.CheckpointDir ?? ExecutorOptions.DefaultCheckpointDirectory(registry),
            CheckpointInterval = spec.CheckpointInterval,
        };
        using var store = RunStores.Open(registry);
        if (settings.RetryFailed)
        {
            store.RetryFailed(spec.Study);
        }
        var plan = SweepPlan.Enqueue(store, spec, File.ReadAllText(settings.Spec), settings.AddToStudy);
        // Runs held by workers of a sweep on this machine that is gone (killed with -9) are queued again now, not
        // after the stale-heartbeat timeout.
        if (LocalWorkers.ReleaseDead(store, spec.Study) is > 0 and var released)
        {
            stderr.WriteLine($"sweep {spec.Study}: {released} run(s) held by dead processes of this machine queued again");
        }
        if (slurm && settings.Workers is null)
        {
            var left = store.CountByStatus(spec.Study);
            options = options with { Workers = Math.Max(1, left.Queued + left.Running) };
        }
        if (slurm && RunStores.Parse(registry).Backend == "sqlite")
        {
            stderr.WriteLine($"note: a SQLite registry works with Slurm only when every task runs on this node; use --registry postgres:... on a cluster");
        }
        stderr.WriteLine($"sweep {spec.Study}: {plan.Runs} runs ({plan.Added} new, {plan.Existing} already in {registry}); " +
            $"{options.Workers} {settings.Executor} worker(s) x {threads} thread(s)");

        using var view = new SweepStatusLine(stderr);
        // Ctrl+C or SIGTERM stops the sweep cleanly: local workers are killed, a Slurm job is cancelled, and the runs
        // they held go back to the queue (a re-run resumes them from their checkpoints).
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        cancellationToken = stop.Token;
        var result = ExecutorChoice.Run(settings, registry, store, spec.Study, options, view.Show, view.Log, cancellationToken);
        view.Finish();

        var c = result.Counts;
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(SweepDocument.Summary(plan, registry, c, options.Workers, threads, result.Wall));
        }
        else
        {
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"[bold]{Markup.Escape(spec.Study)}[/]: {c.Done}/{c.Total} runs done, {c.Failed} failed, in {result.Wall.TotalSeconds:F1} s " +
                $"(see [italic]scalelab runs --study {Markup.Escape(spec.Study)}[/])"));
        }
        if (c.Failed > 0)
        {
            var firstError = store.ListRuns(spec.Study).First(r => r.Status == RunStatus.Failed).Error;
            stderr.WriteLine($"error: {c.Failed} of {c.Total} runs failed (first: {firstError}); rerun with --retry-failed");
            return CliApp.ExitFailure;
        }
        return CliApp.ExitOk;

        void Stop(PosixSignalContext signal)
        {
            signal.Cancel = true;
            stop.Cancel();
        }
    }

    private int WriteDryRun(SweepSpec spec, IReadOnlyList<RunSpec> runs, bool json)
    {
        if (json)
        {
            console.Profile.Out.Writer.WriteLine(SweepDocument.DryRun(spec, runs));
            return CliApp.ExitOk;
        }
        var table = new Table().AddColumns("key", "shape", "N", "D", "steps", "lr", "seed", "FLOP");
        foreach (var r in runs)
        {
            table.AddRow(r.Key, $"{r.Layers}x{r.DModel}x{r.Heads}", Inv(r.Model.NonEmbeddingParameterCount), Inv(r.Tokens),
                Inv(r.Steps), r.LearningRate.ToString("G3", CultureInfo.InvariantCulture), Inv(r.Seed),
                (r.Model.FlopsPerToken * r.Tokens).ToString("0.00e+0", CultureInfo.InvariantCulture));
        }
        console.Write(table);
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"{runs.Count} runs in study [bold]{Markup.Escape(spec.Study)}[/] (dry run: nothing enqueued)"));
        return CliApp.ExitOk;
    }

    /// <summary>The runs of a spec of another kind: key, seed and the kind's config of each.</summary>
    private int WriteKindDryRun(SweepSpec spec, bool json)
    {
        var runs = spec.NewRuns();
        if (json)
        {
            console.Profile.Out.Writer.WriteLine(SweepDocument.KindDryRun(spec, runs));
            return CliApp.ExitOk;
        }
        var table = new Table().AddColumns("key", "seed", "config");
        foreach (var r in runs)
        {
            table.AddRow(r.Key, Inv(r.Seed), Markup.Escape(r.ConfigJson));
        }
        console.Write(table);
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"{runs.Count} runs of kind {Markup.Escape(spec.Kind!)} in study [bold]{Markup.Escape(spec.Study)}[/] (dry run: nothing enqueued)"));
        return CliApp.ExitOk;
    }

    private static string Inv(long value) => value.ToString(CultureInfo.InvariantCulture);
}
