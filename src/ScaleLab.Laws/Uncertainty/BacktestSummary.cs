namespace ScaleLab.Laws;

public static partial class Backtester
{
    /// <summary>Held-out spans shorter than this (decades) get a warning: a short extrapolation says little about a long one.</summary>
    public const double ShortSpanDecades = 0.5;

    /// <summary>
    /// Errors on the total and on the reducible loss, the naive baselines with the law's skill against each, the
    /// span, and the coverage statement. Baselines (both fitted on the training runs only):
    /// <list type="bullet">
    /// <item>last point carried forward: the loss of the largest-scale training run (the mean if several share it);</item>
    /// <item>log–log line: ordinary least squares of ln L on ln S over the training runs, extrapolated
    /// (a pure power law without a floor, Kaplan et al. 2020 eq. 1.3 without the constant).</item>
    /// </list>
    /// Skill = 1 − MSE_law/MSE_baseline (Murphy 1988), on ln L and on the reducible relative error (L̂ − L)/(L − floor).
    /// </summary>
    private static BacktestResult Summarise(IScalingLaw law, ScalingDataset data, ScalingDataset train, LawFit fit,
        int[] trainIdx, int[] held, List<BacktestPoint> points, BacktestOptions options, ExtrapolationCalibration? calibration)
    {
        var scale = data.ScaleKey();
        string name = ScaleNameOf(data);
        double? floor = options.Floor ?? (law.Symbols.Contains("E") ? fit["E"] : null);
        string? floorSource = options.Floor is not null ? "known (given)" : floor is not null ? "fitted E of the training fit" : null;
        for (int j = 0; j < points.Count; j++)
        {
            var pt = points[j];
            if (floor is double f && pt.Observed > f)
            {
                points[j] = pt with
                {
                    ReducibleObserved = pt.Observed - f,
                    ReduciblePredicted = pt.Predicted - f,
                    ReducibleRelativeError = (pt.Predicted - pt.Observed) / (pt.Observed - f),
                };
            }
        }
        var observed = points.Select(x => x.Observed).ToArray();
        var lawPredictions = points.Select(x => x.Predicted).ToArray();
        double logMse = LogMse(lawPredictions, observed);
        double redMse = ReducibleMse(lawPredictions, observed, floor);

        // Baselines from the training runs only.
        double trainMax = trainIdx.Max(i => scale[i]);
        double last = trainIdx.Where(i => scale[i] == trainMax).Average(i => data.Y[i]);
        var (intercept, slope) = LogLogLine(trainIdx.Select(i => scale[i]).ToArray(), trainIdx.Select(i => data.Y[i]).ToArray());
        var baselines = new List<BaselineResult>
        {
            Baseline("last point carried forward", $"the loss {NumberStyle.Format(last, 4)} of the largest-{name} training run",
                held.Select(_ => last).ToArray()),
            Baseline("log-log line", $"ln L = {NumberStyle.Format(intercept, 4)} + ({NumberStyle.Format(slope, 4)})·ln {name}, least squares on the training runs",
                held.Select(i => Math.Exp(intercept + slope * Math.Log(scale[i]))).ToArray()),
        };

        double heldMin = held.Min(i => scale[i]), heldMax = held.Max(i => scale[i]);
        double span = Math.Log10(heldMax / trainMax), gap = Math.Log10(heldMin / trainMax);
        int covered = points.Count(x => x.Covered);
        double coverage = covered / (double)points.Count;
        double tail = BinomialCdf(covered, points.Count, options.Level);
        var warnings = new List<string>();
        string note = $"coverage {NumberStyle.Percent(coverage, 3)} ({covered}/{points.Count}) at nominal {NumberStyle.Percent(options.Level, 2)}, {options.Interval.ToString().ToLowerInvariant()} intervals";
        if (coverage < options.Level)
        {
            string verdict = tail < 0.05
                ? $"credibly below: P(≤ {covered} of {points.Count} | {NumberStyle.Percent(options.Level, 2)}) = {NumberStyle.Format(tail, 2)}; the intervals are too narrow"
                : $"within binomial noise of nominal: P(≤ {covered} of {points.Count} | {NumberStyle.Percent(options.Level, 2)}) = {NumberStyle.Format(tail, 2)}";
            note += $": BELOW nominal ({verdict})";
            warnings.Add($"interval coverage {NumberStyle.Percent(coverage, 3)} is below the nominal {NumberStyle.Percent(options.Level, 2)} ({verdict})");
        }
        if (points.Count < 5)
        {
            warnings.Add($"only {points.Count} held-out runs: coverage and skill are coarse figures");
        }
        if (span < ShortSpanDecades)
        {
            warnings.Add($"the held-out runs reach only {NumberStyle.Format(span, 3)} decades of {name} beyond the training runs: a short extrapolation says little about a long one");
        }
        foreach (var b in baselines.Where(b => !(b.LogSkill > 0)))
        {
            warnings.Add($"{law.Name} does not beat the {b.Name} baseline (skill on ln L {NumberStyle.Format(b.LogSkill, 3)} ≤ 0): this back-test cannot tell the law from a naive forecast");
        }
        if (calibration is { PerDecade: var k } && !double.IsFinite(k))
        {
            warnings.Add($"intervals not calibrated for extrapolation: {string.Join("; ", calibration.Notes)}");
        }

        return new BacktestResult(law.Name, train.Count, points, points.Average(x => Math.Abs(x.RelativeError)), coverage,
            options.Level, options.Interval, fit)
        {
            ScaleName = name,
            TrainMaxScale = trainMax,
            HeldMinScale = heldMin,
            HeldMaxScale = heldMax,
            SpanDecades = span,
            GapDecades = gap,
            LogMse = logMse,
            Floor = floor,
            FloorSource = floorSource,
            MeanAbsReducibleRelativeError = points.Any(x => double.IsFinite(x.ReducibleRelativeError))
                ? points.Where(x => double.IsFinite(x.ReducibleRelativeError)).Average(x => Math.Abs(x.ReducibleRelativeError)) : double.NaN,
            ReducibleMse = redMse,
            Baselines = baselines,
            Calibration = calibration,
            CoveredCount = covered,
            CoverageTailProbability = tail,
            CoverageNote = note,
            Warnings = warnings,
        };

        BaselineResult Baseline(string baseName, string description, double[] predictions)
        {
            double bLog = LogMse(predictions, observed);
            double bRed = ReducibleMse(predictions, observed, floor);
            return new BaselineResult(baseName, description, predictions,
                predictions.Zip(observed).Average(x => Math.Abs((x.First - x.Second) / x.Second)),
                bLog, 1 - logMse / bLog, bRed, 1 - redMse / bRed);
        }
    }

    /// <summary>Mean of (ln predicted − ln observed)².</summary>
    internal static double LogMse(double[] predicted, double[] observed) =>
        predicted.Zip(observed).Average(x => Math.Pow(Math.Log(x.First) - Math.Log(x.Second), 2));

    /// <summary>Mean of ((predicted − observed)/(observed − floor))² over the points above the floor (NaN if none).</summary>
    internal static double ReducibleMse(double[] predicted, double[] observed, double? floor)
    {
        if (floor is not double f)
        {
            return double.NaN;
        }
        var terms = predicted.Zip(observed).Where(x => x.Second > f).Select(x => Math.Pow((x.First - x.Second) / (x.Second - f), 2)).ToArray();
        return terms.Length == 0 ? double.NaN : terms.Average();
    }

    /// <summary>Ordinary least squares of ln y on ln x; a flat line at the mean when all x are equal.</summary>
    internal static (double Intercept, double Slope) LogLogLine(double[] x, double[] y)
    {
        var lx = x.Select(v => Math.Log(v)).ToArray();
        var ly = y.Select(v => Math.Log(v)).ToArray();
        double mx = lx.Average(), my = ly.Average();
        double sxx = lx.Sum(v => (v - mx) * (v - mx));
        double sxy = lx.Zip(ly).Sum(v => (v.First - mx) * (v.Second - my));
        double slope = sxx > 0 ? sxy / sxx : 0;
        return (my - slope * mx, slope);
    }

    /// <summary>P(X ≤ k) for X ~ Binomial(n, q), summed in log space.</summary>
    internal static double BinomialCdf(int k, int n, double q)
    {
        if (q >= 1)
        {
            return k >= n ? 1 : 0;
        }
        double sum = 0;
        for (int i = 0; i <= k; i++)
        {
            double logPmf = LogChoose(n, i) + i * Math.Log(q) + (n - i) * Math.Log(1 - q);
            sum += Math.Exp(logPmf);
        }
        return Math.Min(1, sum);
    }

    private static double LogChoose(int n, int k)
    {
        double s = 0;
        for (int i = 1; i <= k; i++)
        {
            s += Math.Log(n - k + i) - Math.Log(i);
        }
        return s;
    }
}
