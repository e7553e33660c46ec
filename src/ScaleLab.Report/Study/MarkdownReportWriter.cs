using System.Globalization;
using System.Text;

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
            md.Append(CultureInfo.InvariantCulture, $" Floors: source entropy rate {f.EntropyRate:0.####}; context-{f.SeqLen} floor {f.Context:0.####}; validation floor {f.Validation:0.####} (the exact source's loss on the {f.ValidationWindows} validation windows; E is fixed at it) nats/token.");
        }
        if (report.Verification is { } v)
        {
            md.Append(CultureInfo.InvariantCulture, $"\n\n## Forecast check\n\n| shape | N | D | compute | × largest run | predicted [{v.Level:P0}] | observed | error | inside |\n|---|---|---|---|---|---|---|---|---|\n| {v.Shape} | {v.N} | {v.D:0.00e+0} | {v.Compute:0.00e+0} | {v.Multiple:0.#} | {v.Predicted} | {v.Observed:0.0000} | {v.RelativeError:+0.00%;-0.00%} | {(v.Covered ? "yes" : "no")} |\n");
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
                md.Append(CultureInfo.InvariantCulture, $"| {c.Data} | {(c.Headline ? $"**{c.Variant}**" : c.Variant)} | {c.Points} | {c.Parameters} | {c.Aic:0.0} | {c.Bic:0.0} | {c.DeltaAic:0.0} | {c.AkaikeWeight:0.00} | {(c.Identified ? "every parameter" : "not every parameter")} |\n");
            }
        }
        md.Append("\n## Back-test\n");
        foreach (var bt in report.Backtests)
        {
            md.Append(CultureInfo.InvariantCulture, $"\n### {bt.Law} (fit on {bt.TrainPoints} runs)\n\n| run | compute | observed | predicted [95%] | rel. error | covered |\n|---|---|---|---|---|---|\n");
            foreach (var r in bt.Rows)
            {
                md.Append(CultureInfo.InvariantCulture, $"| {r.Label} | {r.Compute:0.00e+0} | {r.Observed:0.0000} | {r.Predicted} | {r.RelativeError:P2} | {(r.Covered ? "yes" : "no")} |\n");
            }
            md.Append(CultureInfo.InvariantCulture, $"\nMean absolute relative error {bt.MeanAbsRelativeError:P2} ({bt.MeanAbsReducibleRelativeError:P1} of the reducible loss) over {bt.SpanDecades:0.0#} decades; coverage {bt.Coverage:P0} at nominal {bt.Level:P0}.");
            foreach (var (name, err, skill) in bt.Baselines)
            {
                md.Append(CultureInfo.InvariantCulture, $" Against {name}: its error {err:P2}, skill {skill:0.00}.");
            }
            md.Append('\n');
        }
        md.Append("\n## Compute-optimal plan\n\n| law | compute | status | N* | D* | tokens/param | loss |\n|---|---|---|---|---|---|---|\n");
        foreach (var p in report.Plans)
        {
            var ok = p.Status != "unidentified";
            md.Append(CultureInfo.InvariantCulture, $"| {p.Law} | {p.Compute:0.00e+0} | {p.Label} | {(ok ? p.OptimalParams : "not identified")} | {(ok ? p.OptimalTokens : "not identified")} | {(ok ? p.TokensPerParam : "")} | {(ok ? p.Loss : "")} |\n");
        }
        md.Append("\n## Runs\n\n| run | shape | seed | N (non-emb.) | N (total) | tokens | compute | train loss | val loss | status |\n|---|---|---|---|---|---|---|---|---|---|\n");
        foreach (var r in report.Runs)
        {
            md.Append(CultureInfo.InvariantCulture, $"| {r.Key} | {r.Shape} | {r.Seed} | {r.NonEmbeddingParams} | {r.TotalParams} | {r.Tokens:0.00e+0} | {r.Flops:0.00e+0} | {r.FinalTrainLoss:0.0000} | {r.FinalValLoss:0.0000} | {r.Status} |\n");
        }
        foreach (var note in report.Notes)
        {
            md.Append(CultureInfo.InvariantCulture, $"\n- {note}");
        }
        return md.Append('\n').ToString();
    }
}
