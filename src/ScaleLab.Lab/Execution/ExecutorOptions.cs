using ScaleLab.Lab.Registry;

namespace ScaleLab.Lab.Execution;

/// <summary>
/// How a sweep's runs are executed. None of these change a run's result (on a fixed thread count), so
/// none enter a run's key.
/// </summary>
public sealed record ExecutorOptions
{
    /// <summary>Concurrent workers (processes or threads), each training one run at a time.</summary>
    public int Workers { get; init; } = 1;

    /// <summary>Kernel threads per worker (the engine's fixed work split keeps results reproducible per count).</summary>
    public int ThreadsPerWorker { get; init; } = 1;

    /// <summary>Folder for checkpoints, one file per run: CheckpointDirectory/STUDY/KEY.ckpt.</summary>
    public string CheckpointDirectory { get; init; } = "scalelab-checkpoints";

    /// <summary>Steps between checkpoints (one is also written after the last step).</summary>
    public int CheckpointInterval { get; init; } = 100;

    /// <summary>How often a worker proves it is alive while training.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A running run whose heartbeat is older than this is presumed orphaned and reclaimed.</summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long an idle worker waits before asking again while other workers' runs are still running.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Metrics are written at least this often (and always before a checkpoint and at the end).</summary>
    public TimeSpan MetricsFlushInterval { get; init; } = TimeSpan.FromSeconds(2);

    public void Validate()
    {
        if (Workers < 1) throw new ArgumentException($"workers must be at least 1, got {Workers}");
        if (ThreadsPerWorker < 1) throw new ArgumentException($"threads per worker must be at least 1, got {ThreadsPerWorker}");
        if (CheckpointInterval < 1) throw new ArgumentException($"checkpoint interval must be at least 1 step, got {CheckpointInterval}");
        if (HeartbeatInterval <= TimeSpan.Zero || StaleAfter <= HeartbeatInterval)
        {
            throw new ArgumentException($"heartbeat interval {HeartbeatInterval} must be positive and shorter than the stale timeout {StaleAfter}");
        }
        if (string.IsNullOrWhiteSpace(CheckpointDirectory)) throw new ArgumentException("checkpoint directory must not be empty");
    }

    /// <summary>The default checkpoint folder of a registry's runs: scalelab-checkpoints beside a SQLite registry file (so a
    /// registry and its checkpoints move together), else in the current folder.</summary>
    public static string DefaultCheckpointDirectory(string registry)
    {
        var (backend, target) = RunStores.Parse(registry);
        var directory = backend == "sqlite" ? Path.GetDirectoryName(Path.GetFullPath(target))! : Directory.GetCurrentDirectory();
        return Path.Combine(directory, "scalelab-checkpoints");
    }

    /// <summary>The checkpoint file of a run.</summary>
    public string CheckpointPath(string study, string runKey) =>
        Path.GetFullPath(Path.Combine(CheckpointDirectory, study, runKey + ".ckpt"));
}
