using ScaleLab.Engine.Data;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Studies.GradientNoise;

namespace ScaleLab.Lab.Studies.CriticalBatch;

/// <summary>How one (B, η) run of the sweep ended.</summary>
public enum SweepEnding
{
    /// <summary>Validation loss reached the lowest target; the run was stopped there.</summary>
    ReachedTargets,

    /// <summary>The step cap came first.</summary>
    StepCap,

    /// <summary>The loss became non-finite.</summary>
    Diverged,
}

/// <summary>One (B, η) run: its validation curve, B_simple at each evaluation, and how it ended.</summary>
public sealed record SweepOutcome(
    int Batch,
    double LearningRate,
    int MicroBatches,
    long StepCap,
    long StepsRun,
    IReadOnlyList<LossPoint> Curve,
    IReadOnlyList<NoiseScalePoint> NoiseScale,
    SweepEnding Ending)
{
    public SweepRun ToSweepRun() => new(Batch, LearningRate, Curve, NoiseScale.Count > 0 ? NoiseScale : null);
}

/// <summary>
/// Runs of the critical-batch sweep on the engine. Each run uses a constant learning rate after warmup, so the
/// steps to a target do not depend on how long the run was planned, validates every cap/K steps on the corpus's
/// fixed validation windows, tracks B_simple over its micro-batches, and stops once the lowest target is reached.
/// </summary>
public static class CriticalBatchSweep
{
    /// <summary>
    /// Trains <paramref name="template"/> (model, seed, threads, warmup, evaluation size) at batch
    /// <paramref name="batch"/> and learning rate <paramref name="learningRate"/> for at most
    /// max(<paramref name="minSteps"/>, ⌈<paramref name="maxExamples"/>/B⌉) steps.
    /// </summary>
    public static SweepOutcome Run(TrainOptions template, ICorpus corpus, int batch, double learningRate, double lowestTarget,
        long maxExamples, long minSteps, int evalPoints, double emaDecay, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(template);
        var cap = Math.Max(minSteps, (maxExamples + batch - 1) / batch);
        var micro = MicroBatchesFor(batch, template.MicroBatches);
        var options = template with
        {
            Batch = batch,
            MicroBatches = micro,
            Steps = cap,
            LearningRate = learningRate,
            MinLearningRateFraction = 1.0,
            EvalInterval = (int)Math.Max(1, cap / evalPoints),
            CheckpointPath = null,
        };
        var tracker = new GradientNoiseTracker(emaDecay);
        var bSimple = new List<double>();
        var curve = new List<LossPoint>();
        var noise = new List<NoiseScalePoint>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var ending = SweepEnding.StepCap;
        long stepsRun = 0;
        try
        {
            using var trainer = new Trainer(options, corpus);
            trainer.Run(m =>
            {
                stepsRun = m.Step;
                if (!double.IsFinite(m.MicroGradNormSq) || !double.IsFinite(m.AccumGradNormSq))
                {
                    // The loss is still finite but the gradient overflowed: the run has diverged.
                    ending = SweepEnding.Diverged;
                    stop.Cancel();
                }
                bSimple.Add(micro >= 2 && ending != SweepEnding.Diverged
                    ? tracker.Update(m.Step, GradientNoiseRun.Estimate(m)).BSimple
                    : double.NaN);
            }, e =>
            {
                curve.Add(new LossPoint(e.Step, e.ValidationLoss));
                if (micro >= 2 && e.Step >= 1)
                {
                    noise.Add(new NoiseScalePoint(e.ValidationLoss, bSimple[(int)e.Step - 1]));
                }
                if (e.ValidationLoss <= lowestTarget)
                {
                    stop.Cancel();
                }
            }, stop.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Our own stop: the lowest target was reached (checked below).
        }
        catch (InvalidOperationException ex) when (ex.Message.Contains("diverged", StringComparison.Ordinal))
        {
            ending = SweepEnding.Diverged;
        }
        if (ending != SweepEnding.Diverged && curve.Count > 0 && curve[^1].Loss <= lowestTarget)
        {
            ending = SweepEnding.ReachedTargets;
        }
        return new SweepOutcome(batch, learningRate, micro, cap, stepsRun, curve, noise, ending);
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
