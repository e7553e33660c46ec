using System.ComponentModel;
using System.Text.Json;
using ScaleLab.Games.Study;
using ScaleLab.Games.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands.Hex;

/// <summary><c>scalelab hex frontier</c>: rate a trained Hex study's snapshots (matches not yet in the registry are
/// played) and fit the compute frontier, without training.</summary>
[Verb("hex frontier", "Rate a Hex study's agents and fit the compute frontier from the registry (no training)",
    Examples = ["hex frontier --study hex-quick --quick", "hex frontier --study hex --registry sqlite:hex.db --json"])]
public sealed class HexFrontierCommand(IAnsiConsole console, Stderr stderr) : Command<HexFrontierCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--study <NAME>")]
        [Description("The study (default hex)")]
        public string Study { get; set; } = "hex";

        [CommandOption("--registry <REGISTRY>")]
        [Description("sqlite:PATH (default sqlite:scalelab.db, or $SCALELAB_REGISTRY) or postgres:CONNSTRING")]
        public string? Registry { get; set; }

        [CommandOption("--quick")]
        [Description("Rate with the quick plan's match settings (8 test nodes, 64 games per reference) instead of the full plan's (64, 64)")]
        public bool Quick { get; set; }

        [CommandOption("--bootstrap <N>")]
        [Description("Bootstrap resamples of the frontier fit (default 200)")]
        public int Bootstrap { get; set; } = 200;

        [CommandOption("--json")]
        [Description("Write one JSON document to stdout")]
        public bool Json { get; set; }

        public override ValidationResult Validate() =>
            Bootstrap is < 0 or > 100_000 ? ValidationResult.Error($"--bootstrap must be 0 to 100000, got {Bootstrap}") : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var store = RegistryToRead.Open(settings.Registry, out var registry);
        var runs = store.ListRuns(settings.Study).Where(r => r.KindName == HexRunKind.KindName).ToList();
        if (runs.Count == 0) throw new InvalidDataException($"study '{settings.Study}' has no hex runs in {registry}; train it with scalelab hex study");
        var boards = runs.Select(r => HexRunKind.ConfigOf(r).Board).Distinct().Order().ToList();
        var plan = settings.Quick ? HexStudyPlan.Quick(settings.Study, boards) : HexStudyPlan.Full(settings.Study, boards);
        var executor = new ExecutorOptions { CheckpointDirectory = ExecutorOptions.DefaultCheckpointDirectory(registry) };
        var doc = HexStudyDocument.From(HexStudy.Analyse(store, plan, executor, 0, stderr.WriteLine, settings.Bootstrap));
        if (settings.Json) console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(doc, HexStudyDocument.Options));
        else HexStudyDocument.Print(console, doc);
        return CliApp.ExitOk;
    }
}
