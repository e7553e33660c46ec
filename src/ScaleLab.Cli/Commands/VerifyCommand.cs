using System.ComponentModel;
using System.Globalization;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

[Verb("verify", "Score a study's forecast: fit its L(N,D) law, plan the compute-optimal model for a budget, train that model, and report predicted (with interval) against observed loss in a report",
    Examples = ["verify --study demo --registry sqlite:scalelab-demo/scalelab.db --compute 5e12", "verify --study mystudy --multiple 10 --out verify.html --json"])]
public sealed class VerifyCommand(IAnsiConsole console, Stderr stderr) : Command<VerifyCommand.Settings>
{
    public sealed class Settings : StudyReportSettings
    {
        [CommandOption("--study <NAME>")]
        [Description("Study whose forecast is checked; the run goes to study NAME.verify of the same registry")]
        public string? Study { get; init; }

        [CommandOption("--compute <FLOP>")]
        [Description("Budget of the verification run (6ND); or --multiple")]
        public double? Compute { get; init; }

        [CommandOption("--multiple <K>")]
        [Description("Budget as K times the study's largest run (default 10 when --compute is not given)")]
        public double? Multiple { get; init; }

        [CommandOption("--lr <LR>")]
        [Description("Learning rate of the run (default: the study's best rate at its largest budget, scaled by sqrt(width ratio))")]
        public double? LearningRate { get; init; }

        [CommandOption("--threads <N>")]
        [Description("Threads of the run (default 1: models this small train fastest on one); the result is reproducible for a given count")]
        public int? Threads { get; init; }

        [CommandOption("--out <FILE.html>")]
        [Description("Report file with the forecast check; .md and .json beside it (default verify.html)")]
        public string Out { get; init; } = "verify.html";

        protected override string? StudyName => Study;

        protected override string ReportFile => Out;

        public override ValidationResult Validate() => ValidateReport(() =>
            Compute is not null && Multiple is not null ? ValidationResult.Error("give --compute or --multiple, not both")
            : Compute is { } c && !(c > 0 && double.IsFinite(c)) ? ValidationResult.Error($"--compute must be a positive number of FLOP, got {c.ToString(CultureInfo.InvariantCulture)}")
            : Multiple is { } m && !(m > 1 && double.IsFinite(m)) ? ValidationResult.Error($"--multiple must be above 1, got {m.ToString(CultureInfo.InvariantCulture)}")
            : LearningRate is { } lr && !(lr > 0 && lr < 1) ? ValidationResult.Error($"--lr must be in (0, 1), got {lr.ToString(CultureInfo.InvariantCulture)}")
            : Threads is < 1 ? ValidationResult.Error("--threads must be at least 1")
            : null);
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var (registry, store) = settings.OpenRegistry();
        using var disposeStore = store;
        void Log(string line) => stderr.WriteLine(line);
        var options = StudyReportFiles.Options(store, settings.Study!, settings.Bootstrap, seed: 0, TimeProvider.System, Log);
        var analysis = Report.Study.StudyAnalysis.Analyse(store, settings.Study!, options);
        if (analysis.Chinchilla is null)
        {
            throw new UsageException($"study '{settings.Study}': no L(N,D) law could be fitted ({string.Join("; ", analysis.Report.Notes.Take(2))})");
        }
        var compute = settings.Compute ?? analysis.LargestCompute * (settings.Multiple ?? 10);
        Func<Lab.Sweeps.ModelShape, double>? rate = settings.LearningRate is { } lr ? _ => lr : null;
        var checkpoints = ExecutorOptions.DefaultCheckpointDirectory(registry);
        var checkedAnalysis = ForecastCheck.Run(() => RunStores.Open(registry), store, analysis, compute, rate,
            settings.Threads ?? 1, checkpoints, options, Log, cancellationToken);
        var output = StudyReportFiles.Write(checkedAnalysis, settings.Out);
        StudyReportFiles.Show(console, output, settings.Json);
        return checkedAnalysis.Report.Verification is null ? CliApp.ExitFailure : CliApp.ExitOk;
    }
}
