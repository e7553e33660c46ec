namespace ScaleLab.Laws.Trend;

/// <summary>
/// The estimated era break: its year with a bootstrap interval, the residual sums of squares of one line and of the
/// two lines split there (log10 units), and the number of splits searched.
/// </summary>
public sealed record TrendBreakEstimate(Estimate Year, double SsrOneLine, double SsrTwoLines, int Candidates, int MinimumPerEra, int FailedReplicates)
{
    /// <summary>Share of the one-line residual variation the break removes, 1 − SSR₂/SSR₁.</summary>
    public double Improvement => SsrOneLine > 0 ? 1 - SsrTwoLines / SsrOneLine : 0;
}

/// <summary>
/// One era break found from the data: the least-squares break of a two-segment model (each era its own intercept and
/// slope, as <see cref="TrendAnalysis"/> fits eras), the split of the year-sorted points that minimises
/// SSR(left) + SSR(right) (Bai 1997, "Estimation of a change point in multiple regression models"; Bai &amp; Perron 1998
/// for the search). Splits are only between distinct years, each era keeps at least max(3, ⌈0.05·n⌉) points (a
/// trimming like Andrews 1993's; his usual 15% would forbid Epoch's 2010 break, which leaves 59 of 419 models before
/// it), and the break year is the midpoint of the two years it separates. Each segment's SSR comes from
/// prefix sums of x, y, x², xy, y² with x centred on the window's mean year, so the search is O(n) after sorting.
/// Interval: pairs bootstrap (resample models, search again; percentile interval). A break date's sampling distribution
/// is not normal, and the bootstrap is only approximately valid for it (Bai 1997 gives the asymptotic alternative); the
/// tests measure its coverage on planted breaks.
/// </summary>
public static class TrendBreak
{
    public const double Trimming = 0.05;

    public static TrendBreakEstimate Find(IReadOnlyList<TrendPoint> points, int bootstrap, ulong seed, double level)
    {
        var sorted = points.OrderBy(p => p.Year).ToList();
        var x = sorted.Select(p => p.Year).ToArray();
        var y = sorted.Select(p => Math.Log10(p.Value)).ToArray();
        var minimum = MinimumPerEra(x.Length);
        var (year, ssr2, candidates, ssr1) = Search(x, y, minimum);
        if (double.IsNaN(year))
        {
            throw new InvalidDataException(
                $"trend: {x.Length} models cannot be split into two eras of at least {minimum} models with distinct years; give --breaks or widen the window");
        }
        var draws = new double[bootstrap];
        Resample.Replicates(bootstrap, seed, (int r, ref SplitMix64 rng) =>
        {
            var pick = new int[x.Length];
            Resample.Indices(ref rng, pick);
            Array.Sort(pick);
            draws[r] = Search(pick.Select(i => x[i]).ToArray(), pick.Select(i => y[i]).ToArray(), minimum).Year;
        }, streamOffset: 0xB4EA_0000_0000_0000UL);
        var failed = draws.Count(d => !double.IsFinite(d));
        var interval = bootstrap > 0 ? Quantile.Percentile(draws, level) : new Interval(double.NaN, double.NaN);
        return new TrendBreakEstimate(new Estimate(year, interval), ssr1, ssr2, candidates, minimum, failed);
    }

    public static int MinimumPerEra(int n) => Math.Max(TrendAnalysis.MinimumModels, (int)Math.Ceiling(Trimming * n));

    /// <summary>
    /// The best split of sorted (x, y): its year (NaN when none is allowed), SSR of the two lines, the number of
    /// splits tried, and SSR of one line through all points (Ssr1).
    /// </summary>
    private static (double Year, double Ssr2, int Candidates, double Ssr1) Search(double[] x, double[] y, int minimum)
    {
        var n = x.Length;
        var mean = x.Average();
        var prefix = new double[n + 1, 5];
        for (var i = 0; i < n; i++)
        {
            var xc = x[i] - mean;
            prefix[i + 1, 0] = prefix[i, 0] + xc;
            prefix[i + 1, 1] = prefix[i, 1] + y[i];
            prefix[i + 1, 2] = prefix[i, 2] + (xc * xc);
            prefix[i + 1, 3] = prefix[i, 3] + (xc * y[i]);
            prefix[i + 1, 4] = prefix[i, 4] + (y[i] * y[i]);
        }
        double Ssr(int from, int to)
        {
            // OLS residual sum of squares from sums: Syy − Sxy²/Sxx over points [from, to)
            var m = to - from;
            var sx = prefix[to, 0] - prefix[from, 0];
            var sy = prefix[to, 1] - prefix[from, 1];
            var sxx = prefix[to, 2] - prefix[from, 2] - (sx * sx / m);
            var sxy = prefix[to, 3] - prefix[from, 3] - (sx * sy / m);
            var syy = prefix[to, 4] - prefix[from, 4] - (sy * sy / m);
            return sxx > 0 ? Math.Max(0, syy - (sxy * sxy / sxx)) : double.NaN;
        }
        var ssr1 = Ssr(0, n);
        double best = double.PositiveInfinity, year = double.NaN;
        var candidates = 0;
        for (var k = minimum; k <= n - minimum; k++)
        {
            if (x[k] == x[k - 1])
            {
                continue;
            }
            var ssr = Ssr(0, k) + Ssr(k, n);
            if (double.IsNaN(ssr))
            {
                continue;
            }
            candidates++;
            if (ssr < best)
            {
                best = ssr;
                year = (x[k - 1] + x[k]) / 2;
            }
        }
        return (year, best, candidates, ssr1);
    }
}
