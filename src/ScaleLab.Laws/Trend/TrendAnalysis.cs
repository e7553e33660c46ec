using System.Globalization;

namespace ScaleLab.Laws.Trend;

/// <summary>
/// What to fit: a window From ≤ year &lt; To (either end open when null), era breaks inside it, an
/// optional frontier filter (top <see cref="FrontierTop"/> per calendar year), and the bootstrap.
/// </summary>
public sealed record TrendOptions
{
    public double? From { get; init; }
    public double? To { get; init; }
    public IReadOnlyList<double> Breaks { get; init; } = [];
    /// <summary>Estimate one break from the data (<see cref="TrendBreak"/>) instead of giving <see cref="Breaks"/>.</summary>
    public bool FindBreak { get; init; }
    /// <summary>Keep only the top N models by value within each calendar year (null: keep every model).</summary>
    public int? FrontierTop { get; init; }
    /// <summary>Bootstrap replicates; 0 uses the OLS Student-t interval instead.</summary>
    public int Bootstrap { get; init; } = 1000;
    public ulong Seed { get; init; }
    public double Level { get; init; } = 0.95;

    /// <summary>Default N for the frontier filter: Epoch's frontier analyses track roughly the top 10 models.</summary>
    public const int DefaultFrontierTop = 10;
}

/// <summary>
/// One log-linear trend log10 y = a + b·t over [From, To): b in orders of magnitude per year, the growth factor
/// 10^b per year, the doubling time 12·log10(2)/b months (negative: a halving time), each with its interval, and the
/// fitted value at both ends.
/// </summary>
public sealed record EraTrend(
    double From,
    double To,
    int N,
    LinearFit Fit,
    Estimate Slope,
    Estimate DoublingMonths,
    string IntervalMethod,
    double FittedAtFrom,
    double FittedAtTo)
{
    /// <summary>Growth factor per year, 10^b.</summary>
    public double GrowthPerYear => Math.Pow(10, Fit.Slope);

    /// <summary>Growth factor per year 10^b with the image of b's interval (10^x is increasing, so the ends map to the ends).</summary>
    public Estimate Growth => new(GrowthPerYear, Math.Pow(10, Slope.Lo), Math.Pow(10, Slope.Hi));

    /// <summary>Whether b's interval reaches across 0: the data do not say whether the quantity grows or shrinks.</summary>
    public bool DirectionUnresolved => !(Slope.Lo > 0) && !(Slope.Hi < 0);
}

/// <summary>The whole-window trend, one trend per era (the whole window again when there are no breaks), and the points used.</summary>
public sealed record TrendResult(
    TrendOptions Options,
    EraTrend Overall,
    IReadOnlyList<EraTrend> Eras,
    IReadOnlyList<TrendPoint> Points,
    int ExcludedByFrontier,
    IReadOnlyList<string> Notes)
{
    /// <summary>The estimated break when <see cref="TrendOptions.FindBreak"/> was set (its year is the one era boundary).</summary>
    public TrendBreakEstimate? Break { get; init; }
}

/// <summary>
/// Exponential trends in training compute (Sevilla et al. 2022, "Compute Trends Across Three Eras of
/// Machine Learning"): OLS of log10 value on fractional year, doubling time T = 12·log10(2)/b months,
/// with a pairs-bootstrap percentile interval (resample models with replacement, refit, take the
/// (1 ± level)/2 quantiles of b). T is signed: a negative T is a halving time (a price that falls). T's interval is
/// the image of b's under b ↦ 12·log10 2/b, decreasing on each side of 0: [T(hi), T(lo)] when b's interval excludes 0;
/// when it reaches across 0 the image is unbounded, and the interval keeps the point estimate's side with an infinite
/// end there ([T(hi), +∞] for a growth, [−∞, T(lo)] for a decline) and the era says so (<see cref="EraTrend.DirectionUnresolved"/>).
/// </summary>
public static class TrendAnalysis
{
    public const int MinimumModels = 3;
    public static readonly double MonthsPerDoublingNumerator = 12.0 * Math.Log10(2.0);

    /// <summary>
    /// Doubling time in months of a trend growing <paramref name="slope"/> orders of magnitude per year; negative for a
    /// declining trend (its halving time, as a negative number), +∞ when the slope is 0.
    /// </summary>
    public static double DoublingMonths(double slope) => slope != 0 ? MonthsPerDoublingNumerator / slope : double.PositiveInfinity;

    /// <summary>The signed doubling time's interval from the slope's (see the class summary).</summary>
    public static Estimate DoublingInterval(double slope, Interval slopeInterval)
    {
        var value = DoublingMonths(slope);
        var (lo, hi) = (slopeInterval.Lo, slopeInterval.Hi);
        if (double.IsNaN(lo) || double.IsNaN(hi))
        {
            return new Estimate(value, double.NaN, double.NaN);
        }
        if (lo > 0 || hi < 0)
        {
            return new Estimate(value, DoublingMonths(hi), DoublingMonths(lo));
        }
        return slope >= 0
            ? new Estimate(value, hi > 0 ? DoublingMonths(hi) : double.PositiveInfinity, double.PositiveInfinity)
            : new Estimate(value, double.NegativeInfinity, lo < 0 ? DoublingMonths(lo) : double.NegativeInfinity);
    }

    public static TrendResult Fit(IReadOnlyList<TrendPoint> points, TrendOptions options)
    {
        Validate(options);
        var notes = new List<string>();
        var candidates = points;
        var excluded = 0;
        if (options.FrontierTop is { } top)
        {
            candidates = Frontier(points, top);
            excluded = points.Count - candidates.Count;
            notes.Add($"frontier: kept the top {top} models by value in each calendar year ({candidates.Count} of {points.Count})");
        }
        var lo = options.From ?? double.NegativeInfinity;
        var hi = options.To ?? double.PositiveInfinity;
        var inWindow = candidates.Where(p => p.Year >= lo && p.Year < hi).OrderBy(p => p.Year).ToList();
        if (inWindow.Count < MinimumModels)
        {
            throw new InvalidDataException(
                $"trend: {inWindow.Count} models in the window {Describe(options.From, options.To)}; need at least {MinimumModels}");
        }
        TrendBreakEstimate? found = null;
        if (options.FindBreak)
        {
            if (options.Breaks.Count > 0)
            {
                throw new ArgumentException("trend: give era breaks or ask for one to be found, not both");
            }
            found = TrendBreak.Find(inWindow, options.Bootstrap, options.Seed, options.Level);
            options = options with { Breaks = [found.Year.Value] };
            notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"break found at {found.Year.Value:0.##}{(found.Year.Interval is { IsBounded: true } iv ? $" [{iv.Lo:0.##}, {iv.Hi:0.##}] ({options.Level * 100:0.#}% bootstrap interval)" : "")} (least squares over {found.Candidates} splits, each era at least {found.MinimumPerEra} models; it removes {100 * found.Improvement:0.#}% of one line's residual sum of squares)"));
        }
        var from = options.From ?? inWindow[0].Year;
        var to = options.To ?? inWindow[^1].Year;
        foreach (var b in options.Breaks)
        {
            if (b <= from || b >= to)
            {
                throw new ArgumentException($"trend: break {b.ToString(CultureInfo.InvariantCulture)} is outside the window {Describe(from, to)}");
            }
        }
        var overall = FitEra(inWindow, from, to, options, stream: 0);
        var eras = new List<EraTrend>();
        if (options.Breaks.Count == 0)
        {
            eras.Add(overall);
        }
        else
        {
            var edges = new List<double> { from };
            edges.AddRange(options.Breaks);
            edges.Add(to);
            for (var i = 0; i + 1 < edges.Count; i++)
            {
                var eraLo = i == 0 ? lo : edges[i];
                var eraHi = i == edges.Count - 2 ? hi : edges[i + 1];
                var members = inWindow.Where(p => p.Year >= eraLo && p.Year < eraHi).ToList();
                if (members.Count < MinimumModels)
                {
                    throw new InvalidDataException(
                        $"trend: era {Describe(edges[i], edges[i + 1])} has {members.Count} models; need at least {MinimumModels}");
                }
                eras.Add(FitEra(members, edges[i], edges[i + 1], options, stream: (ulong)(i + 1)));
            }
        }
        foreach (var era in eras.Prepend(overall).Distinct())
        {
            if (era.DirectionUnresolved)
            {
                notes.Add($"{Describe(era.From, era.To)}: the growth interval includes 1x per year, so neither a doubling nor a halving time is established (its interval is unbounded)");
            }
        }
        return new TrendResult(options, overall, eras, inWindow, excluded, notes) { Break = found };
    }

    /// <summary>
    /// Frontier filter: a model is kept when it ranks in the top <paramref name="top"/> by value among the
    /// models published in the same calendar year (ties at the N-th value are all kept). Early years with
    /// fewer than N models keep every model.
    /// </summary>
    public static IReadOnlyList<TrendPoint> Frontier(IReadOnlyList<TrendPoint> points, int top)
    {
        if (top < 1)
        {
            throw new ArgumentException($"frontier: top must be at least 1, got {top}");
        }
        var kept = new HashSet<TrendPoint>(ReferenceEqualityComparer.Instance);
        foreach (var year in points.GroupBy(p => p.Date.Year))
        {
            var sorted = year.OrderByDescending(p => p.Value).ToList();
            var threshold = sorted[Math.Min(top, sorted.Count) - 1].Value;
            foreach (var p in sorted.Where(p => p.Value >= threshold))
            {
                kept.Add(p);
            }
        }
        return points.Where(kept.Contains).ToList();
    }

    /// <summary>
    /// Pairs bootstrap of the OLS slope: replicate r resamples n (x, y) pairs with replacement (<see cref="Resample"/>)
    /// using the generator stream (seed, stream·2^32 + r) and refits; degenerate resamples (all x equal) give NaN.
    /// </summary>
    internal static double[] BootstrapSlopes(double[] x, double[] y, int replicates, ulong seed, ulong stream)
    {
        var slopes = new double[replicates];
        Resample.Replicates(replicates, seed, (int r, ref SplitMix64 rng) =>
        {
            var pick = new int[x.Length];
            Resample.Indices(ref rng, pick);
            var bx = new double[x.Length];
            var by = new double[x.Length];
            for (var i = 0; i < pick.Length; i++)
            {
                bx[i] = x[pick[i]];
                by[i] = y[pick[i]];
            }
            slopes[r] = LinearFit.Solve(bx, by).Slope;
        }, streamOffset: stream << 32);
        return slopes;
    }

    private static EraTrend FitEra(List<TrendPoint> members, double from, double to, TrendOptions options, ulong stream)
    {
        var x = members.Select(p => p.Year).ToArray();
        var y = members.Select(p => Math.Log10(p.Value)).ToArray();
        var fit = LinearFit.Ols(x, y);
        Estimate slope;
        string method;
        if (options.Bootstrap > 0)
        {
            slope = new Estimate(fit.Slope, Quantile.Percentile(BootstrapSlopes(x, y, options.Bootstrap, options.Seed, stream), options.Level));
            method = "bootstrap-percentile";
        }
        else
        {
            slope = fit.SlopeInterval(options.Level);
            method = "ols-student-t";
        }
        var doubling = DoublingInterval(fit.Slope, slope.Interval!);
        return new EraTrend(from, to, members.Count, fit, slope, doubling, method,
            Math.Pow(10, fit.Predict(from)), Math.Pow(10, fit.Predict(to)));
    }

    private static void Validate(TrendOptions options)
    {
        if (options.From is { } f && options.To is { } t && f >= t)
        {
            throw new ArgumentException($"trend: --from {f.ToString(CultureInfo.InvariantCulture)} must be before --to {t.ToString(CultureInfo.InvariantCulture)}");
        }
        for (var i = 1; i < options.Breaks.Count; i++)
        {
            if (options.Breaks[i] <= options.Breaks[i - 1])
            {
                throw new ArgumentException("trend: breaks must be strictly increasing");
            }
        }
        if (options.Bootstrap < 0)
        {
            throw new ArgumentException("trend: bootstrap replicates must be 0 or more");
        }
        if (options.Level is <= 0 or >= 1)
        {
            throw new ArgumentException("trend: level must be in (0, 1)");
        }
    }

    private static string Describe(double? from, double? to) =>
        $"[{from?.ToString("0.###", CultureInfo.InvariantCulture) ?? "-inf"}, {to?.ToString("0.###", CultureInfo.InvariantCulture) ?? "+inf"})";
}
