using System.Text.Json;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;
using ScaleLab.Laws;
using ScaleLab.Report.Study;
using Spectre.Console;

namespace ScaleLab.Cli.Commands;

/// <summary>The files a study report is written to, and the JSON document describing them.</summary>
public sealed record StudyReportOutput(string Html, string Markdown, string Json, string JsonText, StudyAnalysisResult Analysis);

/// <summary>
/// Shared by `report` and `demo`: analyses a study in the registry and writes report.html (self-contained),
/// report.md and report.json beside each other.
/// </summary>
internal static class StudyReportFiles
{
    private static readonly JsonSerializerOptions Indented = JsonNumbers.With(new() { WriteIndented = true });

    public static StudyReportOutput Write(IRunStore store, string study, string htmlPath, int bootstrap, ulong seed, TimeProvider time, Action<string>? log)
    {
        var options = Options(store, study, bootstrap, seed, time, log);
        return Write(StudyAnalysis.Analyse(store, study, options), htmlPath);
    }

    /// <summary>The analysis options of a study: its corpus and floors read from its first run.</summary>
    public static StudyAnalysisOptions Options(IRunStore store, string study, int bootstrap, ulong seed, TimeProvider time, Action<string>? log)
    {
        var runs = store.ListRuns(study);
        if (runs.Count == 0)
        {
            throw new UsageException($"{store.Location}: no study named '{study}' with runs (studies: {string.Join(", ", store.ListStudies().Select(s => s.Name))})");
        }
        var (corpus, floors) = CorpusOf(runs[0]);
        return new StudyAnalysisOptions
        {
            Bootstrap = bootstrap,
            Seed = seed,
            Floors = floors,
            Corpus = corpus,
            GeneratedAt = time.GetUtcNow(),
            Log = log,
        };
    }

    /// <summary>Writes an analysis as report.html (self-contained), report.md, report.json and one SVG per figure.</summary>
    public static StudyReportOutput Write(StudyAnalysisResult analysis, string htmlPath)
    {
        var full = Path.GetFullPath(htmlPath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var md = Path.ChangeExtension(full, ".md");
        var json = Path.ChangeExtension(full, ".json");
        WriteAtomically(full, HtmlReportWriter.Render(analysis.Report));
        WriteAtomically(md, MarkdownReportWriter.Render(analysis.Report));
        var jsonText = ToJson(analysis, full);
        WriteAtomically(json, jsonText);
        foreach (var (name, svg) in StudyPlots.Svgs(analysis.Report))
        {
            WriteAtomically(Path.Combine(Path.GetDirectoryName(full)!, name + ".svg"), svg);
        }
        return new StudyReportOutput(full, md, json, jsonText, analysis);
    }

    /// <summary>The report's JSON document on stdout, or its headline and where the files are on the console.</summary>
    public static void Show(IAnsiConsole console, StudyReportOutput output, bool json)
    {
        if (json)
        {
            console.Profile.Out.Writer.WriteLine(output.JsonText);
            return;
        }
        console.MarkupLineInterpolated($"[bold]{output.Analysis.Report.Headline}[/]");
        console.MarkupLineInterpolated($"report: {output.Html} (also {Path.GetFileName(output.Markdown)}, {Path.GetFileName(output.Json)})");
    }

    /// <summary>
    /// The corpus description and its floors (<see cref="StudyFloors"/>: the source's entropy rate, the floor at
    /// the run's context length, and the exact source's loss on the validation windows every run is scored on);
    /// null for a text file.
    /// </summary>
    private static (string Description, StudyFloors? Floors) CorpusOf(RunRecord run)
    {
        try
        {
            var spec = RunSpec.FromRecord(run);
            var corpus = Corpora.Open(spec);
            if (corpus.EntropyRate is not { } rate || corpus.LossFloor(spec.SeqLen) is not { } context)
            {
                return (corpus.Description, null);
            }
            var windows = spec.EvalSequences ?? spec.EvalBatches * spec.BatchSize;
            return (corpus.Description, new StudyFloors(rate, context, spec.SeqLen, corpus.ValidationFloor(windows, spec.SeqLen), windows));
        }
        catch (Exception ex) when (ex is JsonException or IOException or InvalidDataException or FormatException)
        {
            return ("unknown (the run's corpus could not be opened: " + ex.Message + ")", null);
        }
    }

    public static string ToJson(StudyAnalysisResult analysis, string htmlPath)
    {
        var r = analysis.Report;
        // Non-finite numbers are written as null by the one rule (JsonNumbers); an estimate without an interval has null ends.
        static object Est(Estimate e) => new { value = e.Value, lo = e.Lo, hi = e.Hi };
        var doc = new
        {
            study = r.Study,
            report = htmlPath,
            headline = r.Headline,
            corpus = r.Corpus,
            true_loss_floor = r.TrueEntropyNats,
            floors = r.Floors is { } f ? new
            {
                entropy_rate = f.EntropyRate,
                context_floor = f.Context,
                context_tokens = f.SeqLen,
                validation_floor = f.Validation,
                validation_windows = f.ValidationWindows,
                fixed_e = "the laws' E is fixed at validation_floor",
            } : null,
            verification = r.Verification is { } v ? new
            {
                run = v.RunKey,
                shape = v.Shape,
                n = v.N,
                d = v.D,
                compute = v.Compute,
                multiple_of_largest_run = v.Multiple,
                predicted = Est(v.Predicted),
                level = v.Level,
                interval_method = v.IntervalMethod,
                basis = v.Basis,
                observed = v.Observed,
                relative_error = v.RelativeError,
                reducible_relative_error = v.ReducibleRelativeError,
                covered = v.Covered,
            } : null,
            identification = r.Identification.ToDictionary(i => i.Law, i => i.Statements),
            rate_checks = r.RateChecks.Select(c => new { n = c.N, d = c.D, compute = c.Compute, best_rate = c.BestRate, tried = c.Tried.Select(t => new { rate = t.Rate, loss = t.Loss }) }),
            budgets = r.Budgets.Select(b => new { compute = b.Compute, sizes = b.Sizes, best_n = b.BestN, best_loss = b.BestLoss, bracketed = b.Bracketed }),
            laws = r.Laws.Select(l => new
            {
                law = l.Law,
                formula = l.Formula,
                parameters = l.Parameters.ToDictionary(p => p.Symbol, p => Est(p.Value)),
                objective = l.Objective,
                points_used = l.PointsUsed,
                fitted_to = l.FittedTo,
                residuals = l.Residuals.Select(x => new { compute = x.Compute, n = x.N, log_residual = x.LogResidual }),
            }),
            model_comparison = r.Comparison.Select(c => new { data = c.Data, variant = c.Variant, headline = c.Headline, points = c.Points, parameters = c.Parameters, aic = c.Aic, bic = c.Bic, delta_aic = c.DeltaAic, akaike_weight = c.AkaikeWeight, identified = c.Identified }),
            backtests = r.Backtests.Select(b => new
            {
                law = b.Law,
                train_points = b.TrainPoints,
                holdout_rule = b.HoldoutRule,
                span_decades = b.SpanDecades,
                mean_abs_relative_error = b.MeanAbsRelativeError,
                mean_abs_reducible_relative_error = b.MeanAbsReducibleRelativeError,
                baselines = b.Baselines.Select(x => new { name = x.Name, mean_abs_relative_error = x.MeanAbsRelativeError, skill = x.Skill }),
                level = b.Level,
                interval_method = b.IntervalMethod,
                warnings = b.Warnings,
                coverage = b.Coverage,
                held_out = b.Rows.Select(x => new { run = x.Label, compute = x.Compute, observed = x.Observed, predicted = Est(x.Predicted), relative_error = x.RelativeError, covered = x.Covered }),
            }),
            plans = r.Plans.Select(p => new { law = p.Law, compute = p.Compute, status = p.Status, label = p.Label, decades_beyond_data = p.DecadesBeyondData, n = Est(p.OptimalParams), d = Est(p.OptimalTokens), tokens_per_parameter = Est(p.TokensPerParam), loss = Est(p.Loss) }),
            runs = r.Runs.Select(x => new { key = x.Key, shape = x.Shape, seed = x.Seed, learning_rate = x.LearningRate, n = x.NonEmbeddingParams, n_total = x.TotalParams, tokens = x.Tokens, compute = x.Flops, final_train_loss = x.FinalTrainLoss, train_loss_steps = x.TrainLossSteps, final_val_loss = x.FinalValLoss, status = x.Status }),
            notes = r.Notes,
        };
        return JsonSerializer.Serialize(doc, Indented);
    }

    /// <summary>Writes beside the target and renames over it, so a crash never leaves half a report.</summary>
    private static void WriteAtomically(string path, string text)
    {
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, text);
        File.Move(tmp, path, overwrite: true);
    }
}
