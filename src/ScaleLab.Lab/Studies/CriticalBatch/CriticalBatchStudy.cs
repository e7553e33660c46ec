namespace ScaleLab.Lab.Studies.CriticalBatch;

/// <summary>
/// One training run of the critical-batch sweep: its batch size, learning rate, loss curve and, if it was
/// measured during the run, its B_simple trajectory.
/// </summary>
public sealed record SweepRun(int BatchSize, double LearningRate, IReadOnlyList<LossPoint> Curve,
    IReadOnlyList<NoiseScalePoint>? NoiseScale = null);

/// <summary>A point of a B_simple trajectory: the loss and the reported B_simple at the same step.</summary>
public readonly record struct NoiseScalePoint(double Loss, double BSimple);

/// <summary>Everything measured at one target loss.</summary>
/// <param name="TargetLoss">The loss every run had to reach.</param>
/// <param name="Runs">Per batch size, the fewest steps to the target over the learning rates tried.</param>
/// <param name="BestLearningRates">The learning rate that gave each entry of <paramref name="Runs"/>.</param>
/// <param name="Fit">The hyperbola fit, or null when fewer than 3 batch sizes reached the target.</param>
/// <param name="BSimple">
/// Geometric mean over the runs of <paramref name="Runs"/> that carry a B_simple trajectory of B_simple where
/// each first reached the target; null if none did.
/// </param>
public sealed record TargetResult(
    double TargetLoss,
    IReadOnlyList<BatchRun> Runs,
    IReadOnlyList<double> BestLearningRates,
    CriticalBatchFit? Fit,
    double? BSimple);

/// <summary>The whole study: per-target fits, B_crit(L) and the B_crit-vs-B_simple comparison.</summary>
/// <param name="LossScaling">B_crit(L) = B*·L^(−1/α_B) over the targets with a fit, or null if fewer than 3.</param>
/// <param name="MeanBCrit">Geometric mean of B_crit over targets that have both B_crit and B_simple.</param>
/// <param name="MeanBSimple">Geometric mean of B_simple over the same targets.</param>
public sealed record CriticalBatchAnalysis(
    IReadOnlyList<TargetResult> Targets,
    BatchLossScalingFit? LossScaling,
    double? MeanBCrit,
    double? MeanBSimple)
{
    /// <summary>MeanBCrit / MeanBSimple; McCandlish et al. 2018 (Fig. 4) find B_crit ≈ B_simple within about 10×.</summary>
    public double? Ratio => MeanBCrit / MeanBSimple;
}

/// <summary>
/// Turns the runs of a critical-batch sweep into the McCandlish et al. 2018 comparison. For each target loss:
/// steps to the target per run (<see cref="StepsToTarget"/>), the fewest over learning rates per batch size
/// (their "tuned" S), the hyperbola fit (<see cref="CriticalBatchFitter"/>), and B_simple at the same loss from
/// those same runs.
/// Then B_crit(L) across targets (<see cref="BatchLossScaling"/>). Geometric means are used because both
/// B_crit and B_simple vary by factors across losses.
/// </summary>
public static class CriticalBatchStudy
{
    public static CriticalBatchAnalysis Analyze(
        IReadOnlyList<SweepRun> runs,
        IReadOnlyList<double> targetLosses,
        double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(targetLosses);
        var results = new List<TargetResult>();
        foreach (var target in targetLosses)
        {
            var best = new SortedDictionary<int, (double Steps, SweepRun Run)>();
            foreach (var run in runs)
            {
                if (StepsToTarget.Find(run.Curve, target) is { } steps && steps > 0
                    && (!best.TryGetValue(run.BatchSize, out var current) || steps < current.Steps))
                {
                    best[run.BatchSize] = (steps, run);
                }
            }
            var batchRuns = best.Select(kv => new BatchRun(kv.Key, kv.Value.Steps)).ToList();
            var fit = batchRuns.Count >= 3 ? CriticalBatchFitter.Fit(batchRuns, confidence) : null;
            var bSimple = best.Values
                .Select(v => v.Run.NoiseScale is null ? null : BSimpleAtLoss(v.Run.NoiseScale, target))
                .Where(b => b is > 0)
                .Select(b => b!.Value)
                .ToList();
            results.Add(new TargetResult(target, batchRuns, best.Values.Select(v => v.Run.LearningRate).ToList(), fit,
                bSimple.Count > 0 ? GeometricMean(bSimple) : null));
        }

        var withFit = results.Where(r => r.Fit is not null).ToList();
        var scaling = withFit.Count >= 3 && withFit.Select(r => r.TargetLoss).Distinct().Count() >= 2
            ? BatchLossScaling.Fit(withFit.Select(r => new CriticalBatchAtLoss(r.TargetLoss, r.Fit!.BCrit)).ToList(), confidence)
            : null;
        var both = withFit.Where(r => r.BSimple is > 0).ToList();
        double? meanBCrit = both.Count > 0 ? GeometricMean(both.Select(r => r.Fit!.BCrit)) : null;
        double? meanBSimple = both.Count > 0 ? GeometricMean(both.Select(r => r.BSimple!.Value)) : null;
        return new CriticalBatchAnalysis(results, scaling, meanBCrit, meanBSimple);
    }

    /// <summary>
    /// B_simple at the first trajectory point whose loss is at or below <paramref name="target"/>, interpolated
    /// linearly in loss from the point before; null if the trajectory never reaches the target.
    /// </summary>
    public static double? BSimpleAtLoss(IReadOnlyList<NoiseScalePoint> trajectory, double target)
    {
        ArgumentNullException.ThrowIfNull(trajectory);
        for (var i = 0; i < trajectory.Count; i++)
        {
            if (trajectory[i].Loss <= target)
            {
                if (i == 0)
                {
                    return trajectory[0].BSimple;
                }
                var (p, q) = (trajectory[i - 1], trajectory[i]);
                var w = (p.Loss - target) / (p.Loss - q.Loss);
                return p.BSimple + w * (q.BSimple - p.BSimple);
            }
        }
        return null;
    }

    private static double GeometricMean(IEnumerable<double> values) => Math.Exp(values.Select(v => Math.Log(v)).Average());
}
