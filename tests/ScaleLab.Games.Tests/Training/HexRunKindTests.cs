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

    [Fact]
    public void RunKey_WithoutEarlySnapshots_IsTheKeyEarlierBuildsWrote()
    {
        // Given: the config of a 4x4 agent without early snapshots, and its key as written by the build before
        // early_snapshots existed (0ce5915), so a registry swept by it resumes instead of training everything again
        var config = new HexTrainConfig("keys", 4, 16, 2, 3, 40);
        const string earlierKey = "c820852cff143539";

        // When
        var json = JsonSerializer.Serialize(config, HexRunKind.Json);
        var early = JsonSerializer.Serialize(config with { EarlySnapshots = 4 }, HexRunKind.Json);

        // Then: the same key; with early snapshots the setting is stored (another run), and it reads back
        Assert.Equal(earlierKey, ScaleLab.Lab.Sweeps.RunKeys.Of(json));
        Assert.DoesNotContain("steps", json);
        Assert.Contains("\"early_snapshots\":4", early);
        Assert.Equal(4, JsonSerializer.Deserialize<HexTrainConfig>(early, HexRunKind.Json)!.EarlySnapshots);
        Assert.Equal(0, JsonSerializer.Deserialize<HexTrainConfig>(json, HexRunKind.Json)!.EarlySnapshots);
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

public class EarlySnapshotTests
{
    [Fact]
    public void SnapshotGenerations_ThreeEarly_StepsInsideTheFirstGenerationThenShiftedLogSpaced()
    {
        // Given 8 generations of 64 games with 3 early snapshots, and the same run without them
        var early = new HexTrainConfig("t", 3, 8, 1, 1, 8, Games: 64, EarlySnapshots: 3);
        var plain = early with { EarlySnapshots = 0 };
        // Then the first generation is played in parts of 8, 8, 16 and 32 games (1/8, 1/4, 1/2, 1 of it), then 64 a step
        Assert.Equal([8, 8, 16, 32, 64, 64], Enumerable.Range(1, 6).Select(s => early.GamesAt(s)));
        Assert.Equal(11, early.Steps);
        Assert.Equal(64 * 8, Enumerable.Range(1, 11).Sum(s => early.GamesAt(s)));
        // And the early steps are snapshots, the log-spaced generations 1, 2, 3, 4, 6, 8 moved by 3 steps
        Assert.Equal([1L, 2, 3, 4, 5, 6, 7, 9, 11], early.SnapshotGenerations());
        Assert.Equal([1L, 2, 3, 4, 6, 8], plain.SnapshotGenerations());
        Assert.All(Enumerable.Range(1, 8), s => Assert.Equal(64, plain.GamesAt(s)));
    }

    [Theory]
    [InlineData(10, 3)]
    [InlineData(7, 2)]
    [InlineData(1, 0)]
    [InlineData(33, 5)]
    public void GamesAt_OddGameCounts_TheFirstGenerationsPartsSumToItsGames(int games, int early)
    {
        var c = new HexTrainConfig("t", 3, 8, 1, 1, 4, Games: games, EarlySnapshots: early);
        c.Validate();
        Assert.Equal(games, Enumerable.Range(1, early + 1).Sum(s => c.GamesAt(s)));
        Assert.All(Enumerable.Range(1, early + 1), s => Assert.True(c.GamesAt(s) >= 1));
    }

    [Fact]
    public void Validate_MoreEarlySnapshotsThanGamesAllow_RefusedInOneLine()
    {
        var ex = Assert.Throws<ArgumentException>(() => new HexTrainConfig("t", 3, 8, 1, 1, 4, Games: 4, EarlySnapshots: 3).Validate());
        Assert.Contains("games must be at least 8", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void RunGeneration_EarlySteps_ComputeRisesThroughTheFirstGenerationAndSnapshotsDiffer()
    {
        // Given a 4x4 run with 3 early snapshots
        var trainer = new SelfPlayTrainer(new HexTrainConfig("t", 4, 16, 1, 1, 2, Games: 64, Nodes: 8, Batch: 32, EarlySnapshots: 3));
        var computes = new List<double>();
        var weights = new List<float[]>();
        // When its 5 steps run
        for (var s = 0; s < 5; s++)
        {
            var r = trainer.RunGeneration();
            Assert.Equal(trainer.Config.GamesAt(s + 1), trainer.Config.GamesAt(r.Generation));
            computes.Add(r.JonesCompute);
            weights.Add(trainer.Snapshot().Parameters);
        }
        // Then the compute doubles from step to step through the first generation (games 8, 8, 16, 32: ratios ~1, ~2, ~2
        // of cumulative compute), then a full generation adds about as much as the whole first one
        Assert.InRange(computes[1] / computes[0], 1.6, 2.5);
        Assert.InRange(computes[2] / computes[1], 1.6, 2.5);
        Assert.InRange(computes[3] / computes[2], 1.6, 2.5);
        Assert.InRange(computes[4] / computes[3], 1.6, 2.5);
        // And each step trained (its snapshot differs from the one before)
        for (var s = 1; s < 5; s++) Assert.False(weights[s].AsSpan().SequenceEqual(weights[s - 1]));
    }

    [Fact]
    public void Expand_EarlySnapshotsSetting_ReachesTheConfigAndTheKey()
    {
        var with = new HexRunKind().Expand("s", System.Text.Json.JsonDocument.Parse("""{"boards": [3], "sizes": [[8, 1]], "generations": 5, "early_snapshots": 2, "references": false}""").RootElement.Clone());
        var without = new HexRunKind().Expand("s", System.Text.Json.JsonDocument.Parse("""{"boards": [3], "sizes": [[8, 1]], "generations": 5, "references": false}""").RootElement.Clone());
        Assert.Equal(2, HexRunKindJson(with[0].ConfigJson).EarlySnapshots);
        Assert.Equal(0, HexRunKindJson(without[0].ConfigJson).EarlySnapshots);
        Assert.NotEqual(with[0].Key, without[0].Key);
    }

    private static HexTrainConfig HexRunKindJson(string json) => System.Text.Json.JsonSerializer.Deserialize<HexTrainConfig>(json, HexRunKind.Json)!;
}
