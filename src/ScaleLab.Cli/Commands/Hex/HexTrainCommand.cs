using System.ComponentModel;
using System.Text.Json;
using ScaleLab.Games.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands.Hex;

/// <summary><c>scalelab hex train</c>: one self-play agent trained in this process (no registry) and saved as an agent
/// file; a study's agents are trained as registry runs by <c>hex study</c> or a <c>sweep</c> spec of kind "hex".</summary>
[Verb("hex train", "Train one Hex agent by self-play and save it as an agent file",
    Examples = ["hex train --board 3 --generations 40 --out hex3.agent", "hex train --board 4 --width 32 --depth 2 --generations 100 --nodes 32 --out hex4.agent --json"])]
public sealed class HexTrainCommand(IAnsiConsole console, Stderr stderr) : Command<HexTrainCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--board <N>")]
        [Description("Board size, 3 to 11")]
        public int Board { get; set; } = 3;

        [CommandOption("--width <W>")]
        [Description("Network width (default 32)")]
        public int Width { get; set; } = 32;

        [CommandOption("--depth <D>")]
        [Description("Residual blocks (default 1)")]
        public int Depth { get; set; } = 1;

        [CommandOption("--generations <G>")]
        [Description("Self-play generations (each: --games parallel games, then Adam steps; default 40)")]
        public int Generations { get; set; } = 40;

        [CommandOption("--games <N>")]
        [Description("Parallel self-play games per generation (default 32)")]
        public int Games { get; set; } = 32;

        [CommandOption("--nodes <K>")]
        [Description("Search nodes per move in self-play (default 16)")]
        public int Nodes { get; set; } = 16;

        [CommandOption("--variant <V>")]
        [Description("Search: jones (default), grill or puct")]
        public string Variant { get; set; } = "jones";

        [CommandOption("--seed <S>")]
        [Description("Random seed (default 1)")]
        public int Seed { get; set; } = 1;

        [CommandOption("--out <FILE>")]
        [Description("Agent file to write (required)")]
        public string? Out { get; set; }

        [CommandOption("--json")]
        [Description("Write one JSON document to stdout")]
        public bool Json { get; set; }

        internal HexTrainConfig Config => new("train", Board, Width, Depth, Seed, Generations, Games, Nodes, Variant);

        public override ValidationResult Validate()
        {
            if (Out is null) return ValidationResult.Error("--out FILE is required");
            try
            {
                Config.Validate();
            }
            catch (ArgumentException ex)
            {
                return ValidationResult.Error(ex.Message.Split(" (Parameter", 2)[0]);
            }
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var trainer = new SelfPlayTrainer(settings.Config);
        GenerationResult? last = null;
        for (var g = 0; g < settings.Generations; g++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            last = trainer.RunGeneration();
            if (g == 0 || (g + 1) % 10 == 0 || g + 1 == settings.Generations)
            {
                stderr.WriteLine($"generation {last.Generation}/{settings.Generations}: policy loss {last.PolicyLoss:F3}, value loss {last.ValueLoss:F3}, " +
                    $"Black won {last.BlackWinRate:P0} of self-play, compute {last.JonesCompute:E2} MAC (Jones), {last.TrainFlops:E2} FLOP");
            }
        }
        trainer.Snapshot().Save(settings.Out!);
        var doc = new
        {
            agent = Path.GetFullPath(settings.Out!),
            board = settings.Board,
            width = settings.Width,
            depth = settings.Depth,
            parameters = trainer.Config.Shape.ParameterCount,
            generations = trainer.Generation,
            compute_jones = trainer.JonesCompute,
            train_flops = trainer.TrainFlops,
            samples_trained = trainer.SamplesTrained,
            policy_loss = last?.PolicyLoss,
            value_loss = last?.ValueLoss,
            seconds = trainer.ElapsedSeconds,
        };
        if (settings.Json) console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(doc, HexStudyDocument.Options));
        else console.WriteLine($"saved {doc.agent}: {doc.parameters} parameters, {doc.generations} generations, {doc.compute_jones:E2} MAC (Jones), {doc.train_flops:E2} FLOP, {doc.seconds:F1} s");
        return CliApp.ExitOk;
    }
}
