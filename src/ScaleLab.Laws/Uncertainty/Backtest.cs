namespace ScaleLab.Laws;

/// <summary>What a back-test interval is meant to cover.</summary>
public enum IntervalKind
{
    /// <summary>
    /// A new observation: bootstrap parameter uncertainty plus a resampled training residual (in log space,
    /// inflated by √(n/(n−p)) for the degrees of freedom the fit used). Calibrated for resampling noise only,
    /// not for extrapolation.
    /// </summary>
    Prediction,
    /// <summary>The law's mean curve only (parameter uncertainty); too narrow to cover noisy observations.</summary>
    Mean,
    /// <summary>
    /// <see cref="Prediction"/> plus an extrapolation error that grows with the decades beyond the training data,
    /// its scale measured by nested back-tests on the training data alone (see <see cref="ExtrapolationCalibration"/>).
    /// The default.
    /// </summary>
    Calibrated,
}

/// <summary>
/// Options of a back-test: at most one of <see cref="Holdout"/> and <see cref="HoldoutAbove"/>; with neither,
/// <see cref="Backtester.DefaultSplit"/> (everything above a tenth of the largest scale when the data span ≥ 1.5 decades).
/// </summary>
public sealed record BacktestOptions
{
    /// <summary>Hold out the K largest-scale points (scale = C, else N, else D, else t).</summary>
    public int? Holdout { get; init; }
    /// <summary>Hold out every point with scale above this value.</summary>
    public double? HoldoutAbove { get; init; }
    public int Bootstrap { get; init; } = 200;
    public ulong Seed { get; init; }
    public double Level { get; init; } = 0.95;
    public IntervalKind Interval { get; init; } = IntervalKind.Calibrated;
    /// <summary>What the bootstrap resamples (default: whole model sizes or budgets when there are enough).</summary>
    public ResampleBy Resample { get; init; } = ResampleBy.Auto;
    /// <summary>
    /// Known irreducible loss (e.g. the synthetic source's entropy rate) for errors on the reducible loss
    /// L − floor; null uses the law's fitted E on the training runs when the law has one.
    /// </summary>
    public double? Floor { get; init; }
    /// <summary>Most nested back-tests run to calibrate <see cref="IntervalKind.Calibrated"/> intervals (each is one fit).</summary>
    public int NestedCuts { get; init; } = 5;
    /// <summary>Starts per nested fit taken from the law's grid, besides the training fit's optimum.</summary>
    public int NestedGridStarts { get; init; } = 16;
    public FitOptions Fit { get; init; } = new();
    public int GridStarts { get; init; } = 2;
    public IProgress<int>? Progress { get; init; }
}

/// <summary>
/// One held-out point: observed loss, prediction from the training fit, its interval. <see cref="Decades"/> is how
/// far beyond the largest training scale it lies; the reducible fields use the result's floor (NaN without one, or
/// when the observed loss is not above it).
/// </summary>
public sealed record BacktestPoint(int Row, double Scale, double Observed, double Predicted, double Lo, double Hi,
    double RelativeError, bool Covered)
{
    public double Decades { get; init; } = double.NaN;
    /// <summary>Observed − floor.</summary>
    public double ReducibleObserved { get; init; } = double.NaN;
    /// <summary>Predicted − floor.</summary>
    public double ReduciblePredicted { get; init; } = double.NaN;
    /// <summary>(predicted − observed)/(observed − floor): the error as a fraction of the loss that scaling can remove.</summary>
    public double ReducibleRelativeError { get; init; } = double.NaN;
}

/// <summary>
/// A naive forecast scored on the same held-out points as the law. Skill = 1 − MSE_law/MSE_baseline: on ln L
/// (<see cref="LogSkill"/>, the scale the law is fitted on) and on the reducible relative error
/// (<see cref="ReducibleSkill"/>); positive means the law beats the baseline, ≤ 0 that it does not.
/// </summary>
public sealed record BaselineResult(string Name, string Description, double[] Predictions, double MeanAbsRelativeError,
    double LogMse, double LogSkill, double ReducibleMse, double ReducibleSkill);

/// <summary>A back-test: per-point predictions and the summary (mean |relative error|, interval coverage).</summary>
public sealed record BacktestResult(
    string Law,
    int TrainCount,
    IReadOnlyList<BacktestPoint> Points,
    double MeanAbsRelativeError,
    double Coverage,
    double Level,
    IntervalKind Interval,
    LawFit TrainFit)
{
    /// <summary>How the held-out points were chosen, in words (including a fall-back to the largest-20% rule).</summary>
    public string HoldoutRule { get; init; } = "";
    /// <summary>The scale variable (C, N, D or t) that orders "smaller" and "larger" runs.</summary>
    public string ScaleName { get; init; } = "C";
    public double TrainMaxScale { get; init; }
    public double HeldMinScale { get; init; }
    public double HeldMaxScale { get; init; }
    /// <summary>Decades from the largest training scale to the largest held-out one: how far the test extrapolates.</summary>
    public double SpanDecades { get; init; }
    /// <summary>Decades from the largest training scale to the smallest held-out one.</summary>
    public double GapDecades { get; init; }
    /// <summary>Mean squared error of ln L̂ − ln L over the held-out points.</summary>
    public double LogMse { get; init; }
    /// <summary>The floor of the reducible loss, null when none is known or fitted.</summary>
    public double? Floor { get; init; }
    /// <summary>"known" (given) or "fitted E (training fit)".</summary>
    public string? FloorSource { get; init; }
    public double MeanAbsReducibleRelativeError { get; init; } = double.NaN;
    public double ReducibleMse { get; init; } = double.NaN;
    /// <summary>Last point carried forward, then the log–log straight line.</summary>
    public IReadOnlyList<BaselineResult> Baselines { get; init; } = [];
    /// <summary>True when the law's log skill is positive against every baseline.</summary>
    public bool BeatsBaselines => Baselines.Count > 0 && Baselines.All(b => b.LogSkill > 0);
    /// <summary>What the bootstrap resampled.</summary>
    public string Resampling { get; init; } = "";
    /// <summary>The nested-back-test calibration behind <see cref="IntervalKind.Calibrated"/> intervals (null otherwise).</summary>
    public ExtrapolationCalibration? Calibration { get; init; }
    public int CoveredCount { get; init; }
    /// <summary>P(X ≤ covered) for X ~ Binomial(held-out count, level): small means coverage is credibly below nominal.</summary>
    public double CoverageTailProbability { get; init; } = double.NaN;
    /// <summary>One line on achieved against nominal coverage; says so when achieved is below nominal.</summary>
    public string CoverageNote { get; init; } = "";
    /// <summary>Warnings a reader must see (coverage below nominal, too short a span, no calibration, ...).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>
/// Fit on the smaller runs, predict the larger ones (the check a user needs before trusting an
/// extrapolation). Relative error = (predicted − observed)/observed, also on the reducible loss. Beside the law,
/// two naive forecasts (<see cref="Baselines"/>) and the skill against each: a back-test that cannot tell the law
/// from a flat line shows a skill near or below zero. Intervals: percentile intervals of a (group) bootstrap of
/// the training fit (<see cref="Bootstrap"/>), widened for extrapolation, see <see cref="IntervalKind"/>.
/// </summary>
public static partial class Backtester
{
    /// <summary>The fall-back hold-out: the largest 20% of points, at least 2.</summary>
    public static int DefaultHoldout(int count) => Math.Max(2, (int)Math.Round(0.2 * count));

    /// <summary>Fewest decades of scale for the tenth-of-largest default hold-out.</summary>
    public const double DefaultSplitMinimumDecades = 1.5;

    /// <summary>
    /// The default hold-out: every point above a tenth of the largest scale, so the test extrapolates up to one
    /// decade, when the data span at least <see cref="DefaultSplitMinimumDecades"/> decades and that leaves at least
    /// p + 1 training points and 2 held-out ones; otherwise the largest 20% (at least 2), and the rule says why.
    /// </summary>
    public static (int[] Held, string Rule) DefaultSplit(ScalingDataset data, int parameterCount)
    {
        var scale = data.ScaleKey();
        string name = ScaleNameOf(data);
        double max = scale.Max(), min = scale.Min();
        double decades = Math.Log10(max / min);
        if (decades >= DefaultSplitMinimumDecades)
        {
            var above = Enumerable.Range(0, data.Count).Where(i => scale[i] > max / 10).OrderBy(i => scale[i]).ThenBy(i => i).ToArray();
            if (above.Length >= 2 && data.Count - above.Length >= parameterCount + 1)
            {
                return (above, $"every run with {name} above a tenth of the largest ({NumberStyle.Format(max / 10, 3)}); the data span {NumberStyle.Format(decades, 3)} decades");
            }
        }
        int k = Math.Min(DefaultHoldout(data.Count), Math.Max(1, data.Count - parameterCount - 1));
        var order = Enumerable.Range(0, data.Count).OrderBy(i => scale[i]).ThenBy(i => i).ToArray();
        string why = decades >= DefaultSplitMinimumDecades
            ? "holding out above a tenth of the largest left too few training or held-out runs"
            : $"the data span only {NumberStyle.Format(decades, 3)} decades of {name}, under {DefaultSplitMinimumDecades}";
        return (order[^k..], $"the {k} largest-{name} runs (largest 20%, fall-back: {why})");
    }

    internal static string ScaleNameOf(ScalingDataset data) =>
        data.C is not null ? "C" : data.N is not null ? "N" : data.D is not null ? "D" : data.T is not null ? "t" : "loss";

    private static (int[] Held, string Rule) Split(ScalingDataset data, int p, BacktestOptions options)
    {
        var scale = data.ScaleKey();
        string name = ScaleNameOf(data);
        var order = Enumerable.Range(0, data.Count).OrderBy(i => scale[i]).ThenBy(i => i).ToArray();
        switch (options.Holdout, options.HoldoutAbove)
        {
            case (int k, null):
                if (k < 1 || k >= data.Count)
                {
                    throw new ArgumentException($"--holdout must be between 1 and {data.Count - 1}, got {k}");
                }
                return (order[^k..], $"the {k} largest-{name} runs (given)");
            case (null, double above):
                var held = order.Where(i => scale[i] > above).ToArray();
                if (held.Length == 0)
                {
                    throw new ArgumentException($"{data.Source}: no point has scale above {NumberStyle.Format(above, 4)}");
                }
                return (held, $"every run with {name} above {NumberStyle.Format(above, 4)} (given)");
            case (null, null):
                return DefaultSplit(data, p);
            default:
                throw new ArgumentException("give at most one of --holdout K and --holdout-above C");
        }
    }

    public static BacktestResult Run(IScalingLaw law, ScalingDataset data, BacktestOptions options)
    {
        // Fixed or tied parameters: the fit's coordinates are the constrained law's, so every evaluation below (residuals,
        // nested fits, parameter count) must use that law too, as LawFitter does.
        if (options.Fit.Constraints is { IsEmpty: false } constraints && law is not ConstrainedLaw)
        {
            law = new ConstrainedLaw(law, constraints);
        }
        var scale = data.ScaleKey();
        int p = law.Coordinates.Count;
        var (held, rule) = Split(data, p, options);
        var heldSet = held.ToHashSet();
        var trainIdx = Enumerable.Range(0, data.Count).Where(i => !heldSet.Contains(i)).ToArray();
        if (trainIdx.Length < p + 1)
        {
            throw new InvalidDataException(
                $"{data.Source}: {trainIdx.Length} training points after holding out {held.Length}, {law.Name} needs at least {p + 1}");
        }
        var train = data.Subset(trainIdx);
        var fit = LawFitter.Fit(law, train, options.Fit);
        var points = held.Select(i => LawPoint.At(data, i)).ToArray();
        var groups = ResampleGroups.For(train, options.Resample);
        var boot = Bootstrap.Run(train, fit, new BootstrapOptions
        {
            Samples = options.Bootstrap,
            Seed = options.Seed,
            Level = options.Level,
            Predictions = points,
            GridStarts = options.GridStarts,
            Groups = groups.Count < train.Count ? groups : null,
            MaxDegreeOfParallelism = options.Fit.MaxDegreeOfParallelism,
            Progress = options.Progress,
        }, options.Fit);
        fit = fit with { Bootstrap = boot };

        // Residuals of the training fit in log space, inflated for the p degrees of freedom the fit used.
        var (features, logY) = LogResidualObjective.Prepare(law, train);
        var residuals = new LogResidualObjective(law, features, logY, fit.Loss, fit.Delta).Residuals(fit.Theta);
        double inflate = Math.Sqrt(train.Count / (double)Math.Max(1, train.Count - p));
        double trainMax = trainIdx.Max(i => scale[i]);
        var calibration = options.Interval == IntervalKind.Calibrated
            ? Calibrate(law, train, fit, residuals, p, Math.Log10(held.Max(i => scale[i]) / trainMax), options)
            : null;
        bool calibrated = calibration is { PerDecade: var k } && double.IsFinite(k);

        var result = new List<BacktestPoint>(held.Length);
        for (int j = 0; j < held.Length; j++)
        {
            double predicted = fit.Predict(points[j]);
            double decades = Math.Max(0, Math.Log10(scale[held[j]] / trainMax));
            var draws = new double[boot.PredictionDraws.Length];
            var rng = SplitMix64.Stream(options.Seed ^ 0x5EED5EED5EEDUL, (ulong)j);
            for (int b = 0; b < draws.Length; b++)
            {
                double mean = boot.PredictionDraws[b][j];
                draws[b] = options.Interval switch
                {
                    IntervalKind.Mean => mean,
                    IntervalKind.Prediction => mean * Math.Exp(inflate * residuals[rng.NextInt(residuals.Length)]),
                    // Bootstrap ln L̂ plus the calibrated out-of-sample error √(s0² + (k·d)²)·t_ν (see Calibrate).
                    _ when calibrated => calibration!.Draw(mean, Math.Sqrt(Math.Pow(calibration.OutOfSampleSd, 2)
                        + Math.Pow(calibration.PerDecade * decades, 2)) * StudentT(ref rng, calibration.DegreesOfFreedom)),
                    _ => mean * Math.Exp(inflate * residuals[rng.NextInt(residuals.Length)]),
                };
            }
            var iv = Quantile.Percentile(draws, options.Level);
            double observed = data.Y[held[j]];
            result.Add(new BacktestPoint(data.Rows[held[j]], scale[held[j]], observed, predicted, iv.Lo, iv.Hi,
                (predicted - observed) / observed, iv.Contains(observed)) { Decades = decades });
        }
        return Summarise(law, data, train, fit, trainIdx, held, result, options, calibration) with
        {
            HoldoutRule = rule,
            Resampling = boot.Resampling,
        };
    }

    /// <summary>A Student t draw with <paramref name="dof"/> degrees of freedom: Z / √(χ²_ν/ν), χ²_ν as a sum of ν squared
    /// normals; a standard normal when <paramref name="dof"/> is 0 (no estimate of the scale's uncertainty).</summary>
    internal static double StudentT(ref SplitMix64 rng, int dof)
    {
        double z = rng.NextGaussian();
        if (dof <= 0)
        {
            return z;
        }
        double chi2 = 0;
        for (int i = 0; i < dof; i++)
        {
            double x = rng.NextGaussian();
            chi2 += x * x;
        }
        return z / Math.Sqrt(chi2 / dof);
    }
}
