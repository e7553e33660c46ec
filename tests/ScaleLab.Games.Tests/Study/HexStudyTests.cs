using ScaleLab.Games.Study;
using ScaleLab.Games.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using Xunit.Abstractions;

namespace ScaleLab.Games.Tests.Study;

public class HexStudyTests(ITestOutputHelper output)
{
    [Fact]
    public void Analyse_MicroStudy_RecordsMatchesAndRatesAgainstPerfectPlay()
    {
        // Given a micro study (boards 3 and 4, three sizes, 6 generations) trained in-process into a fresh registry
        var dir = Path.Combine(Path.GetTempPath(), $"hexstudy-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            RunKinds.Register(new HexRunKind());
            var registry = "sqlite:" + Path.Combine(dir, "r.db");
            var plan = new HexStudyPlan("micro", [3, 4], [(4, 1), (8, 1), (16, 1)], [1], Generations: 6, Games: 16, Nodes: 8, TestNodes: 4, ReferenceGames: 16)
            {
                TrainTestNodes = [1, 16], TrainTestGames = 4, PairingRounds = 2, PairingPairs = 2, PairingGames = 8,
            };
            var executor = new ExecutorOptions { Workers = 2, CheckpointDirectory = Path.Combine(dir, "ck"), CheckpointInterval = 4 };
            using var store = RunStores.Open(registry);
            var added = HexStudy.Enqueue(store, plan);
            // 2 boards x (3 agents + perfect + random)
            Assert.Equal(10, added);
            var sweep = InProcessExecutor.Run(() => RunStores.Open(registry), "micro", executor);
            Assert.Equal(10, sweep.Counts.Done);
            // When rated and fitted
            var result = HexStudy.Analyse(store, plan, executor, 0, s => output.WriteLine(s), bootstrap: 20);
            // Then each board is anchored on perfect play, every snapshot is rated, and matches are in the registry
            Assert.Equal([3, 4], result.Boards.Select(b => b.Board));
            foreach (var b in result.Boards)
            {
                Assert.Equal("perfect", b.Anchor);
                // (each run's saved snapshots and its untrained network, generation 0, with no compute)
                Assert.Equal(3 * (new HexTrainConfig("x", 3, 1, 0, 1, 6).SnapshotGenerations().Count + 1), b.Agents.Count);
                Assert.Equal(3, b.Agents.Count(a => a.Agent.Generation == 0 && a.Agent.JonesCompute == 0 && a.Agent.Samples == 0));
                Assert.All(b.Agents, a => Assert.True(a.Elo < 200 && a.Low <= a.Elo && a.Elo <= a.High));
                Assert.NotNull(b.RandomElo);
                output.WriteLine($"{b.Board}: best {b.Agents.Max(a => a.Elo):F0}, random {b.RandomElo:F0}");
            }
            Assert.NotEmpty(store.ReadMatches("micro"));
            Assert.True(result.GamesPlayed > 0);
            // And the pairing spent games within its budget on each board, or said why it stopped
            Assert.Equal([3, 4], result.Pairing.Select(p => p.Board));
            Assert.All(result.Pairing, p => Assert.True(p.GamesSpent <= plan.PairingBudget && (p.GamesPlayed > 0 || p.Note is not null)));
            // And every snapshot was rated at each train-test node count (1, the plan's 4, 16) and the trade-off fitted or refused in words
            Assert.Equal([3, 4], result.TrainTest.Select(t => t.Board));
            foreach (var t in result.TrainTest)
            {
                Assert.Equal([1, 4, 16], t.Nodes);
                Assert.Equal(3 * t.Points.Select(p => p.Agent).Distinct().Count(), t.Points.Count);
                Assert.True(t.Fit is not null ^ t.Note is not null);
                Assert.True(t.Frontier is not null ^ t.FrontierNote is not null);
                // Jones's frontier: clustered by training run, and its curves only fall (a running minimum)
                if (t.Frontier is { } j)
                {
                    Assert.Equal(t.Points.Select(p => p.Agent.Split('@')[0]).Distinct().Count(), j.Clusters);
                    Assert.All(j.Points.GroupBy(p => p.Elo), g => Assert.True(g.Zip(g.Skip(1)).All(q => q.Second.Log10TestCompute <= q.First.Log10TestCompute)));
                }
                Assert.NotEmpty(t.Levels);
                output.WriteLine($"train-test {t.Board}: levels {string.Join(", ", t.Levels)}; " + (t.Fit is { } f ? $"slope {f.Slope.Value:F2}" : t.Note));
            }
            // And the RL law is fitted or refused in words per board; with two boards there is no back-test, and the note says why
            Assert.All(result.Rl, r => Assert.True(r.Fit is not null ^ r.Note is not null));
            Assert.Empty(result.Backtests);
            Assert.Contains(result.BacktestNotes, n => n.Contains("three boards anchored on perfect play"));
            foreach (var r in result.Rl) output.WriteLine($"rl {r.Board}: " + (r.Fit is { } f ? $"N_opt exponent {f.OptimalSizeExponent.Value:F2} identified {f.Identified}" : r.Note));
            // And analysing again plays no design match again, keeps the pairing within its budget, and replays the same train-test games
            var again = HexStudy.Analyse(store, plan, executor, 0, null, bootstrap: 0);
            Assert.All(again.Pairing, p => Assert.True(p.GamesSpent <= plan.PairingBudget));
            Assert.Equal(result.TrainTest.Sum(t => t.Games) + again.Pairing.Sum(p => p.GamesPlayed), again.GamesPlayed);
            Assert.Equal(result.TrainTest.Sum(t => t.Games), again.TrainTest.Sum(t => t.Games));
            output.WriteLine(result.Frontier is null ? $"frontier: {result.FrontierNote}" : $"frontier slope {result.Frontier.EloPerDecade.Value:F0}");
            // And a rerun with more games per snapshot tops every agent's reference matches up to them (not skipped as recorded)
            var more = plan with { ReferenceGames = 40, PairingRounds = 0, TrainTestNodes = [] };
            var before = store.ReadMatches("micro").Sum(m => m.Wins + m.Losses + m.Draws);
            var topped = HexStudy.Analyse(store, more, executor, 0, null, bootstrap: 0);
            var rows = store.ReadMatches("micro");
            Assert.Equal(before + topped.GamesPlayed, rows.Sum(m => m.Wins + m.Losses + m.Draws));
            var referenceRuns = store.ListRuns("micro").Where(r => HexRunKind.ConfigOf(r).IsReference).Select(r => r.Key).ToHashSet();
            var agentReference = rows.Where(m => referenceRuns.Contains(m.RunA) ^ referenceRuns.Contains(m.RunB)).ToList();
            Assert.Equal(2 * result.Boards.Sum(b => b.Agents.Count), agentReference.Count);
            Assert.All(agentReference, m => Assert.True(m.Wins + m.Losses + m.Draws >= 40, $"{m.RunA}@{m.SnapshotA} vs {m.RunB}: {m.Wins + m.Losses + m.Draws} games"));
            Assert.All(agentReference, m => Assert.NotNull(m.AFirst));
            // And the untrained agent is the network each run started from (a trainer built from its config), not a trained one
            var run = store.ListRuns("micro").Select(r => (Run: r, Config: HexRunKind.ConfigOf(r))).First(x => !x.Config.IsReference);
            var start = new SelfPlayTrainer(run.Config).Net.Parameters;
            var agents = HexRating.Agents(store, "micro", executor).Where(a => a.Run == run.Run.Key).ToList();
            Assert.Equal(start, AgentFile.Load(agents.Single(a => a.Generation == 0).Path, run.Config.Board).Parameters);
            Assert.NotEqual(start, AgentFile.Load(agents.Single(a => a.Generation == 1).Path, run.Config.Board).Parameters);
            Assert.DoesNotContain(result.FrontierPoints, p => p.Agent!.EndsWith("@0", StringComparison.Ordinal));
            // And rating at another test-node count is refused (the matches carry no node count), the recorded one accepted
            var other = Assert.Throws<InvalidDataException>(() => HexStudy.Analyse(store, plan with { TestNodes = 1 }, executor, 0, null, bootstrap: 0));
            Assert.Contains("rated at 4 test nodes, not 1", other.Message);
            HexRating.CheckTestNodes(store, "micro", 4, strict: true);
            // And once the count is unknown (a registry rated before it was recorded), only an explicit count is refused
            using (var c = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=" + Path.Combine(dir, "r.db")))
            {
                c.Open();
                using var delete = c.CreateCommand();
                delete.CommandText = $"DELETE FROM run_metrics WHERE name = '{HexRating.TestNodesMetric}'";
                Assert.True(delete.ExecuteNonQuery() > 0);
            }
            HexRating.CheckTestNodes(store, "micro", 1, strict: false);
            var unknown = Assert.Throws<InvalidDataException>(() => HexRating.CheckTestNodes(store, "micro", 4, strict: true));
            Assert.Contains("unrecorded number of test nodes", unknown.Message);
            // And a copy without the matches may be rated at any count again
            using (var c = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=" + Path.Combine(dir, "r.db")))
            {
                c.Open();
                using var delete = c.CreateCommand();
                delete.CommandText = $"DELETE FROM matches; INSERT INTO run_metrics (run_key, step, name, value) SELECT run_key, 0, '{HexRating.TestNodesMetric}', 4 FROM runs";
                delete.ExecuteNonQuery();
            }
            HexRating.CheckTestNodes(store, "micro", 1, strict: true);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }
}
