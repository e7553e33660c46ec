using ScaleLab.Laws;

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
    IReadOnlyList<string> Notes)
{
    /// <summary>The corpus's floors, each named for what it is (null for a text corpus).</summary>
    public StudyFloors? Floors { get; init; }
    /// <summary>The run that checked the forecast (null until one was trained).</summary>
    public VerificationRow? Verification { get; init; }
    /// <summary>Where several learning rates were run at one (N, D): the rule's rate against the best one.</summary>
    public IReadOnlyList<RateCheckRow> RateChecks { get; init; } = [];
    /// <summary>Each compute budget's sizes and whether its best size lies inside them (an isoFLOP bracket).</summary>
    public IReadOnlyList<BudgetRow> Budgets { get; init; } = [];
    /// <summary>Per law, one sentence per parameter on whether the data identify it.</summary>
    public IReadOnlyList<(string Law, IReadOnlyList<string> Statements)> Identification { get; init; } = [];
    /// <summary>Variants of each law fitted to the same points, compared by AIC/BIC (best first within each data set).</summary>
    public IReadOnlyList<ComparisonRow> Comparison { get; init; } = [];
    /// <summary>Speculative sampling with the study's models (its study S-speculate), when one was measured.</summary>
    public Lab.Studies.Speculative.SpeculativeStudyResult? Speculative { get; init; }
    /// <summary>Distillation against training on samples (its study S-distill), when the registry holds one.</summary>
    public Lab.Studies.Distillation.DistillationStudyResult? Distillation { get; init; }
}

/// <summary>
/// One variant of a law in a model comparison: the fit's Gaussian log-likelihood on log residuals turned into AIC and
/// BIC (<see cref="Laws.InformationCriteria"/>), ΔAIC against the best variant fitted to the same <paramref name="Data"/>,
/// and its Akaike weight. <paramref name="Headline"/> marks the variant the report's plans and back-tests use.
/// </summary>
public sealed record ComparisonRow(string Data, string Variant, int Points, int Parameters, double Aic, double Bic, double DeltaAic,
    double AkaikeWeight, bool Identified, bool Headline);

/// <summary>One point's log residual ln L − ln L̂ under a fitted law, with the compute and size it was run at.</summary>
public sealed record ResidualPoint(double Compute, long N, double LogResidual);

/// <summary>
/// The floors of a synthetic corpus, named for what they are. <paramref name="EntropyRate"/>: the source's entropy
/// rate (the loss of a model with unbounded context). <paramref name="Context"/>: the lowest expected loss of a
/// model that sees at most <paramref name="SeqLen"/> tokens (the average over window positions of the source's
/// conditional entropy given the prefix), above the entropy rate. <paramref name="Validation"/>: the exact
/// source's loss on the <paramref name="ValidationWindows"/> validation windows every run is scored on, the floor
/// the laws' E is fixed at (it differs from <paramref name="Context"/> by the sampling of those windows).
/// </summary>
public sealed record StudyFloors(double EntropyRate, double Context, int SeqLen, double? Validation, int ValidationWindows);

/// <summary>The run that checked the forecast: predicted (with interval) against observed loss.</summary>
/// <param name="Multiple">Its compute as a multiple of the largest sweep run's.</param>
public sealed record VerificationRow(string RunKey, string Shape, long N, long D, double Compute, double Multiple, Estimate Predicted,
    double Level, double Observed)
{
    public double RelativeError => (Predicted.Value - Observed) / Observed;
    public bool Covered => Predicted.Covers(Observed);
    public double? ReducibleRelativeError { get; init; }
    public string IntervalMethod { get; init; } = "";
    /// <summary>Where the run's size came from (the L(N,D) plan, Approach 2, or a forced unidentified plan).</summary>
    public string Basis { get; init; } = "";

    public string Sentence() =>
        $"Forecast check: the planned model ({Shape}, N = {Estimate.Format(N)}{(Basis.Length > 0 ? $"; {Basis}" : "")}, D = {Estimate.Format(D)} tokens, C = {Estimate.Format(Compute)} FLOP, "
        + $"{NumberStyle.Format(Multiple, 2)}x the largest sweep run) reached validation loss {NumberStyle.Format(Observed)} against a predicted {Predicted} ({NumberStyle.Percent(Level, 2)} interval): "
        + $"error {NumberStyle.Percent(RelativeError, 3, signed: true)}" + (ReducibleRelativeError is { } r ? $" ({NumberStyle.Percent(r, 2, signed: true)} of the reducible loss)" : "")
        + (Predicted.Interval is null ? "." : Covered ? ", inside the interval." : ", OUTSIDE the interval.");
}

/// <summary>One (N, D) where several learning rates ran: the rule's rate and loss against the best rate and loss.</summary>
public sealed record RateCheckRow(long N, long D, double Compute, IReadOnlyList<(double Rate, double Loss)> Tried, double BestRate)
{
    public double LossAtBest => Tried.Min(t => t.Loss);
}

/// <summary>One compute budget of an isoFLOP design: its sizes, the best one, and whether the best is inside the range.</summary>
public sealed record BudgetRow(double Compute, IReadOnlyList<long> Sizes, long BestN, double BestLoss, bool Bracketed);

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
    IReadOnlyList<CurvePoint> Curve)
{
    public double? LearningRate { get; init; }
    /// <summary>Steps the <see cref="FinalTrainLoss"/> is averaged over (the last ones of the run).</summary>
    public int TrainLossSteps { get; init; } = 1;
}

public sealed record CurvePoint(double Tokens, double TrainLoss, double? ValLoss);

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
    double LargestObservedCompute)
{
    /// <summary>Which runs the law was fitted to, in words.</summary>
    public string FittedTo { get; init; } = "";
    /// <summary>The log residual of every point the law was fitted to.</summary>
    public IReadOnlyList<ResidualPoint> Residuals { get; init; } = [];
}

public sealed record LawCurvePoint(double Compute, double Loss, double? Lo, double? Hi);

/// <summary>A back-test: fit on the smaller runs, predict the held-out largest ones.</summary>
public sealed record BacktestSummary(
    string Law,
    int TrainPoints,
    IReadOnlyList<BacktestRow> Rows,
    double MeanAbsRelativeError,
    double Coverage)
{
    public string HoldoutRule { get; init; } = "";
    public double SpanDecades { get; init; }
    public double MeanAbsReducibleRelativeError { get; init; } = double.NaN;
    /// <summary>Each naive baseline's name, mean |relative error| and skill (1 − MSE_law/MSE_baseline on ln L).</summary>
    public IReadOnlyList<(string Name, double MeanAbsRelativeError, double Skill)> Baselines { get; init; } = [];
    public double Level { get; init; } = 0.95;
    public string IntervalMethod { get; init; } = "";
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

public sealed record BacktestRow(string Label, double Compute, double Observed, Estimate Predicted, double RelativeError, bool Covered);

/// <summary>A compute-optimal allocation for one budget.</summary>
public sealed record PlanRow(string Law, double Compute, Estimate OptimalParams, Estimate OptimalTokens, Estimate TokensPerParam, Estimate Loss)
{
    /// <summary>identified, wide, unidentified or nointervals (<see cref="Laws.PlanStatus"/>).</summary>
    public string Status { get; init; } = "";
    public string Label { get; init; } = "";
    public double? DecadesBeyondData { get; init; }
}
