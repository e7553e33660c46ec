using MathNet.Numerics.LinearRegression;

namespace ScaleLab.Laws.Games;

/// <summary>One point of a train–test frontier: at Elo level <see cref="Elo"/>, the least log10 test compute any evaluation
/// above the level needed among agents trained with at most <see cref="Log10TrainCompute"/> (a bin's centre).</summary>
public sealed record TrainTestFrontierPoint(double Elo, double Log10TrainCompute, double Log10TestCompute);

/// <summary>
/// Jones's train–test trade-off fitted on the frontier: <see cref="Slope"/> is β₁ of log10 test = β₀ + β₁·log10 train +
/// β₂·Elo over the frontier <see cref="Points"/> (β₂ = <see cref="EloCoefficient"/>, decades of test compute per Elo),
/// with percentile intervals from a bootstrap over clusters (training runs); <see cref="Intercept"/> β₀; <see cref="Levels"/> the Elo levels.
/// </summary>
public sealed record TrainTestFrontierFit(Estimate Slope, Estimate EloCoefficient, IReadOnlyList<double> Levels, IReadOnlyList<TrainTestFrontierPoint> Points,
    int Clusters, int Resamples, int Failed, IReadOnlyList<string> Notes)
{
    public double Intercept { get; init; }

    /// <summary>The fitted plane's log10 test compute at <paramref name="log10Train"/> and Elo <paramref name="elo"/>.</summary>
    public double Predict(double log10Train, double elo) => Intercept + Slope.Value * log10Train + EloCoefficient.Value * elo;
}

/// <summary>
/// The train–test trade-off as Jones (2021, §VI and Fig. 9; his analysis code, analysis/data.py train_test) measured it:
/// not per agent, but as the frontier of the least compute that reaches an Elo. For each level e, take every evaluation
/// (an agent at one search-node count) whose Elo exceeds e, bin the agents' log10 training compute to <see cref="BinWidth"/>
/// decades, keep the least log10 test compute in each bin, and take the running minimum over increasing training compute
/// (more training budget can always fall back on a cheaper agent): the least test compute that buys Elo e with at most that
/// much training. The curve is kept up to the first bin where it reaches its final value (after that it is flat by
/// construction and says nothing about the trade-off). Then one least-squares plane, log10 test = β₀ + β₁·log10 train +
/// β₂·e, over all levels' points: β₁ is the iso-Elo slope (Jones: about −1.2, "10× train compute saves 15× test compute").
/// <para>
/// The running minimum makes every curve non-increasing, so the slope cannot be positive: the sign is not a test, the
/// magnitude is. With noisy Elos it is biased towards zero (measured on planted planes: −1.19 for −1.20 at 20 Elo of
/// noise, −1.14 at 60), and where training buys nothing (planted slope 0) it reads about −0.1, not −1.2
/// (TrainTestFrontierTests). Its interval resamples whole clusters (a run's snapshots share one training history);
/// a cluster drawn twice adds nothing to a minimum, so a resample is the set of clusters drawn.
/// </para>
/// </summary>
public static class TrainTestFrontier
{
    /// <summary>Width of the training-compute bins, in decades (Jones: 0.1).</summary>
    public const double BinWidth = 0.1;

    /// <summary>The frontier points of every level (<see cref="TrainTestFrontier"/>), from the evaluations whose
    /// <paramref name="weights"/> are positive (null: all; a weight above one adds nothing to a minimum).</summary>
    public static IReadOnlyList<TrainTestFrontierPoint> Construct(IReadOnlyList<TrainTestPoint> evaluations, IReadOnlyList<double> levels,
        double[]? weights = null)
    {
        var points = new List<TrainTestFrontierPoint>();
        foreach (var e in levels)
        {
            var least = new SortedDictionary<long, double>();
            for (var i = 0; i < evaluations.Count; i++)
            {
                var p = evaluations[i];
                if (p.Elo <= e || (weights is not null && weights[i] <= 0)) continue;
                var bin = (long)Math.Round(p.Log10TrainCompute / BinWidth);
                least[bin] = least.TryGetValue(bin, out var y) ? Math.Min(y, p.Log10TestCompute) : p.Log10TestCompute;
            }
            if (least.Count == 0) continue;
            var final = least.Values.Min();
            var running = double.PositiveInfinity;
            foreach (var (bin, y) in least)
            {
                running = Math.Min(running, y);
                points.Add(new TrainTestFrontierPoint(e, bin * BinWidth, running));
                if (running == final) break;
            }
        }
        return points;
    }

    /// <summary>
    /// Fits the plane over the frontier points and bootstraps it over clusters (<paramref name="cluster"/> of an evaluation,
    /// default its agent; a training run is the right cluster for snapshots). Throws <see cref="InvalidDataException"/> when
    /// the frontier does not span two training-compute bins at one level at least (no slope to fit).
    /// </summary>
    public static TrainTestFrontierFit Fit(IReadOnlyList<TrainTestPoint> evaluations, IReadOnlyList<double> levels, Func<TrainTestPoint, string>? cluster = null,
        int bootstrap = 500, ulong seed = 0, double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(evaluations);
        ArgumentNullException.ThrowIfNull(levels);
        if (evaluations.Any(p => !double.IsFinite(p.Elo) || !double.IsFinite(p.Log10TestCompute) || !double.IsFinite(p.Log10TrainCompute)))
        {
            throw new InvalidDataException("train–test frontier: an evaluation has a non-finite Elo or compute");
        }
        if (levels.Count == 0) throw new InvalidDataException("train–test frontier: no Elo level given");
        var key = cluster ?? (p => p.Agent);
        var names = evaluations.Select(key).Distinct(StringComparer.Ordinal).ToList();
        var index = names.Select((n, i) => (n, i)).ToDictionary(t => t.n, t => t.i, StringComparer.Ordinal);
        var clusterOf = evaluations.Select(p => index[key(p)]).ToArray();

        var points = Construct(evaluations, levels);
        var fit = Plane(points) ?? throw new InvalidDataException(
            $"train–test frontier: no Elo level's frontier spans two training-compute bins ({evaluations.Count} evaluations, {levels.Count} levels)");

        var slopes = new double[bootstrap];
        var eloCoefficients = new double[bootstrap];
        Resample.Replicates(bootstrap, seed, (int r, ref SplitMix64 rng) =>
        {
            var weights = new double[evaluations.Count];
            Resample.Weights(ref rng, clusterOf, names.Count, weights);
            var b = Plane(Construct(evaluations, levels, weights));
            slopes[r] = b?.Slope ?? double.NaN;
            eloCoefficients[r] = b?.Elo ?? double.NaN;
        });
        var failed = slopes.Count(double.IsNaN);
        var notes = new List<string>
        {
            $"frontier of the least test compute reaching each Elo level at each training compute (bins of {BinWidth} decade, running minimum; Jones 2021): " +
            $"{points.Count} points over {points.Select(p => p.Elo).Distinct().Count()} of {levels.Count} levels",
            $"interval: {bootstrap} bootstrap resamples of {names.Count} clusters ({failed} without a slope), {level:P0} percentile",
            "the running minimum makes each curve non-increasing: the slope cannot be positive, its size is the measurement",
        };
        Interval? Iv(double[] draws) => bootstrap > 0 && failed < bootstrap ? Quantile.Percentile(draws, level) : null;
        return new TrainTestFrontierFit(new Estimate(fit.Slope, Iv(slopes)), new Estimate(fit.Elo, Iv(eloCoefficients)), levels, points,
            names.Count, bootstrap, failed, notes) { Intercept = fit.Intercept };
    }

    /// <summary>Least squares of log10 test on log10 train and Elo (Elo dropped when the points hold one level); null when
    /// no level has points in two training bins.</summary>
    internal static (double Slope, double Elo, double Intercept)? Plane(IReadOnlyList<TrainTestFrontierPoint> points)
    {
        var spans = points.GroupBy(p => p.Elo).Any(g => g.Select(p => p.Log10TrainCompute).Distinct().Count() >= 2);
        if (!spans) return null;
        var y = points.Select(p => p.Log10TestCompute).ToArray();
        if (points.Select(p => p.Elo).Distinct().Count() == 1)
        {
            var line = LinearFit.Ols(points.Select(p => p.Log10TrainCompute).ToArray(), y);
            return (line.Slope, 0, line.Intercept);
        }
        var beta = MultipleRegression.QR(points.Select(p => new[] { p.Log10TrainCompute, p.Elo }).ToArray(), y, intercept: true);
        return beta.All(double.IsFinite) ? (beta[1], beta[2], beta[0]) : null;
    }
}
