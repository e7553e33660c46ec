using System.Text.Json;
using System.Text.Json.Nodes;

namespace ScaleLab.Games.Study;

/// <summary>
/// What a Hex study trains and how it rates: boards × network sizes (width, depth) × seeds, self-play settings,
/// and the rating matches: every snapshot plays <see cref="ReferenceGames"/> games against random play and (where
/// the solver reaches) perfect play, and two games (one per colour; agents are deterministic) against each of its
/// neighbours in compute order on its board, all with <see cref="TestNodes"/> search nodes per move.
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
    /// <summary>The quick study: 3 network sizes per board, short self-play, cheap test-time search.</summary>
    public static HexStudyPlan Quick(string study, IReadOnlyList<int> boards) =>
        new(study, boards, [(4, 1), (12, 1), (32, 1)], [1], Generations: 64, Games: 32, Nodes: 16, TestNodes: 8, ReferenceGames: 64);

    /// <summary>The full study: 4 sizes per board, longer self-play, Jones's 64 test nodes.</summary>
    public static HexStudyPlan Full(string study, IReadOnlyList<int> boards) =>
        new(study, boards, [(4, 1), (8, 1), (16, 1), (32, 2)], [1], Generations: 128, Games: 64, Nodes: 32, TestNodes: 64, ReferenceGames: 64);

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
        };
        return JsonSerializer.SerializeToElement(o);
    }
}
