using System.ComponentModel;
using System.Text.Json;
using ScaleLab.Games.Hex;
using ScaleLab.Games.Play;
using ScaleLab.Games.Training;
using ScaleLab.Laws.Ratings;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands.Hex;

/// <summary><c>scalelab hex eval AGENT</c>: a match against perfect play, random play or another agent, both colours
/// equally; the symmetrised win rate and the Elo difference it implies, with a 95% interval.</summary>
[Verb("hex eval", "Play a Hex agent against perfect play, random play or another agent; win rate and Elo difference",
    Examples = ["hex eval hex3.agent", "hex eval hex4.agent --against random --games 200 --nodes 64 --json", "hex eval a.agent --against b.agent"])]
public sealed class HexEvalCommand(IAnsiConsole console) : Command<HexEvalCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<AGENT>")]
        [Description("Agent file (from hex train or a study's snapshots)")]
        public string Agent { get; set; } = "";

        [CommandOption("--against <WHO>")]
        [Description("perfect (default; boards 3-4), random, or another agent file")]
        public string Against { get; set; } = "perfect";

        [CommandOption("--games <N>")]
        [Description("Games, half with each colour (default 100)")]
        public int Games { get; set; } = 100;

        [CommandOption("--nodes <K>")]
        [Description("Test-time search nodes per move (default 64)")]
        public int Nodes { get; set; } = 64;

        [CommandOption("--seed <S>")]
        [Description("Random seed (default 1)")]
        public int Seed { get; set; } = 1;

        [CommandOption("--json")]
        [Description("Write one JSON document to stdout")]
        public bool Json { get; set; }

        public override ValidationResult Validate() =>
            Games is < 2 or > 1_000_000 ? ValidationResult.Error($"--games must be 2 to 1000000, got {Games}")
            : Nodes is < 1 or > 100_000 ? ValidationResult.Error($"--nodes must be 1 to 100000, got {Nodes}")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        InputFiles.EnsureRegularFile("AGENT", settings.Agent);
        var agent = AgentFile.Load(settings.Agent);
        var n = agent.Shape.BoardSize;
        IHexPlayer opponent = settings.Against switch
        {
            "perfect" when n > HexSolver.MaxSolvableSize => throw new ArgumentException($"perfect play is known up to {HexSolver.MaxSolvableSize}x{HexSolver.MaxSolvableSize}; this agent plays {n}x{n} (use --against random or an agent file)"),
            "perfect" => new PerfectPlayer(new HexSolver(n)),
            "random" => new RandomPlayer(),
            _ => MctsPlayer.FromAgent("opponent", LoadOpponent(settings.Against, n), settings.Nodes),
        };
        var player = MctsPlayer.FromAgent("agent", agent, settings.Nodes);
        var o = Arena.Play(player, opponent, n, settings.Games, (ulong)settings.Seed);
        // Symmetrised win rate p̂ with a normal-approximation 95% interval (games are independent; the colour halves
        // are averaged, so Var p̂ = (p_B(1−p_B)/n_B + p_W(1−p_W)/n_W)/4), mapped to Elo by 400·log10(p/(1−p)).
        double pb = o.WinsAsBlack / (double)o.GamesAsBlack, pw = o.WinsAsWhite / (double)o.GamesAsWhite;
        var p = o.SymmetrisedWinRate;
        var se = Math.Sqrt((pb * (1 - pb) / o.GamesAsBlack + pw * (1 - pw) / o.GamesAsWhite) / 4);
        double Elo(double x) => BradleyTerry.EloDifference(Math.Clamp(x, 0.5 / o.Games, 1 - 0.5 / o.Games));
        var doc = new
        {
            agent = settings.Agent, board = n, against = settings.Against, nodes = settings.Nodes, games = o.Games,
            wins_as_black = o.WinsAsBlack, games_as_black = o.GamesAsBlack, wins_as_white = o.WinsAsWhite, games_as_white = o.GamesAsWhite,
            symmetrised_win_rate = p, win_rate_low = Math.Max(0, p - 1.96 * se), win_rate_high = Math.Min(1, p + 1.96 * se),
            elo_difference = Elo(p), elo_low = Elo(p - 1.96 * se), elo_high = Elo(p + 1.96 * se),
        };
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(doc, HexStudyDocument.Options));
            return CliApp.ExitOk;
        }
        console.WriteLine($"{n}x{n}, {settings.Nodes} nodes: as Black {o.WinsAsBlack}/{o.GamesAsBlack}, as White {o.WinsAsWhite}/{o.GamesAsWhite}; " +
            $"symmetrised win rate {p:P1} [{doc.win_rate_low:P1}, {doc.win_rate_high:P1}] (95%)");
        console.WriteLine($"Elo difference vs {settings.Against}: {doc.elo_difference:F0} [{doc.elo_low:F0}, {doc.elo_high:F0}] (perfect play scores 50% = 0 Elo; rates clipped at 1/(2 games))");
        return CliApp.ExitOk;
    }

    private static AgentFile LoadOpponent(string path, int board)
    {
        InputFiles.EnsureRegularFile("--against", path);
        return AgentFile.Load(path, board);
    }
}
