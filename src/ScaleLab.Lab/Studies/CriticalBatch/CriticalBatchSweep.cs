using System.Globalization;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Execution;
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

    /// <summary>One line for the log: the run, how it ended, its last validation loss, and whether it was trained now.</summary>
    public string Describe()
    {
        var how = !TrainedNow ? "from the registry"
            : ResumedFromStep > 0 ? string.Create(CultureInfo.InvariantCulture, $"resumed from step {ResumedFromStep}") : "trained";
        return string.Create(CultureInfo.InvariantCulture,
            $"B={Batch} lr={LearningRate:G3}: {Ending} after {StepsRun} steps, last validation loss {(Curve.Count > 0 ? Curve[^1].Loss : double.NaN):F4} ({how})");
    }
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
/// <see cref="StudyRuns.TrainAndReadBack"/> trains them: running the same plan again finds its runs by key.
/// </summary>
public static class CriticalBatchSweep
{
    /// <summary>The sweep's runs: every batch size with every learning rate, numbered in that order.</summary>
    public static IReadOnlyList<RunSpec> Plan(CriticalBatchPlan plan, IReadOnlyList<int> batches, IReadOnlyList<double> learningRates) =>
        batches.SelectMany(b => learningRates.Select(lr => (b, lr))).Select((x, i) => Plan(plan, x.b, x.lr, i)).ToList();

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
