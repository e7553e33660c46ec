using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using ScaleLab.Lab.Registry;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// <c>scalelab runs</c>: the registry's studies, or one study's runs as a table, as (N, D, C, loss) CSV
/// points for <c>scalelab fit</c> (<c>--csv</c>: columns N, D, C, loss — the names fit looks for by
/// default — then N_total, seed, run), or as one JSON document. With <c>--metrics</c>, the per-step metrics
/// of the study's runs (or of <c>--run KEY</c>) instead: losses, learning rate, gradient norm and, for runs
/// that track it, the gradient noise scale (raw |G|² and tr(Σ) estimates and B_simple, the ratio of their EMAs).
/// Examples: <c>scalelab runs</c>; <c>scalelab runs --study demo</c>;
/// <c>scalelab runs --study demo --csv &gt; points.csv &amp;&amp; scalelab fit points.csv --law chinchilla</c>;
/// <c>scalelab runs --study gns --metrics --csv &gt; steps.csv</c>.
/// </summary>
[Verb("runs", "List studies and runs in the registry; export (N, D, C, loss) points or per-step metrics (B_simple too) as CSV",
    Examples = ["runs", "runs --study demo", "runs --study demo --csv", "runs --study demo --metrics --csv"])]
public sealed class RunsCommand(IAnsiConsole console) : Command<RunsCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--study <NAME>")]
        [Description("The study to show (default: list the studies)")]
        public string? Study { get; set; }

        [CommandOption("--registry <REGISTRY>")]
        [Description("sqlite:PATH (default sqlite:scalelab.db, or $SCALELAB_REGISTRY) or postgres:CONNSTRING")]
        public string? Registry { get; set; }

        [CommandOption("--csv")]
        [Description("Write the study's finished runs as N,D,C,loss CSV to stdout")]
        public bool Csv { get; set; }

        [CommandOption("--json")]
        [Description("Write one JSON document to stdout")]
        public bool Json { get; set; }

        [CommandOption("--metrics")]
        [Description("Per-step metrics of the study's runs (train/validation loss, lr, gradient norm, |G|² and tr(Σ) estimates, B_simple) instead of the runs; with --csv one row per run and step, otherwise the evaluation steps")]
        public bool Metrics { get; set; }

        [CommandOption("--run <KEY>")]
        [Description("With --metrics: only this run (its key, as listed by runs --study)")]
        public string? Run { get; set; }

        public override ValidationResult Validate()
        {
            if (Csv && Json)
            {
                return ValidationResult.Error("give --csv or --json, not both");
            }
            if (Run is not null && !Metrics)
            {
                return ValidationResult.Error("--run needs --metrics");
            }
            if (Metrics && Study is null)
            {
                return ValidationResult.Error("--metrics needs --study NAME");
            }
            return Csv && Study is null ? ValidationResult.Error("--csv needs --study NAME") : ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var registry = RunStores.Resolve(settings.Registry);
        var (backend, target) = RunStores.Parse(registry);
        if (backend == "sqlite" && !File.Exists(target))
        {
            // Reading must not create an empty registry as a side effect.
            throw new FileNotFoundException($"{target}: no registry here (run scalelab sweep first, or pass --registry)", target);
        }
        using var store = RunStores.Open(registry);
        var studies = store.ListStudies();
        if (settings.Study is null)
        {
            return WriteStudies(store, studies, settings.Json);
        }
        if (studies.All(s => s.Name != settings.Study))
        {
            var known = studies.Count == 0 ? "none" : string.Join(", ", studies.Select(s => s.Name));
            throw new UsageException($"no study '{settings.Study}' in {store.Location} (studies: {known})");
        }
        var output = console.Profile.Out.Writer;
        if (settings.Metrics)
        {
            return WriteMetrics(store, settings);
        }
        if (settings.Csv)
        {
            output.Write(RunCsv.Points(store.ExportPoints(settings.Study)));
            return CliApp.ExitOk;
        }
        var runs = store.ListRuns(settings.Study);
        if (settings.Json)
        {
            output.WriteLine(RunsDocument.Runs(settings.Study!, registry, runs));
            return CliApp.ExitOk;
        }
        var table = new Table().AddColumns("#", "key", "status", "shape", "N", "D", "C", "loss", "tries", "time");
        foreach (var r in runs)
        {
            var config = JsonDocument.Parse(r.ConfigJson).RootElement;
            var shape = $"{config.GetProperty("layers")}x{config.GetProperty("d_model")}x{config.GetProperty("heads")}";
            var time = r is { StartedAt: { } s, FinishedAt: { } f } ? Inv($"{(f - s).TotalSeconds:F1} s") : "";
            table.AddRow(Inv($"{r.Ordinal}"), r.Key, Status(r), shape, Inv($"{r.NonEmbeddingParameters}"), Inv($"{r.Tokens}"),
                Inv($"{6.0 * r.NonEmbeddingParameters * r.Tokens:0.00e+0}"), r.FinalLoss is { } l ? Inv($"{l:F4}") : "",
                Inv($"{r.Attempts}"), time);
        }
        console.Write(table);
        var c = store.CountByStatus(settings.Study);
        console.MarkupLine(Inv($"{c.Done} done, {c.Running} running, {c.Queued} queued, {c.Failed} failed"));
        return CliApp.ExitOk;
    }

    private int WriteMetrics(IRunStore store, Settings settings)
    {
        var runs = store.ListRuns(settings.Study!);
        if (settings.Run is { } only)
        {
            runs = runs.Where(r => r.Key == only).ToList();
            if (runs.Count == 0)
            {
                throw new UsageException($"no run '{only}' in study '{settings.Study}' (see scalelab runs --study {settings.Study})");
            }
        }
        var output = console.Profile.Out.Writer;
        if (runs.Any(r => r.Kind is not null))
        {
            return WriteNamedMetrics(store, settings, runs);
        }
        var metrics = runs.Select(r => (r.Key, store.ReadMetrics(r.Key))).ToList();
        if (settings.Csv)
        {
            output.Write(RunCsv.Metrics(metrics));
            return CliApp.ExitOk;
        }
        if (settings.Json)
        {
            output.WriteLine(RunsDocument.Metrics(settings.Study!, metrics));
            return CliApp.ExitOk;
        }
        var table = new Table().AddColumns("run", "step", "tokens", "train loss", "val loss", "lr", "B_simple (seq)");
        foreach (var (key, rows) in metrics)
        {
            foreach (var m in rows.Where(r => r.ValLoss is not null))
            {
                table.AddRow(key, Inv($"{m.Step}"), Inv($"{m.Tokens}"), Inv($"{m.TrainLoss:F4}"), Inv($"{m.ValLoss:F4}"),
                    Inv($"{m.LearningRate:0.###e+0}"), m.BSimple is { } b ? Inv($"{b:G4}") : "");
            }
        }
        console.Write(table);
        console.MarkupLine(Markup.Escape(Inv(
            $"{metrics.Count} run(s), evaluation steps only; --metrics --csv gives every step")));
        return CliApp.ExitOk;
    }

    /// <summary>The metrics of a study whose runs are of a kind other than the language model (named, generic table):
    /// CSV of every row, JSON, or a table of each run's last value of each metric.</summary>
    private int WriteNamedMetrics(IRunStore store, Settings settings, IReadOnlyList<RunRecord> runs)
    {
        var metrics = runs.Select(r => (r.Key, store.ReadRunMetrics(r.Key))).ToList();
        var output = console.Profile.Out.Writer;
        if (settings.Csv)
        {
            output.Write(RunCsv.NamedMetrics(metrics));
            return CliApp.ExitOk;
        }
        if (settings.Json)
        {
            output.WriteLine(RunsDocument.NamedMetrics(settings.Study!, metrics.Select(m => (m.Key, runs.First(r => r.Key == m.Key).KindName, m.Item2))));
            return CliApp.ExitOk;
        }
        var table = new Table().AddColumns("run", "kind", "metric", "last step", "value");
        foreach (var (key, rows) in metrics)
        {
            foreach (var last in rows.GroupBy(r => r.Name).Select(g => g.Last()))
            {
                table.AddRow(key, Markup.Escape(runs.First(r => r.Key == key).KindName), Markup.Escape(last.Name), Inv($"{last.Step}"), Inv($"{last.Value:G6}"));
            }
        }
        console.Write(table);
        console.MarkupLine(Markup.Escape(Inv($"{metrics.Count} run(s), last value of each metric; --metrics --csv gives every step")));
        return CliApp.ExitOk;
    }

    private int WriteStudies(IRunStore store, IReadOnlyList<StudyRecord> studies, bool json)
    {
        var rows = studies.Select(s => (Study: s, Counts: store.CountByStatus(s.Name))).ToList();
        if (json)
        {
            console.Profile.Out.Writer.WriteLine(RunsDocument.Studies(store.Location, rows));
            return CliApp.ExitOk;
        }
        var table = new Table().AddColumns("study", "runs", "done", "running", "queued", "failed");
        foreach (var (study, c) in rows)
        {
            table.AddRow(Markup.Escape(study.Name), Inv($"{c.Total}"), Inv($"{c.Done}"), Inv($"{c.Running}"), Inv($"{c.Queued}"), Inv($"{c.Failed}"));
        }
        console.Write(table);
        return CliApp.ExitOk;
    }

    private static string Status(RunRecord r) => r.Status switch
    {
        RunStatus.Done => "[green]done[/]",
        RunStatus.Failed => "[red]failed[/]",
        RunStatus.Running => "[yellow]running[/]",
        _ => "queued",
    };

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
