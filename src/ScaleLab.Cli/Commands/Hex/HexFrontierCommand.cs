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
/// played) and fit the compute frontier, without training; the rating's test nodes, games and pairing budget can be
/// set (Jones's frontier is in train compute at a fixed, small test-time search).</summary>
[Verb("hex frontier", "Rate a Hex study's agents and fit the compute frontier from the registry (no training)",
    Examples = ["hex frontier --study hex-quick --quick", "hex frontier --study hex --registry sqlite:hex.db --json",
        "hex frontier --study hex --registry sqlite:copy.db --test-nodes 1 --train-test-nodes 8,64 --reference-games 128 --plot figures/"])]
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

        [CommandOption("--test-nodes <N>")]
        [Description("Search nodes per move of every rating match (default: the plan's, 64 full or 8 quick). Matches carry no node " +
            "count, so a study is rated at one count: rate another count in a copy of the registry without the study's matches")]
        public int? TestNodes { get; set; }

        [CommandOption("--train-test-nodes <LIST>")]
        [Description("Extra search-node counts for the train-test trade-off, e.g. 8,64, or none (default: the plan's)")]
        public string? TrainTestNodes { get; set; }

        [CommandOption("--reference-games <N>")]
        [Description("Games of every snapshot against each reference player, perfect and random (default 64)")]
        public int? ReferenceGames { get; set; }

        [CommandOption("--pairing-rounds <N>")]
        [Description("Rounds of informative pairing after the fixed design (default: the plan's, 3 full or 2 quick)")]
        public int? PairingRounds { get; set; }

        [CommandOption("--pairing-pairs <N>")]
        [Description("Matches proposed per pairing round and board (default: the plan's, 6 full or 4 quick)")]
        public int? PairingPairs { get; set; }

        [CommandOption("--pairing-games <N>")]
        [Description("Games per proposed match against a reference player (default: the plan's, 32 full or 16 quick)")]
        public int? PairingGames { get; set; }

        [CommandOption("--plot <DIR>")]
        [Description("Write the figures (frontier, train-test frontier and per-agent iso-Elo curves, intrinsic performance; PNG) into this folder")]
        public string? Plot { get; set; }

        [CommandOption("--bootstrap <N>")]
        [Description("Bootstrap resamples of the frontier fit (default 200)")]
        public int Bootstrap { get; set; } = 200;

        [CommandOption("--json")]
        [Description("Write one JSON document to stdout")]
        public bool Json { get; set; }

        public override ValidationResult Validate()
        {
            if (Bootstrap is < 0 or > 100_000) return ValidationResult.Error($"--bootstrap must be 0 to 100000, got {Bootstrap}");
            if (TestNodes is < 1 or > 100_000) return ValidationResult.Error($"--test-nodes must be 1 to 100000, got {TestNodes}");
            if (ReferenceGames is < 2 or > 100_000) return ValidationResult.Error($"--reference-games must be 2 to 100000, got {ReferenceGames}");
            if (PairingRounds is < 0 or > 1000) return ValidationResult.Error($"--pairing-rounds must be 0 to 1000, got {PairingRounds}");
            if (PairingPairs is < 1 or > 1000) return ValidationResult.Error($"--pairing-pairs must be 1 to 1000, got {PairingPairs}");
            if (PairingGames is < 2 or > 100_000) return ValidationResult.Error($"--pairing-games must be 2 to 100000, got {PairingGames}");
            return TrainTestNodes is { } t && !TryParseNodes(t, out _, out var error) ? ValidationResult.Error(error) : ValidationResult.Success();
        }

        /// <summary>Parses --train-test-nodes: "none" or a comma list of counts 1 to 100000.</summary>
        internal static bool TryParseNodes(string text, out List<int> nodes, out string error)
        {
            nodes = [];
            error = "";
            if (text.Trim() == "none") return true;
            foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
            {
                if (!int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var k) || k is < 1 or > 100_000)
                {
                    error = $"--train-test-nodes must be none or counts 1 to 100000 like 8,64, got '{text}'";
                    return false;
                }
                if (!nodes.Contains(k)) nodes.Add(k);
            }
            nodes.Sort();
            return true;
        }

        /// <summary>The plan with this command's overrides.</summary>
        internal HexStudyPlan Apply(HexStudyPlan plan)
        {
            var trainTest = plan.TrainTestNodes;
            if (TrainTestNodes is { } t && TryParseNodes(t, out var parsed, out _)) trainTest = parsed;
            return plan with
            {
                TestNodes = TestNodes ?? plan.TestNodes,
                ReferenceGames = ReferenceGames ?? plan.ReferenceGames,
                TrainTestNodes = trainTest,
                PairingRounds = PairingRounds ?? plan.PairingRounds,
                PairingPairs = PairingPairs ?? plan.PairingPairs,
                PairingGames = PairingGames ?? plan.PairingGames,
            };
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Plot is { } plotDir) HexStudyFigures.Check(plotDir);
        using var store = RegistryToRead.Open(settings.Registry, out var registry);
        var runs = store.ListRuns(settings.Study).Where(r => r.KindName == HexRunKind.KindName).ToList();
        if (runs.Count == 0) throw new InvalidDataException($"study '{settings.Study}' has no hex runs in {registry}; train it with scalelab hex study");
        var boards = runs.Select(r => HexRunKind.ConfigOf(r).Board).Distinct().Order().ToList();
        var plan = settings.Apply(settings.Quick ? HexStudyPlan.Quick(settings.Study, boards) : HexStudyPlan.Full(settings.Study, boards));
        // A count asked for explicitly must not be mixed with matches played at a count the registry never recorded.
        HexRating.CheckTestNodes(store, settings.Study, plan.TestNodes, strict: settings.TestNodes is not null);
        var executor = new ExecutorOptions { CheckpointDirectory = ExecutorOptions.DefaultCheckpointDirectory(registry) };
        // The snapshots live in the checkpoint folder beside the registry (SQLite) or in the working directory (PostgreSQL):
        // a registry copied without that folder, or a study never trained, would otherwise fit nothing and exit 0.
        if (!runs.Any(r => File.Exists(executor.CheckpointPath(settings.Study, r.Key))))
        {
            throw new InvalidDataException($"none of study '{settings.Study}''s {runs.Count} hex runs has a checkpoint under {executor.CheckpointDirectory}: " +
                "hex frontier reads the snapshots from the scalelab-checkpoints folder beside the registry file (or in the working directory for PostgreSQL); " +
                "train the study first, or copy that folder along with the registry");
        }
        var result = HexStudy.Analyse(store, plan, executor, 0, stderr.WriteLine, settings.Bootstrap);
        var doc = HexStudyDocument.From(result);
        if (settings.Plot is { } dir) doc = doc with { Figures = HexStudyFigures.Write(result, dir) };
        if (settings.Json) console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(doc, HexStudyDocument.Options));
        else HexStudyDocument.Print(console, doc);
        return CliApp.ExitOk;
    }
}
