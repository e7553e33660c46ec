using System.Globalization;
using ScaleLab.Lab.Studies.Distillation;
using ScaleLab.Laws;
using ScaleLab.Laws.Distillation;

namespace ScaleLab.Report.Study;

/// <summary>
/// The fitted-law part of the report's distillation section, in words: where the laws L(N_S, D) of each teacher cross the
/// supervised law (per student size, teacher free and teacher forward counted) with their 95% bootstrap intervals, whether
/// that compute grows with student size, each law's back-test, and Busbridge et al.'s law with its back-test. The laws
/// are the ones <c>distill --study</c> fits with its default options (<see cref="DistillationStudy.DefaultLawOptions"/>), so
/// the numbers here are the command's.
/// </summary>
internal static class DistillationLawSentences
{
    public static string Intro(DistillationLawAnalysis laws)
    {
        ArgumentNullException.ThrowIfNull(laws);
        var draws = laws.StudentLaws.Count == 0 ? 0 : laws.StudentLaws.Max(l => l.DrawCount);
        return Inv($"Fitted laws: per teacher L(N_S, D) = E + A/N_S^α + B/D^β over every seed's loss (Huber on log residuals, {draws} bootstrap resamples, the options of distill --study), drawn as lines in the first figure. Where a teacher's law crosses the supervised one is searched from the smallest compute measured for a student size to 10 times the largest; a crossing above the measured range is an extrapolation and said so.");
    }

    /// <summary>Every sentence of the law part, in the order the section prints them.</summary>
    public static IEnumerable<string> All(DistillationLawAnalysis laws)
    {
        ArgumentNullException.ThrowIfNull(laws);
        foreach (var failure in laws.NotFitted) yield return $"Teacher {failure.Teacher}: no law ({failure.Reason}).";
        foreach (var law in laws.StudentLaws.Where(l => l.Unidentified.Count > 0))
        {
            yield return $"Law of teacher {law.Teacher}: {string.Join("; ", law.Unidentified)}.";
        }
        foreach (var sentence in Crossovers(laws)) yield return sentence;
        foreach (var g in laws.Growth.Where(g => g.View is ComputeView.StudentOnly or ComputeView.WithTeacherForward && !IsOracleTwin(g.Teacher, g.View)))
        {
            yield return $"From the laws, teacher {g.Teacher}, {ViewWords(g.View)}: {g.Statement}.";
        }
        foreach (var b in laws.Backtests) yield return Backtest(b);
        yield return Busbridge(laws);
    }

    /// <summary>One sentence per student size and teacher on the crossing of the fitted laws, teacher free and teacher's forward
    /// passes counted (the oracle's two views are one and said once).</summary>
    public static IEnumerable<string> Crossovers(DistillationLawAnalysis laws)
    {
        ArgumentNullException.ThrowIfNull(laws);
        foreach (var c in laws.Crossovers.Where(c => c.View is ComputeView.StudentOnly or ComputeView.WithTeacherForward && !IsOracleTwin(c.Teacher, c.View))
                     .OrderBy(c => c.StudentParameters).ThenBy(c => c.Teacher, StringComparer.Ordinal).ThenBy(c => c.View))
        {
            var who = $"From the laws, student N_S = {NumberStyle.Format(c.StudentParameters)}, teacher {c.Teacher}, {ViewWords(c.View)}: ";
            var beyond = c.Extrapolated ? Inv($", an extrapolation beyond the measured {Flop(c.MeasuredLow)}-{Flop(c.MeasuredHigh)} FLOP") : "";
            var said = c.Kind switch
            {
                CrossoverKind.StopsPaying => Inv($"distillation pays up to {Flop(c.Compute)} FLOP {Interval(c)} and stops paying above it{beyond}"),
                CrossoverKind.StartsPaying => Inv($"distillation loses below {Flop(c.Compute)} FLOP {Interval(c)} and pays above it{beyond}"),
                CrossoverKind.PaysThroughout => Inv($"the distilled law stays below the supervised one over the whole search range {Flop(c.SearchLow)}-{Flop(c.SearchHigh)} FLOP"),
                _ => Inv($"the distilled law stays above the supervised one over the whole search range {Flop(c.SearchLow)}-{Flop(c.SearchHigh)} FLOP: distillation never pays there"),
            };
            var trust = c.Draws == 0 ? " (no bootstrap, so no interval)."
                : c.FractionAgreeing > 0.5 ? Inv($" ({Percent(c.FractionAgreeing)} of {c.Draws} bootstrap draws agree).")
                : Inv($" — but only {Percent(c.FractionAgreeing)} of {c.Draws} bootstrap draws agree: not a result.");
            yield return who + said + trust;
        }
    }

    private static string Backtest(StudentBacktest b)
    {
        if (b.NotRun is not null) return $"Back-test of teacher {b.Teacher}'s law: not run ({b.NotRun}).";
        var verdict = b.Passed ? "the law beats carrying the last loss forward" : "FAILS: the law does no better than carrying the last loss forward";
        return Inv($"Back-test of teacher {b.Teacher}'s law (fitted on the budgets below D = {NumberStyle.Format(b.HeldOutTokens)}, predicting that budget): mean |error| {Loss(b.LawMeanAbsError)} against {Loss(b.CarriedForwardMeanAbsError)} carrying forward, {b.Points.Count(p => p.Covered)} of {b.Points.Count} cells inside the law's 95% band; {verdict}.");
    }

    private static string Busbridge(DistillationLawAnalysis laws)
    {
        if (laws.Busbridge.Fit is not { } f) return $"Busbridge et al. (2025)'s law: {laws.Busbridge.NotFitted}.";
        var identified = f.Identification.Parameters.Where(p => p.Usable)
            .Select(p => p.Interval is { } i ? $"{p.Symbol} = {NumberStyle.Format(p.Value, 3)} [{NumberStyle.Format(i.Lo, 3)}, {NumberStyle.Format(i.Hi, 3)}]" : $"{p.Symbol} = {NumberStyle.Format(p.Value, 3)}").ToList();
        var text = $"Busbridge et al. (2025)'s law {f.Law.Formula} fitted to {f.Fit.PointsUsed} distilled students over teacher losses {string.Join(", ", f.TeacherLosses.Select(Loss))}: "
                   + (identified.Count > 0 ? $"identified {string.Join(", ", identified)}" : "no parameter identified")
                   + (f.Identification.Statements.Count > 0 ? $"; {string.Join("; ", f.Identification.Statements)}." : ".");
        if (laws.BusbridgeBacktest is { } bb)
        {
            text += bb.NotRun is not null ? $" Its back-test: not run ({bb.NotRun})."
                : Inv($" Its back-test (fitted with L~_S on D < {NumberStyle.Format(bb.HeldOutTokens)}, predicting {bb.Points.Count} distilled cells at it): mean |error| {Loss(bb.LawMeanAbsError)} against {Loss(bb.CarriedForwardMeanAbsError)} carrying forward; {(bb.Passed ? "the law beats carrying forward" : "FAILS, no better than carrying forward")}.");
        }
        return text;
    }

    /// <summary>The oracle has no forward cost (N_T = 0): its teacher-free view is its forward-counted one, said once.</summary>
    private static bool IsOracleTwin(string teacher, ComputeView view) => teacher == DistillationTeacher.Oracle && view == ComputeView.StudentOnly;

    private static string ViewWords(ComputeView view) => view == ComputeView.StudentOnly
        ? "counting the student's compute only (teacher logits free)" : "counting the teacher's forward passes";

    private static string Interval(LawCrossover c) =>
        c.Low is { } lo && c.High is { } hi ? Inv($"[{Flop(lo)}, {Flop(hi)}]") : "(no bootstrap draw crosses the same way, so no interval)";

    private static string Percent(double fraction) => NumberStyle.Percent(fraction, 2);

    private static string Loss(double loss) => NumberStyle.Format(loss);

    private static string Flop(double? x) => NumberStyle.Format(x, 2);

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
