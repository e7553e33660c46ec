using System.Globalization;
using System.Net;
using System.Text;
using ScaleLab.Laws;

namespace ScaleLab.Report.Study;

/// <summary>
/// Writes the study report as ONE self-contained HTML file: inline CSS, plots as inline PNG data URIs, no
/// external requests. Each figure carries <c>class="plot"</c>; a three-line script records each figure's
/// on-page rectangle in <c>data-rect</c> after load, which the browser test reads back from the rendered
/// DOM to know where to look in its screenshot.
/// </summary>
public static class HtmlReportWriter
{
    public static string Render(StudyReport report)
    {
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <title>ScaleLab report: {{E(report.Study)}}</title>
            <style>
            body { font-family: system-ui, sans-serif; max-width: 1000px; margin: 2em auto; color: #222; }
            h1 { margin-bottom: 0.2em; } .meta { color: #666; }
            .headline { background: #eef6ee; border-left: 4px solid #3a3; padding: 0.8em 1em; font-size: 1.1em; }
            table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
            th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; } th { background: #f4f4f4; }
            td.l, th.l { text-align: left; } .miss { color: #b00; }
            figure.plot { margin: 1em 0; } figure.plot img { width: 900px; height: 520px; display: block; }
            </style></head><body>
            <h1>ScaleLab report: {{E(report.Study)}}</h1>
            <p class="meta">Generated {{report.GeneratedAt:yyyy-MM-dd HH:mm:ss}} UTC · corpus: {{E(report.Corpus)}} · {{report.Runs.Count}} runs</p>
            <p class="headline">{{E(report.Headline)}}</p>
            """);

        if (report.Verification is { } ver)
        {
            html.Append(CultureInfo.InvariantCulture, $"""
                <h2>Forecast check</h2>
                <table><tr><th class="l">run</th><th class="l">shape</th><th>N</th><th>D (tokens)</th><th>compute (FLOP)</th><th>× largest sweep run</th><th>predicted [{NumberStyle.Percent(ver.Level, 2)}]</th><th>observed</th><th>error</th><th>inside</th></tr>
                <tr><td class="l">{E(ver.RunKey)}</td><td class="l">{E(ver.Shape)}</td><td>{NumberStyle.Format(ver.N)}</td><td>{NumberStyle.Format(ver.D, 3)}</td><td>{NumberStyle.Format(ver.Compute, 3)}</td><td>{NumberStyle.Format(ver.Multiple, 2)}</td><td>{E(ver.Predicted.ToString())}</td><td>{NumberStyle.Format(ver.Observed)}</td><td>{NumberStyle.Percent(ver.RelativeError, 3, signed: true)}</td><td{(ver.Covered ? "" : " class=\"miss\"")}>{(ver.Covered ? "yes" : "no")}</td></tr></table>
                <p>The study's plan was trained after the sweep, with the same corpus, context, batch, schedule and validation windows, and scored against the forecast made before it ran. Interval: {E(ver.IntervalMethod)}.</p>

                """);
        }

        html.Append("<h2>Final loss vs compute</h2>\n");
        Figure(html, "loss-vs-compute", StudyPlots.LossVsCompute(report.Runs, report.Laws, report.TrueEntropyNats, report.Verification), "Final loss against compute: runs (colour by size, marker by budget), fitted laws with 95% bands, and the verification run");

        if (report.Floors is { } f)
        {
            html.Append(CultureInfo.InvariantCulture, $"""
                <h2>Floors of the corpus</h2>
                <table><tr><th class="l">floor</th><th>nats/token</th><th class="l">what it is</th></tr>
                <tr><td class="l">entropy rate</td><td>{NumberStyle.Format(f.EntropyRate)}</td><td class="l">the source's entropy rate: the loss of a perfect model with unbounded context</td></tr>
                <tr><td class="l">context-{f.SeqLen} floor</td><td>{NumberStyle.Format(f.Context)}</td><td class="l">the lowest expected loss of any model that sees at most {f.SeqLen} tokens (positions early in a window see less context)</td></tr>
                <tr><td class="l">validation floor</td><td>{(f.Validation is { } fv ? NumberStyle.Format(fv) : "")}</td><td class="l">the exact source's loss on the {f.ValidationWindows} validation windows every run is scored on; the laws' E is fixed at it</td></tr>
                </table>

                """);
        }

        else if (report.TrueEntropyNats is { } floor)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p>Floor of the corpus (given): <b>{NumberStyle.Format(floor, 4)}</b> nats/token.</p>\n");
        }

        html.Append("<h2>Training curves</h2>\n");
        Figure(html, "training-curves", StudyPlots.TrainingCurves(report.Runs, report.TrueEntropyNats), "Training loss against tokens for every run (colour by model size)");

        if (report.Budgets.Count > 0)
        {
            html.Append("<h2>Design: compute budgets</h2>\n<table><tr><th>budget (FLOP)</th><th>sizes N</th><th>best N</th><th>best loss</th><th>optimum inside the sizes</th></tr>\n");
            foreach (var b in report.Budgets)
            {
                html.Append(CultureInfo.InvariantCulture, $"<tr><td>{NumberStyle.Format(b.Compute, 3)}</td><td>{E(string.Join(", ", b.Sizes.Select(n => Estimate.Format(n))))}</td><td>{Estimate.Format(b.BestN)}</td><td>{NumberStyle.Format(b.BestLoss)}</td><td{(b.Bracketed ? "" : " class=\"miss\"")}>{(b.Bracketed ? "yes" : "no: at an edge")}</td></tr>\n");
            }
            html.Append("</table>\n");
        }
        if (report.RateChecks.Count > 0)
        {
            html.Append("<h2>Learning-rate check</h2>\n<p>Where several rates ran at one (N, D), the loss at each (seeds averaged); the best is fitted.</p>\n<table><tr><th>N</th><th>D</th><th class=\"l\">rate: loss</th><th>best rate</th></tr>\n");
            foreach (var c in report.RateChecks)
            {
                html.Append(CultureInfo.InvariantCulture, $"<tr><td>{Estimate.Format(c.N)}</td><td>{Estimate.Format(c.D)}</td><td class=\"l\">{E(string.Join("; ", c.Tried.Select(t => $"{NumberStyle.Format(t.Rate, 4)}: {NumberStyle.Format(t.Loss)}")))}</td><td>{NumberStyle.Format(c.BestRate, 4)}</td></tr>\n");
            }
            html.Append("</table>\n");
            if (ReportRows.RateVerdict(report.RateChecks) is { } verdict)
            {
                html.Append(CultureInfo.InvariantCulture, $"<p>{E(verdict)}</p>\n");
            }
        }

        html.Append("<h2>Fitted laws</h2>\n");
        foreach (var law in report.Laws)
        {
            html.Append(CultureInfo.InvariantCulture, $"<h3>{E(law.Law)}: {E(law.Formula)}</h3>\n<p>Fitted to {E(law.FittedTo)}.</p>\n<table><tr><th class=\"l\">parameter</th><th>value [95% interval]</th></tr>\n");
            foreach (var (symbol, value) in law.Parameters)
            {
                html.Append(CultureInfo.InvariantCulture, $"<tr><td class=\"l\">{E(symbol)}</td><td>{E(value.ToString())}</td></tr>\n");
            }
            html.Append(CultureInfo.InvariantCulture, $"</table><p>objective {NumberStyle.Format(law.Objective, 6)} over {law.PointsUsed} runs</p>\n");
            if (report.Identification.FirstOrDefault(i => i.Law == law.Law) is { Statements: { Count: > 0 } statements })
            {
                html.Append("<ul>\n");
                foreach (var st in statements)
                {
                    html.Append(CultureInfo.InvariantCulture, $"<li>{E(st)}</li>\n");
                }
                html.Append("</ul>\n");
            }
        }

        if (report.Comparison.Count > 0)
        {
            html.Append("<h2>Model comparison</h2>\n<p>Each law's variants fitted to the same points; AIC and BIC from the Gaussian likelihood of the log residuals, ΔAIC against the best variant of the same data (under about 2 does not separate two variants), Akaike weights within each data set.</p>\n");
            html.Append("<table><tr><th class=\"l\">law and points</th><th class=\"l\">variant</th><th>points</th><th>parameters</th><th>AIC</th><th>BIC</th><th>ΔAIC</th><th>Akaike weight</th><th class=\"l\">identified</th></tr>\n");
            foreach (var c in report.Comparison)
            {
                html.Append(CultureInfo.InvariantCulture, $"<tr><td class=\"l\">{E(c.Data)}</td><td class=\"l\">{(c.Headline ? "<b>" + E(c.Variant) + "</b>" : E(c.Variant))}</td><td>{c.Points}</td><td>{c.Parameters}</td><td>{NumberStyle.Format(c.Aic, 4)}</td><td>{NumberStyle.Format(c.Bic, 4)}</td><td>{NumberStyle.Format(c.DeltaAic, 3)}</td><td>{NumberStyle.Format(c.AkaikeWeight, 2)}</td><td class=\"l\">{(c.Identified ? "every parameter" : "not every parameter")}</td></tr>\n");
            }
            html.Append("</table>\n");
        }
        if (report.Laws.Any(l => l.Residuals.Count > 0))
        {
            Figure(html, "residuals", StudyPlots.Residuals(report.Laws), "Log residuals of each fitted law against compute: a trend with compute or size is structure the law misses");
        }

        html.Append("<h2>Back-test</h2>\n");
        if (report.Backtests.Count == 0)
        {
            html.Append("<p>Too few runs for a back-test.</p>\n");
        }
        foreach (var bt in report.Backtests)
        {
            html.Append(CultureInfo.InvariantCulture, $"<h3>{E(bt.Law)}: fit on {bt.TrainPoints} smaller runs, predict the {bt.Rows.Count} largest ({NumberStyle.Format(bt.SpanDecades, 3)} decades)</h3>\n<p>{E(bt.HoldoutRule)}. Intervals: {E(bt.IntervalMethod)}.</p>\n");
            html.Append("<table><tr><th class=\"l\">run</th><th>compute</th><th>observed</th><th>predicted [95%]</th><th>rel. error</th><th>covered</th></tr>\n");
            foreach (var r in bt.Rows)
            {
                html.Append(CultureInfo.InvariantCulture, $"<tr><td class=\"l\">{E(r.Label)}</td><td>{NumberStyle.Format(r.Compute, 3)}</td><td>{NumberStyle.Format(r.Observed)}</td><td>{E(r.Predicted.ToString())}</td><td>{NumberStyle.Percent(r.RelativeError, 3)}</td><td{(r.Covered ? "" : " class=\"miss\"")}>{(r.Covered ? "yes" : "no")}</td></tr>\n");
            }
            html.Append(CultureInfo.InvariantCulture, $"</table><p>Mean absolute relative error {NumberStyle.Percent(bt.MeanAbsRelativeError, 3)} of the loss, {NumberStyle.Percent(bt.MeanAbsReducibleRelativeError, 3)} of the reducible loss (loss − validation floor); interval coverage {NumberStyle.Percent(bt.Coverage, 2)} at nominal {NumberStyle.Percent(bt.Level, 2)}.</p>\n");
            if (bt.Baselines.Count > 0)
            {
                html.Append("<table><tr><th class=\"l\">naive baseline</th><th>mean |rel. error|</th><th>skill of the law (1 − MSE law / MSE baseline, on ln L)</th></tr>\n");
                foreach (var (name, err, skill) in bt.Baselines)
                {
                    html.Append(CultureInfo.InvariantCulture, $"<tr><td class=\"l\">{E(name)}</td><td>{NumberStyle.Percent(err, 3)}</td><td{(skill > 0 ? "" : " class=\"miss\"")}>{NumberStyle.Format(skill, 3)}</td></tr>\n");
                }
                html.Append("</table>\n");
            }
            foreach (var w in bt.Warnings)
            {
                html.Append(CultureInfo.InvariantCulture, $"<p class=\"miss\">{E(w)}</p>\n");
            }
            Figure(html, $"backtest-{Slug(bt.Law)}", StudyPlots.Backtest(bt), $"Back-test of {bt.Law}: predicted against observed loss");
        }

        html.Append("<h2>Compute-optimal plan</h2>\n");
        if (report.Plans.Count > 0)
        {
            html.Append("<table><tr><th class=\"l\">law</th><th>compute (FLOP)</th><th>decades beyond data</th><th class=\"l\">status</th><th>N*</th><th>D* (tokens)</th><th>tokens / parameter</th><th>predicted loss</th></tr>\n");
            foreach (var p in report.Plans)
            {
                var unidentified = p.Status == "unidentified";
                html.Append(CultureInfo.InvariantCulture, $"<tr><td class=\"l\">{E(p.Law)}</td><td>{NumberStyle.Format(p.Compute, 3)}</td><td>{NumberStyle.Format(p.DecadesBeyondData, 3)}</td><td class=\"l{(unidentified ? " miss" : "")}\">{E(p.Label)}</td><td>{(unidentified ? "not identified" : E(p.OptimalParams.ToString()))}</td><td>{(unidentified ? "not identified" : E(p.OptimalTokens.ToString()))}</td><td>{(unidentified ? "" : E(p.TokensPerParam.ToString()))}</td><td>{(unidentified ? "" : E(p.Loss.ToString()))}</td></tr>\n");
            }
            html.Append("</table>\n");
        }
        else
        {
            html.Append("<p>No plan: it needs a fitted L(N,D) law.</p>\n");
        }

        if (report.Speculative is { } speculative)
        {
            SpeculativeSection.Html(html, speculative);
        }
        if (report.Distillation is { } distillation)
        {
            DistillationSection.Html(html, distillation);
        }

        html.Append("<h2>Runs</h2>\n<table><tr><th class=\"l\">run</th><th class=\"l\">shape</th><th>seed</th><th>N (non-emb.)</th><th>N (total)</th><th>lr</th><th>tokens</th><th>compute</th><th>train loss (mean of last steps)</th><th>val loss</th><th class=\"l\">status</th></tr>\n");
        foreach (var r in report.Runs)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td class=\"l\">{E(r.Key)}</td><td class=\"l\">{E(r.Shape)}</td><td>{r.Seed}</td><td>{NumberStyle.Format(r.NonEmbeddingParams)}</td><td>{NumberStyle.Format(r.TotalParams)}</td><td>{(r.LearningRate is { } lr ? NumberStyle.Format(lr, 4) : "")}</td><td>{NumberStyle.Format(r.Tokens, 3)}</td><td>{NumberStyle.Format(r.Flops, 3)}</td><td>{NumberStyle.Format(r.FinalTrainLoss)}</td><td>{(r.FinalValLoss is { } v ? NumberStyle.Format(v) : "")}</td><td class=\"l\">{E(r.Status)}</td></tr>\n");
        }
        html.Append("</table>\n");
        if (report.Notes.Count > 0)
        {
            html.Append("<h2>Notes</h2>\n<ul>\n");
            foreach (var note in report.Notes)
            {
                html.Append(CultureInfo.InvariantCulture, $"<li>{E(note)}</li>\n");
            }
            html.Append("</ul>\n");
        }
        html.Append("""
            <script>
            window.addEventListener('load', () => { for (const f of document.querySelectorAll('figure.plot')) { const r = f.querySelector('img').getBoundingClientRect(); f.dataset.rect = [r.left + scrollX, r.top + scrollY, r.width, r.height].map(Math.round).join(','); } });
            </script>
            </body></html>
            """);
        return html.ToString();
    }

    internal static void Figure(StringBuilder html, string id, byte[] png, string caption) =>
        html.Append(CultureInfo.InvariantCulture, $"<figure class=\"plot\" id=\"{id}\"><img alt=\"{E(caption)}\" src=\"data:image/png;base64,{Convert.ToBase64String(png)}\"><figcaption>{E(caption)}</figcaption></figure>\n");

    private static string Slug(string s) => new(s.Select(c => char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-').ToArray());

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
