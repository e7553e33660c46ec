namespace ScaleLab.Laws;

/// <summary>
/// Sample quantiles and percentile intervals, the one definition used by every interval in ScaleLab: Hyndman &amp; Fan
/// (1996) type 7 (R's and numpy's default), linear interpolation between order statistics. For a sorted sample
/// x[0] ≤ … ≤ x[m−1] and 0 ≤ q ≤ 1:
/// <code>
///   h = (m − 1)·q,   Q(q) = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋])
/// </code>
/// so Q(0) is the minimum, Q(1) the maximum and Q(½) the usual median. The percentile interval at level c is
/// [Q((1 − c)/2), Q((1 + c)/2)] of the finite values (Efron &amp; Tibshirani 1993, ch. 13).
/// </summary>
public static class Quantile
{
    /// <summary>Q(q) of a sorted sample (type 7); NaN when the sample is empty.</summary>
    public static double OfSorted(ReadOnlySpan<double> sorted, double q)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }
        var h = (sorted.Length - 1) * q;
        var lo = (int)Math.Floor(h);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    /// <summary>Q(q) of the finite values of a sample (non-finite values ignored); NaN when none is finite.</summary>
    public static double Of(IEnumerable<double> sample, double q) => OfSorted(FiniteSorted(sample), q);

    /// <summary>
    /// The central percentile interval at <paramref name="level"/> (0.95: the 2.5th and 97.5th percentiles) of the
    /// finite values of a sample; both ends NaN when none is finite.
    /// </summary>
    public static Interval Percentile(IEnumerable<double> sample, double level)
    {
        var sorted = FiniteSorted(sample);
        var tail = (1.0 - level) / 2.0;
        return new Interval(OfSorted(sorted, tail), OfSorted(sorted, 1.0 - tail));
    }

    /// <summary>The percentile interval of each of the first <paramref name="columns"/> columns of <paramref name="rows"/>.</summary>
    public static Interval[] Columns(double[][] rows, int columns, double level)
    {
        var result = new Interval[columns];
        var column = new double[rows.Length];
        for (var j = 0; j < columns; j++)
        {
            for (var i = 0; i < rows.Length; i++)
            {
                column[i] = rows[i][j];
            }
            result[j] = Percentile(column, level);
        }
        return result;
    }

    private static double[] FiniteSorted(IEnumerable<double> sample) => sample.Where(double.IsFinite).Order().ToArray();
}
