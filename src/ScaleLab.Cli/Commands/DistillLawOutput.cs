using System.Globalization;
using ScaleLab.Lab.Studies.Distillation;
using ScaleLab.Laws;
using ScaleLab.Laws.Distillation;
using Spectre.Console;

namespace ScaleLab.Cli.Commands;

/// <summary><c>distill --study</c>'s fitted laws: the student law of each teacher, the crossovers it implies, whether they
/// grow with student size, the back-tests and Busbridge et al.'s law, as text tables and as JSON objects. A parameter the
/// data do not identify is said in words (its sentence), never printed as a value.</summary>
internal static class DistillLawOutput
{
    public static object Json(DistillationLawAnalysis laws) => new
    {
        teacher_losses = laws.TeacherLosses,
        student_laws = laws.StudentLaws.Select(l => new
        {
            teacher = l.Teacher,
            law = l.Fit.Law,
            formula = l.Fit.Form.Formula,
            points = l.Fit.PointsUsed,
            bootstrap_draws = l.DrawCount,
            parameters = Parameters(l.Fit, l.Identification),
            unidentified = l.Unidentified,
        }),
        student_laws_not_fitted = laws.NotFitted.Select(f => new { teacher = f.Teacher, reason = f.Reason }),
        law_crossovers = laws.Crossovers.Select(c => new
        {
            student_parameters = c.StudentParameters, teacher = c.Teacher, view = c.View.ToString(), kind = c.Kind.ToString(), compute = c.Compute,
            low = c.Low, high = c.High, fraction_agreeing = c.FractionAgreeing, draws = c.Draws, search_low = c.SearchLow, search_high = c.SearchHigh,
            measured_low = c.MeasuredLow, measured_high = c.MeasuredHigh, extrapolated = c.Extrapolated,
        }),
        law_crossover_growth = laws.Growth.Select(g => new
        {
            teacher = g.Teacher, view = g.View.ToString(), sizes = g.Sizes, exponent = g.Low is null ? null : g.Exponent, low = g.Low, high = g.High,
            draws = g.Draws, statement = g.Statement,
        }),
        law_backtests = laws.Backtests.Select(b => new
        {
            teacher = b.Teacher, held_out_tokens = b.NotRun is null ? b.HeldOutTokens : (double?)null, last_train_tokens = b.NotRun is null ? b.LastTrainTokens : (double?)null,
            law_mean_abs_error = b.NotRun is null ? b.LawMeanAbsError : (double?)null,
            carried_forward_mean_abs_error = b.NotRun is null ? b.CarriedForwardMeanAbsError : (double?)null,
            coverage = b.NotRun is null ? b.Coverage : (double?)null, passed = b.Passed, not_run = b.NotRun,
            points = b.Points.Select(p => new
            {
                student_parameters = p.StudentParameters, tokens = p.Tokens, observed = p.Observed, standard_error = p.StandardError, seeds = p.Seeds,
                predicted = p.Predicted, low = p.Lo, high = p.Hi, carried_forward = p.CarriedForward, covered = p.Covered,
            }),
        }),
        busbridge = laws.Busbridge.Fit is { } f
            ? (object)new
            {
                fitted = true, formula = f.Law.Formula, teacher_losses = f.TeacherLosses, points = f.Fit.PointsUsed,
                bootstrap_draws = f.Fit.Bootstrap?.Draws.Length ?? 0, parameters = Parameters(f.Fit, f.Identification), unidentified = f.Identification.Statements,
            }
            : new { fitted = false, not_fitted = laws.Busbridge.NotFitted },
        busbridge_backtest = laws.BusbridgeBacktest is not { } bb ? null : new
        {
            held_out_tokens = bb.NotRun is null ? bb.HeldOutTokens : (double?)null,
            law_mean_abs_error = bb.NotRun is null ? bb.LawMeanAbsError : (double?)null,
            carried_forward_mean_abs_error = bb.NotRun is null ? bb.CarriedForwardMeanAbsError : (double?)null,
            passed = bb.Passed, not_run = bb.NotRun,
            points = bb.Points.Select(p => new
            {
                teacher = p.Teacher, student_parameters = p.StudentParameters, teacher_loss = p.TeacherLoss, observed = p.Observed, predicted = p.Predicted,
                carried_forward = p.CarriedForward,
            }),
        },
    };

    /// <summary>Each parameter: identified ones with value and interval; an unidentified one with its interval only (no value).</summary>
    private static Dictionary<string, object> Parameters(LawFit fit, IdentificationReport identification) =>
        identification.Parameters.ToDictionary(p => p.Symbol, p => (object)(p.Usable
            ? new { identified = true, value = (double?)p.Value, low = p.Interval?.Lo, high = p.Interval?.Hi }
            : new { identified = false, value = (double?)null, low = p.Interval?.Lo, high = p.Interval?.Hi }));

    public static void Write(IAnsiConsole console, DistillationLawAnalysis laws)
    {
        var table = new Table().Title("Student loss laws L = E + A/N^alpha + B/D^beta, per teacher (95% bootstrap intervals)")
            .AddColumns("teacher", "E", "A", "B", "alpha", "beta", "points");
        foreach (var l in laws.StudentLaws)
        {
            table.AddRow([Markup.Escape(l.Teacher), .. l.Identification.Parameters.Select(Cell), Inv($"{l.Fit.PointsUsed}")]);
        }
        console.Write(table);
        foreach (var l in laws.StudentLaws.Where(l => l.Unidentified.Count > 0))
        {
            console.MarkupLine(Markup.Escape($"teacher {l.Teacher}: {string.Join("; ", l.Unidentified)}."));
        }
        foreach (var failure in laws.NotFitted) console.MarkupLine(Markup.Escape($"teacher {failure.Teacher}: no law ({failure.Reason})."));

        var cross = new Table().Title("Crossover from the fitted laws (searched from the smallest measured compute to 10x the largest)")
            .AddColumns("N_S", "teacher", "compute counted", "distillation vs scratch", "crossover C (95% bootstrap)", "draws agreeing");
        foreach (var c in laws.Crossovers)
        {
            var what = c.Kind switch
            {
                CrossoverKind.StopsPaying => c.Extrapolated ? "pays, then stops (extrapolated)" : "pays, then stops",
                CrossoverKind.StartsPaying => c.Extrapolated ? "loses, then pays (extrapolated)" : "loses, then pays",
                CrossoverKind.PaysThroughout => Inv($"pays over {c.SearchLow:0.##e+0}-{c.SearchHigh:0.##e+0}"),
                _ => Inv($"never pays over {c.SearchLow:0.##e+0}-{c.SearchHigh:0.##e+0}"),
            };
            var at = c.Compute is { } x ? c.Low is { } lo ? Inv($"{x:0.##e+0} ({lo:0.##e+0}-{c.High:0.##e+0})") : Inv($"{x:0.##e+0} (no draw crosses)") : "-";
            cross.AddRow(Inv($"{c.StudentParameters:N0}"), Markup.Escape(c.Teacher), ViewName(c.View), Markup.Escape(what), at,
                c.Draws > 0 ? Inv($"{c.FractionAgreeing:P0} of {c.Draws}") : "no bootstrap");
        }
        console.Write(cross);
        foreach (var g in laws.Growth)
        {
            console.MarkupLine(Markup.Escape($"teacher {g.Teacher}, compute {ViewName(g.View)}: {g.Statement}."));
        }

        var back = new Table().Title("Back-test: each law fitted on the smaller budgets predicts the largest (against carrying the last loss forward)")
            .AddColumns("teacher", "held out D", "law |error| (mean)", "carried forward |error|", "covered", "verdict");
        foreach (var b in laws.Backtests)
        {
            if (b.NotRun is not null)
            {
                back.AddRow(Markup.Escape(b.Teacher), "-", "-", "-", "-", Markup.Escape($"not run: {b.NotRun}"));
                continue;
            }
            back.AddRow(Markup.Escape(b.Teacher), Inv($"{b.HeldOutTokens:N0} (fit on D < it)"), Inv($"{b.LawMeanAbsError:F4}"),
                Inv($"{b.CarriedForwardMeanAbsError:F4}"), Inv($"{b.Points.Count(p => p.Covered)} of {b.Points.Count}"),
                b.Passed ? "law beats carrying forward" : "FAILS: no better than carrying forward");
        }
        console.Write(back);

        if (laws.Busbridge.Fit is { } f)
        {
            var bus = new Table().Title(Markup.Escape($"Busbridge et al. 2025: {f.Law.Formula}; L~_S the supervised law; teacher losses {string.Join(", ", f.TeacherLosses.Select(l => Inv($"{l:F4}")))}"))
                .AddColumns([.. f.Identification.Parameters.Select(p => p.Symbol)]);
            bus.AddRow([.. f.Identification.Parameters.Select(Cell)]);
            console.Write(bus);
            foreach (var s in f.Identification.Statements) console.MarkupLine(Markup.Escape($"Busbridge: {s}."));
        }
        else
        {
            console.MarkupLine(Markup.Escape($"Busbridge et al. 2025's law: {laws.Busbridge.NotFitted}."));
        }
        if (laws.BusbridgeBacktest is { } bb)
        {
            console.MarkupLine(Markup.Escape(bb.NotRun is not null ? $"Busbridge back-test: not run ({bb.NotRun})."
                : Inv($"Busbridge back-test (fitted with L~_S on D < {bb.HeldOutTokens:N0}, predicting {bb.Points.Count} distilled cells at it): mean |error| {bb.LawMeanAbsError:F4} against {bb.CarriedForwardMeanAbsError:F4} carrying the last loss forward: {(bb.Passed ? "the law beats carrying forward" : "FAILS, no better than carrying forward")}.")));
        }
        console.MarkupLine("Laws: Huber loss on log residuals, multi-start L-BFGS, case-resampling bootstrap of every seed's loss; an unidentified parameter is shown as 'not identified' and explained, not given a value.");
    }

    private static string Cell(ParameterIdentification p) => p.Usable
        ? Markup.Escape(p.Interval is { } i ? $"{NumberStyle.Format(p.Value, 3)} [{NumberStyle.Format(i.Lo, 3)}, {NumberStyle.Format(i.Hi, 3)}]" : NumberStyle.Format(p.Value, 3))
        : "not identified";

    internal static string ViewName(ComputeView view) => view switch
    {
        ComputeView.StudentOnly => "6·N_S·D (teacher free)",
        ComputeView.WithTeacherForward => "+ 2·N_T·D",
        _ => "+ 2·N_T·D + teacher training shared",
    };

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
