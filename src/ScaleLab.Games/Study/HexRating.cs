using ScaleLab.Games.Hex;
using ScaleLab.Games.Play;
using ScaleLab.Games.Search;
using ScaleLab.Games.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Laws.Ratings;

namespace ScaleLab.Games.Study;

/// <summary>A snapshot of a trained agent: its run, generation, shape, the compute spent to reach it, the self-play
/// samples generated up to it (the run's "samples" metric summed over generations ≤ this one) and its file.</summary>
public sealed record HexAgentRef(string Run, long Generation, int Board, int Width, int Depth, long Parameters, double JonesCompute,
    double TrainFlops, string Path, double Samples = 0)
{
    public string Name => $"{Run}@{Generation}";
}

/// <summary>An agent's rating on its board: Elo against the board's anchor (perfect play = 0 where the solver
/// reaches, else the strongest agent), with its interval.</summary>
public sealed record HexAgentElo(HexAgentRef Agent, double Elo, double StdError, double Low, double High, long Games);

/// <summary>A board's ratings: the Bradley–Terry fit, its anchor, each agent's Elo and random play's.</summary>
public sealed record HexBoardRatings(int Board, string Anchor, IReadOnlyList<HexAgentElo> Agents, double? RandomElo, RatingFit Fit);

/// <summary>
/// Rates a study's agents (every run's snapshots and its untrained network, generation 0, recreated from the run's seed
/// where the run did not save it): plays the matches the plan asks for (skipping those already recorded, so a rerun resumes),
/// records each in the registry (<see cref="IRunStore.RecordMatches"/>, counted from the agent's side, with the games
/// where the agent moved first apart: <see cref="MatchResult.AFirst"/>), reads back every match of the study and fits
/// Bradley–Terry per board (<see cref="BradleyTerry"/>) with its first-move term where every match of the board has
/// its colours recorded (a registry written before schema 5 has none: its counts are fitted without the term, which is
/// right only because every match plays both colours equally often), with one virtual draw per pair so that agents
/// that won or lost every game keep finite ratings.
/// </summary>
public static class HexRating
{
    public static IReadOnlyList<HexAgentRef> Agents(IRunStore store, string study, ExecutorOptions executor)
    {
        var agents = new List<HexAgentRef>();
        foreach (var run in store.ListRuns(study).Where(r => r.KindName == HexRunKind.KindName && r.Status == RunStatus.Done))
        {
            var config = HexRunKind.ConfigOf(run);
            if (config.IsReference) continue;
            var metrics = store.ReadRunMetrics(run.Key);
            var byStep = metrics.GroupBy(m => m.Step).ToDictionary(g => g.Key, g => g.ToDictionary(m => m.Name, m => m.Value));
            var first = agents.Count;
            double samples = 0;
            foreach (var (step, values) in byStep.OrderBy(kv => kv.Key))
            {
                samples += values.TryGetValue("samples", out var s) && double.IsFinite(s) ? s : 0;
                if (!values.ContainsKey("snapshot")) continue;
                var path = HexRunKind.SnapshotPath(executor.CheckpointPath(study, run.Key), step);
                if (!File.Exists(path)) continue;
                agents.Add(new HexAgentRef(run.Key, step, config.Board, config.Width, config.Depth, config.Shape.ParameterCount,
                    values.GetValueOrDefault("compute_jones"), values.GetValueOrDefault("train_flops"), path, samples));
            }
            if (agents.Count == first) continue;
            var untrained = HexRunKind.SnapshotPath(executor.CheckpointPath(study, run.Key), 0);
            if (!File.Exists(untrained)) new SelfPlayTrainer(config).Snapshot().Save(untrained);
            agents.Insert(first, new HexAgentRef(run.Key, 0, config.Board, config.Width, config.Depth, config.Shape.ParameterCount, 0, 0, untrained));
        }
        return agents;
    }

    /// <summary>The metric on a board's reference runs (step 0) that records the test-time search nodes its matches were
    /// played at: the registry's match rows carry no node count, so this is what keeps ratings at two counts apart.</summary>
    public const string TestNodesMetric = "rating_test_nodes";

    /// <summary>The test nodes a board's recorded matches were played at (<see cref="TestNodesMetric"/>), null when not
    /// recorded (no match yet, or a registry rated before the count was kept).</summary>
    public static int? RatedAtNodes(IRunStore store, IReadOnlyDictionary<string, string> references)
    {
        var counts = references.Values.SelectMany(run => store.ReadRunMetrics(run).Where(m => m.Step == 0 && m.Name == TestNodesMetric))
            .Select(m => (int)m.Value).Distinct().ToList();
        return counts.Count == 0 ? null : counts.Max();
    }

    /// <summary>Refuses (one line) to rate a study at <paramref name="nodes"/> test nodes where a board's matches were
    /// played at another count (they would mix in one fit), or, when <paramref name="strict"/>, where a board holds
    /// matches whose count was not recorded. A board without matches is never refused.</summary>
    public static void CheckTestNodes(IRunStore store, string study, int nodes, bool strict)
    {
        var matches = store.ReadMatches(study);
        foreach (var board in store.ListRuns(study).Where(r => r.KindName == HexRunKind.KindName).Select(r => HexRunKind.ConfigOf(r).Board).Distinct().Order())
        {
            var refs = References(store, study, board);
            var runs = refs.Values.ToHashSet(StringComparer.Ordinal);
            var fix = "the registry's matches carry no node count; rate a copy of the registry without this study's matches " +
                "(sqlite: DELETE FROM matches) to rate at another count";
            // A board without matches may be rated at any count (the one recorded is then replaced).
            if (!matches.Any(m => runs.Contains(m.RunA) || runs.Contains(m.RunB))) continue;
            switch (RatedAtNodes(store, refs))
            {
                case { } k when k != nodes:
                    throw new InvalidDataException($"study '{study}' {board}x{board} was rated at {k} test nodes, not {nodes}: {fix}");
                case null when strict:
                    throw new InvalidDataException($"study '{study}' {board}x{board} holds matches played at an unrecorded number of test nodes: {fix}");
            }
        }
    }

    /// <summary>The reference players' runs of a board ("perfect", "random"), by player.</summary>
    public static Dictionary<string, string> References(IRunStore store, string study, int board) =>
        store.ListRuns(study).Where(r => r.KindName == HexRunKind.KindName)
            .Select(r => (Run: r, Config: HexRunKind.ConfigOf(r)))
            .Where(x => x.Config.IsReference && x.Config.Board == board)
            .ToDictionary(x => x.Config.Player, x => x.Run.Key, StringComparer.Ordinal);

    /// <summary>Games the fixed design plays on a board: each agent against each reference player (the plan's games,
    /// rounded up to even as <see cref="Arena.Play"/> plays them) and two games against its next neighbour.</summary>
    internal static long DesignGames(HexStudyPlan plan, int agents, int references) =>
        (long)agents * references * (2 * ((plan.ReferenceGames + 1) / 2)) + 2L * Math.Max(0, agents - 1);

    /// <summary>Plays and records the plan's matches that the registry does not hold yet, topping up a match against a
    /// reference player that holds fewer games than the plan asks (a rerun with more games per snapshot); returns games played.</summary>
    public static long PlayMatches(IRunStore store, HexStudyPlan plan, IReadOnlyList<HexAgentRef> agents, Action<string>? log)
    {
        var recorded = store.ReadMatches(plan.Study).Select(m => m.Canonical())
            .ToDictionary(m => (m.RunA, m.SnapshotA, m.RunB, m.SnapshotB), m => m.Wins + m.Losses + m.Draws);
        long GamesOf(string a, long sa, string b, long sb)
        {
            var c = new MatchResult(a, sa, b, sb, 0, 0, 0).Canonical();
            return recorded.GetValueOrDefault((c.RunA, c.SnapshotA, c.RunB, c.SnapshotB));
        }
        var perReference = 2L * ((plan.ReferenceGames + 1) / 2);
        CheckTestNodes(store, plan.Study, plan.TestNodes, strict: false);
        long played = 0;
        foreach (var board in agents.Select(a => a.Board).Distinct().Order())
        {
            var refs = References(store, plan.Study, board);
            var onBoard = agents.Where(a => a.Board == board).OrderBy(a => a.JonesCompute).ThenBy(a => a.Name, StringComparer.Ordinal).ToList();
            var players = onBoard.ToDictionary(a => a.Name, a => (IHexPlayer)MctsPlayer.FromAgent(a.Name, AgentFile.Load(a.Path, board),
                plan.TestNodes, ParseVariant(plan.Variant), plan.C));
            var references = new List<(string Run, IHexPlayer Player)>();
            if (refs.TryGetValue("perfect", out var perfectRun)) references.Add((perfectRun, ReferencePlayer("perfect", board)));
            if (refs.TryGetValue("random", out var randomRun)) references.Add((randomRun, new RandomPlayer()));
            foreach (var run in refs.Values) store.AppendRunMetrics(run, [new RunMetric(0, TestNodesMetric, plan.TestNodes)]);
            for (var i = 0; i < onBoard.Count; i++)
            {
                var a = onBoard[i];
                foreach (var (run, player) in references)
                {
                    // Top up to the plan's games (those of the design and the pairing count): a rerun with more games adds
                    // them, with a seed of their own so they are not the recorded games again.
                    var have = GamesOf(a.Run, a.Generation, run, 0);
                    if (have >= perReference) continue;
                    var o = Arena.Play(players[a.Name], player, board, (int)(perReference - have), have == 0 ? Seed(a, run) : Seed(a, $"{run}|{have}"));
                    store.RecordMatches(Recorded(a.Run, a.Generation, run, 0, o));
                    played += o.Games;
                }
                if (i + 1 < onBoard.Count)
                {
                    var b = onBoard[i + 1];
                    if (GamesOf(a.Run, a.Generation, b.Run, b.Generation) > 0) continue;
                    var o = Arena.Play(players[a.Name], players[b.Name], board, 2, Seed(a, b.Name));
                    store.RecordMatches(Recorded(a.Run, a.Generation, b.Run, b.Generation, o));
                    played += o.Games;
                }
            }
            log?.Invoke($"{board}x{board}: {onBoard.Count} agents rated against {string.Join(" and ", references.Select(r => r.Player.Name))} and their neighbours");
        }
        return played;
    }

    /// <summary>The rating options of a board: anchored on perfect play where the board has it (else the strongest
    /// agent), the first-move term fitted when <paramref name="colours"/> (every result's colours known), one virtual
    /// draw per pair.</summary>
    public static RatingOptions Options(IReadOnlyDictionary<string, string> references, bool colours) =>
        new() { Anchor = references.ContainsKey("perfect") ? "perfect" : null, ColourAdvantage = colours, VirtualDraws = 1 };

    /// <summary>A match's outcome as the registry records it: A's side, its games as Black (the first move) apart.</summary>
    internal static MatchResult Recorded(string runA, long snapshotA, string runB, long snapshotB, MatchOutcome o) =>
        new(runA, snapshotA, runB, snapshotB, o.Wins, o.Games - o.Wins, 0)
        {
            AFirst = new FirstMoveCounts(o.WinsAsBlack, o.GamesAsBlack - o.WinsAsBlack, 0),
        };

    /// <summary>A match's outcome as rating results: the games with A first, then those with B first.</summary>
    internal static IEnumerable<ColouredResult> Coloured(string a, string b, MatchOutcome o) =>
    [
        new ColouredResult(a, b, o.WinsAsBlack, o.GamesAsBlack - o.WinsAsBlack),
        new ColouredResult(b, a, o.GamesAsWhite - o.WinsAsWhite, o.WinsAsWhite),
    ];

    /// <summary>The recorded matches among a board's agents and reference players, by rating name (agents "run@gen",
    /// references by player): a row with colours as two results (the first-named side moved first), one without as a
    /// single result counted from A's side, its colours unknown.</summary>
    internal static List<ColouredResult> BoardResults(IReadOnlyList<MatchResult> matches, IReadOnlyDictionary<(string Run, long Snapshot), string> names) =>
        OnBoard(matches, names).SelectMany(m =>
        {
            string a = names[(m.RunA, m.SnapshotA)], b = names[(m.RunB, m.SnapshotB)];
            if (m.AFirst is not { } first || m.ASecond is not { } second) return new[] { new ColouredResult(a, b, m.Wins, m.Losses, m.Draws) };
            return new[] { new ColouredResult(a, b, first.Wins, first.Losses, first.Draws), new ColouredResult(b, a, second.Losses, second.Wins, second.Draws) }
                .Where(r => r.Games > 0).ToArray();
        }).ToList();

    /// <summary>Whether every recorded match among the board's agents and references has its colours.</summary>
    internal static bool ColoursKnown(IReadOnlyList<MatchResult> matches, IReadOnlyDictionary<(string Run, long Snapshot), string> names) =>
        OnBoard(matches, names).All(m => m.AFirst is not null);

    private static IEnumerable<MatchResult> OnBoard(IReadOnlyList<MatchResult> matches, IReadOnlyDictionary<(string Run, long Snapshot), string> names) =>
        matches.Where(m => names.ContainsKey((m.RunA, m.SnapshotA)) && names.ContainsKey((m.RunB, m.SnapshotB)));

    /// <summary>Rating names of a board's agents and reference runs, keyed by (run, snapshot).</summary>
    internal static Dictionary<(string Run, long Snapshot), string> BoardNames(IEnumerable<HexAgentRef> onBoard, IReadOnlyDictionary<string, string> references)
    {
        var names = onBoard.ToDictionary(a => (a.Run, a.Generation), a => a.Name);
        foreach (var (player, run) in references) names[(run, 0)] = player;
        return names;
    }

    /// <summary>A reference player by name. "perfect" plays from one solver per board and thread, shared by every
    /// match of the study (the design, the pairing, the train–test ratings), so its transposition table is built once
    /// (the solver empties it between positions when it passes half its budget).</summary>
    internal static IHexPlayer ReferencePlayer(string player, int board)
    {
        if (player != "perfect") return new RandomPlayer();
        var solvers = Solvers.Value!;
        if (!solvers.TryGetValue(board, out var solver)) solvers[board] = solver = new HexSolver(board);
        return new PerfectPlayer(solver);
    }

    private static readonly ThreadLocal<Dictionary<int, HexSolver>> Solvers = new(() => []);

    internal static ulong Seed(string text) =>
        BitConverter.ToUInt64(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));

    private static ulong Seed(HexAgentRef a, string other) =>
        BitConverter.ToUInt64(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{a.Name}|{other}")));

    internal static MctsVariant ParseVariant(string v) => new HexTrainConfig("x", 3, 1, 0, 1, 1, Variant: v).SearchVariant;

    /// <summary>Bradley–Terry ratings per board from the study's recorded matches.</summary>
    public static IReadOnlyList<HexBoardRatings> Fit(IRunStore store, string study, IReadOnlyList<HexAgentRef> agents)
    {
        var matches = store.ReadMatches(study);
        var result = new List<HexBoardRatings>();
        foreach (var board in agents.Select(a => a.Board).Distinct().Order())
        {
            var refs = References(store, study, board);
            var names = BoardNames(agents.Where(a => a.Board == board), refs);
            var results = BoardResults(matches, names);
            if (results.Count == 0) continue;
            var fit = BradleyTerry.Fit(results, Options(refs, ColoursKnown(matches, names)));
            var elos = agents.Where(a => a.Board == board && fit.IndexOf(a.Name) >= 0).Select(a =>
            {
                var r = fit.Agents[fit.IndexOf(a.Name)];
                return new HexAgentElo(a, r.Elo, r.StdError, r.Interval.Lo, r.Interval.Hi, r.Games);
            }).ToList();
            double? random = fit.IndexOf("random") >= 0 ? fit.Elo("random") : null;
            result.Add(new HexBoardRatings(board, fit.Anchor, elos, random, fit));
        }
        return result;
    }
}
