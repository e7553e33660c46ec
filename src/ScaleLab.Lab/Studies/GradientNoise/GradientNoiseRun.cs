using ScaleLab.Engine.Data;
using ScaleLab.Engine.Training;

namespace ScaleLab.Lab.Studies.GradientNoise;

/// <summary>One training step with its gradient-noise record.</summary>
public readonly record struct GradientNoisePoint(long Step, long Tokens, double Loss, GradientNoiseRecord Record);

/// <summary>A training run's B_simple trajectory and its final validation loss.</summary>
public sealed record GradientNoiseTrajectory(
    TrainOptions Options, string Corpus, IReadOnlyList<GradientNoisePoint> Points, double ValidationLoss);

/// <summary>
/// Online gradient noise scale from the engine's <see cref="Trainer"/>: its micro-batches are the small batch
/// and the accumulated step the big one (McCandlish et al. 2018, App. A.1). Batch sizes are in sequences.
/// </summary>
public static class GradientNoiseRun
{
    /// <summary>
    /// The two-batch estimate for one trainer step: |G_small|² = <see cref="StepMetrics.MicroGradNormSq"/> (the
    /// mean over the M micro-batches of B/M sequences, before clipping), |G_big|² = <see cref="StepMetrics.AccumGradNormSq"/>
    /// (their average, B sequences). With B/M = 1 this is the per-example (B_small = 1) variant.
    /// </summary>
    public static NoiseEstimate Estimate(StepMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        if (metrics.MicroBatches < 2)
        {
            throw new ArgumentException($"gradient noise needs at least 2 micro-batches per step, got {metrics.MicroBatches}", nameof(metrics));
        }
        return GradientNoiseEstimators.TwoBatch(metrics.MicroGradNormSq, metrics.MicroBatchSize,
            metrics.AccumGradNormSq, (double)metrics.MicroBatchSize * metrics.MicroBatches);
    }

    /// <summary>Trains with <paramref name="options"/> (M ≥ 2 micro-batches) and tracks B_simple every step.</summary>
    public static GradientNoiseTrajectory Train(TrainOptions options, ICorpus corpus, double emaDecay,
        Action<GradientNoisePoint>? onStep = null, Action<EvalMetrics>? onEval = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(corpus);
        if (options.MicroBatches < 2)
        {
            throw new ArgumentException($"gradient noise needs at least 2 micro-batches per step, got {options.MicroBatches}", nameof(options));
        }
        using var trainer = new Trainer(options, corpus);
        var tracker = new GradientNoiseTracker(emaDecay);
        var points = new List<GradientNoisePoint>();
        // A non-null onEval: the trainer's final evaluation is written `onEval?.Invoke(EvaluateNow())`, which
        // skips the evaluation itself when the callback is null.
        var summary = trainer.Run(m =>
        {
            if (!double.IsFinite(m.MicroGradNormSq) || !double.IsFinite(m.AccumGradNormSq))
            {
                throw new InvalidOperationException($"training diverged at step {m.Step}: the gradient norm is not finite; lower --lr");
            }
            var point = new GradientNoisePoint(m.Step, m.Tokens, m.Loss, tracker.Update(m.Step, Estimate(m)));
            points.Add(point);
            onStep?.Invoke(point);
        }, onEval ?? (_ => { }), cancellationToken);
        return new GradientNoiseTrajectory(options, corpus.Description, points, summary.FinalValidationLoss);
    }
}
