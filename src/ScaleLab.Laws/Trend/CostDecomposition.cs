using System.Globalization;

namespace ScaleLab.Laws.Trend;

/// <summary>One costed model: when it was published, what its training cost (dollars) and its training compute (FLOP).</summary>
public sealed record CostedModel(string Model, double Year, double Cost, double Compute, int Line);

/// <summary>The window [From, To) (either end open when null) and the bootstrap of a <see cref="CostDecomposition"/>.</summary>
public sealed record DecompositionOptions
{
    public double? From { get; init; }
    public double? To { get; init; }
    public int Bootstrap { get; init; } = 1000;
    public ulong Seed { get; init; }
    public double Level { get; init; } = 0.95;
}

/// <summary>
/// One component's exponential trend: b in orders of magnitude per year with its interval, the growth 10^b per year and
/// the signed doubling time 12·log10(2)/b months (negative: halving), each with the image of b's interval.
/// </summary>
public sealed record TrendComponent(string Name, int N, double From, double To, Estimate Slope)
{
    public Estimate Growth => new(Math.Pow(10, Slope.Value), Math.Pow(10, Slope.Lo), Math.Pow(10, Slope.Hi));

    public Estimate DoublingMonths => TrendAnalysis.DoublingInterval(Slope.Value, Slope.Interval!);

    /// <summary>Whether b's interval excludes 0 (the component certainly grows or certainly shrinks).</summary>
    public bool Resolved => Slope.Lo > 0 || Slope.Hi < 0;
}

/// <summary>The three measured trends, the two derived from them, and sentences saying where they disagree.</summary>
public sealed record CostDecompositionResult(
    DecompositionOptions Options,
    TrendComponent Cost,
    TrendComponent Compute,
    TrendComponent PricePerformance,
    TrendComponent PredictedCost,
    TrendComponent Utilisation,
    IReadOnlyList<string> Findings);

/// <summary>
/// Training cost decomposed into compute and hardware price-performance (Cottier et al. 2024, "The rising costs of
/// training frontier AI models", §3, write cost as compute over the FLOP a dollar buys). With C the training compute,
/// P the hardware's FLOP/s per dollar and u the realised utilisation (with amortisation and everything else the
/// identity leaves out folded in),
/// <code>
///   cost ∝ C / (P·u)   ⇒   b_cost = b_C − b_P − b_u   (b: OOM per year of each log-linear trend)
///   implied utilisation trend  b_u = b_C − b_P − b_cost,   cost predicted at constant u: b_C − b_P
/// </code>
/// b_cost and b_C are fitted on the same models (OLS of log10 on fractional year), b_P on the chips released in the
/// same window. Intervals: one bootstrap resamples models (each keeping its cost and its compute, which share the
/// model's size, so their slopes are correlated) and, independently, chips; every replicate refits all three and
/// forms b_u from the same draw, so b_u's percentile interval carries both samples' uncertainty and the correlation.
/// </summary>
public static class CostDecomposition
{
    /// <summary>
    /// Pairs two loads of one file (its cost column and its compute column, both read by <see cref="TrendData"/>) by
    /// file line: the models that have both.
    /// </summary>
    public static List<CostedModel> Pair(TrendDataset cost, TrendDataset compute)
    {
        var byLine = compute.Points.ToDictionary(p => p.Line);
        return [.. cost.Points.Where(p => byLine.ContainsKey(p.Line)).Select(p => new CostedModel(p.Model, p.Year, p.Value, byLine[p.Line].Value, p.Line))];
    }

    public static CostDecompositionResult Fit(IReadOnlyList<CostedModel> models, IReadOnlyList<TrendPoint> chips, DecompositionOptions options) =>
        Fit(models, chips, options, resampleChips: true);

    /// <summary>
    /// <paramref name="resampleChips"/> false treats the price-performance slope as known exactly: a deliberately wrong
    /// variant kept only for the tests' negative control (its b_u interval misses the hardware's share of the error).
    /// </summary>
    internal static CostDecompositionResult Fit(IReadOnlyList<CostedModel> models, IReadOnlyList<TrendPoint> chips, DecompositionOptions options, bool resampleChips)
    {
        if (options.Bootstrap < 1)
        {
            throw new ArgumentException("decomposition: the intervals need a bootstrap of at least 1 replicate");
        }
        if (options.Level is <= 0 or >= 1)
        {
            throw new ArgumentException("decomposition: level must be in (0, 1)");
        }
        var lo = options.From ?? double.NegativeInfinity;
        var hi = options.To ?? double.PositiveInfinity;
        var m = models.Where(x => x.Year >= lo && x.Year < hi).OrderBy(x => x.Year).ToList();
        var h = chips.Where(x => x.Year >= lo && x.Year < hi).OrderBy(x => x.Year).ToList();
        if (m.Count < TrendAnalysis.MinimumModels)
        {
            throw new InvalidDataException($"decomposition: {m.Count} costed models in the window; need at least {TrendAnalysis.MinimumModels}");
        }
        if (h.Count < TrendAnalysis.MinimumModels)
        {
            throw new InvalidDataException($"decomposition: {h.Count} chips in the window; need at least {TrendAnalysis.MinimumModels}");
        }
        var t = m.Select(x => x.Year).ToArray();
        var cost = m.Select(x => Math.Log10(x.Cost)).ToArray();
        var compute = m.Select(x => Math.Log10(x.Compute)).ToArray();
        var th = h.Select(x => x.Year).ToArray();
        var pp = h.Select(x => Math.Log10(x.Value)).ToArray();
        var bCost = LinearFit.Ols(t, cost).Slope;
        var bCompute = LinearFit.Ols(t, compute).Slope;
        var bPp = LinearFit.Ols(th, pp).Slope;

        var draws = new double[options.Bootstrap][];
        Resample.Replicates(options.Bootstrap, options.Seed, (int r, ref SplitMix64 rng) =>
        {
            var pick = new int[t.Length];
            Resample.Indices(ref rng, pick);
            var bt = pick.Select(i => t[i]).ToArray();
            var c = LinearFit.Solve(bt, pick.Select(i => cost[i]).ToArray()).Slope;
            var k = LinearFit.Solve(bt, pick.Select(i => compute[i]).ToArray()).Slope;
            var p = bPp;
            if (resampleChips)
            {
                var chipPick = new int[th.Length];
                Resample.Indices(ref rng, chipPick);
                p = LinearFit.Solve(chipPick.Select(i => th[i]).ToArray(), chipPick.Select(i => pp[i]).ToArray()).Slope;
            }
            draws[r] = [c, k, p, k - p, k - p - c];
        });
        var intervals = Quantile.Columns(draws, 5, options.Level);
        var from = options.From ?? Math.Min(t[0], th[0]);
        var to = options.To ?? Math.Max(t[^1], th[^1]);
        TrendComponent Component(string name, int n, double value, int column) => new(name, n, from, to, new Estimate(value, intervals[column]));
        var result = new CostDecompositionResult(options,
            Component("training cost", m.Count, bCost, 0),
            Component("training compute", m.Count, bCompute, 1),
            Component("hardware price-performance", h.Count, bPp, 2),
            Component("cost predicted at constant utilisation (compute / price-performance)", m.Count, bCompute - bPp, 3),
            Component("implied utilisation (compute / price-performance / cost)", m.Count, bCompute - bPp - bCost, 4),
            []);
        return result with { Findings = Findings(result, h) };
    }

    private static List<string> Findings(CostDecompositionResult r, List<TrendPoint> chips)
    {
        var findings = new List<string>();
        var level = (r.Options.Level * 100).ToString("0.#", CultureInfo.InvariantCulture);
        var u = r.Utilisation;
        findings.Add(u.Resolved
            ? Inv($"cost and compute / price-performance disagree: cost grew {r.Cost.Growth.Value:0.##}x/yr where constant utilisation predicts {r.PredictedCost.Growth.Value:0.##}x/yr, so the implied utilisation {(u.Slope.Value > 0 ? "rose" : "fell")} {u.Growth.Value:0.###}x/yr [{u.Growth.Lo:0.###}, {u.Growth.Hi:0.###}] ({level}% interval excludes 1x)")
            : Inv($"cost and compute / price-performance agree within the {level}% intervals: the implied utilisation trend {u.Growth.Value:0.###}x/yr [{u.Growth.Lo:0.###}, {u.Growth.Hi:0.###}] includes 1x (no change)"));
        if (r.Compute.Slope.Lo > r.Cost.Slope.Hi)
        {
            findings.Add(Inv($"compute grew faster than cost ({r.Compute.Growth.Value:0.##}x vs {r.Cost.Growth.Value:0.##}x per year, intervals apart): each dollar bought more FLOP over the window"));
        }
        var chipSpan = (chips[0].Year, chips[^1].Year);
        if (chipSpan.Item2 < r.Compute.To - 0.5 || chipSpan.Item1 > r.Compute.From + 0.5)
        {
            findings.Add(Inv($"the chips span {chipSpan.Item1:0.##}–{chipSpan.Item2:0.##}, not the whole window {r.Compute.From:0.##}–{r.Compute.To:0.##}: price-performance is extrapolated over the rest"));
        }
        findings.Add("implied utilisation is a residual: it also absorbs changes in amortisation period, the price paid against the release price, and the precision actually used");
        return findings;
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
