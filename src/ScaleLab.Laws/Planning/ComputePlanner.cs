namespace ScaleLab.Laws;

/// <summary>Compute-optimal allocation for one budget, with bootstrap intervals where samples exist.</summary>
public sealed record ComputePlan(
    double Compute,
    double N,
    double D,
    double TokensPerParameter,
    double Loss,
    double AExponent,
    double BExponent,
    Interval? NInterval,
    Interval? DInterval,
    Interval? TokensPerParameterInterval,
    Interval? LossInterval,
    int Samples,
    double Level);

/// <summary>
/// Compute-optimal N and D of a Chinchilla law under C = 6·N·D (Hoffmann et al. 2022 eq. 4, App. D.2):
/// <code>
///   minimise E + A/N^alpha + B/D^beta  subject to 6·N·D = C
///   N_opt = G·(C/6)^a,  D_opt = G⁻¹·(C/6)^b,  G = (alpha·A/(beta·B))^(1/(alpha+beta)),
///   a = beta/(alpha+beta),  b = alpha/(alpha+beta)
/// </code>
/// Intervals are percentile intervals over the stored bootstrap draws (each draw planned on its own).
/// </summary>
public static class ComputePlanner
{
    /// <summary>N_opt and D_opt for one parameter set.</summary>
    public static (double N, double D) Optimal(double bigA, double bigB, double alpha, double beta, double compute)
    {
        if (!(compute > 0))
        {
            throw new ArgumentException($"compute must be positive, got {compute}");
        }
        double g = Math.Pow(alpha * bigA / (beta * bigB), 1 / (alpha + beta));
        double a = beta / (alpha + beta), b = alpha / (alpha + beta);
        return (g * Math.Pow(compute / 6, a), Math.Pow(compute / 6, b) / g);
    }

    /// <summary>Plans from reported Chinchilla parameters (E, A, B, alpha, beta) and optional bootstrap draws.</summary>
    public static ComputePlan Plan(IReadOnlyDictionary<string, double> parameters, double compute,
        IReadOnlyList<IReadOnlyDictionary<string, double>>? draws = null, double level = 0.95)
    {
        (double N, double D, double L) One(IReadOnlyDictionary<string, double> p)
        {
            double e = Get(p, "E"), bigA = Get(p, "A"), bigB = Get(p, "B"), alpha = Get(p, "alpha"), beta = Get(p, "beta");
            var (n, d) = Optimal(bigA, bigB, alpha, beta, compute);
            return (n, d, e + bigA / Math.Pow(n, alpha) + bigB / Math.Pow(d, beta));
        }
        var best = One(parameters);
        double al = Get(parameters, "alpha"), be = Get(parameters, "beta");
        Interval? ni = null, di = null, ti = null, li = null;
        int samples = 0;
        if (draws is { Count: > 0 })
        {
            var plans = draws.Select(One).ToArray();
            samples = plans.Length;
            ni = Bootstrap.Percentile(plans.Select(x => x.N), level);
            di = Bootstrap.Percentile(plans.Select(x => x.D), level);
            ti = Bootstrap.Percentile(plans.Select(x => x.D / x.N), level);
            li = Bootstrap.Percentile(plans.Select(x => x.L), level);
        }
        return new ComputePlan(compute, best.N, best.D, best.D / best.N, best.L, be / (al + be), al / (al + be),
            ni, di, ti, li, samples, level);
    }

    /// <summary>Plans from a fit (its bootstrap, when present, gives the intervals).</summary>
    public static ComputePlan Plan(LawFit fit, double compute)
    {
        if (fit.Form is not ChinchillaLaw)
        {
            throw new ArgumentException($"plan needs a chinchilla fit, got {fit.Law}");
        }
        var draws = fit.Bootstrap?.Draws.Select(d => (IReadOnlyDictionary<string, double>)fit.Symbols.Zip(d)
            .ToDictionary(x => x.First, x => x.Second)).ToList();
        return Plan(fit.Parameters, compute, draws, fit.Bootstrap?.Level ?? 0.95);
    }

    private static double Get(IReadOnlyDictionary<string, double> p, string key) =>
        p.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"plan: parameter '{key}' missing");
}
