using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;

namespace ScaleLab.Cli.Commands;

/// <summary>The executor options a verb that trains runs shares with <c>sweep</c> (--executor and the Slurm flags).</summary>
public interface IExecutorSettings
{
    string Executor { get; }
    string? Partition { get; }
    string? TimeLimit { get; }
    string? Account { get; }
    string? SlurmLogs { get; }
    string? SlurmBin { get; }
}

/// <summary>Runs a study's queued runs on the executor a verb's settings name: threads of this process, local
/// worker processes, or a Slurm job array. Every kind of run goes through the same executors.</summary>
public static class ExecutorChoice
{
    /// <summary>One line, or null when the executor flags are consistent.</summary>
    public static string? Validate(IExecutorSettings settings)
    {
        if (settings.Executor is not ("local" or "threads" or "slurm"))
        {
            return $"--executor must be local, threads or slurm, got '{settings.Executor}'";
        }
        return settings.Executor != "slurm" && (settings.Partition ?? settings.TimeLimit ?? settings.Account ?? settings.SlurmLogs ?? settings.SlurmBin) is not null
            ? "--partition, --time-limit, --account, --slurm-logs and --slurm-bin need --executor slurm"
            : null;
    }

    public static SweepResult Run(IExecutorSettings settings, string registry, IRunStore store, string study, ExecutorOptions options,
        Action<SweepStatus>? progress, Action<string>? log, CancellationToken cancellationToken) => settings.Executor switch
        {
            "threads" => InProcessExecutor.Run(() => RunStores.Open(registry), study, options, progress, log, cancellationToken),
            "slurm" => new SlurmExecutor(CurrentWorkerLaunch(), registry, new SlurmOptions
            {
                Partition = settings.Partition,
                TimeLimit = settings.TimeLimit,
                Account = settings.Account,
                LogDirectory = settings.SlurmLogs ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(options.CheckpointDirectory))!, "slurm-logs"),
                CommandDirectory = settings.SlurmBin,
            }).Run(store, study, options, progress, log, cancellationToken),
            _ => new LocalProcessExecutor(CurrentWorkerLaunch(), registry).Run(store, study, options, progress, log, cancellationToken),
        };

    /// <summary>
    /// How to start another copy of this program as a worker: the apphost itself when running as
    /// <c>scalelab</c>, otherwise the .NET host with scalelab.dll (covers <c>dotnet scalelab.dll</c> and
    /// commands run inside a test host).
    /// </summary>
    internal static WorkerLaunch CurrentWorkerLaunch()
    {
        var process = Environment.ProcessPath ?? "dotnet";
        var cliAssembly = typeof(CliApp).Assembly.Location;
        if (Path.GetFileNameWithoutExtension(process).Equals("scalelab", StringComparison.OrdinalIgnoreCase) || cliAssembly.Length == 0)
        {
            return new WorkerLaunch(process, []);
        }
        var host = Path.GetFileNameWithoutExtension(process).Equals("dotnet", StringComparison.OrdinalIgnoreCase) ? process : "dotnet";
        return new WorkerLaunch(host, [cliAssembly]);
    }
}
