using ScaleLab.Laws;

namespace ScaleLab.Lab.Studies.CriticalBatch;

/// <summary>B_crit measured at one target loss.</summary>
public readonly record struct CriticalBatchAtLoss(double Loss, double BCrit);

/// <summary>
/// Fit of B_crit(L) = B*·L^(−1/α_B) (Kaplan et al. 2020, "Scaling Laws for Neural Language Models",
/// arXiv:2001.08361, Eq. 5.3; they report α_B ≈ 0.21 and B* ≈ 2·10^8 tokens).
/// </summary>
/// <param name="AlphaB">α_B = −1/slope.</param>
/// <param name="BStar">B* = exp(intercept): B_crit at L = 1.</param>
/// <param name="Slope">d ln B_crit / d ln L = −1/α_B.</param>
/// <param name="SlopeStdError">OLS standard error of the slope.</param>
/// <param name="SlopeInterval">t-interval for the slope.</param>
/// <param name="AlphaBInterval">
/// The slope interval mapped through α = −1/s. If the slope interval contains 0 (the data cannot tell
/// whether B_crit falls with loss), the end on the far side of 0 is infinite.
/// </param>
public sealed record BatchLossScalingFit(
    double AlphaB,
    double BStar,
    double Slope,
    double SlopeStdError,
    Interval SlopeInterval,
    Interval AlphaBInterval,
    double Confidence,
    int Count)
{
    public double Predict(double loss) => BStar * Math.Pow(loss, Slope);
}

/// <summary>
/// Ordinary least squares (<see cref="LinearFit"/>) of ln B_crit on ln L: ln B_crit = ln B* + s·ln L with s = −1/α_B,
/// appropriate when each B_crit carries a similar relative error. Slope interval s ± t_{n−2,(1+c)/2}·SE(s).
/// </summary>
public static class BatchLossScaling
{
    public static BatchLossScalingFit Fit(IReadOnlyList<CriticalBatchAtLoss> points, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(points);
        var n = points.Count;
        if (n < 3)
        {
            throw new ArgumentException($"the B_crit(L) fit needs at least 3 target losses, got {n}", nameof(points));
        }
        if (!(confidence > 0 && confidence < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(confidence), $"confidence must be in (0, 1), got {confidence}");
        }
        var x = new double[n];
        var y = new double[n];
        for (var i = 0; i < n; i++)
        {
            var p = points[i];
            if (!(p.Loss > 0) || !(p.BCrit > 0) || !double.IsFinite(p.Loss) || !double.IsFinite(p.BCrit))
            {
                throw new ArgumentException($"point {i}: loss and B_crit must be positive and finite, got L={p.Loss}, B_crit={p.BCrit}", nameof(points));
            }
            x[i] = Math.Log(p.Loss);
            y[i] = Math.Log(p.BCrit);
        }
        LinearFit line;
        try
        {
            line = LinearFit.Ols(x, y);
        }
        catch (InvalidDataException)
        {
            throw new ArgumentException("the B_crit(L) fit needs at least two distinct losses", nameof(points));
        }
        var slope = line.Slope;
        var intercept = line.Intercept;
        var se = line.SlopeStdError;
        var slopeInterval = line.SlopeInterval(confidence).Interval!;
        return new BatchLossScalingFit(-1 / slope, Math.Exp(intercept), slope, se, slopeInterval,
            AlphaInterval(slope, slopeInterval), confidence, n);
    }

    /// <summary>{−1/s : s in the slope interval}, taking the branch that contains the estimate.</summary>
    private static Interval AlphaInterval(double slope, Interval s)
    {
        if (s.Hi < 0 || s.Lo > 0)
        {
            return new Interval(-1 / s.Lo, -1 / s.Hi);
        }
        return slope < 0
            ? new Interval(-1 / s.Lo, double.PositiveInfinity)
            : new Interval(double.NegativeInfinity, -1 / s.Hi);
    }
}
