using System.Collections.Concurrent;
using System.Diagnostics;
using ScaleLab.Lab.Registry;

namespace ScaleLab.Lab.Execution;

/// <summary>
/// Runs a study's queued runs on <see cref="ExecutorOptions.Workers"/> threads of this process, each with
/// its own registry connection, exactly as worker processes would (same claim, heartbeat and resume logic).
/// For tests, for <c>scalelab demo --quick</c>, and wherever starting processes is not wanted. A crash of
/// the process takes every worker with it; the runs are reclaimed (stale heartbeat) by the next session.
/// </summary>
public static class InProcessExecutor
{
    public static SweepResult Run(Func<IRunStore> openStore, string study, ExecutorOptions options,
        Action<SweepStatus>? progress = null, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        options.Validate();
        var clock = Stopwatch.StartNew();
        var outcomes = new ConcurrentQueue<RunOutcome>();
        using var monitorStore = openStore();
        var monitor = new SweepMonitor(monitorStore, study);
        var errors = new ConcurrentQueue<Exception>();
        var threads = Enumerable.Range(0, options.Workers).Select(i => new Thread(() =>
        {
            try
            {
                using var store = openStore();
                SweepWorker.Run(store, study, SweepWorker.NewWorkerId($"t{i}"), options, outcomes.Enqueue, log, cancellationToken);
            }
            catch (Exception ex)
            {
                errors.Enqueue(ex);
            }
        }) { Name = $"scalelab-worker-{i}", IsBackground = true }).ToList();
        threads.ForEach(t => t.Start());
        // A thread may end between the two looks, so the one to wait on can be missing.
        while (threads.FirstOrDefault(t => t.IsAlive) is { } alive)
        {
            progress?.Invoke(monitor.Poll());
            alive.Join(TimeSpan.FromSeconds(1));
        }
        if (errors.TryPeek(out var error))
        {
            // A worker failed outside any run (registry unreachable, say): surface its one-line message.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(error).Throw();
        }
        var final = monitor.Poll();
        progress?.Invoke(final);
        return new SweepResult(study, final.Counts, clock.Elapsed, outcomes.ToList());
    }
}
