using System.Globalization;
using System.Text;
using ScaleLab.Laws;

namespace ScaleLab.Report.Study;

/// <summary>The same report as Markdown tables (no figures), for terminals, issues and diffs.</summary>
public static class MarkdownReportWriter
{
    public static string Render(StudyReport report)
    {
        var md = new StringBuilder();
        md.Append(CultureInfo.InvariantCulture, $"# ScaleLab report: {report.Study}\n\n{report.Headline}\n\nCorpus: {report.Corpus}; {report.Runs.Count} runs.");
        if (report.Floors is { } f)
        {
            md.Append(CultureInfo.InvariantCulture, $" Floors: source entropy rate {NumberStyle.Format(f.EntropyRate, 4)}; context-{f.SeqLen} floor {NumberStyle.Format(f.Context, 4)}; validation floor {NumberStyle.Format(f.Validation, 4)} (the exact source's loss on the {f.ValidationWindows} validation windows; E is fixed at it) nats/token.");
        }
        if (report.Verification is { } v)
        {
            md.Append(CultureInfo.InvariantCulture, $"\n\n## Forecast check\n\n| shape | N | D | compute | × largest run | predicted [{NumberStyle.Percent(v.Level, 2)}] | observed | error | inside |\n|---|---|---|---|---|---|---|---|---|\n| {v.Shape} | {NumberStyle.Format(v.N)} | {NumberStyle.Format(v.D, 3)} | {NumberStyle.Format(v.Compute, 3)} | {NumberStyle.Format(v.Multiple, 2)} | {v.Predicted} | {NumberStyle.Format(v.Observed)} | {NumberStyle.Percent(v.RelativeError, 3, signed: true)} | {(v.Covered ? "yes" : "no")} |\n");
        }
        md.Append("\n\n## Fitted laws\n");
        foreach (var law in report.Laws)
        {
            md.Append(CultureInfo.InvariantCulture, $"\n### {law.Law}: {law.Formula}\n\n| parameter | value [95% interval] |\n|---|---|\n");
            foreach (var (symbol, value) in law.Parameters)
            {
                md.Append(CultureInfo.InvariantCulture, $"| {symbol} | {value} |\n");
            }
        }
        if (report.Comparison.Count > 0)
        {
            md.Append("\n## Model comparison\n\n| law and points | variant | points | parameters | AIC | BIC | ΔAIC | Akaike weight | identified |\n|---|---|---|---|---|---|---|---|---|\n");
            foreach (var c in report.Comparison)
            {
                md.Append(CultureInfo.InvariantCulture, $"| {c.Data} | {(c.Headline ? $"**{c.Variant}**" : c.Variant)} | {c.Points} | {c.Parameters} | {NumberStyle.Format(c.Aic, 4)} | {NumberStyle.Format(c.Bic, 4)} | {NumberStyle.Format(c.DeltaAic, 3)} | {NumberStyle.Format(c.AkaikeWeight, 2)} | {(c.Identified ? "every parameter" : "not every parameter")} |\n");
            }
        }
        md.Append("\n## Back-test\n");
        foreach (var bt in report.Backtests)
        {
            md.Append(CultureInfo.InvariantCulture, $"\n### {bt.Law} (fit on {bt.TrainPoints} runs)\n\n| run | compute | observed | predicted [95%] | rel. error | covered |\n|---|---|---|---|---|---|\n");
            foreach (var r in bt.Rows)
            {
                md.Append(CultureInfo.InvariantCulture, $"| {r.Label} | {NumberStyle.Format(r.Compute, 3)} | {NumberStyle.Format(r.Observed)} | {r.Predicted} | {NumberStyle.Percent(r.RelativeError, 3)} | {(r.Covered ? "yes" : "no")} |\n");
            }
            md.Append(CultureInfo.InvariantCulture, $"\nMean absolute relative error {NumberStyle.Percent(bt.MeanAbsRelativeError, 3)} ({NumberStyle.Percent(bt.MeanAbsReducibleRelativeError, 3)} of the reducible loss) over {NumberStyle.Format(bt.SpanDecades, 3)} decades; coverage {NumberStyle.Percent(bt.Coverage, 2)} at nominal {NumberStyle.Percent(bt.Level, 2)}.");
            foreach (var (name, err, skill) in bt.Baselines)
            {
                md.Append(CultureInfo.InvariantCulture, $" Against {name}: its error {NumberStyle.Percent(err, 3)}, skill {NumberStyle.Format(skill, 3)}.");
            }
            md.Append('\n');
        }
        md.Append("\n## Compute-optimal plan\n\n| law | compute | status | N* | D* | tokens/param | loss |\n|---|---|---|---|---|---|---|\n");
        foreach (var p in report.Plans)
        {
            var ok = p.Status != "unidentified";
            md.Append(CultureInfo.InvariantCulture, $"| {p.Law} | {NumberStyle.Format(p.Compute, 3)} | {p.Label} | {(ok ? p.OptimalParams : "not identified")} | {(ok ? p.OptimalTokens : "not identified")} | {(ok ? p.TokensPerParam : "")} | {(ok ? p.Loss : "")} |\n");
        }
        if (report.Speculative is { } speculative)
        {
            SpeculativeSection.Markdown(md, speculative);
        }
        if (report.Distillation is { } distillation)
        {
            DistillationSection.Markdown(md, distillation);
        }
        md.Append("\n## Runs\n\n| run | shape | seed | N (non-emb.) | N (total) | tokens | compute | train loss | val loss | status |\n|---|---|---|---|---|---|---|---|---|---|\n");
        foreach (var r in report.Runs)
        {
            md.Append(CultureInfo.InvariantCulture, $"| {r.Key} | {r.Shape} | {r.Seed} | {NumberStyle.Format(r.NonEmbeddingParams)} | {NumberStyle.Format(r.TotalParams)} | {NumberStyle.Format(r.Tokens, 3)} | {NumberStyle.Format(r.Flops, 3)} | {NumberStyle.Format(r.FinalTrainLoss)} | {NumberStyle.Format(r.FinalValLoss)} | {r.Status} |\n");
        }
        foreach (var note in report.Notes)
        {
            md.Append(CultureInfo.InvariantCulture, $"\n- {note}");
        }
        return md.Append('\n').ToString();
    }
}
