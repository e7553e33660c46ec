using ScaleLab.Games.Study;
using ScaleLab.Games.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using Xunit.Abstractions;

namespace ScaleLab.Games.Tests.Study;

public class HexPairingTests(ITestOutputHelper output)
{
    [Fact]
    public void Spend_OneTestNode_AgentPairsCappedAtTwoGamesAndTheBudgetGoesToReferences()
    {
        // Given a tiny 3x3 study (two sizes, 3 generations, 2 early snapshots) rated at 1 test node, where agents are
        // deterministic: a pair of agents has 2 distinct games, one per colour
        var dir = Path.Combine(Path.GetTempPath(), $"hexpair-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            RunKinds.Register(new HexRunKind());
            var registry = "sqlite:" + Path.Combine(dir, "r.db");
            var plan = new HexStudyPlan("pair", [3], [(4, 1), (8, 1)], [1], Generations: 3, Games: 8, Nodes: 4, TestNodes: 1, ReferenceGames: 8)
            {
                PairingRounds = 4, PairingPairs = 4, PairingGames = 16, EarlySnapshots = 2,
            };
            var executor = new ExecutorOptions { Workers = 1, CheckpointDirectory = Path.Combine(dir, "ck") };
            using var store = RunStores.Open(registry);
            HexStudy.Enqueue(store, plan);
            Assert.Equal(4, InProcessExecutor.Run(() => RunStores.Open(registry), "pair", executor).Counts.Done);
            var agents = HexRating.Agents(store, "pair", executor);
            HexRating.PlayMatches(store, plan, agents, null);
            var design = store.ReadMatches("pair").Sum(m => m.Wins + m.Losses + m.Draws);
            // When the pairing spends its budget (4 rounds x 4 pairs x 16 games = 256)
            var board = Assert.Single(HexPairing.Spend(store, plan, agents, s => output.WriteLine(s)));
            var rows = store.ReadMatches("pair");
            var referenceRuns = store.ListRuns("pair").Where(r => HexRunKind.ConfigOf(r).IsReference).Select(r => r.Key).ToHashSet();
            bool IsAgent(string run) => !referenceRuns.Contains(run);
            var agentPairs = rows.Where(m => IsAgent(m.RunA) && IsAgent(m.RunB))
                .GroupBy(m => string.CompareOrdinal($"{m.RunA}@{m.SnapshotA}", $"{m.RunB}@{m.SnapshotB}") < 0
                    ? ($"{m.RunA}@{m.SnapshotA}", $"{m.RunB}@{m.SnapshotB}") : ($"{m.RunB}@{m.SnapshotB}", $"{m.RunA}@{m.SnapshotA}"))
                .ToDictionary(g => g.Key, g => g.Sum(m => m.Wins + m.Losses + m.Draws));
            var pairingAgentGames = board.Played.Where(m => !(m.A is "perfect" or "random") && !(m.B is "perfect" or "random")).Sum(m => m.Games);
            var pairingReferenceGames = board.GamesPlayed - pairingAgentGames;
            output.WriteLine($"design {design} games; pairing {board.GamesPlayed} of {plan.PairingBudget} ({pairingAgentGames} between agents, {pairingReferenceGames} with references), {board.Rounds} rounds, note: {board.Note}");
            // Then no pair of agents holds more than its 2 distinct games, in the design and the pairing together
            Assert.All(agentPairs, kv => Assert.True(kv.Value <= 2, $"{kv.Key}: {kv.Value} games"));
            // And the budget is spent (to within one match), the games agent pairs cannot use going to reference matches
            Assert.True(board.GamesSpent > plan.PairingBudget - plan.PairingGames, $"{board.GamesSpent} of {plan.PairingBudget} spent");
            Assert.Equal(plan.PairingBudget - pairingAgentGames, pairingReferenceGames, tolerance: plan.PairingGames);
            Assert.Equal(0, board.SkippedRepeats);
            Assert.All(board.Played, m => Assert.Equal(m.A is "perfect" or "random" || m.B is "perfect" or "random" ? plan.PairingGames : 2, m.Games));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }
}
