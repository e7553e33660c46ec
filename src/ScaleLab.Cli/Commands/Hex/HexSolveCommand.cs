using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using ScaleLab.Games.Hex;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands.Hex;

/// <summary><c>scalelab hex solve --board N</c>: the exact value of the empty n×n board and Black's winning first
/// moves (<see cref="HexSolver"/>).</summary>
[Verb("hex solve", "Solve the empty Hex board exactly: Black's winning first moves (boards 3 and 4)",
    Examples = ["hex solve --board 3", "hex solve --board 4 --json", "hex solve --board 5"])]
public sealed class HexSolveCommand(IAnsiConsole console) : Command<HexSolveCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--board <N>")]
        [Description("Board size n (the board is n×n), 3 to 5")]
        public int Board { get; set; } = 3;

        [CommandOption("--json")]
        [Description("Write one JSON document to stdout")]
        public bool Json { get; set; }

        public override ValidationResult Validate() =>
            Board is < HexBoard.MinSize or > HexSolver.MaxSolvableSize
                ? ValidationResult.Error($"--board must be {HexBoard.MinSize} to {HexSolver.MaxSolvableSize} for the exact solver, got {Board}")
                : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var n = settings.Board;
        var solver = new HexSolver(n);
        var clock = Stopwatch.StartNew();
        var board = new HexBoard(n);
        var moves = solver.WinningMoves(board).Select(m => HexMoves.Format(n, m)).ToList();
        var seconds = clock.Elapsed.TotalSeconds;
        if (settings.Json)
        {
            var doc = new
            {
                board = n,
                first_player_wins = moves.Count > 0,
                winning_first_moves = moves,
                cells = n * n,
                nodes = solver.Nodes,
                cached_positions = solver.CachedPositions,
                seconds,
            };
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(doc));
            return CliApp.ExitOk;
        }
        console.WriteLine(board.Render().TrimEnd());
        console.WriteLine($"{n}x{n} Hex (no swap): {(moves.Count > 0 ? "Black, moving first, wins" : "Black loses")}");
        console.WriteLine($"winning first moves ({moves.Count} of {n * n}): {string.Join(" ", moves)}");
        console.WriteLine($"search: {solver.Nodes} nodes, {solver.CachedPositions} cached positions, {seconds:F2} s");
        return CliApp.ExitOk;
    }
}
