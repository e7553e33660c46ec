using System.Text.Json;
using System.Text.Json.Nodes;

namespace ScaleLab.Games.Study;

/// <summary>
/// What a Hex study trains and how it rates: boards × network sizes (width, depth) × seeds, self-play settings,
/// and the rating matches: every snapshot plays <see cref="ReferenceGames"/> games against random play and (where
/// the solver reaches) perfect play, and two games (one per colour; agents are deterministic) against each of its
/// neighbours in compute order on its board, all with <see cref="TestNodes"/> search nodes per move. After that fixed
/// design, <see cref="PairingRounds"/> rounds of <see cref="Laws.Ratings.MatchPairing"/> proposals (at most
/// <see cref="PairingPairs"/> matches of <see cref="PairingGames"/> games each) spend extra games where they inform the
/// ratings most. For the train–test trade-off every snapshot is also rated at each of <see cref="TrainTestNodes"/>
/// search nodes per move (<see cref="TrainTestGames"/> games against each reference player).
/// </summary>
public sealed record HexStudyPlan(
    string Study,
    IReadOnlyList<int> Boards,
    IReadOnlyList<(int Width, int Depth)> Sizes,
    IReadOnlyList<int> Seeds,
    int Generations,
    int Games,
    int Nodes,
    int TestNodes,
    int ReferenceGames,
    string Variant = "jones",
    double C = 1.0)
{
    /// <summary>Test-time search nodes at which every snapshot is rated for the train–test trade-off (the plan's
    /// <see cref="TestNodes"/> is rated by the design itself); empty: no train–test analysis.</summary>
    public IReadOnlyList<int> TrainTestNodes { get; init; } = [];

    /// <summary>Games against each reference player per snapshot and node count of <see cref="TrainTestNodes"/>.</summary>
    public int TrainTestGames { get; init; } = 32;

    /// <summary>Snapshots inside each run's first generation (after 1/2^E, …, 1/4, 1/2 of its games and their training:
    /// <see cref="Training.HexTrainConfig.EarlySnapshots"/>), so the random-play plateau of the frontier holds points of
    /// every run (0: none).</summary>
    public int EarlySnapshots { get; init; }

    /// <summary>Rounds of informative pairing after the fixed design (0: none).</summary>
    public int PairingRounds { get; init; }

    /// <summary>Matches proposed per pairing round and board.</summary>
    public int PairingPairs { get; init; } = 4;

    /// <summary>Games per proposed match against a reference player (a match between two deterministic agents is
    /// their two distinct games, played once).</summary>
    public int PairingGames { get; init; } = 16;

    /// <summary>The most games the pairing may spend per board: rounds × pairs × games.</summary>
    public long PairingBudget => (long)PairingRounds * PairingPairs * PairingGames;

    /// <summary>The quick study: 3 network sizes per board, short self-play (4 snapshots inside the first generation: 1/16 to 1/2 of it),
    /// cheap test-time search (8 nodes; 1 and 64 for the train–test trade-off), two short pairing rounds.</summary>
    public static HexStudyPlan Quick(string study, IReadOnlyList<int> boards) =>
        new(study, boards, [(4, 1), (12, 1), (32, 1)], [1], Generations: 64, Games: 32, Nodes: 16, TestNodes: 8, ReferenceGames: 64)
        {
            TrainTestNodes = [1, 64], TrainTestGames = 32, PairingRounds = 2, PairingPairs = 4, PairingGames = 16, EarlySnapshots = 4,
        };

    /// <summary>The full study: 4 sizes per board, longer self-play (4 snapshots inside the first generation: 1/16 to 1/2 of it), Jones's 64 test nodes (8 and 256 for the train–test
    /// trade-off), three pairing rounds.</summary>
    public static HexStudyPlan Full(string study, IReadOnlyList<int> boards) =>
        new(study, boards, [(4, 1), (8, 1), (16, 1), (32, 2)], [1], Generations: 128, Games: 64, Nodes: 32, TestNodes: 64, ReferenceGames: 64)
        {
            TrainTestNodes = [8, 256], TrainTestGames = 32, PairingRounds = 3, PairingPairs = 6, PairingGames = 32, EarlySnapshots = 4,
        };

    /// <summary>The "hex" run kind's settings table (as the spec's [settings] would give it).</summary>
    public JsonElement Settings()
    {
        var o = new JsonObject
        {
            ["boards"] = new JsonArray([.. Boards.Select(b => (JsonNode)b)]),
            ["sizes"] = new JsonArray([.. Sizes.Select(s => (JsonNode)new JsonArray(s.Width, s.Depth))]),
            ["seeds"] = new JsonArray([.. Seeds.Select(s => (JsonNode)s)]),
            ["generations"] = Generations,
            ["games"] = Games,
            ["nodes"] = Nodes,
            ["variant"] = Variant,
            ["c"] = C,
            ["early_snapshots"] = EarlySnapshots,
        };
        return JsonSerializer.SerializeToElement(o);
    }
}
