using System.Globalization;
using System.Net;
using System.Text;
using ScaleLab.Lab.Studies.Distillation;
using ScaleLab.Laws;
using ScaleLab.Report.Plots;
using ScottPlot;

namespace ScaleLab.Report.Study;

/// <summary>
/// The report's section on distillation (<c>distill --study</c>, study S-distill in the same registry): per student size
/// and teacher the teacher's loss, the student's loss at the largest budget and the crossover against the student trained
/// on samples in the issue's compute count; the crossovers in words with their intervals; the capacity-gap finding for
/// the smallest student; the fitted laws' crossovers, back-tests and Busbridge et al.'s law in words
/// (<see cref="DistillationLawSentences"/>); and the two figures of <see cref="DistillationPlot"/>.
/// </summary>
internal static class DistillationSection
{
    private const string Intro = "Knowledge distillation against training on samples at equal compute: students of each size trained from scratch and distilled from each teacher (the oracle is the synthetic source's exact next-token distribution), compute counted as 6·N_S·D + 2·N_T·D (the teacher's forward passes). A crossover is where the distilled curve meets the one trained on samples (seed-mean curves joined in log compute); its interval is a 95% bootstrap over seeds, and a verdict most bootstrap draws do not share is not a result.";

    private static readonly string[] Columns = ["student N_S", "teacher", "teacher loss", "student loss at largest D (± s.e.)", "seeds", "against training on samples (6·N_S·D + 2·N_T·D)"];

    /// <summary>The distillation study read with a language-model study S: S-distill.</summary>
    public static string StudyName(string study) => study + "-distill";

    public static void Html(StringBuilder html, DistillationStudyResult result)
    {
        html.Append(CultureInfo.InvariantCulture, $"<h2>Distillation</h2>\n<p>{E(Intro)} Study {E(result.Study)}.</p>\n<table><tr>{string.Concat(Columns.Select(c => $"<th>{E(c)}</th>"))}</tr>\n");
        foreach (var cells in Rows(result))
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr>{string.Concat(cells.Select(c => $"<td>{E(c)}</td>"))}</tr>\n");
        }
        html.Append("</table>\n<ul>\n");
        foreach (var sentence in Crossovers(result)) html.Append(CultureInfo.InvariantCulture, $"<li>{E(sentence)}</li>\n");
        html.Append(CultureInfo.InvariantCulture, $"</ul>\n<p>{E(CapacityGap(result))}</p>\n");
        if (result.Laws is { } laws)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p>{E(DistillationLawSentences.Intro(laws))}</p>\n<ul>\n");
            foreach (var sentence in DistillationLawSentences.All(laws)) html.Append(CultureInfo.InvariantCulture, $"<li>{E(sentence)}</li>\n");
            html.Append("</ul>\n");
        }
        var (curves, gap) = DistillationPlot.Build(result);
        HtmlReportWriter.Figure(html, "distillation-loss-vs-compute", curves.GetImageBytes(900, 600, ImageFormat.Png), "Student loss against compute (teacher's forward passes counted): trained on samples (black) and distilled from each teacher, the fitted laws as lines, the crossovers with their intervals (measured: circles; from the laws: crosses), and the oracle-teacher limit (dashed)");
        HtmlReportWriter.Figure(html, "distillation-capacity-gap", gap.GetImageBytes(900, 600, ImageFormat.Png), "Capacity gap: the smallest student's loss against its teacher's own loss, with the same student trained on samples (dashed)");
    }

    public static void Markdown(StringBuilder md, DistillationStudyResult result)
    {
        md.Append(CultureInfo.InvariantCulture, $"\n## Distillation\n\n{Intro} Study {result.Study}.\n\n| {string.Join(" | ", Columns)} |\n|{string.Concat(Columns.Select(_ => "---|"))}\n");
        foreach (var cells in Rows(result))
        {
            md.Append(CultureInfo.InvariantCulture, $"| {string.Join(" | ", cells)} |\n");
        }
        md.Append('\n');
        foreach (var sentence in Crossovers(result)) md.Append(CultureInfo.InvariantCulture, $"- {sentence}\n");
        md.Append(CultureInfo.InvariantCulture, $"\n{CapacityGap(result)}\n");
        if (result.Laws is { } laws)
        {
            md.Append(CultureInfo.InvariantCulture, $"\n{DistillationLawSentences.Intro(laws)}\n\n");
            foreach (var sentence in DistillationLawSentences.All(laws)) md.Append(CultureInfo.InvariantCulture, $"- {sentence}\n");
        }
    }

    private static IEnumerable<string[]> Rows(DistillationStudyResult result)
    {
        foreach (var r in result.CapacityGap)
        {
            var crossover = result.Crossovers.FirstOrDefault(c => c.View == DistillationPlot.View && c.StudentParameters == r.StudentParameters && c.Teacher == r.Teacher);
            yield return
            [
                NumberStyle.Format(r.StudentParameters),
                r.Teacher == DistillationCrossovers.Scratch ? "none (trained on samples)" : r.Teacher,
                r.TeacherLoss is { } t ? double.IsFinite(t) ? Loss(t) : "checkpoint gone" : "",
                double.IsFinite(r.StandardError) ? $"{Loss(r.StudentLoss)} ± {NumberStyle.Format(r.StandardError, 2)}" : $"{Loss(r.StudentLoss)} (one seed)",
                r.Seeds.ToString(CultureInfo.InvariantCulture),
                crossover is null ? "" : Verdict(crossover),
            ];
        }
    }

    /// <summary>A crossover's verdict, short, for the table.</summary>
    internal static string Verdict(DistillationCrossover c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var agreeing = $"{Percent(c.FractionAgreeing)} of draws agree";
        return c.Kind switch
        {
            CrossoverKind.StopsPaying => Inv($"pays up to {Flop(c.Compute)} {Interval(c)}; {agreeing}"),
            CrossoverKind.StartsPaying => Inv($"pays above {Flop(c.Compute)} {Interval(c)}; {agreeing}"),
            CrossoverKind.PaysThroughout => Inv($"pays over {Flop(c.RangeLow)}-{Flop(c.RangeHigh)}; {agreeing}"),
            CrossoverKind.NeverPays => Inv($"never pays over {Flop(c.RangeLow)}-{Flop(c.RangeHigh)}; {agreeing}"),
            _ => "no common compute range",
        };
    }

    /// <summary>One sentence per student size and model teacher on where distillation stops (or starts) paying, in the
    /// issue's compute count and with the teacher free (logits cached or already paid for).</summary>
    public static IEnumerable<string> Crossovers(DistillationStudyResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        foreach (var c in result.Crossovers.Where(c => c.View is ComputeView.WithTeacherForward or ComputeView.StudentOnly)
                     .OrderBy(c => c.StudentParameters).ThenBy(c => c.Teacher, StringComparer.Ordinal).ThenBy(c => c.View))
        {
            // The oracle has no forward cost (N_T = 0), so its two views are one; it is said once.
            if (c.Teacher == DistillationTeacher.Oracle && c.View == ComputeView.StudentOnly) continue;
            var view = c.View == ComputeView.StudentOnly ? "counting the student's compute only (teacher logits free)" : "counting the teacher's forward passes";
            var who = $"Student N_S = {NumberStyle.Format(c.StudentParameters)}, teacher {c.Teacher}, {view}: ";
            var said = c.Kind switch
            {
                CrossoverKind.StopsPaying => Inv($"distillation pays up to {Flop(c.Compute)} FLOP {Interval(c)} and stops paying above it"),
                CrossoverKind.StartsPaying => Inv($"distillation loses below {Flop(c.Compute)} FLOP {Interval(c)} and pays above it"),
                CrossoverKind.PaysThroughout => Inv($"distillation pays over the whole measured range {Flop(c.RangeLow)}-{Flop(c.RangeHigh)} FLOP; a crossover, if any, lies above it"),
                CrossoverKind.NeverPays => Inv($"distillation never pays over the measured range {Flop(c.RangeLow)}-{Flop(c.RangeHigh)} FLOP; a crossover, if any, lies below it"),
                _ => "the two curves share no compute range, so nothing is measured about their crossing",
            };
            var trust = c.Kind == CrossoverKind.NoOverlap ? ""
                : c.FractionAgreeing > 0.5 ? Inv($" ({Percent(c.FractionAgreeing)} of bootstrap draws agree, {c.Seeds} seeds).")
                : Inv($" — but only {Percent(c.FractionAgreeing)} of bootstrap draws agree ({c.Seeds} seeds): not a result.");
            yield return who + said + (trust.Length == 0 ? "." : trust);
        }
    }

    /// <summary>
    /// The capacity-gap finding for the smallest student: with its teachers ordered by their own loss, whether the best
    /// student came from the strongest teacher (no gap seen) or from a weaker one (a U-shape: Busbridge et al. 2025), and
    /// whether the difference is larger than twice its standard error.
    /// </summary>
    public static string CapacityGap(DistillationStudyResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.CapacityGap.Count == 0) return "Capacity gap: no finished runs.";
        var smallest = result.CapacityGap.Min(r => r.StudentParameters);
        var taught = result.CapacityGap.Where(r => r.StudentParameters == smallest && r.TeacherLoss is { } t && double.IsFinite(t))
            .OrderBy(r => r.TeacherLoss).ToList();
        var head = $"Capacity gap (student N_S = {NumberStyle.Format(smallest)}, at its largest budget): ";
        if (taught.Count < 2) return head + Inv($"{taught.Count} teacher with a known loss; at least 2 are needed to say whether a stronger teacher makes a better student.");
        var strongest = taught[0];
        var best = taught.MinBy(r => r.StudentLoss)!;
        var order = string.Join(", ", taught.Select(r => $"{r.Teacher} (teacher {Loss(r.TeacherLoss!.Value)}) → {Loss(r.StudentLoss)}"));
        if (ReferenceEquals(best, strongest))
        {
            return head + $"the strongest teacher gave the best student, so no capacity gap appears here: {order} nats/token.";
        }
        var difference = strongest.StudentLoss - best.StudentLoss;
        var se = Math.Sqrt(Square(strongest.StandardError) + Square(best.StandardError));
        var size = double.IsFinite(se) && se > 0 ? $"{NumberStyle.Format(difference, 2)} nats/token, {NumberStyle.Format(difference / se, 2)} standard errors"
            : $"{NumberStyle.Format(difference, 2)} nats/token, no standard error (one seed)";
        var verdict = double.IsFinite(se) && se > 0 && difference > 2 * se
            ? "a U-shape in student loss against teacher loss, as Busbridge et al. (2025) report: past some point a stronger teacher makes a worse student"
            : "within twice its standard error, so no capacity gap is established";
        return head + $"the best student came from {best.Teacher}, not from the strongest teacher {strongest.Teacher}: {size} lower; {verdict}. Teachers, strongest first: {order} nats/token.";
    }

    private static double Square(double x) => x * x;

    private static string Percent(double fraction) => NumberStyle.Percent(fraction, 2);

    private static string Loss(double loss) => NumberStyle.Format(loss);

    private static string Interval(DistillationCrossover c) =>
        c.Low is { } lo && c.High is { } hi ? Inv($"[{Flop(lo)}, {Flop(hi)}]") : "(no bootstrap draw crosses the same way, so no interval)";

    private static string Flop(double? x) => NumberStyle.Format(x, 2);

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
