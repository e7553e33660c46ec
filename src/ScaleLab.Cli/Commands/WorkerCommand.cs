using System.ComponentModel;
using System.Globalization;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// <c>scalelab worker</c> (hidden): one worker process of <c>scalelab sweep</c>. Claims runs of a study from
/// the registry and trains them until none is queued or running. Started by
/// <see cref="LocalProcessExecutor"/> with the arguments of <see cref="LocalProcessExecutor.WorkerArguments"/>;
/// one line per finished run on stderr.
/// </summary>
[Verb("worker", "Internal: a sweep worker process (started by scalelab sweep)", Hidden = true)]
public sealed class WorkerCommand(Stderr stderr) : Command<WorkerCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--registry <REGISTRY>")]
        [Description("sqlite:PATH or postgres:CONNSTRING")]
        public string? Registry { get; set; }

        [CommandOption("--study <NAME>")]
        public string Study { get; set; } = "";

        [CommandOption("--worker-id <ID>")]
        public string? WorkerId { get; set; }

        [CommandOption("--threads <N>")]
        public int Threads { get; set; } = 1;

        [CommandOption("--checkpoint-dir <DIR>")]
        public string CheckpointDir { get; set; } = "scalelab-checkpoints";

        [CommandOption("--checkpoint-interval <STEPS>")]
        public int CheckpointInterval { get; set; } = 100;

        [CommandOption("--heartbeat-ms <MS>")]
        public long HeartbeatMs { get; set; } = 5000;

        [CommandOption("--stale-ms <MS>")]
        public long StaleMs { get; set; } = 60000;

        [CommandOption("--poll-ms <MS>")]
        public long PollMs { get; set; } = 1000;

        [CommandOption("--parent-pid <PID>")]
        [Description("Exit when this process (the sweep) dies: checkpoint, hand the run back, stop")]
        public int? ParentPid { get; set; }

        public override Spectre.Console.ValidationResult Validate() =>
            string.IsNullOrWhiteSpace(Study)
                ? Spectre.Console.ValidationResult.Error("--study is required")
                : Spectre.Console.ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var options = new ExecutorOptions
        {
            ThreadsPerWorker = settings.Threads,
            CheckpointDirectory = settings.CheckpointDir,
            CheckpointInterval = settings.CheckpointInterval,
            HeartbeatInterval = TimeSpan.FromMilliseconds(settings.HeartbeatMs),
            StaleAfter = TimeSpan.FromMilliseconds(settings.StaleMs),
            PollInterval = TimeSpan.FromMilliseconds(settings.PollMs),
        };
        var worker = settings.WorkerId ?? SweepWorker.NewWorkerId("w");
        using var orphaned = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var watch = settings.ParentPid is { } parent ? WatchParent(parent, orphaned, stderr) : null;
        using var store = RunStores.Open(settings.Registry);
        SweepWorker.Run(store, settings.Study, worker, options, o => Report(stderr, o), stderr.WriteLine, orphaned.Token);
        return CliApp.ExitOk;
    }

    /// <summary>How often an orphan check runs, and how long a cancelled worker may take to checkpoint before it is
    /// ended regardless (together well under the 5 s in which a killed sweep's workers must be gone).</summary>
    internal static readonly TimeSpan ParentPoll = TimeSpan.FromMilliseconds(250), OrphanGrace = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Polls the parent sweep. When it is gone (SIGKILL runs none of its cleanup, so its workers would train on
    /// unseen), cancels the worker, which checkpoints and hands its run back; if that takes longer than
    /// <see cref="OrphanGrace"/>, exits anyway (the run's checkpoint and heartbeat make it safe to take over).
    /// A polling timer rather than PR_SET_PDEATHSIG: that signal fires when the thread that started the process
    /// ends, and .NET starts processes from pool threads.
    /// </summary>
    private static Timer WatchParent(int parent, CancellationTokenSource cancel, Stderr stderr)
    {
        int startParent = LocalWorkers.ProcStat(Environment.ProcessId)?.ParentPid ?? parent;
        var fired = 0;
        return new Timer(_ =>
        {
            bool gone = !LocalWorkers.IsAlive(parent)
                || (startParent == parent && LocalWorkers.ProcStat(Environment.ProcessId) is { } self && self.ParentPid != parent);
            if (!gone || Interlocked.Exchange(ref fired, 1) == 1)
            {
                return;
            }
            stderr.WriteLine($"worker: parent process {parent} is gone; stopping");
            cancel.Cancel();
            new Thread(() =>
            {
                Thread.Sleep(OrphanGrace);
                Environment.Exit(CliApp.ExitFailure);
            }) { IsBackground = true }.Start();
        }, null, ParentPoll, ParentPoll);
    }

    private static void Report(Stderr stderr, RunOutcome o)
    {
        var resumed = o.ResumedFromStep > 0 ? string.Create(CultureInfo.InvariantCulture, $" (resumed from step {o.ResumedFromStep})") : "";
        var loss = o.FinalLoss is { } l ? string.Create(CultureInfo.InvariantCulture, $" loss {l:F4}") : "";
        var error = o.Error is null ? "" : $": {o.Error}";
        stderr.WriteLine($"run {o.RunKey} {o.End.ToString().ToLowerInvariant()}{loss}{resumed}{error}");
    }
}
