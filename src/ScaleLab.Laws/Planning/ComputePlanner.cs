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
    double Level)
{
    /// <summary>log10(C / largest fitted compute): how far beyond the fitted data the budget lies (negative inside it); null when unknown.</summary>
    public double? DecadesBeyondData { get; init; }

    /// <summary>The largest compute among the fitted runs, when known.</summary>
    public double? LargestFittedCompute { get; init; }

    /// <summary>Whether the plan rests on identified parameters and a narrow enough N_opt interval.</summary>
    public PlanStatus Status { get; init; } = PlanStatus.NoIntervals;

    /// <summary>max(N/lo, hi/N) of the N_opt interval: the factor either side it spans; null without draws.</summary>
    public double? NIntervalFactor => NInterval is { } i && i.Lo > 0 ? Math.Max(N / i.Lo, i.Hi / N) : null;

    /// <summary>True when the plan was made although a parameter it needs is not identified (labelled so).</summary>
    public bool Forced { get; init; }

    /// <summary>One line a reader sees before the numbers, e.g. "identified: N_opt 95% interval within a factor 1.8 either side".</summary>
    public string Label { get; init; } = "";

    /// <summary>Sentences about the plan: extrapolation distance, unidentified parameters, a loss interval below the floor.</summary>
    public IReadOnlyList<string> Statements { get; init; } = [];
}

/// <summary>What a plan may be read as.</summary>
public enum PlanStatus
{
    /// <summary>Every parameter it needs is identified and the N_opt interval is within <see cref="PlanOptions.FactorBound"/> either side.</summary>
    Identified,
    /// <summary>Parameters identified, but the N_opt interval spans more than the factor bound either side.</summary>
    Wide,
    /// <summary>A parameter it needs is not identified: not a result (made only when forced, and labelled).</summary>
    Unidentified,
    /// <summary>No bootstrap draws, so no intervals: a point plan only.</summary>
    NoIntervals,
}

/// <summary>Options of <see cref="ComputePlanner.Plan(LawFit, double, PlanOptions)"/>.</summary>
public sealed record PlanOptions
{
    /// <summary>Throw <see cref="UnidentifiedPlanException"/> instead of returning a plan labelled unidentified.</summary>
    public bool RefuseUnidentified { get; init; }
    /// <summary>Criteria of the identification check (defaults of <see cref="IdentificationCriteria"/>).</summary>
    public IdentificationCriteria? Criteria { get; init; }
    /// <summary>Issue 10's bar for an identified plan: the N_opt interval within this factor either side of N_opt.</summary>
    public double FactorBound { get; init; } = 3;
}

/// <summary>A plan was asked for on a fit whose parameters the data do not identify (CLI exit code 1).</summary>
public sealed class UnidentifiedPlanException : Exception
{
    public UnidentifiedPlanException(string message) : base(message) { }
    public UnidentifiedPlanException(string message, Exception inner) : base(message, inner) { }
    public UnidentifiedPlanException() { }
}

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
            ni = Quantile.Percentile(plans.Select(x => x.N), level);
            di = Quantile.Percentile(plans.Select(x => x.D), level);
            ti = Quantile.Percentile(plans.Select(x => x.D / x.N), level);
            li = Quantile.Percentile(plans.Select(x => x.L), level);
        }
        return new ComputePlan(compute, best.N, best.D, best.D / best.N, best.L, be / (al + be), al / (al + be),
            ni, di, ti, li, samples, level);
    }

    /// <summary>The parameters a plan reads: N_opt and D_opt need A, B, alpha, beta; the predicted loss also E.</summary>
    public static IReadOnlyList<string> Needs { get; } = ["E", "A", "B", "alpha", "beta"];

    /// <summary>Plans from a fit (its bootstrap, when present, gives the intervals), labelled; never refuses.</summary>
    public static ComputePlan Plan(LawFit fit, double compute) => Plan(fit, compute, new PlanOptions());

    /// <summary>
    /// Plans from a fit and labels the plan (<see cref="ComputePlan.Status"/>, <see cref="ComputePlan.Label"/>): how
    /// many decades beyond the fitted compute it lies, whether every parameter it needs is identified
    /// (<see cref="Identification"/>), and whether the N_opt interval is within <see cref="PlanOptions.FactorBound"/>.
    /// </summary>
    public static ComputePlan Plan(LawFit fit, double compute, PlanOptions options)
    {
        if (fit.Law != "chinchilla")
        {
            throw new ArgumentException($"plan needs a chinchilla fit, got {fit.Law}");
        }
        var draws = fit.Bootstrap?.Draws.Select(d => (IReadOnlyDictionary<string, double>)fit.Symbols.Zip(d)
            .ToDictionary(x => x.First, x => x.Second)).ToList();
        var identification = fit.Identification(options.Criteria);
        var unidentified = identification.Parameters.Where(p => Needs.Contains(p.Symbol) && !p.Usable).ToList();
        var plan = Plan(fit.Parameters, compute, draws, fit.Bootstrap?.Level ?? 0.95);
        return Label(plan, fit.Diagnostics?.Range.CMax, unidentified.Select(p => p.Symbol).ToList(),
            unidentified.Select(p => p.Statement).ToList(), fit["E"], options);
    }

    /// <summary>Plans from a fit document (as <c>scalelab plan</c> does), using the identification stored in it.</summary>
    public static ComputePlan Plan(LawFitDocument document, double compute, PlanOptions options)
    {
        if (document.Law != "chinchilla")
        {
            throw new InvalidDataException($"plan needs a chinchilla fit, this is '{document.Law}'");
        }
        var plan = Plan(document.Values(), compute, document.Draws(), document.Bootstrap?.Level ?? 0.95);
        var unidentified = document.Identification?.Parameters.Where(p => Needs.Contains(p.Key) && !p.Value.Identified).ToList() ?? [];
        var statements = unidentified.Select(p => p.Value.Statement).ToList();
        if (document.Identification is null)
        {
            statements.Add("the fit document carries no identification check (written by an older version): refit to check it");
        }
        return Label(plan, document.Data?.CMax, unidentified.Select(p => p.Key).ToList(), statements,
            document.Values().TryGetValue("E", out var e) ? e : double.NaN, options);
    }

    private static ComputePlan Label(ComputePlan plan, double? cMax, IReadOnlyList<string> unidentified,
        IReadOnlyList<string> why, double floor, PlanOptions options)
    {
        var statements = new List<string>();
        double? decades = cMax is > 0 ? Math.Log10(plan.Compute / cMax.Value) : null;
        if (decades is { } dec)
        {
            statements.Add(dec > 0
                ? $"the budget lies {NumberStyle.Format(dec, 3)} decades beyond the largest fitted compute ({NumberStyle.Format(cMax, 3)} FLOP): an extrapolation"
                : $"the budget lies within the fitted compute range (largest fitted {NumberStyle.Format(cMax, 3)} FLOP)");
        }
        if (unidentified.Count > 0)
        {
            string list = string.Join(", ", unidentified);
            if (options.RefuseUnidentified)
            {
                throw new UnidentifiedPlanException(
                    $"plan not made: {list} {(unidentified.Count == 1 ? "is" : "are")} not identified by these data ({string.Join("; ", why)}); " +
                    "fix or tie a parameter (fit --fix E=VALUE, --tie beta=alpha), add runs, or force a plan labelled unidentified (--allow-unidentified)");
            }
            statements.AddRange(why);
        }
        if (plan.LossInterval is { } li && double.IsFinite(floor) && li.Lo < floor)
        {
            statements.Add($"the predicted loss interval's lower end {NumberStyle.Format(li.Lo, 4)} lies below the fitted floor E = {NumberStyle.Format(floor, 4)}: the draws disagree about the floor");
        }
        double? factor = plan.NInterval is { } ni && ni.Lo > 0 ? Math.Max(plan.N / ni.Lo, ni.Hi / plan.N) : null;
        var status = unidentified.Count > 0 ? PlanStatus.Unidentified
            : plan.Samples == 0 ? PlanStatus.NoIntervals
            : factor is { } f && f <= options.FactorBound ? PlanStatus.Identified
            : PlanStatus.Wide;
        string pct = NumberStyle.Percent(plan.Level);
        string label = status switch
        {
            PlanStatus.Unidentified => $"UNIDENTIFIED (forced): {string.Join(", ", unidentified)} not identified by these data; these numbers are not a result",
            PlanStatus.NoIntervals => "no bootstrap in the fit: a point plan without intervals; identification not judged on N_opt",
            PlanStatus.Identified => $"identified: every parameter identified, N_opt {pct} interval within a factor {NumberStyle.Format(factor, 3)} either side (bound {NumberStyle.Format(options.FactorBound, 3)})",
            _ => $"wide: parameters identified, but the N_opt {pct} interval spans a factor {NumberStyle.Format(factor, 3)} either side (bound {NumberStyle.Format(options.FactorBound, 3)})",
        };
        return plan with
        {
            DecadesBeyondData = decades,
            LargestFittedCompute = cMax,
            Status = status,
            Forced = status == PlanStatus.Unidentified,
            Label = label,
            Statements = statements,
        };
    }

    private static double Get(IReadOnlyDictionary<string, double> p, string key) =>
        p.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"plan: parameter '{key}' missing");
}
