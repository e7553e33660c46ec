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
            var plan = new HexStudyPlan("micro", [3, 4], [(4, 1), (8, 1), (16, 1)], [1], Generations: 6, Games: 16, Nodes: 8, TestNodes: 4, ReferenceGames: 16);
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
                Assert.Equal(3 * new HexTrainConfig("x", 3, 1, 0, 1, 6).SnapshotGenerations().Count, b.Agents.Count);
                Assert.All(b.Agents, a => Assert.True(a.Elo < 200 && a.Low <= a.Elo && a.Elo <= a.High));
                Assert.NotNull(b.RandomElo);
                output.WriteLine($"{b.Board}: best {b.Agents.Max(a => a.Elo):F0}, random {b.RandomElo:F0}");
            }
            Assert.NotEmpty(store.ReadMatches("micro"));
            Assert.True(result.GamesPlayed > 0);
            // And rating again plays nothing new (matches already recorded are reused)
            var again = HexStudy.Analyse(store, plan, executor, 0, null, bootstrap: 0);
            Assert.Equal(0, again.GamesPlayed);
            output.WriteLine(result.Frontier is null ? $"frontier: {result.FrontierNote}" : $"frontier slope {result.Frontier.EloPerDecade.Value:F0}");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }
}
