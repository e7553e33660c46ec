using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Studies.CriticalBatch;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Lab.Studies;

/// <summary>
/// The language-model runs of a study verb (<c>critical-batch</c>'s sweep, <c>gns</c>'s one run) as runs of a registry
/// study, so the verb is resumable and any executor trains them: <see cref="TrainAndReadBack"/> enqueues the runs, has
/// what is not finished trained, and reads every run back (validation curve, B_simple at the evaluations, how it ended).
/// Running it again with the same runs finds them by key: finished ones are read back, interrupted ones resume from
/// their last checkpoint (<see cref="RunExecution"/>), and only the rest are trained.
/// </summary>
public static class StudyRuns
{
    /// <summary>
    /// Enqueues <paramref name="runs"/> in their study (runs already there keep their state), trains what is
    /// not finished on <paramref name="options"/>.Workers threads, and reads every run back from the registry.
    /// Runs left running by a dead process of this machine are put back in the queue first, so they resume at
    /// once. Throws <see cref="InvalidOperationException"/> if a run is still unfinished afterwards, or failed
    /// for a reason other than divergence.
    /// </summary>
    /// <param name="executor">Trains the study's queued runs (any executor: local worker processes, Slurm) and returns
    /// what it knows of their outcomes; null: <paramref name="options"/>.Workers threads of this process.</param>
    public static IReadOnlyList<SweepOutcome> TrainAndReadBack(Func<IRunStore> openStore, IReadOnlyList<RunSpec> runs, string? studySpec,
        ExecutorOptions options, Action<string>? log = null, Func<string, IReadOnlyList<RunOutcome>>? executor = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(openStore);
        ArgumentNullException.ThrowIfNull(runs);
        if (runs.Count == 0 || runs.Select(r => r.Study).Distinct().Count() != 1)
        {
            throw new ArgumentException("the runs must be at least one, all of one study", nameof(runs));
        }
        var study = runs[0].Study;
        var keys = runs.Select(r => r.Key).ToHashSet();
        using var store = openStore();
        store.CreateStudy(study, studySpec);
        store.Enqueue(study, runs.Select(r => r.ToNewRun()).ToList());
        // A run that failed for another reason than divergence (which would only diverge again) gets another try.
        if (store.ListRuns(study).Any(r => keys.Contains(r.Key) && r.Status == RunStatus.Failed
            && r.Error?.Contains("diverged", StringComparison.Ordinal) != true))
        {
            store.RetryFailed(study);
        }
        var released = LocalWorkers.ReleaseDead(store, study);
        if (released > 0)
        {
            log?.Invoke($"{study}: {released} run(s) of a stopped process back in the queue; resuming from their checkpoints");
        }
        IReadOnlyList<RunOutcome> trained = [];
        var pending = store.ListRuns(study).Where(r => keys.Contains(r.Key) && r.Status is RunStatus.Queued or RunStatus.Running)
            .Select(r => r.Key).ToHashSet();
        if (pending.Count > 0)
        {
            trained = executor is null
                ? InProcessExecutor.Run(openStore, study, options, log: log, cancellationToken: cancellationToken).Outcomes
                : executor(study);
        }
        cancellationToken.ThrowIfCancellationRequested();
        var records = store.ListRuns(study).Where(r => keys.Contains(r.Key)).ToDictionary(r => r.Key);
        return runs.Select(r =>
        {
            var record = records[r.Key];
            var session = trained.LastOrDefault(o => o.RunKey == r.Key && o.End is RunEnd.Done or RunEnd.Failed);
            return ReadBack(record, store.ReadMetrics(r.Key)) with
            {
                // Worker processes report no outcomes here: a run unfinished before and finished now was trained now.
                TrainedNow = session is not null || (pending.Contains(r.Key) && record.Status is RunStatus.Done or RunStatus.Failed),
                ResumedFromStep = session?.ResumedFromStep ?? 0,
            };
        }).ToList();
    }

    /// <summary>
    /// A finished run read back from the registry: its validation curve (the evaluation steps), B_simple at
    /// those steps, and how it ended (done below its stop loss: reached the targets; done otherwise: step
    /// cap; failed with a divergence: diverged, keeping the curve up to there).
    /// </summary>
    public static SweepOutcome ReadBack(RunRecord record, IReadOnlyList<MetricRow> metrics)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(metrics);
        var spec = RunSpec.FromRecord(record);
        var evals = metrics.Where(m => m.ValLoss is not null).ToList();
        var curve = evals.Select(m => new LossPoint(m.Step, m.ValLoss!.Value)).ToList();
        var noise = evals.Where(m => m.BSimple is not null).Select(m => new NoiseScalePoint(m.ValLoss!.Value, m.BSimple!.Value)).ToList();
        var ending = record.Status switch
        {
            RunStatus.Done when curve.Count > 0 && curve[^1].Loss <= spec.StopAtLoss => SweepEnding.ReachedTargets,
            RunStatus.Done => SweepEnding.StepCap,
            RunStatus.Failed when record.Error?.Contains("diverged", StringComparison.Ordinal) == true => SweepEnding.Diverged,
            RunStatus.Failed => throw new InvalidOperationException(
                $"run {record.Key} (B={spec.BatchSize}, lr={spec.LearningRate}) failed: {record.Error}"),
            _ => throw new InvalidOperationException(
                $"run {record.Key} (B={spec.BatchSize}, lr={spec.LearningRate}) is still {record.Status.ToString().ToLowerInvariant()}" +
                (record.Worker is null ? "" : $" (worker {record.Worker})") + "; run the command again once it is free"),
        };
        return new SweepOutcome(spec.BatchSize, spec.LearningRate, spec.MicroBatches ?? 1, spec.Steps,
            metrics.Count > 0 ? metrics[^1].Step : 0, curve, noise, ending, record.Key);
    }
}
