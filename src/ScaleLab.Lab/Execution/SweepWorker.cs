using ScaleLab.Lab.Registry;

namespace ScaleLab.Lab.Execution;

/// <summary>
/// One worker's loop, the same for every kind of run (<see cref="IRunKind"/>) and every executor: claim the next
/// run of the study, train it (<see cref="RunExecution.Train"/>, which heartbeats and checkpoints it), repeat.
/// When nothing is claimable but runs of other workers are still running, it waits and asks again, since
/// one of them may die and its run come back. It returns when no run is queued or running.
/// </summary>
public static class SweepWorker
{
    public static IReadOnlyList<RunOutcome> Run(IRunStore store, string study, string worker, ExecutorOptions options,
        Action<RunOutcome>? onRun = null, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        options.Validate();
        var outcomes = new List<RunOutcome>();
        while (!cancellationToken.IsCancellationRequested)
        {
            var run = store.Claim(study, worker, options.StaleAfter);
            if (run is null)
            {
                var counts = store.CountByStatus(study);
                if (counts.Queued == 0 && counts.Running == 0)
                {
                    break;
                }
                cancellationToken.WaitHandle.WaitOne(options.PollInterval);
                continue;
            }
            RunOutcome outcome;
            try
            {
                outcome = RunExecution.Train(store, run, worker, options, log, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Anything unexpected fails this run, not the whole sweep; the reason is kept in the registry.
                var message = $"{ex.GetType().Name}: {ex.Message.ReplaceLineEndings(" ")}";
                store.Fail(run.Key, worker, message);
                outcome = new RunOutcome(run.Key, RunEnd.Failed, null, message, 0, 0);
            }
            outcomes.Add(outcome);
            onRun?.Invoke(outcome);
        }
        return outcomes;
    }

    /// <summary>A worker name unique across machines and processes: HOST:PID:TAG.</summary>
    public static string NewWorkerId(string tag) => $"{Environment.MachineName}:{Environment.ProcessId}:{tag}";
}
