using System.Text.Json;
using ScaleLab.Games.Training;

namespace ScaleLab.Games.Tests.Training;

public class HexRunKindTests
{
    private static JsonElement Settings(string json) => JsonDocument.Parse(json).RootElement.Clone();

    [Fact]
    public void Expand_TwoBoardsTwoSizesTwoSeeds_AgentsAndReferencesWithStableKeys()
    {
        // Given boards 5 and 6, two sizes, two seeds
        var settings = Settings("""{"boards": [5, 6], "sizes": [[8, 1], [16, 2]], "seeds": [1, 2], "generations": 10, "nodes": 8}""");
        // When expanded twice
        var runs = new HexRunKind().Expand("s", settings);
        var again = new HexRunKind().Expand("s", settings);
        // Then 8 agents, random players on both boards and perfect play only on 5x5 (the solver's reach)
        Assert.Equal(8 + 2 + 1, runs.Count);
        Assert.Equal(runs.Select(r => r.Key), again.Select(r => r.Key));
        Assert.Equal(runs.Count, runs.Select(r => r.Key).Distinct().Count());
        var configs = runs.Select(r => JsonSerializer.Deserialize<HexTrainConfig>(r.ConfigJson, HexRunKind.Json)!).ToList();
        Assert.Single(configs, c => c.Player == "perfect");
        Assert.Equal(5, configs.Single(c => c.Player == "perfect").Board);
        Assert.All(configs.Where(c => !c.IsReference), c => Assert.Equal(8, c.Nodes));
        Assert.All(runs, r => Assert.Equal("hex", r.Kind));
    }

    [Theory]
    [InlineData("""{"boards": [3], "sizes": [[8, 1]], "generations": 5, "colour": 1}""", "unknown hex setting 'colour'")]
    [InlineData("""{"boards": [12], "sizes": [[8, 1]], "generations": 5}""", "board size must be 3 to 11")]
    [InlineData("""{"boards": [3], "sizes": [[0, 1]], "generations": 5}""", "network width must be 1")]
    [InlineData("""{"boards": [3], "sizes": [[8, 1]], "generations": 0}""", "generations must be 1")]
    [InlineData("""{"boards": [3], "sizes": [[8, 1]]}""", "need generations")]
    [InlineData("""{"boards": [3], "sizes": [8], "generations": 5}""", "[width, depth] pairs")]
    [InlineData("""{"boards": [3], "sizes": [[8, 1]], "generations": 5, "variant": "uct"}""", "search variant must be")]
    [InlineData("""{"boards": [3], "sizes": [[8, 1]], "generations": 5, "batch": 128, "buffer": 64}""", "must hold at least one batch")]
    public void Expand_ImpossibleSettings_OneLineNamingTheSetting(string json, string reason)
    {
        var ex = Assert.Throws<InvalidDataException>(() => new HexRunKind().Expand("s", Settings(json)));
        Assert.Contains(reason, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }
}
