using System.Diagnostics;
using System.Globalization;
using ScaleLab.Lab.Registry;

namespace ScaleLab.Lab.Execution;

/// <summary>
/// How to start a worker process: the executable and the arguments before the worker's own
/// (for <c>dotnet scalelab.dll</c>: FileName "dotnet", Prefix ["/path/scalelab.dll"]; for the apphost:
/// FileName "/path/scalelab", Prefix []). The worker verb and its flags are appended by the executor:
/// <c>worker --registry R --study S --worker-id ID --threads K --checkpoint-dir D --checkpoint-interval C
/// --heartbeat-ms H --stale-ms T --poll-ms P</c>.
/// </summary>
public sealed record WorkerLaunch(string FileName, IReadOnlyList<string> Prefix);

/// <summary>
/// Runs a study on <see cref="ExecutorOptions.Workers"/> worker processes on this machine. Each worker
/// claims, trains and checkpoints runs through the registry; this process only starts them, shows the
/// sweep's status, and when a worker dies (killed, out of memory) hands its run back to the queue at once
/// (<see cref="IRunStore.ReleaseWorker"/>) and starts a replacement while work remains. The replacement,
/// or any idle worker, resumes the run from its last checkpoint.
/// </summary>
public sealed class LocalProcessExecutor(WorkerLaunch launch, string registry)
{
    /// <summary>Replacement workers allowed per run before the sweep gives up (a worker that dies on
    /// start-up every time would otherwise be restarted forever).</summary>
    public const int RestartsPerRun = 5;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _processIds = [];

    /// <summary>Live workers: worker id (as recorded in the registry's runs.worker) → process id. A snapshot,
    /// for monitoring and for the kill tests.</summary>
    public IReadOnlyDictionary<string, int> WorkerProcesses
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, int>(_processIds);
            }
        }
    }

    public SweepResult Run(IRunStore store, string study, ExecutorOptions options,
        Action<SweepStatus>? progress = null, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        options.Validate();
        var clock = Stopwatch.StartNew();
        var monitor = new SweepMonitor(store, study);
        var restartsLeft = RestartsPerRun * Math.Max(1, store.CountByStatus(study).Total) + options.Workers;
        var workers = new Dictionary<string, Process>();
        var next = 0;
        try
        {
            for (var i = 0; i < options.Workers; i++)
            {
                Start();
            }
            TimeSpan? lastReport = null;
            while (workers.Count > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                foreach (var (id, process) in workers.Where(w => w.Value.HasExited).ToList())
                {
                    workers.Remove(id);
                    lock (_gate)
                    {
                        _processIds.Remove(id);
                    }
                    // HasExited can be true before the last stderr lines reach our handler; the no-argument
                    // WaitForExit returns only once both redirected streams are drained.
                    process.WaitForExit();
                    var code = process.ExitCode;
                    process.Dispose();
                    if (code == 0)
                    {
                        continue;
                    }
                    var released = store.ReleaseWorker(id);
                    log?.Invoke($"worker {id} exited with code {code}; {released} run(s) back in the queue");
                    var counts = store.CountByStatus(study);
                    if (counts.Queued + counts.Running > 0)
                    {
                        if (--restartsLeft < 0)
                        {
                            throw new InvalidOperationException($"workers keep dying (last exit code {code}); giving up on study {study}");
                        }
                        Start();
                    }
                }
                if (progress is not null && (lastReport is null || clock.Elapsed - lastReport >= TimeSpan.FromSeconds(1)))
                {
                    progress(monitor.Poll());
                    lastReport = clock.Elapsed;
                }
                Thread.Sleep(50);
            }
        }
        finally
        {
            foreach (var (id, process) in workers)
            {
                // Only reached on cancellation or failure: stop our workers and free their runs.
                try
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit();
                }
                catch (InvalidOperationException)
                {
                    // Already gone.
                }
                store.ReleaseWorker(id);
                process.Dispose();
            }
            lock (_gate)
            {
                _processIds.Clear();
            }
        }
        var final = monitor.Poll();
        progress?.Invoke(final);
        return new SweepResult(study, final.Counts, clock.Elapsed, []);

        void Start()
        {
            var id = SweepWorker.NewWorkerId($"w{next++}");
            var info = new ProcessStartInfo(launch.FileName)
            {
                UseShellExecute = false,
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            };
            // --parent-pid: the worker exits when this process dies (even by SIGKILL, which runs no cleanup here).
            foreach (var arg in launch.Prefix.Concat(WorkerArguments(registry, study, id, options)).Concat(["--parent-pid", Invariant(Environment.ProcessId)]))
            {
                info.ArgumentList.Add(arg);
            }
            var process = new Process { StartInfo = info, EnableRaisingEvents = true };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is { Length: > 0 } line)
                {
                    log?.Invoke($"[{id}] {line}");
                }
            };
            process.OutputDataReceived += (_, _) => { };
            process.Start();
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
            workers[id] = process;
            lock (_gate)
            {
                _processIds[id] = process.Id;
            }
        }
    }

    /// <summary>The worker verb's arguments (parsed by the CLI's hidden <c>worker</c> command).</summary>
    public static IReadOnlyList<string> WorkerArguments(string registry, string study, string workerId, ExecutorOptions options) =>
    [
        "worker",
        "--registry", registry,
        "--study", study,
        "--worker-id", workerId,
        "--threads", Invariant(options.ThreadsPerWorker),
        "--checkpoint-dir", Path.GetFullPath(options.CheckpointDirectory),
        "--checkpoint-interval", Invariant(options.CheckpointInterval),
        "--heartbeat-ms", Invariant((long)options.HeartbeatInterval.TotalMilliseconds),
        "--stale-ms", Invariant((long)options.StaleAfter.TotalMilliseconds),
        "--poll-ms", Invariant((long)options.PollInterval.TotalMilliseconds),
    ];

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
