namespace ScaleLab.Engine.Sampling;

/// <summary>One draft/target pair: the draft's validation loss minus the target's (nats/token), and the speculative
/// sampler's counts (draft tokens accepted of those tried).</summary>
public sealed record AcceptancePair(double LossGap, long Accepted, long Trials);

/// <summary>
/// How the acceptance rate α depends on the draft/target loss gap Δ: logit α = a + bΔ, fitted to the pairs' counts by
/// binomial maximum likelihood (logistic regression, Newton–Raphson / IRLS), with percentile intervals from a
/// bootstrap over pairs (Efron &amp; Tibshirani 1993, ch. 9, "bootstrapping pairs"): pairs differ by more than their
/// binomial noise (each holds thousands of trials, while α also depends on things Δ does not capture), so the
/// interval must come from the spread between pairs, not from the binomial information, which would be far too narrow.
/// With fewer than <see cref="MinPairs"/> pairs, or pairs sharing one Δ, the slope is not identified and no fit is made.
/// </summary>
public sealed record AcceptanceGapFit(
    double Intercept,
    double Slope,
    double InterceptLow,
    double InterceptHigh,
    double SlopeLow,
    double SlopeHigh,
    double Level,
    int Pairs,
    int Resamples,
    int ResamplesUsed)
{
    /// <summary>Fewest pairs for a fit with a bootstrap interval (two parameters and some spread to resample).</summary>
    public const int MinPairs = 4;

    /// <summary>α at a loss gap Δ: 1 / (1 + e^−(a + bΔ)).</summary>
    public double Acceptance(double lossGap) => Logistic(Intercept + Slope * lossGap);

    /// <summary>Fits the pairs, or returns null with the reason when the slope is not identified.</summary>
    public static AcceptanceGapFit? Fit(IReadOnlyList<AcceptancePair> pairs, out string? unidentified, int resamples = 2000, double level = 0.9, ulong seed = 1)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (!(level > 0 && level < 1)) throw new ArgumentOutOfRangeException(nameof(level), level, "the interval's level must lie in (0, 1)");
        foreach (var p in pairs)
        {
            if (p.Trials < 1 || p.Accepted < 0 || p.Accepted > p.Trials || !double.IsFinite(p.LossGap)) throw new ArgumentException($"a pair needs 0 ≤ accepted ≤ trials, trials ≥ 1 and a finite loss gap, got {p}");
        }
        if (pairs.Count < MinPairs)
        {
            unidentified = $"{pairs.Count} draft/target pairs: at least {MinPairs} are needed to fit α against the loss gap with an interval";
            return null;
        }
        var estimate = Mle(pairs);
        if (estimate is null)
        {
            unidentified = "the pairs do not identify a slope (one loss gap for all, or acceptance 0 or 1 throughout)";
            return null;
        }
        var rng = new Rng(seed);
        var intercepts = new List<double>(resamples);
        var slopes = new List<double>(resamples);
        var draw = new AcceptancePair[pairs.Count];
        for (var r = 0; r < resamples; r++)
        {
            for (var i = 0; i < draw.Length; i++) draw[i] = pairs[rng.NextInt(pairs.Count)];
            // A resample with one Δ (or separable counts) has no slope; it is left out and counted.
            if (Mle(draw) is { } e)
            {
                intercepts.Add(e.A);
                slopes.Add(e.B);
            }
        }
        unidentified = null;
        var tail = (1 - level) / 2;
        return new AcceptanceGapFit(estimate.Value.A, estimate.Value.B,
            Quantile(intercepts, tail), Quantile(intercepts, 1 - tail), Quantile(slopes, tail), Quantile(slopes, 1 - tail),
            level, pairs.Count, resamples, slopes.Count);
    }

    /// <summary>Binomial maximum likelihood of logit α = a + bΔ by Newton–Raphson (the log-likelihood is concave), from
    /// the least-squares line through the empirical logits; null when the information matrix is singular or the
    /// iteration runs off (a separable or degenerate design).</summary>
    internal static (double A, double B)? Mle(IReadOnlyList<AcceptancePair> pairs)
    {
        // Start: weighted least squares on logit((k + ½)/(n + 1)).
        double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
        foreach (var p in pairs)
        {
            var y = Math.Log((p.Accepted + 0.5) / (p.Trials - p.Accepted + 0.5));
            var w = (double)p.Trials;
            sw += w;
            sx += w * p.LossGap;
            sy += w * y;
            sxx += w * p.LossGap * p.LossGap;
            sxy += w * p.LossGap * y;
        }
        var det0 = sw * sxx - sx * sx;
        if (!(det0 > 1e-12 * sw * sw)) return null;
        var b = (sw * sxy - sx * sy) / det0;
        var a = (sy - b * sx) / sw;
        for (var iter = 0; iter < 100; iter++)
        {
            double g0 = 0, g1 = 0, h00 = 0, h01 = 0, h11 = 0;
            foreach (var p in pairs)
            {
                var mu = Logistic(a + b * p.LossGap);
                var resid = p.Accepted - p.Trials * mu;
                var w = p.Trials * mu * (1 - mu);
                g0 += resid;
                g1 += resid * p.LossGap;
                h00 += w;
                h01 += w * p.LossGap;
                h11 += w * p.LossGap * p.LossGap;
            }
            var det = h00 * h11 - h01 * h01;
            if (!(det > 0) || !double.IsFinite(det)) return null;
            var da = (h11 * g0 - h01 * g1) / det;
            var db = (h00 * g1 - h01 * g0) / det;
            a += da;
            b += db;
            if (!double.IsFinite(a) || !double.IsFinite(b) || Math.Abs(a) > 1e3 || Math.Abs(b) > 1e4) return null;
            if (Math.Abs(da) < 1e-12 * (1 + Math.Abs(a)) && Math.Abs(db) < 1e-12 * (1 + Math.Abs(b))) return (a, b);
        }
        return (a, b);
    }

    private static double Logistic(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

    /// <summary>The q-quantile by linear interpolation between order statistics (type 7).</summary>
    private static double Quantile(List<double> values, double q)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        var h = (sorted.Length - 1) * q;
        var lo = (int)Math.Floor(h);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }
}
