using ScaleLab.Laws;

namespace ScaleLab.Lab.Studies.CriticalBatch;

/// <summary>
/// One training run's cost to reach a target loss: batch size B (examples per step) and optimisation steps
/// S, from which examples E = B·S.
/// </summary>
public readonly record struct BatchRun(double BatchSize, double Steps)
{
    public double Examples => BatchSize * Steps;
}

/// <summary>
/// Fitted steps–examples trade-off at one target loss (McCandlish et al. 2018, Eq. 2.11):
/// <code>
///   (S/S_min − 1)·(E/E_min − 1) = 1,   equivalently   S = S_min·(1 + B_crit/B),   E = E_min·(1 + B/B_crit)
/// </code>
/// with B_crit = E_min/S_min. Intervals are profile intervals at <see cref="Confidence"/>; an end is infinite when the data
/// do not bound the parameter in that direction.
/// </summary>
/// <param name="SMin">Fewest steps, reached as B → ∞.</param>
/// <param name="EMin">Fewest examples, reached as B → 0.</param>
/// <param name="BCrit">E_min/S_min, the batch size at which S = 2·S_min and E = 2·E_min.</param>
/// <param name="ResidualStdDev">Standard deviation of the residuals of ln S, sqrt(RSS/(n − 2)).</param>
/// <param name="Count">Number of batch sizes fitted.</param>
/// <param name="MinBatch">Smallest batch size observed.</param>
/// <param name="MaxBatch">Largest batch size observed.</param>
public sealed record CriticalBatchFit(
    double SMin,
    double EMin,
    double BCrit,
    Interval SMinInterval,
    Interval EMinInterval,
    Interval BCritInterval,
    double Confidence,
    double ResidualStdDev,
    int Count,
    double MinBatch,
    double MaxBatch)
{
    /// <summary>S(B) = S_min·(1 + B_crit/B).</summary>
    public double PredictSteps(double batchSize) => SMin * (1 + BCrit / batchSize);

    /// <summary>E(B) = E_min·(1 + B/B_crit).</summary>
    public double PredictExamples(double batchSize) => EMin * (1 + batchSize / BCrit);

    /// <summary>Whether B_crit lies inside the range of batch sizes that were run (else it is extrapolated).</summary>
    public bool BCritWithinObservedRange => BCrit >= MinBatch && BCrit <= MaxBatch;
}
