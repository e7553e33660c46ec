namespace ScaleLab.Lab.Studies.GradientNoise;

/// <summary>
/// One logged step of the online gradient-noise estimate (a row for the run registry).
/// </summary>
/// <param name="Step">Training step the estimate was taken at.</param>
/// <param name="GradNormSq">This step's raw estimate of |G|² (noisy, may be negative).</param>
/// <param name="TraceCov">This step's raw estimate of tr(Σ) (noisy, may be negative).</param>
/// <param name="GradNormSqEma">Bias-corrected EMA of the |G|² estimates up to this step.</param>
/// <param name="TraceCovEma">Bias-corrected EMA of the tr(Σ) estimates up to this step.</param>
/// <param name="BSimple">TraceCovEma / GradNormSqEma: the reported B_simple.</param>
public readonly record struct GradientNoiseRecord(
    long Step, double GradNormSq, double TraceCov, double GradNormSqEma, double TraceCovEma, double BSimple);

/// <summary>
/// Online B_simple as in McCandlish et al. 2018, Appendix A.1: each step's |G|² and tr(Σ) estimates are
/// individually too noisy to divide (the |G|² estimate is often negative), so each is smoothed by its own
/// exponential moving average and the reported value is the ratio of the two EMAs,
/// <code>
///   m_t = β·m_{t−1} + (1−β)·x_t,   m̂_t = m_t / (1 − β^t)          (Adam-style bias correction)
///   B_simple,t = m̂_t[tr(Σ)] / m̂_t[|G|²]
/// </code>
/// and not an EMA of per-step ratios, which is biased by Jensen's inequality. Both EMAs start at the same
/// step with the same β, so the bias-correction factor cancels in the ratio; it matters only for the logged
/// EMA values themselves, which are then unbiased averages from the first step on.
/// </summary>
public sealed class GradientNoiseTracker
{
    private readonly double _decay;
    private double _gradNormSq;
    private double _traceCov;
    private double _decayPower = 1.0;

    /// <param name="decay">β in (0, 1): the weight on the past. 0.99 averages roughly the last 100 steps.</param>
    public GradientNoiseTracker(double decay = 0.99)
    {
        if (!(decay > 0 && decay < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(decay), $"EMA decay must be in (0, 1), got {decay}");
        }
        _decay = decay;
    }

    /// <summary>The EMA decay β.</summary>
    public double Decay => _decay;

    /// <summary>Number of estimates folded in so far.</summary>
    public long Count { get; private set; }

    /// <summary>Bias-corrected EMA of |G|² (NaN before the first update).</summary>
    public double GradNormSq => Count == 0 ? double.NaN : _gradNormSq / (1 - _decayPower);

    /// <summary>Bias-corrected EMA of tr(Σ) (NaN before the first update).</summary>
    public double TraceCov => Count == 0 ? double.NaN : _traceCov / (1 - _decayPower);

    /// <summary>Ratio of the EMAs, tr(Σ)/|G|² (NaN before the first update).</summary>
    public double BSimple => Count == 0 ? double.NaN : _traceCov / _gradNormSq;

    /// <summary>Folds in one step's estimate and returns the record to log for it.</summary>
    public GradientNoiseRecord Update(long step, NoiseEstimate estimate)
    {
        if (!double.IsFinite(estimate.GradNormSq) || !double.IsFinite(estimate.TraceCov))
        {
            throw new ArgumentException($"non-finite gradient noise estimate at step {step}", nameof(estimate));
        }
        _gradNormSq = _decay * _gradNormSq + (1 - _decay) * estimate.GradNormSq;
        _traceCov = _decay * _traceCov + (1 - _decay) * estimate.TraceCov;
        _decayPower *= _decay;
        Count++;
        return new GradientNoiseRecord(step, estimate.GradNormSq, estimate.TraceCov, GradNormSq, TraceCov, BSimple);
    }
}
