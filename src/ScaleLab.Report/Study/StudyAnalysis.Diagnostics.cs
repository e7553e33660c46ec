using ScaleLab.Lab.Analysis;
using ScaleLab.Laws;

namespace ScaleLab.Report.Study;

/// <summary>The study's diagnostics beyond the headline fit: the model comparison a referee would ask for and the
/// back-test that holds out only the largest budget.</summary>
public static partial class StudyAnalysis
{
    /// <summary>
    /// The headline fit against the variants a referee would try on the same points: E fitted instead of fixed at the
    /// known floor, and for L(N,D) the two exponents tied (alpha = beta, Hoffmann et al.'s equal-scaling special case).
    /// Compared by AIC/BIC (<see cref="LawComparison"/>); a variant that fails to fit is named in the notes.
    /// </summary>
    private static IEnumerable<ComparisonRow> CompareVariants(LawFit headline, ScalingDataset data, string dataName, Action<string>? log, List<string> notes)
    {
        var inner = headline.Form is ConstrainedLaw constrained ? constrained.Inner : headline.Form;
        var fixedE = headline.Form is ConstrainedLaw { Constraints.Fixed: var f } && f.ContainsKey("E") ? f : null;
        var variants = new List<(string Name, IScalingLaw Law)>();
        if (fixedE is not null)
        {
            variants.Add(("E fitted (not fixed at the floor)", inner));
        }
        if (inner.Name == "chinchilla")
        {
            var ties = new FitConstraints { Fixed = fixedE ?? new Dictionary<string, double>(), Ties = [new ParameterTie("beta", "alpha")] };
            variants.Add(((fixedE is null ? "" : "E fixed, ") + "beta tied to alpha", new ConstrainedLaw(inner, ties)));
        }
        var fitted = new List<(string Name, LawFit Fit)> { (HeadlineName(headline, fixedE is not null), headline) };
        foreach (var (name, law) in variants)
        {
            try
            {
                log?.Invoke($"comparing {inner.Name} with {name}");
                fitted.Add((name, LawFitter.Fit(law, data)));
            }
            catch (Exception ex) when (ex is FitFailedException or ArgumentException or InvalidOperationException)
            {
                notes.Add($"model comparison: {inner.Name} with {name} could not be fitted: {ex.Message}");
            }
        }
        // Compare returns the fits in a stable order of AIC; the same stable sort of the variants pairs each with its row.
        IReadOnlyList<LawComparisonRow> rows;
        try
        {
            rows = LawComparison.Compare(fitted.Select(v => v.Fit).ToList());
        }
        catch (ArgumentException ex)
        {
            // A fit without diagnostics (a degenerate one) cannot be compared; the law itself is still reported.
            notes.Add($"model comparison of {inner.Name} not made: {ex.Message}");
            return [];
        }
        return fitted.OrderBy(v => v.Fit.Diagnostics!.Information.Aic).Zip(rows)
            .Select(v => new ComparisonRow($"{inner.Name}, {dataName}", v.First.Name, v.Second.Points, v.Second.Parameters, v.Second.Aic,
                v.Second.Bic, v.Second.DeltaAic, v.Second.AkaikeWeight, v.Second.AllIdentified, ReferenceEquals(v.First.Fit, headline)))
            .ToList();
    }

    private static string HeadlineName(LawFit headline, bool fixedE) =>
        fixedE ? "E fixed at the validation floor (the report's)" : "every parameter fitted (the report's)";

    /// <summary>Name of the second back-test of L(N,D) in the report: only the largest compute budget held out.</summary>
    public const string LargestBudgetHeldOut = "chinchilla, largest budget held out";

    /// <summary>
    /// A second back-test of L(N,D) that holds out only the largest compute budget, when the runs form at least three
    /// budgets and the default split (everything above a tenth of the largest compute) trains on fewer. Why: on an
    /// isoFLOP grid the default split can leave two training budgets, too few for a nested back-test, so its intervals
    /// cannot be calibrated for extrapolation; with all but the largest budget the nested back-tests can run. It
    /// extrapolates less far (one budget step) and says so.
    /// </summary>
    private static BacktestResult? LargestBudgetBacktest(IScalingLaw law, ScalingDataset data, IReadOnlyList<SelectedPoint> points,
        IReadOnlyList<BacktestResult> done, double? floor, StudyAnalysisOptions options, List<string> notes)
    {
        var budgets = StudyPoints.ComputeBudgets(points).ToList();
        if (budgets.Count < 3 || done.FirstOrDefault(b => b.Law == "chinchilla") is not { } wide)
        {
            return null;
        }
        var secondMax = budgets[^2].Max(p => p.C);
        var largestMin = budgets[^1].Min(p => p.C);
        if (wide.TrainMaxScale >= secondMax)
        {
            return null;
        }
        try
        {
            options.Log?.Invoke("back-testing chinchilla with only the largest budget held out");
            return Backtester.Run(law, data, new BacktestOptions
            {
                Bootstrap = options.Bootstrap,
                Seed = options.Seed + 4,
                Floor = floor,
                HoldoutAbove = Math.Sqrt(secondMax * largestMin),
            });
        }
        catch (Exception ex) when (ex is FitFailedException or ArgumentException or InvalidOperationException or InvalidDataException)
        {
            notes.Add($"chinchilla back-test with the largest budget held out: {ex.Message}");
            return null;
        }
    }
}
