namespace ScaleLab.Laws;

/// <summary>What a bootstrap resamples: single points, or whole groups of points (a model size, a compute budget).</summary>
public enum ResampleBy
{
    /// <summary>Model sizes when the data have N and enough distinct sizes, else compute budgets, else points.</summary>
    Auto,
    /// <summary>Single points (the classical case-resampling bootstrap).</summary>
    Points,
    /// <summary>Whole model sizes: every run of one N is drawn or left out together.</summary>
    ModelSize,
    /// <summary>Whole compute budgets: every run of one C is drawn or left out together.</summary>
    Compute,
}

/// <summary>
/// A partition of a data set's points into groups for a block bootstrap: <see cref="Ids"/>[i] is the group of
/// point i (0 ≤ id &lt; <see cref="Count"/>). Runs of one model size (or one budget) share a fit's errors — the
/// same architecture, the same tokens seen — so points within a group are not independent draws, and a bootstrap
/// that resamples single points understates the uncertainty of an extrapolation in N or C (the cluster bootstrap,
/// Davison &amp; Hinkley 1997 §3.8; Cameron, Gelbach &amp; Miller 2008).
/// </summary>
public sealed record ResampleGroups(int[] Ids, int Count, string Description)
{
    /// <summary>
    /// Fewest groups for a group bootstrap: with fewer, a resample often holds two or three distinct sizes and
    /// the refit is not identified, and the percentile interval of so few distinct resamples is coarse.
    /// </summary>
    public const int MinimumGroups = 10;

    /// <summary>Tolerance, in decades, within which two values count as the same size or budget (2.3%).</summary>
    public const double DefaultToleranceDecades = 0.01;

    /// <summary>One group per point.</summary>
    public static ResampleGroups Points(int count) =>
        new(Enumerable.Range(0, count).ToArray(), count, $"{count} single points");

    /// <summary>
    /// Groups the points by a positive value (N or C): sorted by log10 value, a new group starts where the gap to the
    /// previous value exceeds <paramref name="toleranceDecades"/> (single linkage). Digitised or rounded values of
    /// one model size (the Chinchilla points give 140 distinct N for about 40 sizes) then fall into one group.
    /// </summary>
    public static ResampleGroups ByValue(double[] values, string what, double toleranceDecades = DefaultToleranceDecades)
    {
        var order = Enumerable.Range(0, values.Length).OrderBy(i => values[i]).ThenBy(i => i).ToArray();
        var ids = new int[values.Length];
        int g = -1;
        double previous = double.NegativeInfinity;
        foreach (var i in order)
        {
            double x = Math.Log10(values[i]);
            if (g < 0 || x - previous > toleranceDecades)
            {
                g++;
            }
            ids[i] = g;
            previous = x;
        }
        return new ResampleGroups(ids, g + 1, $"{g + 1} {what} groups (values within {NumberStyle.Format(toleranceDecades, 2)} decades joined)");
    }

    /// <summary>
    /// The groups a back-test resamples by: the requested kind, or for <see cref="ResampleBy.Auto"/> model sizes when
    /// the data have N with at least <see cref="MinimumGroups"/> distinct sizes, else compute budgets likewise, else
    /// single points. A requested kind whose column is missing or has too few groups falls back to points and says so.
    /// </summary>
    public static ResampleGroups For(ScalingDataset data, ResampleBy by)
    {
        if (by == ResampleBy.Points)
        {
            return Points(data.Count);
        }
        var candidates = by switch
        {
            ResampleBy.ModelSize => new[] { (data.N, "model-size") },
            ResampleBy.Compute => [(data.C, "compute-budget")],
            _ => [(data.N, "model-size"), (data.C, "compute-budget")],
        };
        foreach (var (column, what) in candidates)
        {
            if (column is null)
            {
                continue;
            }
            var groups = ByValue(column, what);
            if (groups.Count >= MinimumGroups && groups.Count < data.Count)
            {
                return groups;
            }
            if (groups.Count == data.Count && by == ResampleBy.Auto)
            {
                // Every point its own size or budget: grouping changes nothing; try the next column.
                continue;
            }
        }
        var points = Points(data.Count);
        return by is ResampleBy.Auto or ResampleBy.Points
            ? points
            : points with { Description = $"{data.Count} single points ({by} grouping has fewer than {MinimumGroups} groups or no column)" };
    }
}
