namespace ScaleLab.Lab.Studies.GradientNoise;

/// <summary>
/// One estimate of the two quantities behind the gradient noise scale (McCandlish et al. 2018,
/// "An Empirical Model of Large-Batch Training", arXiv:1812.06162, Sec. 2.2):
/// <c>|G|²</c>, the squared norm of the true (full-data) gradient, and <c>tr(Σ)</c>, the trace of the
/// per-example gradient covariance. Either may be negative for a single noisy estimate; only their
/// averages are meaningful, which is why <see cref="GradientNoiseTracker"/> smooths each one separately.
/// </summary>
/// <param name="GradNormSq">Estimate of |G|².</param>
/// <param name="TraceCov">Estimate of tr(Σ).</param>
public readonly record struct NoiseEstimate(double GradNormSq, double TraceCov)
{
    /// <summary>B_simple = tr(Σ)/|G|² (McCandlish et al. 2018, Eq. 2.9). Meaningless for one noisy estimate.</summary>
    public double BSimple => TraceCov / GradNormSq;

    /// <summary>Both quantities scaled by <paramref name="factor"/>, as when the loss is scaled by √factor.</summary>
    public NoiseEstimate Scale(double factor) => new(GradNormSq * factor, TraceCov * factor);
}
