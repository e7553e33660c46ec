using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

[Verb("report", "Analyse a study in the registry (laws, back-test, plan) and write one self-contained HTML report, plus .md and .json",
    Examples = ["report --study demo --out report.html", "report --study demo --registry sqlite:runs.db --json"])]
public sealed class ReportCommand(IAnsiConsole console, Stderr stderr) : Command<ReportCommand.Settings>
{
    public sealed class Settings : StudyReportSettings
    {
        [CommandOption("--study <NAME>")]
        [Description("Study to report on")]
        public string? Study { get; init; }

        [CommandOption("--out <FILE.html>")]
        [Description("Report file; report.md and report.json are written beside it (default report.html)")]
        public string Out { get; init; } = "report.html";

        [CommandOption("--seed <S>")]
        [Description("Seed of the bootstrap (default 0)")]
        public ulong Seed { get; init; }

        protected override string? StudyName => Study;

        protected override string ReportFile => Out;

        public override ValidationResult Validate() => ValidateReport(() => null);
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var (_, store) = settings.OpenRegistry();
        using (store)
        {
            var output = StudyReportFiles.Write(store, settings.Study!, settings.Out, settings.Bootstrap, settings.Seed, TimeProvider.System,
                stderr.WriteLine);
            StudyReportFiles.Show(console, output, settings.Json);
        }
        return CliApp.ExitOk;
    }
}
