namespace ScaleLab.Laws;

/// <summary>A two-sided interval.</summary>
public sealed record Interval(double Lo, double Hi)
{
    public double Width => Hi - Lo;
    public bool Contains(double x) => x >= Lo && x <= Hi;
}

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
/// Resample k draws from its own generator seeded from (seed, k), so results do not depend on threads.
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
        var po = new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism };
        Parallel.For(0, options.Samples, po, k =>
        {
            var rng = new ResampleStream(options.Seed, (ulong)k);
            var w = new double[n];
            if (groups is null)
            {
                for (int i = 0; i < n; i++)
                {
                    w[rng.NextInt(n)] += 1;
                }
            }
            else
            {
                var times = new double[groups.Count];
                for (int i = 0; i < groups.Count; i++)
                {
                    times[rng.NextInt(groups.Count)] += 1;
                }
                for (int i = 0; i < n; i++)
                {
                    w[i] = times[groups.Ids[i]];
                }
            }
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
        });
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
            Columns(kept, law.Symbols.Count, options.Level),
            law.DerivedNames, Columns(derivedDraws, law.DerivedNames.Count, options.Level),
            options.Predictions, keptPreds, Columns(keptPreds, options.Predictions.Count, options.Level))
        {
            Resampling = groups?.Description ?? $"{n} single points",
        };
    }

    /// <summary>Percentile interval of each column of <paramref name="rows"/>.</summary>
    public static Interval[] Columns(double[][] rows, int columns, double level)
    {
        var result = new Interval[columns];
        var col = new double[rows.Length];
        for (int j = 0; j < columns; j++)
        {
            for (int i = 0; i < rows.Length; i++)
            {
                col[i] = rows[i][j];
            }
            result[j] = Percentile(col, level);
        }
        return result;
    }

    /// <summary>Central percentile interval at <paramref name="level"/> of a sample (non-finite values ignored).</summary>
    public static Interval Percentile(IEnumerable<double> sample, double level)
    {
        var s = sample.Where(double.IsFinite).Order().ToArray();
        if (s.Length == 0)
        {
            return new Interval(double.NaN, double.NaN);
        }
        double tail = (1 - level) / 2;
        return new Interval(Quantile(s, tail), Quantile(s, 1 - tail));
    }

    /// <summary>Quantile of a sorted sample, linear interpolation between order statistics (Hyndman–Fan type 7).</summary>
    public static double Quantile(double[] sorted, double q)
    {
        double h = (sorted.Length - 1) * q;
        int lo = (int)Math.Floor(h);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    /// <summary>The fit with its bootstrap attached.</summary>
    public static LawFit WithBootstrap(this LawFit fit, ScalingDataset data, BootstrapOptions options, FitOptions? fitOptions = null) =>
        fit with { Bootstrap = Run(data, fit, options, fitOptions) };
}

/// <summary>
/// SplitMix64 (Steele, Lea &amp; Flood 2014): a tiny seeded generator. Stream k of seed s starts at the state
/// mix(s ⊕ mix(k + 1)), a pseudo-random point of the 2^64 cycle. (Starting streams at s + k·γ, the generator's
/// own increment, would make stream k+1 a one-step shift of stream k: correlated resamples and intervals that
/// are far too narrow.)
/// </summary>
internal struct ResampleStream
{
    private ulong _state;

    public ResampleStream(ulong seed, ulong stream)
    {
        _state = Mix(seed ^ Mix(stream + 1));
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform integer in [0, n) (Lemire's multiply-shift; bias below 2^-32 for our n).</summary>
    public int NextInt(int n) => (int)((UInt128)Next() * (ulong)n >> 64);

    /// <summary>Uniform double in [0, 1).</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));
}
