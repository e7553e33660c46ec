namespace ScaleLab.Laws;

/// <summary>Options of a nonparametric bootstrap of a law fit.</summary>
public sealed record BootstrapOptions
{
    public int Samples { get; init; } = 1000;
    public ulong Seed { get; init; }
    /// <summary>Central coverage of the percentile intervals (0.95 → 2.5th and 97.5th percentiles).</summary>
    public double Level { get; init; } = 0.95;
    /// <summary>Points at which to predict L̂ in every resample (intervals in <see cref="BootstrapResult.Predictions"/>).</summary>
    public IReadOnlyList<LawPoint> Predictions { get; init; } = [];
    /// <summary>Starts per refit taken from the law's grid, in addition to the full-data optimum.</summary>
    public int GridStarts { get; init; } = 2;
    /// <summary>
    /// Groups resampled whole (a block bootstrap, see <see cref="ResampleGroups"/>); null resamples single points.
    /// Must cover the data set passed to <see cref="Bootstrap.Run"/>.
    /// </summary>
    public ResampleGroups? Groups { get; init; }
    public int MaxDegreeOfParallelism { get; init; } = -1;
    /// <summary>Reports the number of finished resamples (every 1%).</summary>
    public IProgress<int>? Progress { get; init; }
}

/// <summary>
/// Bootstrap draws and percentile intervals. <see cref="Draws"/> holds the reported parameters (in
/// <see cref="Symbols"/> order) of every resample that converged, in resample order.
/// </summary>
public sealed record BootstrapResult(
    int Samples,
    int Failed,
    double Level,
    ulong Seed,
    string Starts,
    IReadOnlyList<string> Symbols,
    double[][] Draws,
    Interval[] Parameters,
    IReadOnlyList<string> DerivedNames,
    Interval[] Derived,
    IReadOnlyList<LawPoint> PredictionPoints,
    double[][] PredictionDraws,
    Interval[] Predictions)
{
    /// <summary>What was resampled: "240 single points" or "40 model-size groups (...)".</summary>
    public string Resampling { get; init; } = "single points";
}

/// <summary>
/// Nonparametric (case-resampling) bootstrap of a law fit (Efron &amp; Tibshirani 1993 ch. 6; Besiroglu et al.
/// 2024 §3 bootstrap the Chinchilla points the same way): draw n points with replacement, refit, repeat; report
/// percentile intervals of every parameter, derived quantity and requested prediction.
/// A resample is a weight vector (w_i = times point i was drawn), so no data are copied. With
/// <see cref="BootstrapOptions.Groups"/> the G groups are drawn with replacement instead and every point of a group
/// drawn m times gets weight m (the cluster bootstrap, Davison &amp; Hinkley 1997 §3.8).
/// Refits start from the full-data optimum plus <see cref="BootstrapOptions.GridStarts"/> evenly spaced points of
/// the law's grid: the optimum of a resample is near the full-data one, and the grid starts guard against a
/// resample whose optimum moved to another basin; with the default two grid starts a refit costs 1/1500 of the full 4,500-start chinchilla grid. (On
/// Epoch's Chinchilla points, refits from the optimum alone reached the same optimum as 30 grid starts.)
/// Resample k draws from its own generator <see cref="SplitMix64.Stream"/>(seed, k) through <see cref="Resample"/>, so results do not depend on threads.
/// </summary>
public static class Bootstrap
{
    public static BootstrapResult Run(ScalingDataset data, LawFit fit, BootstrapOptions options, FitOptions? fitOptions = null)
    {
        var law = fit.Form;
        fitOptions ??= new FitOptions();
        int n = data.Count;
        var (features, logY) = LogResidualObjective.Prepare(law, data);
        var grid = law.StartGrid(features, logY);
        var starts = new List<double[]> { fit.Theta };
        int g = Math.Min(options.GridStarts, grid.Count);
        for (int j = 0; j < g; j++)
        {
            int stride = grid.Count / g;
            starts.Add(grid[j * stride + stride / 2]);
        }
        var draws = new double[options.Samples][];
        var preds = new double[options.Samples][];
        var ok = new bool[options.Samples];
        int done = 0, step = Math.Max(1, options.Samples / 100);
        var groups = options.Groups;
        if (groups is not null && groups.Ids.Length != n)
        {
            throw new ArgumentException($"bootstrap groups cover {groups.Ids.Length} points, the data have {n}");
        }
        Resample.Replicates(options.Samples, options.Seed, (int k, ref SplitMix64 rng) =>
        {
            var w = new double[n];
            Resample.Weights(ref rng, groups?.Ids, groups?.Count ?? 0, w);
            var objective = new LogResidualObjective(law, features, logY, fit.Loss, fit.Delta, w);
            try
            {
                var refit = LawFitter.FitStarts(law, objective, starts, fitOptions, n, [], parallel: false);
                draws[k] = refit.Values;
                var pk = new double[options.Predictions.Count];
                for (int j = 0; j < pk.Length; j++)
                {
                    pk[j] = law.Predict(refit.Values, options.Predictions[j]);
                }
                preds[k] = pk;
                ok[k] = true;
            }
            catch (FitFailedException)
            {
                ok[k] = false;
            }
            int d = Interlocked.Increment(ref done);
            if (options.Progress is not null && (d % step == 0 || d == options.Samples))
            {
                options.Progress.Report(d);
            }
        }, maxDegreeOfParallelism: options.MaxDegreeOfParallelism);
        var good = Enumerable.Range(0, options.Samples).Where(k => ok[k]).ToArray();
        var kept = good.Select(k => draws[k]).ToArray();
        var keptPreds = good.Select(k => preds[k]).ToArray();
        if (kept.Length == 0)
        {
            throw new FitFailedException($"{law.Name}: no bootstrap resample converged ({options.Samples} resamples)");
        }
        var derivedDraws = kept.Select(v => law.Derived(v)).ToArray();
        return new BootstrapResult(options.Samples, options.Samples - kept.Length, options.Level, options.Seed,
            $"full-data optimum + {g} grid starts per resample",
            law.Symbols, kept,
            Quantile.Columns(kept, law.Symbols.Count, options.Level),
            law.DerivedNames, Quantile.Columns(derivedDraws, law.DerivedNames.Count, options.Level),
            options.Predictions, keptPreds, Quantile.Columns(keptPreds, options.Predictions.Count, options.Level))
        {
            Resampling = groups?.Description ?? $"{n} single points",
        };
    }

    /// <summary>The fit with its bootstrap attached.</summary>
    public static LawFit WithBootstrap(this LawFit fit, ScalingDataset data, BootstrapOptions options, FitOptions? fitOptions = null) =>
        fit with { Bootstrap = Run(data, fit, options, fitOptions) };
}
