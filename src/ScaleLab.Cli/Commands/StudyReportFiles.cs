using System.Text.Json;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;
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
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static StudyReportOutput Write(IRunStore store, string study, string htmlPath, int bootstrap, ulong seed, TimeProvider time, Action<string>? log)
    {
        var runs = store.ListRuns(study);
        if (runs.Count == 0)
        {
            throw new UsageException($"{store.Location}: no study named '{study}' with runs (studies: {string.Join(", ", store.ListStudies().Select(s => s.Name))})");
        }
        var (corpus, floor) = CorpusOf(runs[0]);
        var analysis = StudyAnalysis.Analyse(store, study, new StudyAnalysisOptions
        {
            Bootstrap = bootstrap,
            Seed = seed,
            TrueEntropy = floor,
            Corpus = corpus,
            GeneratedAt = time.GetUtcNow(),
            Log = log,
        });
        var full = Path.GetFullPath(htmlPath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var md = Path.ChangeExtension(full, ".md");
        var json = Path.ChangeExtension(full, ".json");
        WriteAtomically(full, HtmlReportWriter.Render(analysis.Report));
        WriteAtomically(md, MarkdownReportWriter.Render(analysis.Report));
        var jsonText = ToJson(analysis, full);
        WriteAtomically(json, jsonText);
        return new StudyReportOutput(full, md, json, jsonText, analysis);
    }

    /// <summary>The report's JSON document on stdout, or its headline and where the files are on the console.</summary>
    public static void Show(IAnsiConsole console, StudyReportOutput output, bool json)
    {
        if (json)
        {
            Console.Out.WriteLine(output.JsonText);
            return;
        }
        console.MarkupLineInterpolated($"[bold]{output.Analysis.Report.Headline}[/]");
        console.MarkupLineInterpolated($"report: {output.Html} (also {Path.GetFileName(output.Markdown)}, {Path.GetFileName(output.Json)})");
    }

    /// <summary>
    /// The corpus description and its irreducible loss for the run's window length (the synthetic source's
    /// exact floor over windows of T tokens; null for a text file).
    /// </summary>
    private static (string Description, double? Floor) CorpusOf(RunRecord run)
    {
        try
        {
            var spec = RunSpec.FromRecord(run);
            var corpus = Corpora.Open(spec);
            return (corpus.Description, corpus.LossFloor(spec.SeqLen));
        }
        catch (Exception ex) when (ex is JsonException or IOException or InvalidDataException or FormatException)
        {
            return ("unknown (the run's corpus could not be opened: " + ex.Message + ")", null);
        }
    }

    public static string ToJson(StudyAnalysisResult analysis, string htmlPath)
    {
        var r = analysis.Report;
        static object Est(Estimate e) => new { value = e.Value, lo = e.Lo, hi = e.Hi };
        var doc = new
        {
            study = r.Study,
            report = htmlPath,
            headline = r.Headline,
            corpus = r.Corpus,
            true_loss_floor = r.TrueEntropyNats,
            laws = r.Laws.Select(l => new
            {
                law = l.Law,
                formula = l.Formula,
                parameters = l.Parameters.ToDictionary(p => p.Symbol, p => Est(p.Value)),
                objective = l.Objective,
                points_used = l.PointsUsed,
            }),
            backtests = r.Backtests.Select(b => new
            {
                law = b.Law,
                train_points = b.TrainPoints,
                mean_abs_relative_error = b.MeanAbsRelativeError,
                coverage = b.Coverage,
                held_out = b.Rows.Select(x => new { run = x.Label, compute = x.Compute, observed = x.Observed, predicted = Est(x.Predicted), relative_error = x.RelativeError, covered = x.Covered }),
            }),
            plans = r.Plans.Select(p => new { law = p.Law, compute = p.Compute, n = Est(p.OptimalParams), d = Est(p.OptimalTokens), tokens_per_parameter = Est(p.TokensPerParam), loss = Est(p.Loss) }),
            runs = r.Runs.Select(x => new { key = x.Key, shape = x.Shape, seed = x.Seed, n = x.NonEmbeddingParams, n_total = x.TotalParams, tokens = x.Tokens, compute = x.Flops, final_train_loss = double.IsFinite(x.FinalTrainLoss) ? x.FinalTrainLoss : (double?)null, final_val_loss = x.FinalValLoss, status = x.Status }),
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
