using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using ScaleLab.Games.Study;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands.Hex;

/// <summary><c>scalelab hex study</c>: train the sweep of self-play agents (runs of the registry), rate every snapshot
/// against perfect and random play and its neighbours (then a few informative pairing rounds), fit the compute frontier
/// across boards (Jones 2021) with its board n+1 back-test, the train–test trade-off and the RL scaling law; --plot
/// writes the figures.</summary>
[Verb("hex study", "Hex scaling study end to end: train agents per board and size, rate them (Elo vs perfect play), fit the compute frontier",
    Examples = ["hex study --quick", "hex study --boards 3-4 --registry sqlite:hex.db --json", "hex study --boards 3-5 --workers 2",
        "hex study --quick --plot figures/"])]
public sealed class HexStudyCommand(IAnsiConsole console, Stderr stderr) : Command<HexStudyCommand.Settings>
{
    public sealed class Settings : CommandSettings, IExecutorSettings
    {
        [CommandOption("--boards <SIZES>")]
        [Description("Board sizes: a range 3-5 or a list 3,4 (default 3-4)")]
        public string Boards { get; set; } = "3-4";

        [CommandOption("--quick")]
        [Description("The quick plan (3 sizes per board, 64 generations, 8 test nodes); default is the full plan (4 sizes, 128 generations, 64 test nodes)")]
        public bool Quick { get; set; }

        [CommandOption("--registry <REGISTRY>")]
        [Description("sqlite:PATH (default sqlite:scalelab.db, or $SCALELAB_REGISTRY) or postgres:CONNSTRING")]
        public string? Registry { get; set; }

        [CommandOption("--study <NAME>")]
        [Description("Study the runs are recorded under (default hex-quick or hex); rerunning resumes it")]
        public string? Study { get; set; }

        [CommandOption("--workers <N>")]
        [Description("Concurrent training workers (default 2)")]
        public int Workers { get; set; } = 2;

        [CommandOption("--executor <KIND>")]
        [Description("threads (default), local (worker processes) or slurm, as for sweep")]
        public string Executor { get; set; } = "threads";

        [CommandOption("--bootstrap <N>")]
        [Description("Bootstrap resamples of the frontier fit (default 200)")]
        public int Bootstrap { get; set; } = 200;

        [CommandOption("--plot <DIR>")]
        [Description("Write the figures (frontier, train-test frontier and per-agent iso-Elo curves, intrinsic performance; PNG) into this folder")]
        public string? Plot { get; set; }

        [CommandOption("--json")]
        [Description("Write one JSON document to stdout")]
        public bool Json { get; set; }

        public string? Partition => null;
        public string? TimeLimit => null;
        public string? Account => null;
        public string? SlurmLogs => null;
        public string? SlurmBin => null;

        internal List<int> BoardList => HexBoardsOption.TryParse(Boards, out var b, out _) ? b : [];

        public override ValidationResult Validate()
        {
            if (!HexBoardsOption.TryParse(Boards, out _, out var error)) return ValidationResult.Error(error);
            if (Workers is < 1 or > 256) return ValidationResult.Error($"--workers must be 1 to 256, got {Workers}");
            if (Bootstrap is < 0 or > 100_000) return ValidationResult.Error($"--bootstrap must be 0 to 100000, got {Bootstrap}");
            return ExecutorChoice.Validate(this) is { } e ? ValidationResult.Error(e) : ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Plot is { } plotDir) HexStudyFigures.Check(plotDir);
        var boards = settings.BoardList;
        var study = settings.Study ?? (settings.Quick ? "hex-quick" : "hex");
        var plan = settings.Quick ? HexStudyPlan.Quick(study, boards) : HexStudyPlan.Full(study, boards);
        var registry = RunStores.Resolve(settings.Registry);
        var executor = new ExecutorOptions
        {
            Workers = settings.Workers,
            CheckpointDirectory = ExecutorOptions.DefaultCheckpointDirectory(registry),
            CheckpointInterval = 16,
        };
        using var store = RunStores.Open(registry);
        var added = HexStudy.Enqueue(store, plan);
        stderr.WriteLine($"hex study {study}: boards {string.Join(",", boards)}, {plan.Sizes.Count} sizes x {plan.Seeds.Count} seed(s) per board, {added} new run(s); training on {settings.Workers} worker(s)");
        var clock = Stopwatch.StartNew();
        var sweep = ExecutorChoice.Run(settings, registry, store, study, executor, null, stderr.WriteLine, cancellationToken);
        var trainSeconds = clock.Elapsed.TotalSeconds;
        stderr.WriteLine($"trained in {trainSeconds:F1} s; rating snapshots");
        var result = HexStudy.Analyse(store, plan, executor, trainSeconds, stderr.WriteLine, settings.Bootstrap);
        var doc = HexStudyDocument.From(result);
        if (settings.Plot is { } dir) doc = doc with { Figures = HexStudyFigures.Write(result, dir) };
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(doc, HexStudyDocument.Options));
        }
        else
        {
            HexStudyDocument.Print(console, doc);
        }
        return result.FailedRuns > 0 || sweep.Counts.Failed > 0 ? CliApp.ExitFailure : CliApp.ExitOk;
    }
}
