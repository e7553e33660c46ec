using System.Diagnostics;
using System.Security.Cryptography;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Registry;
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
/// Trains one claimed run of any kind (<see cref="IRunKind"/>, looked up by the run's kind in <see cref="RunKinds"/>)
/// and keeps the registry in step with it. Ordering makes a crash at any instant recoverable without loss or
/// duplication: metrics up to step k are written (upserted by run, step and name) BEFORE the checkpoint of step k
/// is saved (atomically, by the session) and recorded, so a run resumed from its last checkpoint re-logs only
/// steps after k, and those replace, never duplicate, rows a dead worker wrote. A kind's session resumes bit for
/// bit, so a resumed run ends with the same state and metrics as one never interrupted.
/// </summary>
public static class RunExecution
{
    public static RunOutcome Train(IRunStore store, RunRecord run, string worker, ExecutorOptions options,
        Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        var checkpoint = options.CheckpointPath(run.Study, run.Key);
        IRunSession session;
        try
        {
            var kind = RunKinds.Get(run.KindName);
            Directory.CreateDirectory(Path.GetDirectoryName(checkpoint)!);
            session = kind.Open(new RunContext(run, checkpoint, options.ThreadsPerWorker, store, log));
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or ArgumentException or FormatException
            or System.Text.Json.JsonException)
        {
            var message = OneLine(ex.Message);
            store.Fail(run.Key, worker, message);
            return new RunOutcome(run.Key, RunEnd.Failed, null, message, 0, 0);
        }

        var resumedFrom = session.Step;
        var steps = session.Steps;
        using (session)
        using (var heartbeat = new Heartbeat(store, run.Key, worker, options.HeartbeatInterval, log))
        {
            var pending = new List<MetricRow>();
            var pendingNamed = new List<RunMetric>();
            var sinceFlush = Stopwatch.StartNew();
            void Flush()
            {
                store.AppendMetrics(run.Key, pending);
                store.AppendRunMetrics(run.Key, pendingNamed);
                pending.Clear();
                pendingNamed.Clear();
                sinceFlush.Restart();
            }
            void SaveCheckpoint()
            {
                Flush();
                session.SaveCheckpoint(checkpoint);
                store.RecordArtifact(run.Key, "checkpoint", checkpoint, Sha256(checkpoint));
            }

            double final;
            try
            {
                while (!session.Done)
                {
                    if (heartbeat.Lost)
                    {
                        Flush();
                        return new RunOutcome(run.Key, RunEnd.Lost, null, "another worker took the run over", resumedFrom, steps);
                    }
                    if (cancellationToken.IsCancellationRequested)
                    {
                        SaveCheckpoint();
                        store.ReleaseWorker(worker);
                        return new RunOutcome(run.Key, RunEnd.Cancelled, null, "cancelled", resumedFrom, steps);
                    }
                    var step = session.TrainStep();
                    if (step.Row is { } row)
                    {
                        pending.Add(row);
                    }
                    pendingNamed.AddRange(step.Metrics);
                    if (session.Done)
                    {
                        break;
                    }
                    if (step.Step % options.CheckpointInterval == 0)
                    {
                        SaveCheckpoint();
                    }
                    else if (sinceFlush.Elapsed >= options.MetricsFlushInterval)
                    {
                        Flush();
                    }
                }
                final = session.FinalValue();
                SaveCheckpoint();
            }
            catch (InvalidOperationException ex)
            {
                // A session throws this for a diverged run; the run cannot succeed by retrying.
                Flush();
                var message = OneLine(ex.Message);
                store.Fail(run.Key, worker, message);
                return new RunOutcome(run.Key, RunEnd.Failed, null, message, resumedFrom, steps);
            }
            heartbeat.Stop();
            return store.Finish(run.Key, worker, final)
                ? new RunOutcome(run.Key, RunEnd.Done, final, null, resumedFrom, steps)
                : new RunOutcome(run.Key, RunEnd.Lost, final, "another worker took the run over", resumedFrom, steps);
        }
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
        Optimizer = spec.OptimizerKind,
        Momentum = spec.Momentum ?? new SgdOptions().Momentum,
        GradClip = spec.GradClip,
        EvalInterval = spec.EvalInterval,
        EvalSequences = spec.EvalSequences ?? spec.EvalBatches * spec.BatchSize,
        Seed = (ulong)spec.Seed,
        Threads = threads,
    };

    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    internal static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

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
