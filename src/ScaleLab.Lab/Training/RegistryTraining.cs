using ScaleLab.Engine.Training;
using System.Diagnostics;
using System.Globalization;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Lab.Training;

/// <summary>Where a run stood when <see cref="RegistryTraining.Enqueue"/> found or added it.</summary>
public sealed record RegistryTrainingStart(bool Added, RunRecord Existing)
{
    public bool AlreadyDone => Existing.Status == RunStatus.Done;

    /// <summary>The one line said before training: already done, new, or resuming.</summary>
    public string Describe(string study, string registry) => AlreadyDone
        ? $"run {Existing.Key} of study {study} is already done in {registry}"
        : $"run {Existing.Key} of study {study} ({(Added ? "new" : "resuming")}) in {registry}";
}

/// <summary>
/// One run trained as a registry run of its study (<c>scalelab train --registry</c>): the same path a sweep worker
/// takes, so its metrics, checkpoints and resumption are a sweep's, trained in this process.
/// </summary>
public static class RegistryTraining
{
    /// <summary>How often progress is read back from the run's logged metrics (they are flushed every couple of seconds).</summary>
    public static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(5);

    /// <summary>The registry's description of a run trained with <paramref name="o"/>: everything that determines its result.</summary>
    /// <remarks>A corpus other than "synthetic" (any case) is a text file, named by its full path with its SHA-256.</remarks>
    public static RunSpec ToRunSpec(string study, string corpus, TrainOptions o, double? gnsEma)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(o);
        var synthetic = corpus.Equals("synthetic", StringComparison.OrdinalIgnoreCase);
        string? sha = null;
        if (!synthetic)
        {
            using var stream = File.OpenRead(corpus);
            sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
        }
        return new RunSpec(study, 0, synthetic ? "synthetic" : Path.GetFullPath(corpus), sha, o.Model.Layers, o.Model.DModel,
            o.Model.Heads, o.Model.SeqLen, o.Model.Vocab, o.Batch, o.Steps, o.LearningRate, o.EffectiveWarmupSteps,
            o.MinLearningRateFraction, o.WeightDecay, o.GradClip, o.EvalInterval, (o.EvalSequences + o.Batch - 1) / o.Batch,
            checked((long)o.Seed), o.MicroBatches == 1 ? null : o.MicroBatches, gnsEma, o.EvalSequences,
            Optimizer: o.Optimizer == OptimizerKind.Sgd ? RunSpec.Sgd : null, Momentum: o.Optimizer == OptimizerKind.Sgd ? o.Momentum : null);
    }


    /// <summary>Adds the run to its study (or finds it there); a run that failed before is refused, not retried.</summary>
    /// <exception cref="InvalidOperationException">When the run failed before.</exception>
    public static RegistryTrainingStart Enqueue(IRunStore store, RunSpec spec)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(spec);
        store.CreateStudy(spec.Study, null);
        var added = store.Enqueue(spec.Study, [spec.ToNewRun()]) == 1;
        var existing = store.GetRun(spec.Key)!;
        if (existing.Status == RunStatus.Failed)
        {
            throw new InvalidOperationException($"run {spec.Key} of study {spec.Study} failed before ({existing.Error}); retry with scalelab sweep --retry-failed or another --seed");
        }
        return new RegistryTrainingStart(added, existing);
    }

    /// <summary>
    /// Trains the study's queued run in this process, logging a progress line read from the run's metrics at most every
    /// <see cref="ProgressInterval"/>, then returns the run as recorded.
    /// </summary>
    public static RunRecord Train(string registry, IRunStore store, RunSpec spec, ExecutorOptions executor, Action<string> log,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(log);
        var clock = Stopwatch.StartNew();
        var lastShown = TimeSpan.Zero;
        void Progress(SweepStatus status)
        {
            if (clock.Elapsed - lastShown < ProgressInterval) return;
            lastShown = clock.Elapsed;
            var logged = store.ReadMetrics(spec.Key);
            if (logged.Count > 0)
            {
                log(string.Create(CultureInfo.InvariantCulture, $"train: step {logged[^1].Step}/{spec.Steps}, loss {logged[^1].TrainLoss:F4} | {clock.Elapsed:m\\:ss} elapsed"));
            }
        }
        InProcessExecutor.Run(() => RunStores.Open(registry), spec.Study, executor, Progress, log, cancellationToken);
        return store.GetRun(spec.Key)!;
    }
}
