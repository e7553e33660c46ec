namespace ScaleLab.Report.Study;

/// <summary>
/// Everything the study report shows, as plain values: the caller (the `demo` and `report` commands) reads
/// runs from the registry and fits from the laws, and this project only lays them out. Keeping the report
/// free of registry and fitter types lets it be tested on hand-made data.
/// </summary>
public sealed record StudyReport(
    string Study,
    DateTimeOffset GeneratedAt,
    string Corpus,
    double? TrueEntropyNats,
    string Headline,
    IReadOnlyList<RunRow> Runs,
    IReadOnlyList<LawSummary> Laws,
    IReadOnlyList<BacktestSummary> Backtests,
    IReadOnlyList<PlanRow> Plans,
    IReadOnlyList<string> Notes);

/// <summary>One finished run: its shape, size, budget, final losses and training curve.</summary>
/// <param name="NonEmbeddingParams">Kaplan's N (what the laws are fitted on).</param>
/// <param name="TotalParams">N including token and position embeddings.</param>
/// <param name="Curve">Training curve, one entry per logged step.</param>
public sealed record RunRow(
    string Key,
    string Shape,
    int Seed,
    long NonEmbeddingParams,
    long TotalParams,
    double Tokens,
    double Flops,
    double FinalTrainLoss,
    double? FinalValLoss,
    string Status,
    IReadOnlyList<CurvePoint> Curve);

public sealed record CurvePoint(double Tokens, double TrainLoss, double? ValLoss);

/// <summary>A value with its percentile interval (Lo and Hi are null when no bootstrap was run).</summary>
public sealed record Estimate(double Value, double? Lo, double? Hi)
{
    public override string ToString() => Lo is { } lo && Hi is { } hi
        ? $"{Format(Value)} [{Format(lo)}, {Format(hi)}]"
        : Format(Value);

    public static string Format(double x) => ScaleLab.Laws.NumberStyle.Format(x);
}

/// <summary>
/// A fitted law as the report draws it: its parameters and a curve of predicted loss against compute
/// (for L(N,D) forms, the compute-optimal frontier min over N of L(N, C/6N)) with its bootstrap band.
/// </summary>
public sealed record LawSummary(
    string Law,
    string Formula,
    IReadOnlyList<(string Symbol, Estimate Value)> Parameters,
    double Objective,
    int PointsUsed,
    IReadOnlyList<LawCurvePoint> Curve,
    double LargestObservedCompute);

public sealed record LawCurvePoint(double Compute, double Loss, double? Lo, double? Hi);

/// <summary>A back-test: fit on the smaller runs, predict the held-out largest ones.</summary>
public sealed record BacktestSummary(
    string Law,
    int TrainPoints,
    IReadOnlyList<BacktestRow> Rows,
    double MeanAbsRelativeError,
    double Coverage);

public sealed record BacktestRow(string Label, double Compute, double Observed, Estimate Predicted, double RelativeError, bool Covered);

/// <summary>A compute-optimal allocation for one budget.</summary>
public sealed record PlanRow(string Law, double Compute, Estimate OptimalParams, Estimate OptimalTokens, Estimate TokensPerParam, Estimate Loss);
