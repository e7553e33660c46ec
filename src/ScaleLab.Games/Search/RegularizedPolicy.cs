namespace ScaleLab.Games.Search;

/// <summary>
/// The regularised policy of Grill et al. 2020 ("Monte-Carlo tree search as regularized policy optimization",
/// eq. 6–8): π̄ = argmax_y [qᵀy − λ_N·KL(π_θ, y)] over the simplex, whose solution is
/// <code>π̄(a) = λ_N·π_θ(a) / (α − q(a)),   α such that Σ_a π̄(a) = 1,</code>
/// with α in [α_min, α_max], α_min = max_a (q(a) + λ_N·π_θ(a)) (there the sum is ≥ 1), α_max = max_a q(a) + λ_N
/// (there it is ≤ 1); the sum falls monotonically in α, so bisection finds it. The multiplier is
/// λ_N = c·√N/(N + |A|) in the paper and λ_N = c·N/(N + |A|) in the variant Jones (2021) ran.
/// </summary>
public static class RegularizedPolicy
{
    public static double GrillLambda(double c, int visits, int actions) => c * Math.Sqrt(visits) / (visits + actions);

    public static double JonesLambda(double c, int visits, int actions) => c * visits / (double)(visits + actions);

    /// <summary>π̄ into <paramref name="result"/> from priors π_θ (summing to 1 over the actions) and values q; λ ≤ 0
    /// is the limit λ → 0, all mass on the best q (ties share it in proportion to the prior). Returns α.</summary>
    public static double Compute(ReadOnlySpan<double> prior, ReadOnlySpan<double> q, double lambda, Span<double> result)
    {
        var k = prior.Length;
        var qMax = double.NegativeInfinity;
        for (var a = 0; a < k; a++) qMax = Math.Max(qMax, q[a]);
        if (!(lambda > 0))
        {
            var mass = 0.0;
            for (var a = 0; a < k; a++) mass += q[a] == qMax ? prior[a] : 0;
            for (var a = 0; a < k; a++) result[a] = q[a] == qMax ? (mass > 0 ? prior[a] / mass : 1.0 / Count(q, qMax)) : 0;
            return qMax;
        }
        var lo = double.NegativeInfinity;
        for (var a = 0; a < k; a++) lo = Math.Max(lo, q[a] + lambda * prior[a]);
        var hi = qMax + lambda;
        for (var iter = 0; iter < 100 && hi - lo > 1e-12 * Math.Max(1, Math.Abs(hi)); iter++)
        {
            var mid = 0.5 * (lo + hi);
            var sum = 0.0;
            for (var a = 0; a < k; a++) sum += lambda * prior[a] / (mid - q[a]);
            if (sum > 1) lo = mid; else hi = mid;
        }
        var alpha = hi;
        var total = 0.0;
        for (var a = 0; a < k; a++)
        {
            result[a] = lambda * prior[a] / (alpha - q[a]);
            total += result[a];
        }
        // The bisection leaves Σ within ~1e-12 of 1; dividing by the sum makes it a distribution exactly.
        for (var a = 0; a < k; a++) result[a] /= total;
        return alpha;
    }

    private static int Count(ReadOnlySpan<double> q, double value)
    {
        var n = 0;
        foreach (var x in q) if (x == value) n++;
        return n;
    }
}
