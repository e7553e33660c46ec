using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using ScaleLab.Games.Study;
using ScaleLab.Laws;
using Spectre.Console;

namespace ScaleLab.Cli.Commands.Hex;

/// <summary>The JSON (and table) of a Hex study: per board the ratings (Elo against perfect play where the solver
/// reaches, 95% Wald intervals), the best agent's Elo as <c>best_elo_vs_perfect</c>, the fitted frontier's
/// parameters with bootstrap intervals (resampling whole training runs), and the pairing, back-test, train–test and
/// RL-scaling sections (<see cref="HexStudyFitsDocument"/>).</summary>
public sealed record HexStudyDocument(
    string Study,
    IReadOnlyList<int> Boards,
    IReadOnlyList<HexStudyDocument.Board> PerBoard,
    HexStudyDocument.FrontierDoc? Frontier,
    string? FrontierNote,
    int Runs,
    int FailedRuns,
    long RatingGames,
    double TrainSeconds,
    double RateSeconds,
    double FitSeconds,
    int TestNodes)
{
    /// <summary>Games of every snapshot against each reference player in the fixed design.</summary>
    public int ReferenceGames { get; init; }

    /// <summary>The most games the informative pairing may spend per board.</summary>
    public long PairingBudget { get; init; }

    /// <summary>The frontier bootstrap's resampling unit.</summary>
    public string FrontierBootstrapUnit { get; init; } = "training run (all snapshots of a run drawn together)";

    public IReadOnlyList<HexStudyFitsDocument.PairingDoc> Pairing { get; init; } = [];

    public IReadOnlyList<HexStudyFitsDocument.BacktestDoc> Backtests { get; init; } = [];

    /// <summary>Why there is no back-test (or why one was not possible); empty when every back-test ran.</summary>
    public IReadOnlyList<string> BacktestNotes { get; init; } = [];

    public IReadOnlyList<HexStudyFitsDocument.TrainTestDoc> TrainTest { get; init; } = [];

    public IReadOnlyList<HexStudyFitsDocument.RlDoc> RlScaling { get; init; } = [];

    /// <summary>The frontier model comparison (Jones's change-point model stays the headline <see cref="Frontier"/>).</summary>
    public HexStudyFitsDocument.ModelsDoc? FrontierModels { get; init; }

    public string? FrontierModelsNote { get; init; }

    /// <summary>Figures written by --plot (empty without it).</summary>
    public IReadOnlyList<string> Figures { get; init; } = [];

    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public sealed record AgentDoc(string Run, long Generation, int Width, int Depth, long Parameters, double ComputeJones, double TrainFlops,
        double Elo, double EloLow, double EloHigh, long Games);

    /// <summary>A board's ratings; <paramref name="FirstMoveElo"/> is Bradley–Terry's first-move advantage with its 95%
    /// interval, null where the board's matches have no recorded colours (the fit then has no first-move term);
    /// <paramref name="UntrainedElo"/> the strongest untrained network's (generation 0, no compute: not on the frontier's
    /// log-compute axis) with its interval.</summary>
    public sealed record Board(int Size, string Anchor, double? BestEloVsPerfect, double[]? BestEloInterval, string? BestAgent,
        double? RandomElo, IReadOnlyList<AgentDoc> Agents, double? FirstMoveElo = null, double[]? FirstMoveEloInterval = null,
        double? UntrainedElo = null, double[]? UntrainedEloInterval = null);

    public sealed record Param(string Name, double Value, double? Low, double? High);

    public sealed record FrontierDoc(IReadOnlyList<Param> Parameters, double EloPerDecade, double[]? EloPerDecadeInterval,
        double? PerfectPlayMultiplier, double[]? PerfectPlayMultiplierInterval, double? BeatRandomMultiplier, double[]? BeatRandomMultiplierInterval,
        double ResidualRms, int Points, int PlateauPoints, int InclinePoints, int CeilingPoints, IReadOnlyList<string> Notes);

    private static double[]? Iv(Interval? i) => i is null || double.IsNaN(i.Lo) ? null : [i.Lo, i.Hi];

    public static HexStudyDocument From(HexStudyResult r)
    {
        var boards = r.Boards.Select(b =>
        {
            var agents = b.Agents.OrderBy(a => a.Agent.JonesCompute).Select(a => new AgentDoc(a.Agent.Run, a.Agent.Generation, a.Agent.Width,
                a.Agent.Depth, a.Agent.Parameters, a.Agent.JonesCompute, a.Agent.TrainFlops, a.Elo, a.Low, a.High, a.Games)).ToList();
            var best = b.Agents.OrderByDescending(a => a.Elo).FirstOrDefault();
            var untrained = b.Agents.Where(a => a.Agent.Generation == 0).OrderByDescending(a => a.Elo).FirstOrDefault();
            var perfect = b.Anchor == "perfect";
            return new Board(b.Board, b.Anchor, perfect ? best?.Elo : null, perfect && best is not null ? [best.Low, best.High] : null,
                best?.Agent.Name, b.RandomElo, agents, b.Fit.FirstMoveAdvantage?.Elo, Iv(b.Fit.FirstMoveAdvantage?.Interval),
                untrained?.Elo, untrained is null ? null : [untrained.Low, untrained.High]);
        }).ToList();
        FrontierDoc? frontier = null;
        if (r.Frontier is { } f)
        {
            var values = f.Parameters.ToArray();
            var ps = Laws.Games.ChangePointFrontier.Symbols.Select((s, i) => new Param(s, values[i], f.Intervals?[i].Lo, f.Intervals?[i].Hi)).ToList();
            frontier = new FrontierDoc(ps, f.EloPerDecade.Value, Iv(f.EloPerDecade.Interval), f.PerfectPlayMultiplier?.Value,
                Iv(f.PerfectPlayMultiplier?.Interval), f.BeatRandomMultiplier?.Value, Iv(f.BeatRandomMultiplier?.Interval), f.ResidualRms,
                f.Points.Count, f.PlateauPoints, f.InclinePoints, f.CeilingPoints, f.Notes);
        }
        return new HexStudyDocument(r.Plan.Study, r.Plan.Boards, boards, frontier, r.FrontierNote, r.Runs, r.FailedRuns, r.GamesPlayed,
            r.TrainSeconds, r.RateSeconds, r.FitSeconds, r.Plan.TestNodes)
        {
            ReferenceGames = r.Plan.ReferenceGames,
            PairingBudget = r.Plan.PairingBudget,
            Pairing = HexStudyFitsDocument.Pairing(r),
            Backtests = HexStudyFitsDocument.Backtests(r),
            BacktestNotes = r.BacktestNotes,
            TrainTest = HexStudyFitsDocument.TrainTest(r),
            RlScaling = HexStudyFitsDocument.Rl(r),
            FrontierModels = HexStudyFitsDocument.Models(r),
            FrontierModelsNote = r.ModelsNote,
        };
    }

    private static string F(double x) => x.ToString("0.#", CultureInfo.InvariantCulture);

    private static string F(double[]? i) => i is null ? "" : $"[{F(i[0])}, {F(i[1])}]";

    public static void Print(IAnsiConsole console, HexStudyDocument d)
    {
        console.WriteLine($"hex study {d.Study}: {d.Runs} runs ({d.FailedRuns} failed), {d.RatingGames} rating games at {d.TestNodes} test nodes " +
            $"({d.ReferenceGames} per snapshot and reference player, pairing budget {d.PairingBudget} per board); " +
            $"train {d.TrainSeconds:F0} s, rate {d.RateSeconds:F0} s, fit {d.FitSeconds:F0} s");
        foreach (var b in d.PerBoard)
        {
            console.WriteLine($"{b.Size}x{b.Size}: anchor {b.Anchor} = 0 Elo; best agent {b.BestAgent} " +
                (b.BestEloVsPerfect is { } e ? $"{F(e)} Elo vs perfect {F(b.BestEloInterval)} (95%)" : "(no solver: ratings relative to the strongest agent)") +
                (b.RandomElo is { } re ? $"; random play {F(re)} Elo" : "") +
                (b.UntrainedElo is { } u ? $"; best untrained network (generation 0) {F(u)} Elo {F(b.UntrainedEloInterval)}" : "") +
                (b.FirstMoveElo is { } h ? $"; first-move advantage {F(h)} Elo {F(b.FirstMoveEloInterval)}" : "; no first-move term (colours not recorded)"));
            var table = new Table().AddColumns("agent (run@gen)", "width x depth", "params", "compute (Jones MAC)", "train FLOP", "Elo", "95% interval", "games");
            foreach (var a in b.Agents)
            {
                table.AddRow($"{a.Run}@{a.Generation}", $"{a.Width}x{a.Depth}", a.Parameters.ToString(CultureInfo.InvariantCulture),
                    a.ComputeJones.ToString("0.00e0", CultureInfo.InvariantCulture), a.TrainFlops.ToString("0.00e0", CultureInfo.InvariantCulture),
                    F(a.Elo), Markup.Escape(F([a.EloLow, a.EloHigh])), a.Games.ToString(CultureInfo.InvariantCulture));
            }
            console.Write(table);
        }
        if (d.Frontier is { } f)
        {
            console.WriteLine($"frontier Elo(x, n) = min(0, max(m_f x + m_n n + c_i, m_p n + c_p)), x = log10 Jones compute; {f.Points} frontier points " +
                $"({f.PlateauPoints} plateau, {f.InclinePoints} incline, {f.CeilingPoints} ceiling), residual RMS {F(f.ResidualRms)} Elo; " +
                $"95% intervals by bootstrap, unit: {d.FrontierBootstrapUnit}");
            foreach (var p in f.Parameters) console.WriteLine($"  {p.Name} = {F(p.Value)} {(p.Low is { } lo ? $"[{F(lo)}, {F(p.High!.Value)}]" : "")}");
            console.WriteLine($"  Elo per decade of compute: {F(f.EloPerDecade)} {F(f.EloPerDecadeInterval)}");
            console.WriteLine($"  compute multiplier per +1 board to reach perfect play: {(f.PerfectPlayMultiplier is { } m ? $"{m:G3} {F(f.PerfectPlayMultiplierInterval)}" : "not identified")}");
            console.WriteLine($"  compute multiplier per +1 board to beat random play: {(f.BeatRandomMultiplier is { } m2 ? $"{m2:G3} {F(f.BeatRandomMultiplierInterval)}" : "not identified")}");
            foreach (var n in f.Notes) console.WriteLine($"  note: {n}");
        }
        else
        {
            console.WriteLine($"frontier: not fitted ({d.FrontierNote})");
        }
        HexStudyFitsDocument.Print(console, d);
        foreach (var figure in d.Figures) console.WriteLine($"figure: {figure}");
    }
}
