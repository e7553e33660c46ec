using MathNet.Numerics.Distributions;
using ScaleLab.Laws;

namespace ScaleLab.Lab.Studies.CriticalBatch;

/// <summary>
/// Fits S = S_min·(1 + B_crit/B) (McCandlish et al. 2018, Eq. 2.11 solved for S with E = B·S) to runs at
/// several batch sizes that reached the same target loss.
///
/// Objective: least squares on ln S, the maximum-likelihood fit when the noise on S is multiplicative
/// (log-normal, which is how steps-to-target scatter: relative, not absolute). With a = ln S_min and
/// b = ln B_crit,
/// <code>
///   RSS(a, b) = Σ_i ( ln S_i − a − ln(1 + e^b/B_i) )²
/// </code>
/// For fixed b the best a is closed form, a(b) = mean_i( ln S_i − ln(1 + e^b/B_i) ), so the fit is a 1-D
/// minimisation of the profile RSS(a(b), b), done by a grid over b ∈ [ln B_min − 10, ln B_max + 10] and a
/// golden-section refinement (no starting point to choose; the grid guards against a second local minimum).
///
/// Intervals: profile intervals (Bates and Watts 1988, Sec. 6.1) for each of ln S_min, ln B_crit and
/// ln E_min = a + b, i.e. the set of values θ whose profile RSS, minimised over the other parameter, satisfies
/// <code>
///   RSS_θ ≤ RSS_min · (1 + t²_{n−2, (1+c)/2} / (n − 2))
/// </code>
/// which is exact for a linear model and close for this one. An end is infinite when the data do not bound the
/// parameter in that direction (e.g. B_crit far beyond the largest batch run, where S ∝ 1/B fits as well).
/// </summary>
public static class CriticalBatchFitter
{
    private const double SearchMargin = 10.0;   // ln units either side of the observed batch range
    private const int GridPoints = 401;
    private const int ProfileGridPoints = 101;  // inner minimisations inside profiles: a smooth, near-unimodal RSS(b)
    private const double MaxIntervalReach = 30.0;  // ln units from the estimate before an end is called infinite

    public static CriticalBatchFit Fit(IReadOnlyList<BatchRun> runs, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (runs.Count < 3)
        {
            throw new ArgumentException($"the critical-batch fit needs at least 3 batch sizes, got {runs.Count}", nameof(runs));
        }
        if (!(confidence > 0 && confidence < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(confidence), $"confidence must be in (0, 1), got {confidence}");
        }
        var n = runs.Count;
        var lnB = new double[n];
        var lnS = new double[n];
        for (var i = 0; i < n; i++)
        {
            var r = runs[i];
            if (!(r.BatchSize > 0) || !(r.Steps > 0) || !double.IsFinite(r.BatchSize) || !double.IsFinite(r.Steps))
            {
                throw new ArgumentException($"run {i}: batch size and steps must be positive and finite, got B={r.BatchSize}, S={r.Steps}", nameof(runs));
            }
            lnB[i] = Math.Log(r.BatchSize);
            lnS[i] = Math.Log(r.Steps);
        }
        var model = new Model(lnB, lnS);
        var lo = lnB.Min() - SearchMargin;
        var hi = lnB.Max() + SearchMargin;

        // Point estimate: minimise the profile over b with a closed form.
        var (bHat, rssMin) = ScalarMinimizer.Minimize(model.ProfileOverA, lo, hi, GridPoints);
        var aHat = model.BestA(bHat);

        var t = StudentT.InvCDF(0, 1, n - 2, 0.5 + confidence / 2);
        var threshold = rssMin * (1 + t * t / (n - 2));

        // Profiles: ln B_crit (a closed form), ln S_min (fix a, minimise over b), ln E_min (fix c = a + b).
        double ProfileLnSMin(double a) => ScalarMinimizer.Minimize(b => model.Rss(a, b), lo, hi, ProfileGridPoints).Value;
        double ProfileLnEMin(double c) => ScalarMinimizer.Minimize(b => model.Rss(c - b, b), lo, hi, ProfileGridPoints).Value;

        var bInterval = ProfileInterval(model.ProfileOverA, bHat, threshold);
        var aInterval = ProfileInterval(ProfileLnSMin, aHat, threshold);
        var cInterval = ProfileInterval(ProfileLnEMin, aHat + bHat, threshold);

        return new CriticalBatchFit(
            SMin: Math.Exp(aHat),
            EMin: Math.Exp(aHat + bHat),
            BCrit: Math.Exp(bHat),
            SMinInterval: Exp(aInterval),
            EMinInterval: Exp(cInterval),
            BCritInterval: Exp(bInterval),
            Confidence: confidence,
            ResidualStdDev: Math.Sqrt(rssMin / (n - 2)),
            Count: n,
            MinBatch: Math.Exp(lnB.Min()),
            MaxBatch: Math.Exp(lnB.Max()));
    }

    private static Interval Exp(Interval logInterval) =>
        new(Math.Exp(logInterval.Lo), Math.Exp(logInterval.Hi));

    /// <summary>The set {θ : profile(θ) ≤ threshold} around θ̂, by outward doubling steps then bisection.</summary>
    private static Interval ProfileInterval(Func<double, double> profile, double estimate, double threshold) =>
        new(IntervalEnd(profile, estimate, threshold, -1), IntervalEnd(profile, estimate, threshold, +1));

    private static double IntervalEnd(Func<double, double> profile, double estimate, double threshold, int direction)
    {
        var inside = 0.0;
        var step = 0.01;
        double outside;
        while (true)
        {
            if (step > MaxIntervalReach)
            {
                return direction * double.PositiveInfinity;
            }
            if (profile(estimate + direction * step) > threshold)
            {
                outside = step;
                break;
            }
            inside = step;
            step *= 2;
        }
        for (var k = 0; k < 50 && outside - inside > 1e-7; k++)
        {
            var mid = 0.5 * (inside + outside);
            if (profile(estimate + direction * mid) > threshold)
            {
                outside = mid;
            }
            else
            {
                inside = mid;
            }
        }
        return estimate + direction * 0.5 * (inside + outside);
    }

    /// <summary>ln S_i = a + ln(1 + e^{b − ln B_i}) = a + softplus(b − ln B_i).</summary>
    private sealed class Model(double[] lnB, double[] lnS)
    {
        public double Rss(double a, double b)
        {
            var rss = 0.0;
            for (var i = 0; i < lnB.Length; i++)
            {
                var r = lnS[i] - a - Softplus(b - lnB[i]);
                rss += r * r;
            }
            return rss;
        }

        public double BestA(double b)
        {
            var sum = 0.0;
            for (var i = 0; i < lnB.Length; i++)
            {
                sum += lnS[i] - Softplus(b - lnB[i]);
            }
            return sum / lnB.Length;
        }

        public double ProfileOverA(double b) => Rss(BestA(b), b);

        private static double Softplus(double x) => x > 30 ? x : Math.Log(1 + Math.Exp(x));
    }
}
