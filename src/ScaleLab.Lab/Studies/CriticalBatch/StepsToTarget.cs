namespace ScaleLab.Lab.Studies.CriticalBatch;

/// <summary>A point of a loss curve: the loss measured after <paramref name="Step"/> optimisation steps.</summary>
public readonly record struct LossPoint(double Step, double Loss);

/// <summary>Reads the cost to reach a target loss off a loss curve.</summary>
public static class StepsToTarget
{
    /// <summary>
    /// The first step at which the curve reaches <paramref name="target"/>, interpolating linearly in step between
    /// the last point above the target and the first at or below it; null if the curve never reaches it.
    /// Points must be in increasing step order. The curve should be an evaluation loss or otherwise smoothed:
    /// a single noisy dip would count as reaching the target.
    /// </summary>
    public static double? Find(IReadOnlyList<LossPoint> curve, double target)
    {
        ArgumentNullException.ThrowIfNull(curve);
        for (var i = 0; i < curve.Count; i++)
        {
            if (i > 0 && !(curve[i].Step > curve[i - 1].Step))
            {
                throw new ArgumentException($"loss curve steps must increase (point {i}: {curve[i].Step} after {curve[i - 1].Step})", nameof(curve));
            }
            if (curve[i].Loss <= target)
            {
                if (i == 0)
                {
                    return curve[0].Step;
                }
                var (s0, l0) = (curve[i - 1].Step, curve[i - 1].Loss);
                var (s1, l1) = (curve[i].Step, curve[i].Loss);
                return s0 + (s1 - s0) * (l0 - target) / (l0 - l1);
            }
        }
        return null;
    }
}
