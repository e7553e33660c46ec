using System.Text.Json;
using ScaleLab.Laws;

namespace ScaleLab.Report.Study;

/// <summary>
/// The JSON document of a study report (report.json, and <c>report --json</c>): the study, where the HTML report is,
/// the headline, the corpus and its floors, the forecast check, identification, rate checks, budgets, laws with
/// residuals, model comparison, back-tests, plans, runs and notes. System.Text.Json, snake_case, in this order.
/// Non-finite numbers are written as null by the one rule (<see cref="JsonNumbers"/>); an estimate without an
/// interval has null ends.
/// </summary>
public sealed record StudyReportDocument(
    string Study,
    string Report,
    string Headline,
    string Corpus,
    double? TrueLossFloor,
    StudyReportDocument.FloorsBlock? Floors,
    StudyReportDocument.VerificationBlock? Verification,
    Dictionary<string, IReadOnlyList<string>> Identification,
    IReadOnlyList<StudyReportDocument.RateCheckBlock> RateChecks,
    IReadOnlyList<StudyReportDocument.BudgetBlock> Budgets,
    IReadOnlyList<StudyReportDocument.LawBlock> Laws,
    IReadOnlyList<StudyReportDocument.ComparisonBlock> ModelComparison,
    IReadOnlyList<StudyReportDocument.BacktestBlock> Backtests,
    IReadOnlyList<StudyReportDocument.PlanBlock> Plans,
    IReadOnlyList<StudyReportDocument.RunBlock> Runs,
    IReadOnlyList<string> Notes)
{
    private static readonly JsonSerializerOptions JsonOptions =
        JsonNumbers.With(new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower });

    /// <summary>A value and its interval ends (null when there is no interval).</summary>
    public sealed record EstimateBlock(double Value, double Lo, double Hi)
    {
        public static EstimateBlock From(Estimate e) => new(e.Value, e.Lo, e.Hi);
    }

    /// <summary>The corpus's floors (<see cref="StudyFloors"/>); the laws' E is fixed at the validation floor.</summary>
    public sealed record FloorsBlock(double EntropyRate, double ContextFloor, int ContextTokens, double? ValidationFloor, int ValidationWindows, string FixedE);

    /// <summary>The planned run trained and scored against its forecast (<see cref="VerificationRow"/>).</summary>
    public sealed record VerificationBlock(string Run, string Shape, long N, long D, double Compute, double MultipleOfLargestRun,
        EstimateBlock Predicted, double Level, string IntervalMethod, string Basis, double Observed, double RelativeError,
        double? ReducibleRelativeError, bool Covered);

    public sealed record RateTried(double Rate, double Loss);

    public sealed record RateCheckBlock(long N, long D, double Compute, double BestRate, IReadOnlyList<RateTried> Tried);

    public sealed record BudgetBlock(double Compute, IReadOnlyList<long> Sizes, long BestN, double BestLoss, bool Bracketed);

    public sealed record ResidualBlock(double Compute, long N, double LogResidual);

    public sealed record LawBlock(string Law, string Formula, Dictionary<string, EstimateBlock> Parameters, double Objective, int PointsUsed,
        string FittedTo, IReadOnlyList<ResidualBlock> Residuals);

    public sealed record ComparisonBlock(string Data, string Variant, bool Headline, int Points, int Parameters, double Aic, double Bic,
        double DeltaAic, double AkaikeWeight, bool Identified);

    public sealed record BaselineBlock(string Name, double MeanAbsRelativeError, double Skill);

    public sealed record HeldOutBlock(string Run, double Compute, double Observed, EstimateBlock Predicted, double RelativeError, bool Covered);

    public sealed record BacktestBlock(string Law, int TrainPoints, string HoldoutRule, double SpanDecades, double MeanAbsRelativeError,
        double MeanAbsReducibleRelativeError, IReadOnlyList<BaselineBlock> Baselines, double Level, string IntervalMethod,
        IReadOnlyList<string> Warnings, double Coverage, IReadOnlyList<HeldOutBlock> HeldOut);

    public sealed record PlanBlock(string Law, double Compute, string Status, string Label, double? DecadesBeyondData, EstimateBlock N,
        EstimateBlock D, EstimateBlock TokensPerParameter, EstimateBlock Loss);

    public sealed record RunBlock(string Key, string Shape, int Seed, double? LearningRate, long N, long NTotal, double Tokens, double Compute,
        double FinalTrainLoss, int TrainLossSteps, double? FinalValLoss, string Status);

    /// <summary>The document of a report whose HTML file is <paramref name="htmlPath"/>.</summary>
    public static StudyReportDocument From(StudyReport r, string htmlPath)
    {
        ArgumentNullException.ThrowIfNull(r);
        static EstimateBlock Est(Estimate e) => EstimateBlock.From(e);
        return new StudyReportDocument(
            r.Study,
            htmlPath,
            r.Headline,
            r.Corpus,
            r.TrueEntropyNats,
            r.Floors is { } f ? new FloorsBlock(f.EntropyRate, f.Context, f.SeqLen, f.Validation, f.ValidationWindows, "the laws' E is fixed at validation_floor") : null,
            r.Verification is { } v
                ? new VerificationBlock(v.RunKey, v.Shape, v.N, v.D, v.Compute, v.Multiple, Est(v.Predicted), v.Level, v.IntervalMethod, v.Basis,
                    v.Observed, v.RelativeError, v.ReducibleRelativeError, v.Covered)
                : null,
            r.Identification.ToDictionary(i => i.Law, i => i.Statements),
            [.. r.RateChecks.Select(c => new RateCheckBlock(c.N, c.D, c.Compute, c.BestRate, [.. c.Tried.Select(t => new RateTried(t.Rate, t.Loss))]))],
            [.. r.Budgets.Select(b => new BudgetBlock(b.Compute, b.Sizes, b.BestN, b.BestLoss, b.Bracketed))],
            [.. r.Laws.Select(l => new LawBlock(l.Law, l.Formula, l.Parameters.ToDictionary(p => p.Symbol, p => Est(p.Value)), l.Objective,
                l.PointsUsed, l.FittedTo, [.. l.Residuals.Select(x => new ResidualBlock(x.Compute, x.N, x.LogResidual))]))],
            [.. r.Comparison.Select(c => new ComparisonBlock(c.Data, c.Variant, c.Headline, c.Points, c.Parameters, c.Aic, c.Bic, c.DeltaAic,
                c.AkaikeWeight, c.Identified))],
            [.. r.Backtests.Select(b => new BacktestBlock(b.Law, b.TrainPoints, b.HoldoutRule, b.SpanDecades, b.MeanAbsRelativeError,
                b.MeanAbsReducibleRelativeError, [.. b.Baselines.Select(x => new BaselineBlock(x.Name, x.MeanAbsRelativeError, x.Skill))], b.Level,
                b.IntervalMethod, b.Warnings, b.Coverage,
                [.. b.Rows.Select(x => new HeldOutBlock(x.Label, x.Compute, x.Observed, Est(x.Predicted), x.RelativeError, x.Covered))]))],
            [.. r.Plans.Select(p => new PlanBlock(p.Law, p.Compute, p.Status, p.Label, p.DecadesBeyondData, Est(p.OptimalParams),
                Est(p.OptimalTokens), Est(p.TokensPerParam), Est(p.Loss)))],
            [.. r.Runs.Select(x => new RunBlock(x.Key, x.Shape, x.Seed, x.LearningRate, x.NonEmbeddingParams, x.TotalParams, x.Tokens, x.Flops,
                x.FinalTrainLoss, x.TrainLossSteps, x.FinalValLoss, x.Status))],
            r.Notes);
    }

    /// <summary>The document as indented JSON (report.json holds exactly this text).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);
}
