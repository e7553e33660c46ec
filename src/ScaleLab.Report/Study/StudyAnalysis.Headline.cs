using ScaleLab.Lab.Analysis;
using ScaleLab.Laws;

namespace ScaleLab.Report.Study;

/// <summary>The report's headline: the verification, the plan and the back-tests in one paragraph.</summary>
public static partial class StudyAnalysis
{
    private static string Headline(StudyAnalysisResult result, VerificationRow? verification)
    {
        var parts = new List<string>();
        if (verification is { } v)
        {
            parts.Add(v.Sentence());
        }
        if (result.Plans.Count == 0)
        {
            parts.Add(result.Fits.Count == 0 ? "No law could be fitted; see the notes." : "Laws fitted; no Chinchilla plan (see the notes).");
            return string.Join(" ", parts);
        }
        var plan = result.Plans[0];
        var planText = $"Plan at C = {Estimate.Format(plan.Compute)} FLOP ({plan.Compute / result.LargestCompute:0}x the largest sweep run, "
                       + $"{NumberStyle.Format(plan.DecadesBeyondData ?? Math.Log10(plan.Compute / result.LargestCompute), 2)} decades beyond the data): ";
        planText += plan.Status switch
        {
            PlanStatus.Identified or PlanStatus.NoIntervals => $"N* = {Est(plan.N, plan.NInterval)}, D* = {Est(plan.D, plan.DInterval)} tokens, loss {Est(plan.Loss, plan.LossInterval)} (95% intervals; {plan.Label}).",
            _ => $"not identified by these runs ({plan.Label}); see the notes.",
        };
        parts.Add(planText);
        // The back-tests of L(N,D): above a tenth of the largest compute, then (when the study has it) the largest budget only.
        var chinchillaBacktests = result.Backtests.Where(b => b.Law == "chinchilla").ToList();
        for (var i = 0; i < chinchillaBacktests.Count; i++)
        {
            var bt = chinchillaBacktests[i];
            var lineSkill = bt.Baselines.FirstOrDefault(b => b.Name.Contains("line", StringComparison.OrdinalIgnoreCase)) ?? (bt.Baselines.Count > 0 ? bt.Baselines[^1] : null);
            var what = i == 0 ? "Back-test of L(N,D)" : "Holding out only the largest budget";
            var calibrated = bt.Calibration is { DegreesOfFreedom: > 0 } cal ? $", intervals calibrated by {cal.DegreesOfFreedom} nested back-tests" : ", intervals not calibrated for extrapolation";
            parts.Add($"{what} over {NumberStyle.Format(bt.SpanDecades, 3)} decades of compute ({bt.Points.Count} held-out configurations{calibrated}): "
                      + $"mean |error| {NumberStyle.Percent(bt.MeanAbsRelativeError, 3)} of the loss, {NumberStyle.Percent(bt.MeanAbsReducibleRelativeError, 2)} of the reducible loss"
                      + (lineSkill is null ? "" : $"; skill against {lineSkill.Name} {NumberStyle.Format(lineSkill.LogSkill, 3)}")
                      + $"; {bt.CoveredCount}/{bt.Points.Count} inside their {NumberStyle.Percent(bt.Level, 2)} intervals.");
        }
        return string.Join(" ", parts);
    }
}
