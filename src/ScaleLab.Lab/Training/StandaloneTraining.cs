using ScaleLab.Engine.Training;
using ScaleLab.Lab.Studies.GradientNoise;

namespace ScaleLab.Lab.Training;

/// <summary>What a standalone run (<c>scalelab train</c> without a registry) produced: the trainer's summary, every
/// evaluation, and the gradient-noise record sampled at each evaluation (empty without gradient-noise tracking).</summary>
public sealed record StandaloneTrainingResult(TrainSummary Summary, IReadOnlyList<EvalMetrics> Evals, IReadOnlyList<GradientNoiseRecord> Noise);

/// <summary>
/// One run trained to its end in this process, outside any registry: the trainer's own loop (it writes its checkpoint
/// before a cancellation surfaces), with the gradient noise scale tracked on request. The caller owns the trainer
/// (new or resumed), the progress display and what a cancellation means.
/// </summary>
public static class StandaloneTraining
{
    /// <summary>
    /// Trains <paramref name="trainer"/> to its last step. With <paramref name="gnsEma"/> the gradient noise scale is
    /// tracked as a ratio of EMAs of the unbiased two-batch estimates (McCandlish et al. 2018, App. A.1), updated every
    /// step and sampled at every evaluation; B_simple is in sequences (multiply by T for tokens).
    /// </summary>
    /// <exception cref="OperationCanceledException">When <paramref name="cancellationToken"/> stops the run.</exception>
    public static StandaloneTrainingResult Run(Trainer trainer, double? gnsEma, Action<StepMetrics> onStep, Action<EvalMetrics> onEval,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(onStep);
        ArgumentNullException.ThrowIfNull(onEval);
        var evals = new List<EvalMetrics>();
        var noise = new List<GradientNoiseRecord>();
        GradientNoiseRecord? last = null;
        Action<StepMetrics> step = onStep;
        if (gnsEma is { } ema)
        {
            var tracker = new GradientNoiseTracker(ema);
            step = m => { last = tracker.Update(m.Step, GradientNoiseRun.Estimate(m)); onStep(m); };
        }
        var summary = trainer.Run(step, e =>
        {
            evals.Add(e);
            if (last is { } record)
            {
                noise.Add(record);
            }
            onEval(e);
        }, cancellationToken);
        return new StandaloneTrainingResult(summary, evals, noise);
    }
}
