namespace ScaleLab.Laws;

/// <summary>What a back-test interval is meant to cover.</summary>
public enum IntervalKind
{
    /// <summary>
    /// A new observation: bootstrap parameter uncertainty plus a resampled training residual (in log space,
    /// inflated by √(n/(n−p)) for the degrees of freedom the fit used). The default.
    /// </summary>
    Prediction,
    /// <summary>The law's mean curve only (parameter uncertainty); too narrow to cover noisy observations.</summary>
    Mean,
}

/// <summary>Options of a back-test: exactly one of <see cref="Holdout"/> and <see cref="HoldoutAbove"/>.</summary>
public sealed record BacktestOptions
{
    /// <summary>Hold out the K largest-scale points (scale = C, else N, else D, else t).</summary>
    public int? Holdout { get; init; }
    /// <summary>Hold out every point with scale above this value.</summary>
    public double? HoldoutAbove { get; init; }
    public int Bootstrap { get; init; } = 200;
    public ulong Seed { get; init; }
    public double Level { get; init; } = 0.95;
    public IntervalKind Interval { get; init; } = IntervalKind.Prediction;
    public FitOptions Fit { get; init; } = new();
    public int GridStarts { get; init; } = 2;
    public IProgress<int>? Progress { get; init; }
}

/// <summary>One held-out point: observed loss, prediction from the training fit, its interval.</summary>
public sealed record BacktestPoint(int Row, double Scale, double Observed, double Predicted, double Lo, double Hi,
    double RelativeError, bool Covered);

/// <summary>A back-test: per-point predictions and the summary (mean |relative error|, interval coverage).</summary>
public sealed record BacktestResult(
    string Law,
    int TrainCount,
    IReadOnlyList<BacktestPoint> Points,
    double MeanAbsRelativeError,
    double Coverage,
    double Level,
    IntervalKind Interval,
    LawFit TrainFit);

/// <summary>
/// Fit on the smaller runs, predict the larger ones (the check a user needs before trusting an
/// extrapolation). Relative error = (predicted − observed)/observed. Intervals: percentile intervals of
/// the bootstrap of the training fit (<see cref="Bootstrap"/>), see <see cref="IntervalKind"/>.
/// </summary>
public static class Backtester
{
    /// <summary>The default hold-out: the largest 20% of points, at least 2.</summary>
    public static int DefaultHoldout(int count) => Math.Max(2, (int)Math.Round(0.2 * count));

    public static BacktestResult Run(IScalingLaw law, ScalingDataset data, BacktestOptions options)
    {
        var scale = data.ScaleKey();
        var order = Enumerable.Range(0, data.Count).OrderBy(i => scale[i]).ThenBy(i => i).ToArray();
        int[] held;
        if (options.Holdout is int k && options.HoldoutAbove is null)
        {
            if (k < 1 || k >= data.Count)
            {
                throw new ArgumentException($"--holdout must be between 1 and {data.Count - 1}, got {k}");
            }
            held = order[^k..];
        }
        else if (options.HoldoutAbove is double above && options.Holdout is null)
        {
            held = order.Where(i => scale[i] > above).ToArray();
            if (held.Length == 0)
            {
                throw new ArgumentException($"{data.Source}: no point has scale above {above:G4}");
            }
        }
        else
        {
            throw new ArgumentException("give exactly one of --holdout K and --holdout-above C");
        }
        var heldSet = held.ToHashSet();
        var trainIdx = Enumerable.Range(0, data.Count).Where(i => !heldSet.Contains(i)).ToArray();
        int p = law.Coordinates.Count;
        if (trainIdx.Length < p + 1)
        {
            throw new InvalidDataException(
                $"{data.Source}: {trainIdx.Length} training points after holding out {held.Length}, {law.Name} needs at least {p + 1}");
        }
        var train = data.Subset(trainIdx);
        var fit = LawFitter.Fit(law, train, options.Fit);
        var points = held.Select(i => LawPoint.At(data, i)).ToArray();
        var boot = Bootstrap.Run(train, fit, new BootstrapOptions
        {
            Samples = options.Bootstrap,
            Seed = options.Seed,
            Level = options.Level,
            Predictions = points,
            GridStarts = options.GridStarts,
            MaxDegreeOfParallelism = options.Fit.MaxDegreeOfParallelism,
            Progress = options.Progress,
        }, options.Fit);
        fit = fit with { Bootstrap = boot };

        // Residuals of the training fit in log space, inflated for the p degrees of freedom the fit used.
        var (features, logY) = LogResidualObjective.Prepare(law, train);
        var residuals = new LogResidualObjective(law, features, logY, fit.Loss, fit.Delta).Residuals(fit.Theta);
        double inflate = Math.Sqrt(train.Count / (double)Math.Max(1, train.Count - p));
        var result = new List<BacktestPoint>(held.Length);
        for (int j = 0; j < held.Length; j++)
        {
            double predicted = fit.Predict(points[j]);
            var draws = new double[boot.PredictionDraws.Length];
            var rng = new ResampleStream(options.Seed ^ 0x5EED5EED5EEDUL, (ulong)j);
            for (int b = 0; b < draws.Length; b++)
            {
                double mean = boot.PredictionDraws[b][j];
                draws[b] = options.Interval == IntervalKind.Mean
                    ? mean
                    : mean * Math.Exp(inflate * residuals[rng.NextInt(residuals.Length)]);
            }
            var iv = Bootstrap.Percentile(draws, options.Level);
            double observed = data.Y[held[j]];
            result.Add(new BacktestPoint(data.Rows[held[j]], scale[held[j]], observed, predicted, iv.Lo, iv.Hi,
                (predicted - observed) / observed, iv.Contains(observed)));
        }
        return new BacktestResult(law.Name, train.Count, result,
            result.Average(x => Math.Abs(x.RelativeError)), result.Count(x => x.Covered) / (double)result.Count,
            options.Level, options.Interval, fit);
    }
}
