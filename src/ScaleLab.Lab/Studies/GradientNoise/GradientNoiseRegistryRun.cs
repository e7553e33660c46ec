using ScaleLab.Engine.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Lab.Studies.GradientNoise;

/// <summary>
/// A gradient-noise run as an ordinary language-model run of a registry study: the <see cref="RunSpec"/> that trains
/// exactly what <see cref="GradientNoiseRun.Train"/> trains for the same options (so any executor can train it, resume
/// it from its checkpoint, and list it), and the <see cref="GradientNoiseTrajectory"/> read back from its per-step
/// metrics. The registry keeps each step's raw two-batch estimates of |G|² and tr(Σ) and B_simple; the EMAs are
/// rebuilt by replaying the raw estimates through a <see cref="GradientNoiseTracker"/> in step order, the same
/// arithmetic as during training (McCandlish et al. 2018, App. A.1), so the trajectory is the in-memory one bit for bit.
/// </summary>
public static class GradientNoiseRegistryRun
{
    /// <summary>The registry run that trains <paramref name="options"/> (M ≥ 2 micro-batches) and logs B_simple with
    /// EMA decay <paramref name="emaDecay"/>. Evaluations do not touch the training stream, so the evaluation
    /// settings change only the logged validation losses, not the trajectory.</summary>
    public static RunSpec Plan(string study, string corpus, string? corpusSha256, TrainOptions options, double emaDecay)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MicroBatches < 2)
        {
            throw new ArgumentException($"gradient noise needs at least 2 micro-batches per step, got {options.MicroBatches}", nameof(options));
        }
        // The run spec's convention: EvalSequences is left out (null) when it is EvalBatches·B, as in a sweep spec.
        var evalBatches = options.EvalSequences % options.Batch == 0 ? options.EvalSequences / options.Batch : 1;
        int? evalSequences = evalBatches * options.Batch == options.EvalSequences ? null : options.EvalSequences;
        var spec = new RunSpec(study, 0, corpus, corpusSha256, options.Model.Layers, options.Model.DModel, options.Model.Heads,
            options.Model.SeqLen, options.Model.Vocab, options.Batch, options.Steps, options.LearningRate, options.EffectiveWarmupSteps,
            options.MinLearningRateFraction, options.WeightDecay, options.GradClip, options.EvalInterval, evalBatches, (long)options.Seed,
            MicroBatches: options.MicroBatches, GnsEma: emaDecay, EvalSequences: evalSequences);
        // The run trains with RunExecution.ToTrainOptions(spec): refuse a plan that would train anything else.
        var trained = RunExecution.ToTrainOptions(spec, options.Threads);
        if (trained.Schedule != options.Schedule || trained.AdamW != options.AdamW || trained.GradClip != options.GradClip
            || trained.Model != options.Model || trained.MicroBatches != options.MicroBatches || trained.EvalSequences != options.EvalSequences)
        {
            throw new ArgumentException("these training options cannot be expressed as a registry run (an optimizer setting outside the run spec)", nameof(options));
        }
        return spec;
    }

    /// <summary>
    /// The trajectory of a finished run from its registry rows: one point per step 1..Steps with the raw estimates,
    /// the rebuilt EMAs and B_simple, and the last validation loss. Throws <see cref="InvalidOperationException"/>
    /// when the run is not done, a step or its estimates are missing, or the replayed B_simple differs from the
    /// logged one (an edited registry).
    /// </summary>
    public static GradientNoiseTrajectory Read(RunRecord record, IReadOnlyList<MetricRow> metrics, string corpusDescription, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(metrics);
        var spec = RunSpec.FromRecord(record);
        if (spec.GnsEma is not { } decay)
        {
            throw new InvalidOperationException($"run {record.Key} does not track the gradient noise scale");
        }
        if (record.Status != RunStatus.Done)
        {
            throw new InvalidOperationException($"run {spec.Study}/{record.Key} is {record.Status.ToString().ToLowerInvariant()}" +
                (record.Error is null ? "" : $": {record.Error}"));
        }
        var tracker = new GradientNoiseTracker(decay);
        var points = new List<GradientNoisePoint>(metrics.Count);
        double? validation = null;
        foreach (var m in metrics)
        {
            if (m.Step != points.Count + 1 || m.GradNormSqEstimate is not { } gradNormSq || m.TraceCovEstimate is not { } traceCov)
            {
                throw new InvalidOperationException($"run {spec.Study}/{record.Key}: the registry lacks step {points.Count + 1} or its gradient-noise estimates");
            }
            var noise = tracker.Update(m.Step, new NoiseEstimate(gradNormSq, traceCov));
            if (m.BSimple is { } logged && BitConverter.DoubleToInt64Bits(logged) != BitConverter.DoubleToInt64Bits(noise.BSimple))
            {
                throw new InvalidOperationException($"run {spec.Study}/{record.Key}: step {m.Step} logged B_simple {logged}, its estimates give {noise.BSimple}");
            }
            points.Add(new GradientNoisePoint(m.Step, m.Tokens, m.TrainLoss, noise));
            validation = m.ValLoss ?? validation;
        }
        if (points.Count != spec.Steps)
        {
            throw new InvalidOperationException($"run {spec.Study}/{record.Key} logged {points.Count} of its {spec.Steps} steps");
        }
        return new GradientNoiseTrajectory(RunExecution.ToTrainOptions(spec, threads), corpusDescription, points,
            record.FinalLoss ?? validation ?? double.NaN);
    }
}
