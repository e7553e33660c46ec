using ScaleLab.Engine.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Lab.Studies.CriticalBatch;

/// <summary>How one (B, η) run of the sweep ended.</summary>
public enum SweepEnding
{
    /// <summary>Validation loss reached the lowest target; the run was stopped there.</summary>
    ReachedTargets,

    /// <summary>The step cap came first.</summary>
    StepCap,

    /// <summary>The loss or the gradient became non-finite.</summary>
    Diverged,
}

/// <summary>One (B, η) run: its validation curve, B_simple at each evaluation, and how it ended.
/// <paramref name="RunKey"/> is its key in the registry; <paramref name="TrainedNow"/> says whether this
/// session trained (part of) it, <paramref name="ResumedFromStep"/> from which checkpoint step (0: from the start).</summary>
public sealed record SweepOutcome(
    int Batch,
    double LearningRate,
    int MicroBatches,
    long StepCap,
    long StepsRun,
    IReadOnlyList<LossPoint> Curve,
    IReadOnlyList<NoiseScalePoint> NoiseScale,
    SweepEnding Ending,
    string RunKey = "",
    bool TrainedNow = false,
    long ResumedFromStep = 0)
{
    public SweepRun ToSweepRun() => new(Batch, LearningRate, Curve, NoiseScale.Count > 0 ? NoiseScale : null);
}

/// <summary>What every run of a critical-batch sweep shares (the batch size and learning rate vary).</summary>
/// <param name="Corpus">"synthetic", "synthetic:SEED" or a text file (see <see cref="Corpora"/>).</param>
/// <param name="Template">Model, seed, warmup, weight decay, clipping, evaluation windows and the requested
/// micro-batch count; batch, learning rate, steps and schedule floor are set per run.</param>
/// <param name="LowestTarget">Every run stops at the first evaluation at or below this validation loss.</param>
/// <param name="MaxExamples">Cap on sequences per run; the step cap is max(MinSteps, ⌈MaxExamples/B⌉).</param>
/// <param name="EvalPoints">Evaluations over a run's step cap.</param>
/// <param name="EmaDecay">EMA decay of the |G|² and tr(Σ) estimates behind B_simple.</param>
public sealed record CriticalBatchPlan(
    string Study,
    string Corpus,
    string? CorpusSha256,
    TrainOptions Template,
    double LowestTarget,
    long MaxExamples,
    long MinSteps,
    int EvalPoints,
    double EmaDecay);

/// <summary>
/// The runs of the critical-batch sweep, as runs of a study in the run registry so the sweep is resumable:
/// each (B, η) run trains at a constant learning rate after warmup (so the steps to a target do not depend on
/// how long the run was planned), validates every cap/K steps on the same fixed validation windows, logs
/// B_simple every step over its micro-batches, and stops, done, once the lowest target is reached.
/// Running the same plan again finds its runs by key: finished ones are read back, interrupted ones resume
/// from their last checkpoint (<see cref="RunExecution"/>), and only the rest are trained.
/// </summary>
public static class CriticalBatchSweep
{
    /// <summary>The registry run for batch <paramref name="batch"/> and learning rate <paramref name="learningRate"/>.</summary>
    public static RunSpec Plan(CriticalBatchPlan plan, int batch, double learningRate, int ordinal)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var t = plan.Template;
        var cap = Math.Max(plan.MinSteps, (plan.MaxExamples + batch - 1) / batch);
        var micro = MicroBatchesFor(batch, t.MicroBatches);
        return new RunSpec(plan.Study, ordinal, plan.Corpus, plan.CorpusSha256, t.Model.Layers, t.Model.DModel, t.Model.Heads,
            t.Model.SeqLen, t.Model.Vocab, batch, cap, learningRate, t.WarmupSteps ?? t.EffectiveWarmupSteps,
            MinLrFraction: 1.0, t.WeightDecay, t.GradClip, EvalInterval: (int)Math.Max(1, cap / plan.EvalPoints), EvalBatches: 1,
            (long)t.Seed, MicroBatches: micro == 1 ? null : micro, GnsEma: micro >= 2 ? plan.EmaDecay : null,
            EvalSequences: t.EvalSequences, StopAtLoss: plan.LowestTarget);
    }

    /// <summary>
    /// Enqueues <paramref name="runs"/> in their study (runs already there keep their state), trains what is
    /// not finished on <paramref name="options"/>.Workers threads, and reads every run back from the registry.
    /// Runs left running by a dead process of this machine are put back in the queue first, so they resume at
    /// once. Throws <see cref="InvalidOperationException"/> if a run is still unfinished afterwards, or failed
    /// for a reason other than divergence.
    /// </summary>
    /// <param name="executor">Trains the study's queued runs (any executor: local worker processes, Slurm) and returns
    /// what it knows of their outcomes; null: <paramref name="options"/>.Workers threads of this process.</param>
    public static IReadOnlyList<SweepOutcome> Execute(Func<IRunStore> openStore, IReadOnlyList<RunSpec> runs, string? studySpec,
        ExecutorOptions options, Action<string>? log = null, Func<string, IReadOnlyList<RunOutcome>>? executor = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(openStore);
        ArgumentNullException.ThrowIfNull(runs);
        if (runs.Count == 0 || runs.Select(r => r.Study).Distinct().Count() != 1)
        {
            throw new ArgumentException("a critical-batch sweep needs at least one run, all of one study", nameof(runs));
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
            return Read(record, store.ReadMetrics(r.Key)) with
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
    public static SweepOutcome Read(RunRecord record, IReadOnlyList<MetricRow> metrics)
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

    /// <summary>
    /// Micro-batches for batch B: the requested M when it divides B, else the largest divisor of B below it
    /// (1 for B = 1, where there is no second batch size and so no B_simple).
    /// </summary>
    public static int MicroBatchesFor(int batch, int requested)
    {
        for (var m = Math.Min(requested, batch); m > 1; m--)
        {
            if (batch % m == 0)
            {
                return m;
            }
        }
        return 1;
    }
}
