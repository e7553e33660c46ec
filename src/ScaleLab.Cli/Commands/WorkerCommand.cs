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
public sealed class WorkerCommand : Command<WorkerCommand.Settings>
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
        using var store = RunStores.Open(settings.Registry);
        SweepWorker.Run(store, settings.Study, worker, options, Report, Console.Error.WriteLine, cancellationToken);
        return CliApp.ExitOk;
    }

    private static void Report(RunOutcome o)
    {
        var resumed = o.ResumedFromStep > 0 ? string.Create(CultureInfo.InvariantCulture, $" (resumed from step {o.ResumedFromStep})") : "";
        var loss = o.FinalLoss is { } l ? string.Create(CultureInfo.InvariantCulture, $" loss {l:F4}") : "";
        var error = o.Error is null ? "" : $": {o.Error}";
        Console.Error.WriteLine($"run {o.RunKey} {o.End.ToString().ToLowerInvariant()}{loss}{resumed}{error}");
    }
}
