using System.ComponentModel;
using ScaleLab.Lab.Registry;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

[Verb("report", "Analyse a study in the registry (laws, back-test, plan) and write one self-contained HTML report, plus .md and .json",
    Examples = ["report --study demo --out report.html", "report --study demo --registry sqlite:runs.db --json"])]
public sealed class ReportCommand(IAnsiConsole console, Stderr stderr) : Command<ReportCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--study <NAME>")]
        [Description("Study to report on")]
        public string? Study { get; init; }

        [CommandOption("--out <FILE.html>")]
        [Description("Report file; report.md and report.json are written beside it (default report.html)")]
        public string Out { get; init; } = "report.html";

        [CommandOption("--registry <REGISTRY>")]
        [Description("sqlite:PATH or postgres:CONNSTRING (default $SCALELAB_REGISTRY, else sqlite:scalelab.db)")]
        public string? Registry { get; init; }

        [CommandOption("--bootstrap <N>")]
        [Description("Bootstrap resamples for intervals and back-tests (default 200)")]
        public int Bootstrap { get; init; } = 200;

        [CommandOption("--seed <S>")]
        [Description("Seed of the bootstrap (default 0)")]
        public ulong Seed { get; init; }

        [CommandOption("--json")]
        [Description("Write the report's JSON document to stdout")]
        public bool Json { get; init; }

        public override ValidationResult Validate() =>
            string.IsNullOrWhiteSpace(Study) ? ValidationResult.Error("--study NAME is required")
            : Bootstrap < 0 ? ValidationResult.Error("--bootstrap must be >= 0")
            : !Out.EndsWith(".html", StringComparison.OrdinalIgnoreCase) ? ValidationResult.Error($"--out {Out}: the report is HTML; give a .html file")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var registry = RunStores.Resolve(settings.Registry);
        var (backend, target) = RunStores.Parse(registry);
        var registryFile = backend == "sqlite" ? target : null;
        OutputPaths.Check([("--registry", registryFile)],
            [("--out", settings.Out), ("--out (markdown)", Path.ChangeExtension(settings.Out, ".md")), ("--out (json)", Path.ChangeExtension(settings.Out, ".json"))]);
        using var store = RunStores.Open(registry);
        store.EnsureSchema();
        var output = StudyReportFiles.Write(store, settings.Study!, settings.Out, settings.Bootstrap, settings.Seed, TimeProvider.System,
            stderr.WriteLine);
        StudyReportFiles.Show(console, output, settings.Json);
        return CliApp.ExitOk;
    }
}
