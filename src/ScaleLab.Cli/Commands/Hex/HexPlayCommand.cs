using System.ComponentModel;
using ScaleLab.Engine;
using ScaleLab.Games.Hex;
using ScaleLab.Games.Play;
using ScaleLab.Games.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands.Hex;

/// <summary><c>scalelab hex play AGENT</c>: a person against a trained agent in the terminal. The board is drawn
/// after every move; moves are typed as a column letter and a row number (<c>c3</c>). A malformed, off-board or
/// occupied move ends the game with one line on stderr and exit code 2.</summary>
[Verb("hex play", "Play Hex against a trained agent in the terminal (moves typed like c3)",
    Examples = ["hex play hex3.agent", "hex play hex4.agent --colour white --nodes 128"])]
public sealed class HexPlayCommand(IAnsiConsole console) : Command<HexPlayCommand.Settings>
{
    /// <summary>Where the person's moves come from (tests replace it).</summary>
    internal static Func<TextReader> Input { get; set; } = () => Console.In;

    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<AGENT>")]
        [Description("Agent file (from hex train or a study's snapshots)")]
        public string Agent { get; set; } = "";

        [CommandOption("--colour <C>")]
        [Description("Your colour: black (moves first, joins top to bottom; default) or white (joins left to right)")]
        public string Colour { get; set; } = "black";

        [CommandOption("--nodes <K>")]
        [Description("The agent's search nodes per move (default 64)")]
        public int Nodes { get; set; } = 64;

        public override ValidationResult Validate() =>
            Colour is not ("black" or "white") ? ValidationResult.Error($"--colour must be black or white, got '{Colour}'")
            : Nodes is < 1 or > 100_000 ? ValidationResult.Error($"--nodes must be 1 to 100000, got {Nodes}")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        InputFiles.EnsureRegularFile("AGENT", settings.Agent);
        var agentFile = AgentFile.Load(settings.Agent);
        var n = agentFile.Shape.BoardSize;
        var agent = MctsPlayer.FromAgent("agent", agentFile, settings.Nodes);
        var human = settings.Colour == "black" ? Stone.Black : Stone.White;
        var board = new HexBoard(n);
        var rng = new Rng(1);
        var input = Input();
        console.WriteLine($"You are {(human == Stone.Black ? "Black (X), joining top to bottom, moving first" : "White (O), joining left to right")}; type moves like b2.");
        while (!board.IsOver)
        {
            console.WriteLine(board.Render().TrimEnd());
            if (board.ToMove == human)
            {
                console.Write("your move: ");
                var line = input.ReadLine() ?? throw new UsageException("no move given (input ended)");
                if (!HexMoves.TryParse(n, line, out var cell, out var error)) throw new UsageException(error);
                if (!board.IsLegal(cell)) throw new UsageException($"{HexMoves.Format(n, cell)} is occupied; choose an empty cell");
                board.Play(cell);
            }
            else
            {
                var moves = new int[1];
                agent.ChooseMoves([board], [rng], moves);
                console.WriteLine($"agent plays {HexMoves.Format(n, moves[0])}");
                board.Play(moves[0]);
            }
        }
        console.WriteLine(board.Render().TrimEnd());
        console.WriteLine(board.Winner == human ? "You win." : "The agent wins.");
        return CliApp.ExitOk;
    }
}
