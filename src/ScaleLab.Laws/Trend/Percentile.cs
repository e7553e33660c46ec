namespace ScaleLab.Laws.Trend;

/// <summary>Percentile-bootstrap helpers (Efron &amp; Tibshirani 1993, ch. 13).</summary>
internal static class Percentile
{
    /// <summary>
    /// Quantile q of the finite values by linear interpolation between order statistics (Hyndman &amp; Fan
    /// type 7, numpy's default): h = (m − 1)·q, x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]).
    /// </summary>
    public static double Quantile(double[] sortedFinite, double q)
    {
        if (sortedFinite.Length == 0)
        {
            return double.NaN;
        }
        var h = (sortedFinite.Length - 1) * q;
        var lo = (int)Math.Floor(h);
        var hi = Math.Min(lo + 1, sortedFinite.Length - 1);
        return sortedFinite[lo] + (h - lo) * (sortedFinite[hi] - sortedFinite[lo]);
    }

    /// <summary>The central <paramref name="level"/> interval of the finite replicate values around <paramref name="value"/>.</summary>
    public static Estimate Interval(double value, IEnumerable<double> replicates, double level)
    {
        var sorted = replicates.Where(double.IsFinite).Order().ToArray();
        var tail = (1.0 - level) / 2.0;
        return new Estimate(value, Quantile(sorted, tail), Quantile(sorted, 1.0 - tail));
    }
}
