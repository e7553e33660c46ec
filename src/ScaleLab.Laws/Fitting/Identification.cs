using System.Globalization;
using MathNet.Numerics.Distributions;

namespace ScaleLab.Laws;

/// <summary>What an identification check concluded about one reported parameter.</summary>
public enum ParameterStatus
{
    /// <summary>Estimated, and every criterion of <see cref="IdentificationCriteria"/> holds.</summary>
    Identified,
    /// <summary>Estimated, but at least one criterion fails: the value is not a result.</summary>
    NotIdentified,
    /// <summary>Fixed at a given value, not estimated.</summary>
    Fixed,
    /// <summary>Tied to another parameter; identified when its leader is.</summary>
    Tied,
}

/// <summary>
/// Bounds a free parameter must meet to count as identified (all must hold):
/// <list type="bullet">
/// <item>a positive scale (E, A, B, fitted as its logarithm): its interval spans at most <see cref="MaxScaleDecades"/>
/// decades (hi/lo ≤ 10^bound);</item>
/// <item>an exponent or other plain parameter (alpha, beta): its interval excludes 0 and hi/lo ≤ <see cref="MaxExponentRatio"/>;</item>
/// <item>its largest |correlation| with another free parameter (Gauss–Newton, <see cref="FitDiagnostics"/>) is at most
/// <see cref="MaxAbsCorrelation"/>, and the correlation-scaled Hessian's condition number is at most <see cref="MaxCondition"/>;</item>
/// <item>its interval has nonzero width (a zero-width interval means the resamples could not vary, e.g. identical rows).</item>
/// </list>
/// The interval is the fit's bootstrap percentile interval when it has one, else the asymptotic θ̂ ± z·se.
/// </summary>
public sealed record IdentificationCriteria
{
    public double MaxScaleDecades { get; init; } = 2;
    public double MaxExponentRatio { get; init; } = 3;
    public double MaxAbsCorrelation { get; init; } = 0.9999;
    public double MaxCondition { get; init; } = 1e10;
    /// <summary>Level of the asymptotic interval used when the fit has no bootstrap.</summary>
    public double Level { get; init; } = 0.95;

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"scale parameters: interval within {NumberStyle.Format(MaxScaleDecades, 3)} decades; exponents: interval excludes 0 and hi/lo <= {NumberStyle.Format(MaxExponentRatio, 3)}; " +
        $"|correlation| <= {NumberStyle.Format(MaxAbsCorrelation, 6)}; Hessian condition number <= {NumberStyle.Format(MaxCondition, 3)}; nonzero interval width");
}

/// <summary>The identification verdict on one reported parameter, with the evidence and one sentence for the reader.</summary>
public sealed record ParameterIdentification(
    string Symbol,
    ParameterStatus Status,
    double Value,
    Interval? Interval,
    bool IsScale,
    double? Spread,
    double? MaxAbsCorrelation,
    string? MostCorrelatedWith,
    double? BootstrapMaxAbsCorrelation,
    IReadOnlyList<string> Reasons,
    string Statement)
{
    /// <summary>True for identified, fixed, and tied-to-an-identified-leader parameters.</summary>
    public bool Usable => Status is ParameterStatus.Identified or ParameterStatus.Fixed or ParameterStatus.Tied;
}

/// <summary>Identification of every reported parameter of a fit; see <see cref="Identification.Assess"/>.</summary>
public sealed record IdentificationReport(
    IReadOnlyList<ParameterIdentification> Parameters,
    IdentificationCriteria Criteria,
    string IntervalSource,
    IReadOnlyList<string> FreeNames,
    double[][]? HessianCorrelation,
    double[][]? BootstrapCorrelation)
{
    public bool AllIdentified => Parameters.All(p => p.Usable);

    /// <summary>Symbols that are estimated but not identified.</summary>
    public IReadOnlyList<string> Unidentified => Parameters.Where(p => !p.Usable).Select(p => p.Symbol).ToList();

    /// <summary>Whether every listed symbol is identified, fixed, or tied to an identified one.</summary>
    public bool AreIdentified(IEnumerable<string> symbols) =>
        symbols.All(s => Parameters.FirstOrDefault(p => p.Symbol == s) is { Usable: true });

    /// <summary>One sentence per parameter that is not identified (empty when all are).</summary>
    public IReadOnlyList<string> Statements => Parameters.Where(p => !p.Usable).Select(p => p.Statement).ToList();

    /// <summary>
    /// For each derived quantity of the law (e.g. a_n, b_d, G), the unidentified parameters it depends on (empty: it
    /// rests on identified parameters only). Dependence is found by perturbing each parameter.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<string>> DerivedDependsOnUnidentified { get; init; } = [];
}

/// <summary>
/// Decides, parameter by parameter, whether a fit's data identify it (<see cref="IdentificationCriteria"/>), from its
/// bootstrap draws (percentile interval and bootstrap correlation of the coordinates) and its Gauss–Newton
/// diagnostics (correlation and condition number). A parameter that fails is described in words with its interval,
/// never to be printed as a result (Raue et al. 2009 call such a parameter practically non-identifiable: its
/// confidence interval is unbounded or uninformative).
/// </summary>
public static class Identification
{
    public static IdentificationReport Assess(LawFit fit, IdentificationCriteria? criteria = null)
    {
        criteria ??= new IdentificationCriteria();
        var law = fit.Form;
        var diag = fit.Diagnostics;
        var map = CoordinateMap.Of(law);
        int p = law.Coordinates.Count;
        var names = Enumerable.Range(0, p).Select(k => map.Name(law, k)).ToArray();

        // Coordinates of each bootstrap draw (ln E, ln A, alpha, ... of the free coordinates).
        double[][]? draws = null;
        if (fit.Bootstrap is { Draws.Length: > 1 } boot)
        {
            draws = boot.Draws.Select(d =>
            {
                var t = new double[p];
                law.FromSymbols(d, t);
                return t;
            }).ToArray();
        }
        double level = fit.Bootstrap?.Level ?? criteria.Level;
        string pct = NumberStyle.Percent(level);
        string source = draws is not null
            ? $"{pct} bootstrap percentile interval ({draws.Length} resamples)"
            : diag is not null ? $"{pct} asymptotic interval (estimate ± z·se, Gauss-Newton)" : "none";
        var bootCorr = draws is null ? null : Correlation(draws, p);
        double z = Normal.InvCDF(0, 1, 0.5 + level / 2);

        var result = new List<ParameterIdentification>();
        var constraints = fit.Constraints;
        for (int j = 0; j < fit.Symbols.Count; j++)
        {
            string symbol = fit.Symbols[j];
            double value = fit.Values[j];
            if (constraints.Fixed.TryGetValue(symbol, out var fixedValue))
            {
                result.Add(new ParameterIdentification(symbol, ParameterStatus.Fixed, value, null, false, null, null, null, null, [],
                    $"{symbol} is fixed at {F(fixedValue)} (given, not estimated)"));
                continue;
            }
            var tie = constraints.Ties.FirstOrDefault(t => t.Follower == symbol);
            if (tie is not null)
            {
                // Resolved below, once the leader's verdict is known.
                result.Add(new ParameterIdentification(symbol, ParameterStatus.Tied, value, null, false, null, null, tie.Leader, null, [],
                    $"{symbol} is tied to {tie.Leader}"));
                continue;
            }
            int k = map.IsOneToOne ? Array.IndexOf(map.SymbolOfCoordinate, j) : j;
            if (k < 0 || k >= p)
            {
                continue;
            }
            bool isScale = map.IsOneToOne && map.IsLog[k];
            var reasons = new List<string>();
            Interval? coordinate = null;
            if (draws is not null)
            {
                coordinate = Quantile.Percentile(draws.Select(d => d[k]), level);
            }
            else if (diag is not null && double.IsFinite(diag.StandardErrors[k]))
            {
                coordinate = new Interval(fit.Theta[k] - z * diag.StandardErrors[k], fit.Theta[k] + z * diag.StandardErrors[k]);
            }
            Interval? shown = coordinate is null ? null : isScale ? new Interval(Math.Exp(coordinate.Lo), Math.Exp(coordinate.Hi)) : coordinate;
            double? spread = null;
            if (coordinate is null || !double.IsFinite(coordinate.Lo) || !double.IsFinite(coordinate.Hi))
            {
                reasons.Add(diag is { Singular: true } ? "no finite interval (the Hessian is singular)" : "no finite interval");
            }
            else if (!(coordinate.Width > 1e-12 * Math.Max(1, Math.Abs(fit.Theta[k]))))
            {
                reasons.Add("its interval has zero width: the resamples could not move it (repeated rows or too few distinct points), so the width says nothing about its uncertainty");
            }
            else if (isScale)
            {
                spread = coordinate.Width / Math.Log(10);
                if (spread > criteria.MaxScaleDecades)
                {
                    reasons.Add(Inv($"its interval spans {NumberStyle.Format(spread, 2)} decades (bound {NumberStyle.Format(criteria.MaxScaleDecades, 3)})"));
                }
            }
            else if (coordinate.Lo <= 0 && coordinate.Hi >= 0)
            {
                reasons.Add("its interval includes 0");
            }
            else
            {
                spread = Math.Max(Math.Abs(coordinate.Hi), Math.Abs(coordinate.Lo)) / Math.Min(Math.Abs(coordinate.Hi), Math.Abs(coordinate.Lo));
                if (spread > criteria.MaxExponentRatio)
                {
                    reasons.Add(Inv($"its interval's ends differ by a factor {NumberStyle.Format(spread, 3)} (bound {NumberStyle.Format(criteria.MaxExponentRatio, 3)})"));
                }
            }
            double? maxCorr = null;
            string? with = null;
            if (diag is { Singular: false })
            {
                for (int b = 0; b < p; b++)
                {
                    if (b != k && (maxCorr is null || Math.Abs(diag.Correlation[k][b]) > maxCorr))
                    {
                        maxCorr = Math.Abs(diag.Correlation[k][b]);
                        with = names[b];
                    }
                }
                if (maxCorr > criteria.MaxAbsCorrelation)
                {
                    reasons.Add(Inv($"its correlation with {with} is {NumberStyle.Format(maxCorr)} (bound {NumberStyle.Format(criteria.MaxAbsCorrelation, 6)})"));
                }
            }
            if (diag is not null && !(diag.ConditionNumber <= criteria.MaxCondition))
            {
                reasons.Add(Inv($"the Hessian's condition number is {NumberStyle.Format(diag.ConditionNumber, 3)} (bound {NumberStyle.Format(criteria.MaxCondition, 3)})"));
            }
            double? bootMax = bootCorr is null ? null
                : Enumerable.Range(0, p).Where(b => b != k).Select(b => Math.Abs(bootCorr[k][b])).DefaultIfEmpty(0).Max();
            bool ok = reasons.Count == 0;
            string interval = shown is null ? "no interval" : $"{pct} {(draws is null ? "asymptotic" : "bootstrap")} interval [{F(shown.Lo)}, {F(shown.Hi)}]";
            // An unidentified parameter's point value is deliberately not in its sentence: it is not a result.
            string statement = ok
                ? $"{symbol} is identified: {F(value)}, {interval}"
                : $"{symbol} is not identified by these data: {string.Join("; ", reasons)}"
                    + (shown is null ? "" : $"; its {pct} {(draws is null ? "asymptotic" : "bootstrap")} interval spans [{F(shown.Lo)}, {F(shown.Hi)}]");
            result.Add(new ParameterIdentification(symbol, ok ? ParameterStatus.Identified : ParameterStatus.NotIdentified, value,
                shown, isScale, spread, maxCorr, with, bootMax, reasons, statement));
        }
        // A tied follower shares its leader's verdict.
        for (int i = 0; i < result.Count; i++)
        {
            if (result[i].Status == ParameterStatus.Tied)
            {
                var leader = result.FirstOrDefault(r => r.Symbol == result[i].MostCorrelatedWith);
                if (leader is { Usable: false })
                {
                    result[i] = result[i] with
                    {
                        Status = ParameterStatus.NotIdentified,
                        Reasons = [$"tied to {leader.Symbol}, which is not identified"],
                        Statement = $"{result[i].Symbol} is not identified by these data: it is tied to {leader.Symbol}, which is not",
                    };
                }
            }
        }
        var derivedDeps = new List<IReadOnlyList<string>>();
        var baseDerived = law.Derived(fit.Values);
        for (int d = 0; d < baseDerived.Length; d++)
        {
            var deps = new List<string>();
            foreach (var r in result.Where(r => !r.Usable))
            {
                int j = fit.Symbols.ToList().IndexOf(r.Symbol);
                var v = (double[])fit.Values.Clone();
                v[j] = v[j] * 1.01 + 1e-3;
                double changed = law.Derived(v)[d];
                if (!(changed == baseDerived[d]))
                {
                    deps.Add(r.Symbol);
                }
            }
            derivedDeps.Add(deps);
        }
        return new IdentificationReport(result, criteria, source, names, diag is { Singular: false } ? diag.Correlation : null, bootCorr)
        {
            DerivedDependsOnUnidentified = derivedDeps,
        };
    }

    /// <summary>Pearson correlation of the columns of <paramref name="rows"/> (rows with a non-finite value skipped; NaN for a constant column).</summary>
    public static double[][] Correlation(double[][] rows, int columns)
    {
        rows = rows.Where(r => r.All(double.IsFinite)).ToArray();
        int n = rows.Length;
        var mean = new double[columns];
        foreach (var r in rows)
        {
            for (int a = 0; a < columns; a++)
            {
                mean[a] += r[a] / n;
            }
        }
        var c = new double[columns][];
        for (int a = 0; a < columns; a++)
        {
            c[a] = new double[columns];
        }
        for (int a = 0; a < columns; a++)
        {
            for (int b = a; b < columns; b++)
            {
                double s = 0;
                foreach (var r in rows)
                {
                    s += (r[a] - mean[a]) * (r[b] - mean[b]);
                }
                c[a][b] = c[b][a] = s;
            }
        }
        var result = new double[columns][];
        for (int a = 0; a < columns; a++)
        {
            result[a] = new double[columns];
            for (int b = 0; b < columns; b++)
            {
                result[a][b] = c[a][b] / Math.Sqrt(c[a][a] * c[b][b]);
            }
        }
        return result;
    }

    private static string F(double v) => NumberStyle.Format(v, 4);

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
