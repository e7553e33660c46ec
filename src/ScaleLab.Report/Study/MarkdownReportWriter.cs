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
        if (report.TrueEntropyNats is { } h)
        {
            md.Append(CultureInfo.InvariantCulture, $" True entropy rate: {h:0.####} nats/token.");
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
        md.Append("\n## Back-test\n");
        foreach (var bt in report.Backtests)
        {
            md.Append(CultureInfo.InvariantCulture, $"\n### {bt.Law} (fit on {bt.TrainPoints} runs)\n\n| run | compute | observed | predicted [95%] | rel. error | covered |\n|---|---|---|---|---|---|\n");
            foreach (var r in bt.Rows)
            {
                md.Append(CultureInfo.InvariantCulture, $"| {r.Label} | {r.Compute:0.00e+0} | {r.Observed:0.0000} | {r.Predicted} | {r.RelativeError:P2} | {(r.Covered ? "yes" : "no")} |\n");
            }
            md.Append(CultureInfo.InvariantCulture, $"\nMean absolute relative error {bt.MeanAbsRelativeError:P2}; coverage {bt.Coverage:P0}.\n");
        }
        md.Append("\n## Compute-optimal plan\n\n| law | compute | N* | D* | tokens/param | loss |\n|---|---|---|---|---|---|\n");
        foreach (var p in report.Plans)
        {
            md.Append(CultureInfo.InvariantCulture, $"| {p.Law} | {p.Compute:0.00e+0} | {p.OptimalParams} | {p.OptimalTokens} | {p.TokensPerParam} | {p.Loss} |\n");
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
