using System.Diagnostics;
using System.Security.Cryptography;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Studies.GradientNoise;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Lab.Execution;

/// <summary>How one claimed run ended for this worker.</summary>
public enum RunEnd
{
    /// <summary>Trained to the last step and marked done.</summary>
    Done,
    /// <summary>Training failed (diverged, bad corpus); marked failed with the reason.</summary>
    Failed,
    /// <summary>Another worker took the run over (this worker's heartbeat went stale); work stopped.</summary>
    Lost,
    /// <summary>Cancelled; a checkpoint was written and the run put back in the queue.</summary>
    Cancelled,
}

/// <summary>The outcome of <see cref="RunExecution.Train"/>: <paramref name="ResumedFromStep"/> is the
/// checkpoint step it continued from (0 for a fresh start).</summary>
public sealed record RunOutcome(string RunKey, RunEnd End, double? FinalLoss, string? Error, long ResumedFromStep, long Steps);

/// <summary>
/// Trains one claimed run and keeps the registry in step with it. Ordering makes a crash at any instant
/// recoverable without loss or duplication: metrics up to step k are written (upserted by step) BEFORE the
/// checkpoint of step k is saved (atomically, by the engine) and recorded, so a run resumed from its last
/// checkpoint re-logs only steps after k, and those replace, never duplicate, rows a dead worker wrote.
/// The engine resumes bit for bit, so a resumed run ends with the same parameters and loss as one never
/// interrupted. A run that tracks the gradient noise scale (<see cref="RunSpec.GnsEma"/>) logs each step's raw
/// two-batch estimates beside B_simple; on resume its EMAs are rebuilt from the logged estimates of steps up to
/// the checkpoint, so its B_simple trajectory, too, is the uninterrupted one. A run with
/// <see cref="RunSpec.StopAtLoss"/> ends, done, at the first evaluation at or below that loss.
/// </summary>
public static class RunExecution
{
    public static RunOutcome Train(IRunStore store, RunRecord run, string worker, ExecutorOptions options,
        Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        var spec = RunSpec.FromRecord(run);
        var checkpoint = options.CheckpointPath(run.Study, run.Key);
        Trainer trainer;
        long resumedFrom = 0;
        try
        {
            var corpus = Corpora.Open(spec);
            (trainer, resumedFrom) = StartOrResume(spec, corpus, checkpoint, options, log);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or ArgumentException or FormatException)
        {
            var message = OneLine(ex.Message);
            store.Fail(run.Key, worker, message);
            return new RunOutcome(run.Key, RunEnd.Failed, null, message, 0, spec.Steps);
        }

        using (trainer)
        using (var heartbeat = new Heartbeat(store, run.Key, worker, options.HeartbeatInterval, log))
        {
            var logged = resumedFrom > 0 ? store.ReadMetrics(run.Key).Where(m => m.Step <= resumedFrom).ToList() : [];
            var tracker = spec.GnsEma is { } decay ? RebuildTracker(decay, logged, resumedFrom, spec, run.Key, log) : null;
            // A run resumed from the checkpoint it wrote when it stopped at its target loss has nothing left to do.
            double? lastValidation = logged.Count > 0 && logged[^1] is { ValLoss: { } v } last && last.Step == resumedFrom
                && spec.StopAtLoss is { } stopAt && v <= stopAt ? v : null;
            var stopped = lastValidation is not null;
            var pending = new List<MetricRow>();
            var sinceFlush = Stopwatch.StartNew();
            void Flush()
            {
                store.AppendMetrics(run.Key, pending);
                pending.Clear();
                sinceFlush.Restart();
            }
            void SaveCheckpoint()
            {
                Flush();
                trainer.SaveCheckpoint(checkpoint);
                store.RecordArtifact(run.Key, "checkpoint", checkpoint, Sha256(checkpoint));
            }

            try
            {
                while (!stopped && trainer.Step < spec.Steps)
                {
                    if (heartbeat.Lost)
                    {
                        Flush();
                        return new RunOutcome(run.Key, RunEnd.Lost, null, "another worker took the run over", resumedFrom, spec.Steps);
                    }
                    if (cancellationToken.IsCancellationRequested)
                    {
                        SaveCheckpoint();
                        store.ReleaseWorker(worker);
                        return new RunOutcome(run.Key, RunEnd.Cancelled, null, "cancelled", resumedFrom, spec.Steps);
                    }
                    var step = trainer.TrainStep();
                    double? validation = null;
                    // Same evaluation points as Trainer.Run: every EvalInterval steps and after the last step.
                    if ((spec.EvalInterval > 0 && step.Step % spec.EvalInterval == 0) || step.Step == spec.Steps)
                    {
                        validation = lastValidation = trainer.Evaluate();
                    }
                    var noise = tracker is null ? (GradientNoiseRecord?)null : Track(tracker, step);
                    pending.Add(new MetricRow(step.Step, step.Tokens, step.Loss, validation, step.LearningRate, step.GradNorm,
                        noise?.GradNormSq, noise?.TraceCov, noise?.BSimple));
                    stopped = validation <= spec.StopAtLoss;
                    if (stopped)
                    {
                        break;
                    }
                    if (step.Step % options.CheckpointInterval == 0 && step.Step < spec.Steps)
                    {
                        SaveCheckpoint();
                    }
                    else if (sinceFlush.Elapsed >= options.MetricsFlushInterval)
                    {
                        Flush();
                    }
                }
                // A run resumed from its final checkpoint (its worker died before marking it done) has
                // no step left to evaluate: evaluate again, which gives the same value bit for bit.
                lastValidation ??= trainer.Evaluate();
                SaveCheckpoint();
            }
            catch (InvalidOperationException ex)
            {
                // The engine throws this for a diverged loss; the run cannot succeed by retrying.
                Flush();
                var message = OneLine(ex.Message);
                store.Fail(run.Key, worker, message);
                return new RunOutcome(run.Key, RunEnd.Failed, null, message, resumedFrom, spec.Steps);
            }
            heartbeat.Stop();
            return store.Finish(run.Key, worker, lastValidation.Value)
                ? new RunOutcome(run.Key, RunEnd.Done, lastValidation, null, resumedFrom, spec.Steps)
                : new RunOutcome(run.Key, RunEnd.Lost, lastValidation, "another worker took the run over", resumedFrom, spec.Steps);
        }
    }

    /// <summary>Folds one step into the gradient-noise tracker (McCandlish et al. 2018, App. A.1: micro-batch
    /// vs accumulated gradient). A non-finite gradient norm means the run has diverged.</summary>
    private static GradientNoiseRecord Track(GradientNoiseTracker tracker, StepMetrics step)
    {
        if (!double.IsFinite(step.MicroGradNormSq) || !double.IsFinite(step.AccumGradNormSq))
        {
            throw new InvalidOperationException($"training diverged at step {step.Step}: the gradient norm is not finite; lower the learning rate");
        }
        return tracker.Update(step.Step, GradientNoiseRun.Estimate(step));
    }

    /// <summary>
    /// The tracker of a run, continued from the raw estimates the run logged up to <paramref name="resumedFrom"/>
    /// (metrics are written before each checkpoint, so they are all there). Replaying them in step order does the
    /// same arithmetic as the uninterrupted run. If some are missing (an edited registry), the EMAs restart here.
    /// </summary>
    private static GradientNoiseTracker RebuildTracker(double decay, IReadOnlyList<MetricRow> logged, long resumedFrom, RunSpec spec,
        string runKey, Action<string>? log)
    {
        var tracker = new GradientNoiseTracker(decay);
        if (resumedFrom == 0)
        {
            return tracker;
        }
        var complete = logged.Count == resumedFrom && logged.Select((m, i) => m.Step == i + 1
            && m.GradNormSqEstimate is not null && m.TraceCovEstimate is not null).All(ok => ok);
        if (!complete)
        {
            log?.Invoke($"run {spec.Study}/{runKey}: gradient-noise estimates before step {resumedFrom} incomplete; B_simple EMAs restart there");
            return tracker;
        }
        foreach (var m in logged)
        {
            tracker.Update(m.Step, new NoiseEstimate(m.GradNormSqEstimate!.Value, m.TraceCovEstimate!.Value));
        }
        return tracker;
    }

    /// <summary>The engine options for a run: everything from its spec, threads from the executor.
    /// Checkpoints are written here, not by the engine, so each can be recorded in the registry.</summary>
    public static TrainOptions ToTrainOptions(RunSpec spec, int threads) => new()
    {
        Model = spec.Model,
        Batch = spec.BatchSize,
        MicroBatches = spec.MicroBatches ?? 1,
        Steps = spec.Steps,
        LearningRate = spec.LearningRate,
        WarmupSteps = spec.WarmupSteps,
        MinLearningRateFraction = spec.MinLrFraction,
        WeightDecay = spec.WeightDecay,
        GradClip = spec.GradClip,
        EvalInterval = spec.EvalInterval,
        EvalSequences = spec.EvalSequences ?? spec.EvalBatches * spec.BatchSize,
        Seed = (ulong)spec.Seed,
        Threads = threads,
    };

    private static (Trainer Trainer, long From) StartOrResume(RunSpec spec, Engine.Data.ICorpus corpus, string checkpoint,
        ExecutorOptions options, Action<string>? log)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(checkpoint)!);
        if (File.Exists(checkpoint))
        {
            try
            {
                var resumed = Trainer.Resume(checkpoint, corpus, o => o with { Threads = options.ThreadsPerWorker });
                log?.Invoke($"run {spec.Study}/{RunKeyOf(checkpoint)}: resuming from step {resumed.Step} ({checkpoint})");
                return (resumed, resumed.Step);
            }
            catch (InvalidDataException ex)
            {
                // An unreadable checkpoint cannot be resumed; the run starts over (its metrics are upserted).
                log?.Invoke($"run {spec.Study}/{RunKeyOf(checkpoint)}: checkpoint unusable, starting over: {OneLine(ex.Message)}");
            }
        }
        return (new Trainer(ToTrainOptions(spec, options.ThreadsPerWorker), corpus), 0);
    }

    private static string RunKeyOf(string checkpoint) => Path.GetFileNameWithoutExtension(checkpoint);

    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

    /// <summary>Refreshes the run's heartbeat on a timer thread while training runs on the caller's thread.
    /// A refused heartbeat (the run was reclaimed) sets <see cref="Lost"/>; a failed one (registry busy or
    /// unreachable) is retried at the next tick.</summary>
    private sealed class Heartbeat : IDisposable
    {
        private readonly Timer _timer;
        private volatile bool _lost;

        public Heartbeat(IRunStore store, string runKey, string worker, TimeSpan interval, Action<string>? log)
        {
            _timer = new Timer(_ =>
            {
                try
                {
                    if (!store.Heartbeat(runKey, worker))
                    {
                        _lost = true;
                    }
                }
                catch (Exception ex) when (ex is IOException or System.Data.Common.DbException or InvalidOperationException)
                {
                    log?.Invoke($"heartbeat for {runKey} failed, retrying: {OneLine(ex.Message)}");
                }
            }, null, interval, interval);
        }

        public bool Lost => _lost;

        public void Stop() => _timer.Change(Timeout.Infinite, Timeout.Infinite);

        public void Dispose() => _timer.Dispose();
    }
}
