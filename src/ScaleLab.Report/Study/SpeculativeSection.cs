using System.Globalization;
using System.Net;
using System.Text;
using ScaleLab.Lab.Studies.Speculative;
using ScaleLab.Report.Plots;
using ScottPlot;

namespace ScaleLab.Report.Study;

/// <summary>
/// The report's section on speculative sampling with the study's models (<c>speculate --study</c>, study S-speculate):
/// per draft/target pair the loss gap, the pooled acceptance, the fastest fixed γ and the auto γ, each measured against
/// the theory at its α̂ and c; the acceptance law logit α = a + bΔ with its interval, or why it is not identified; and
/// the two figures of <see cref="SpeculativePlot"/>.
/// </summary>
internal static class SpeculativeSection
{
    private const string Intro = "Speculative sampling (Leviathan et al. 2023) with the study's own models: each target's smaller sizes as drafts, speedup = plain target time / speculative time for the same tokens, one thread, measured beside the theory (1 − α^(γ+1))/((1 − α)(γc + 1)) at the measured acceptance α̂ and cost ratio c.";

    private static readonly string[] Columns = ["target N", "draft N", "loss gap Δ", "α̂ (pooled)", "fastest fixed γ: measured / theory", "auto γ: measured / theory"];

    public static void Html(StringBuilder html, SpeculativeStudyResult result)
    {
        html.Append(CultureInfo.InvariantCulture, $"<h2>Speculative sampling</h2>\n<p>{E(Intro)} Study {E(result.Study)}.</p>\n<table><tr>{string.Concat(Columns.Select(c => $"<th>{E(c)}</th>"))}</tr>\n");
        foreach (var cells in Rows(result))
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr>{string.Concat(cells.Select(c => $"<td>{E(c)}</td>"))}</tr>\n");
        }
        html.Append(CultureInfo.InvariantCulture, $"</table>\n<p>{E(Law(result))}</p>\n");
        var (speedup, acceptance) = SpeculativePlot.Build(result);
        HtmlReportWriter.Figure(html, "speculative-speedup", speedup.GetImageBytes(900, 600, ImageFormat.Png), "Speedup against draft size at the auto γ: measured (dots, range over repeats), theory at v = 1 (line) and at the measured verify cost (dashed)");
        HtmlReportWriter.Figure(html, "speculative-acceptance", acceptance.GetImageBytes(900, 600, ImageFormat.Png), "Pooled acceptance against the draft/target loss gap, with the fitted law");
    }

    public static void Markdown(StringBuilder md, SpeculativeStudyResult result)
    {
        md.Append(CultureInfo.InvariantCulture, $"\n## Speculative sampling\n\n{Intro} Study {result.Study}.\n\n| {string.Join(" | ", Columns)} |\n|{string.Concat(Columns.Select(_ => "---|"))}\n");
        foreach (var cells in Rows(result))
        {
            md.Append(CultureInfo.InvariantCulture, $"| {string.Join(" | ", cells)} |\n");
        }
        md.Append(CultureInfo.InvariantCulture, $"\n{Law(result)}\n");
    }

    private static IEnumerable<string[]> Rows(SpeculativeStudyResult result)
    {
        foreach (var p in result.Pairs)
        {
            var (accepted, trials) = p.PooledCounts;
            var best = p.Rows.Where(r => !r.Auto).MaxBy(r => r.Speedup);
            var auto = p.Rows.FirstOrDefault(r => r.Auto);
            yield return
            [
                p.Target.Parameters.ToString("N0", CultureInfo.InvariantCulture),
                p.Draft.Parameters.ToString("N0", CultureInfo.InvariantCulture),
                p.LossGap.ToString("F3", CultureInfo.InvariantCulture),
                trials > 0 ? ((double)accepted / trials).ToString("F3", CultureInfo.InvariantCulture) : p.Status.ToString().ToLowerInvariant(),
                best is null ? "" : Inv($"γ = {best.Gamma}: {best.Speedup:F2}× / {best.Theory:F2}×"),
                auto is null ? "" : Inv($"γ = {auto.Gamma}: {auto.Speedup:F2}× / {auto.Theory:F2}×"),
            ];
        }
    }

    /// <summary>The acceptance law in words, with its interval and the range of gaps it was fitted over.</summary>
    public static string Law(SpeculativeStudyResult result)
    {
        if (result.GapFit is not { } f) return $"Acceptance law not fitted: {result.GapUnidentified}.";
        var gaps = result.Pairs.Where(p => p.Rows.Count > 0).Select(p => p.LossGap).ToList();
        return Inv($"Acceptance law over {f.Pairs} pairs: logit α = a + b·Δ with a = {f.Intercept:F2} [{f.InterceptLow:F2}, {f.InterceptHigh:F2}] and b = {f.Slope:F2} [{f.SlopeLow:F2}, {f.SlopeHigh:F2}] per nat ({f.Level:P0} bootstrap over pairs), fitted over gaps Δ from {gaps.Min():F3} to {gaps.Max():F3} nats/token; outside that range it is an extrapolation.");
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
