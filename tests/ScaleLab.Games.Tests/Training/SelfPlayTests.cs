using ScaleLab.Games.Hex;
using ScaleLab.Games.Play;
using ScaleLab.Games.Search;
using ScaleLab.Games.Training;
using Xunit.Abstractions;

namespace ScaleLab.Games.Tests.Training;

public class SelfPlayTests(ITestOutputHelper output)
{
    private static HexTrainConfig Small(int generations) =>
        new("t", Board: 3, Width: 32, Depth: 1, Seed: 1, Generations: generations, Games: 32, Nodes: 16, Batch: 64, LearningRate: 3e-3, Buffer: 2048);

    [Fact]
    [Trait("Category", "Slow")]
    public void RunGeneration_3x3_ReachesPerfectPlay()
    {
        // Given self-play on 3x3
        var trainer = new SelfPlayTrainer(Small(40));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // When trained for 40 generations
        for (var g = 0; g < 40; g++)
        {
            var r = trainer.RunGeneration();
            if (g % 10 == 9) output.WriteLine($"gen {r.Generation}: policy {r.PolicyLoss:F3} value {r.ValueLoss:F3} black {r.BlackWinRate:F2} C_jones {r.JonesCompute:E2} {clock.Elapsed.TotalSeconds:F1}s");
        }
        // Then its symmetrised win rate against the solver is at least 45% (perfect play scores 50%), with search
        // (16 nodes) and even from the raw network (1 node: the policy head's argmax)
        var perfect = new PerfectPlayer(new HexSolver(3));
        foreach (var nodes in new[] { 16, 1 })
        {
            var agent = MctsPlayer.FromAgent("agent", trainer.Snapshot(), nodes);
            var outcome = Arena.Play(agent, perfect, 3, 200, 7);
            output.WriteLine($"{nodes} nodes vs perfect: black {outcome.WinsAsBlack}/{outcome.GamesAsBlack}, white {outcome.WinsAsWhite}/{outcome.GamesAsWhite}, symmetrised {outcome.SymmetrisedWinRate:F3}");
            Assert.True(outcome.SymmetrisedWinRate >= 0.45, $"{nodes} nodes: symmetrised win rate {outcome.SymmetrisedWinRate:F3}");
        }
        // And the untrained network's raw policy does not (the match can tell them apart)
        var fresh = MctsPlayer.FromAgent("fresh", new SelfPlayTrainer(Small(1)).Snapshot(), nodes: 1);
        var baseline = Arena.Play(fresh, perfect, 3, 200, 7);
        output.WriteLine($"untrained, 1 node, vs perfect: symmetrised {baseline.SymmetrisedWinRate:F3}");
        Assert.True(baseline.SymmetrisedWinRate < 0.45);
    }

    [Fact]
    public void LoadCheckpoint_Resumed_ContinuesBitForBit()
    {
        // Given a run of 3 generations, and one checkpointed after 2 and resumed in a new trainer
        var path = Path.Combine(Path.GetTempPath(), $"hexck-{Guid.NewGuid():N}.bin");
        try
        {
            var straight = new SelfPlayTrainer(Small(3));
            for (var g = 0; g < 3; g++) straight.RunGeneration();
            var first = new SelfPlayTrainer(Small(3));
            first.RunGeneration();
            first.RunGeneration();
            first.SaveCheckpoint(path);
            var resumed = new SelfPlayTrainer(Small(3));
            resumed.LoadCheckpoint(path);
            // When the resumed one plays its third generation
            resumed.RunGeneration();
            // Then weights and compute equal the uninterrupted run's exactly
            Assert.Equal(straight.Net.Parameters, resumed.Net.Parameters);
            Assert.Equal(straight.JonesCompute, resumed.JonesCompute);
            Assert.Equal(straight.TrainFlops, resumed.TrainFlops);
            Assert.True(straight.SamplesTrained > 0);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AgentFile_CorruptOrOtherBoard_RefusedInOneLine()
    {
        var path = Path.Combine(Path.GetTempPath(), $"hexagent-{Guid.NewGuid():N}.agent");
        try
        {
            // Given a saved agent
            new SelfPlayTrainer(Small(1)).Snapshot().Save(path);
            Assert.Equal(3, AgentFile.Load(path, board: 3).Shape.BoardSize);
            // Then another board size is refused
            var other = Assert.Throws<InvalidDataException>(() => AgentFile.Load(path, board: 4));
            Assert.Contains("agent for 3x3 Hex, not 4x4", other.Message);
            // And a flipped byte fails the checksum
            var bytes = File.ReadAllBytes(path);
            bytes[40] ^= 1;
            File.WriteAllBytes(path, bytes);
            var corrupt = Assert.Throws<InvalidDataException>(() => AgentFile.Load(path));
            Assert.Contains("checksum", corrupt.Message);
            // And a truncated file is refused
            File.WriteAllBytes(path, bytes[..50]);
            Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => AgentFile.Load(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Play_PerfectAgainstRandom_PerfectWinsAsBlack()
    {
        // Given the solver's player against random play on 4x4
        var outcome = Arena.Play(new PerfectPlayer(new HexSolver(4)), new RandomPlayer(), 4, 40, 3);
        // Then perfect play wins every game as Black (the first player wins) and most as White
        Assert.Equal(outcome.GamesAsBlack, outcome.WinsAsBlack);
        Assert.True(outcome.WinsAsWhite > outcome.GamesAsWhite / 2);
    }

    [Fact]
    public void SnapshotGenerations_AreLogSpacedAndEndAtTheLast()
    {
        Assert.Equal([1, 2, 3, 4, 6, 8, 12, 16, 20], Small(20).SnapshotGenerations());
    }
}
