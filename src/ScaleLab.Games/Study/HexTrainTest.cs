using ScaleLab.Games.Play;
using ScaleLab.Games.Training;
using ScaleLab.Lab.Registry;
using ScaleLab.Laws;
using ScaleLab.Laws.Games;
using ScaleLab.Laws.Ratings;

namespace ScaleLab.Games.Study;

/// <summary>
/// A board's train–test evaluation: the search nodes each snapshot was rated at, its points (log10 Jones train compute,
/// log10 test compute = nodes × parameters per move, Elo on the board's scale), the iso-Elo levels fitted, two fits
/// (each null with the reason when the data do not identify its slope) and the games played for it. <see cref="Frontier"/>
/// is Jones's construction (<see cref="TrainTestFrontier"/>: the least compute that reaches each Elo, the headline);
/// <see cref="Fit"/> follows each agent's own Elo-against-search curve (<see cref="TrainTestTradeoff"/>), which mixes model
/// sizes whose test compute per node differs by the parameter count.
/// </summary>
public sealed record HexTrainTestBoard(int Board, IReadOnlyList<int> Nodes, IReadOnlyList<TrainTestPoint> Points, IReadOnlyList<double> Levels,
    TrainTestFit? Fit, string? Note, long Games)
{
    public TrainTestFrontierFit? Frontier { get; init; }

    public string? FrontierNote { get; init; }
}

/// <summary>
/// The train–test trade-off of a study's agents (Jones 2021 §5): every snapshot is rated not only at the plan's test
/// nodes (by the rating design) but at each of <see cref="HexStudyPlan.TrainTestNodes"/> too, by
/// <see cref="HexStudyPlan.TrainTestGames"/> games against each reference player (perfect where the solver reaches,
/// random). One Bradley–Terry fit per board holds the registry's matches and these evaluations (an agent at k nodes
/// is the player "run@gen/k"), so every Elo is on the board's scale. <see cref="TrainTestTradeoff"/> is then fitted at
/// <see cref="LevelCount"/> iso-Elo levels spread over the middle of the Elo range the evaluations reached (between
/// its 20th and 80th percentiles). The extra evaluations are not recorded in the registry (its matches have no
/// search-node column); they are seeded, so a rerun plays them again with the same result.
/// </summary>
public static class HexTrainTest
{
    public const int LevelCount = 4;

    public static IReadOnlyList<HexTrainTestBoard> Run(IRunStore store, HexStudyPlan plan, IReadOnlyList<HexAgentRef> agents, int bootstrap,
        Action<string>? log)
    {
        var result = new List<HexTrainTestBoard>();
        if (plan.TrainTestNodes.Count == 0) return result;
        var nodes = plan.TrainTestNodes.Append(plan.TestNodes).Distinct().Order().ToList();
        var matches = store.ReadMatches(plan.Study);
        foreach (var board in agents.Select(a => a.Board).Distinct().Order())
        {
            var refs = HexRating.References(store, plan.Study, board);
            var onBoard = agents.Where(a => a.Board == board && a.JonesCompute > 0).OrderBy(a => a.JonesCompute).ToList();
            var names = HexRating.BoardNames(onBoard, refs);
            var results = HexRating.BoardResults(matches, names);
            var colours = HexRating.ColoursKnown(matches, names);
            var references = refs.Keys.Order(StringComparer.Ordinal).Select(p => HexRating.ReferencePlayer(p, board)).ToList();
            long games = 0;
            foreach (var a in onBoard)
            {
                var file = AgentFile.Load(a.Path, board);
                foreach (var k in nodes.Where(k => k != plan.TestNodes))
                {
                    var player = MctsPlayer.FromAgent(NameAt(a, k, plan), file, k, HexRating.ParseVariant(plan.Variant), plan.C);
                    foreach (var reference in references)
                    {
                        var o = Arena.Play(player, reference, board, plan.TrainTestGames, HexRating.Seed($"traintest|{player.Name}|{reference.Name}"));
                        results.AddRange(HexRating.Coloured(player.Name, reference.Name, o));
                        games += o.Games;
                    }
                }
            }
            log?.Invoke($"{board}x{board}: {onBoard.Count} agents rated at {string.Join(", ", nodes)} test nodes ({games} games)");
            if (onBoard.Count == 0 || references.Count == 0)
            {
                const string none = "no agents with training compute or no reference players on this board";
                result.Add(new HexTrainTestBoard(board, nodes, [], [], null, none, games) { FrontierNote = none });
                continue;
            }
            var fit = BradleyTerry.Fit(results, HexRating.Options(refs, colours));
            var points = onBoard.SelectMany(a => nodes.Select(k => new TrainTestPoint(a.Name, Math.Log10(a.JonesCompute),
                Math.Log10((double)k * a.Parameters), fit.Elo(NameAt(a, k, plan))))).ToList();
            var levels = Levels(points.Select(p => p.Elo));
            var (tradeoff, note) = HexStudyFits.FitOrNote(() => TrainTestTradeoff.Fit(points, levels, bootstrap, seed: 1));
            var runOf = onBoard.ToDictionary(a => a.Name, a => a.Run, StringComparer.Ordinal);
            var (frontier, frontierNote) = HexStudyFits.FitOrNote(() => TrainTestFrontier.Fit(points, levels, p => runOf[p.Agent], bootstrap, seed: 1));
            result.Add(new HexTrainTestBoard(board, nodes, points, levels, tradeoff, note, games) { Frontier = frontier, FrontierNote = frontierNote });
        }
        return result;
    }

    /// <summary>The rating name of an agent at <paramref name="nodes"/> search nodes (its plain name at the plan's test nodes).</summary>
    public static string NameAt(HexAgentRef agent, int nodes, HexStudyPlan plan) => nodes == plan.TestNodes ? agent.Name : $"{agent.Name}/{nodes}";

    /// <summary><see cref="LevelCount"/> levels evenly spaced from the 20th to the 80th percentile of the Elos, rounded to 10 Elo.</summary>
    internal static IReadOnlyList<double> Levels(IEnumerable<double> elos)
    {
        var list = elos.ToList();
        double lo = Quantile.Of(list, 0.2), hi = Quantile.Of(list, 0.8);
        return Enumerable.Range(0, LevelCount).Select(i => Math.Round((lo + (hi - lo) * i / (LevelCount - 1)) / 10) * 10).Distinct().ToList();
    }
}
