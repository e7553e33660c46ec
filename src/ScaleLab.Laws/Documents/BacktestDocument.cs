namespace ScaleLab.Laws;

/// <summary>
/// The back-test block of a fit document (also the document of <c>scalelab backtest --json</c>): the held-out
/// points, errors on the total and the reducible loss, the naive baselines with the law's skill against each, the
/// span extrapolated, how the intervals were calibrated, and nominal against achieved coverage. NaN fields (no
/// floor, no calibration) are written as "NaN".
/// </summary>
public sealed record BacktestDocument(string Law, int TrainCount, int HoldoutCount, double Level, string Interval,
    double MeanAbsRelativeError, double Coverage, IReadOnlyList<BacktestPoint> Points)
{
    /// <summary>How the held-out runs were chosen.</summary>
    public string HoldoutRule { get; init; } = "";
    public string ScaleName { get; init; } = "C";
    public double TrainMaxScale { get; init; }
    public double HeldMinScale { get; init; }
    public double HeldMaxScale { get; init; }
    /// <summary>Decades from the largest training run to the largest held-out run.</summary>
    public double SpanDecades { get; init; }
    /// <summary>Decades from the largest training run to the smallest held-out run.</summary>
    public double GapDecades { get; init; }
    public double LogMse { get; init; }
    public double? Floor { get; init; }
    public string? FloorSource { get; init; }
    public double MeanAbsReducibleRelativeError { get; init; } = double.NaN;
    public double ReducibleMse { get; init; } = double.NaN;
    /// <summary>What the skill scores are.</summary>
    public string SkillDefinition { get; init; } = SkillText;
    public IReadOnlyList<BaselineResult> Baselines { get; init; } = [];
    public bool BeatsBaselines { get; init; }
    public string Resampling { get; init; } = "";
    public ExtrapolationCalibration? Calibration { get; init; }
    /// <summary>Nominal coverage (= <see cref="Level"/>), repeated beside the achieved one.</summary>
    public double NominalCoverage { get; init; }
    public double AchievedCoverage { get; init; }
    public int CoveredCount { get; init; }
    public double CoverageTailProbability { get; init; } = double.NaN;
    public string CoverageNote { get; init; } = "";
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public const string SkillText =
        "skill = 1 - MSE_law/MSE_baseline over the held-out runs: log_skill on ln L, reducible_skill on (predicted - observed)/(observed - floor); > 0 beats the baseline";

    public static BacktestDocument From(BacktestResult r) => new(r.Law, r.TrainCount, r.Points.Count, r.Level,
        r.Interval.ToString().ToLowerInvariant(), r.MeanAbsRelativeError, r.Coverage, r.Points)
    {
        HoldoutRule = r.HoldoutRule,
        ScaleName = r.ScaleName,
        TrainMaxScale = r.TrainMaxScale,
        HeldMinScale = r.HeldMinScale,
        HeldMaxScale = r.HeldMaxScale,
        SpanDecades = r.SpanDecades,
        GapDecades = r.GapDecades,
        LogMse = r.LogMse,
        Floor = r.Floor,
        FloorSource = r.FloorSource,
        MeanAbsReducibleRelativeError = r.MeanAbsReducibleRelativeError,
        ReducibleMse = r.ReducibleMse,
        Baselines = r.Baselines,
        BeatsBaselines = r.BeatsBaselines,
        Resampling = r.Resampling,
        Calibration = r.Calibration,
        NominalCoverage = r.Level,
        AchievedCoverage = r.Coverage,
        CoveredCount = r.CoveredCount,
        CoverageTailProbability = r.CoverageTailProbability,
        CoverageNote = r.CoverageNote,
        Warnings = r.Warnings,
    };
}
