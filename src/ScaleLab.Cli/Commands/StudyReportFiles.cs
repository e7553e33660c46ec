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
        var jsonText = StudyReportDocument.From(analysis.Report, full).ToJson();
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

    /// <summary>Writes beside the target and renames over it, so a crash never leaves half a report.</summary>
    private static void WriteAtomically(string path, string text)
    {
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, text);
        File.Move(tmp, path, overwrite: true);
    }
}
