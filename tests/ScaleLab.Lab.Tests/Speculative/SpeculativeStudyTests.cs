using System.Text.Json;
using Microsoft.Data.Sqlite;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Studies.Speculative;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Lab.Tests.Speculative;

/// <summary>The "speculate" run kind end to end on a registry of four tiny trained sizes: planning the pairs, measuring
/// them through the executor, reading them back, resuming a run, and refusing bad settings.</summary>
public sealed class SpeculativeStudyTests : IDisposable
{
    /// <summary>Four sizes of one-layer models trained briefly on the synthetic corpus (a second or two in all).</summary>
    private const string SourceSpec = """
        study = "src"
        corpus = "synthetic"
        seq_len = 16
        batch_size = 4
        tokens = [3200]
        eval_interval = 50
        eval_batches = 2
        learning_rates = [0.01]
        [[models]]
        layers = 1
        d_model = 8
        heads = 2
        [[models]]
        layers = 1
        d_model = 16
        heads = 2
        [[models]]
        layers = 1
        d_model = 24
        heads = 2
        [[models]]
        layers = 1
        d_model = 32
        heads = 2
        [schedule]
        warmup_steps = 5
        """;

    private static readonly SpeculativeStudyOptions Quick = new(Targets: 2, DraftsPerTarget: 5, Gammas: [1, 2], Auto: false, Tokens: 60, Repeats: 1);

    private readonly string _directory = Directory.CreateTempSubdirectory("scalelab-spec-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private string Registry => "sqlite:" + Path.Combine(_directory, "r.db");

    private ExecutorOptions Options => new()
    {
        Workers = 1,
        CheckpointDirectory = Path.Combine(_directory, "ck"),
        CheckpointInterval = 1,
        HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        StaleAfter = TimeSpan.FromSeconds(30),
        PollInterval = TimeSpan.FromMilliseconds(50),
    };

    private IRunStore TrainedSource()
    {
        var store = RunStores.Open(Registry);
        SweepPlan.Enqueue(store, SweepSpec.Parse(SourceSpec));
        var result = InProcessExecutor.Run(() => RunStores.Open(Registry), "src", Options);
        Assert.Equal(4, result.Counts.Done);
        return store;
    }

    [Fact]
    public void Plan_FourSizesTwoTargets_EverySmallerSizeDraftsForEachTarget()
    {
        // Given
        using var store = TrainedSource();

        // When
        var spec = SpeculativeStudy.Plan(store, "src", Quick);
        var again = SpeculativeStudy.Plan(store, "src", Quick);

        // Then: targets are the two largest sizes; the largest gets 3 drafts, the next 2.
        Assert.Equal("src-speculate", spec.Study);
        var configs = spec.NewRuns().Select(r => JsonSerializer.Deserialize<SpeculativePairConfig>(r.ConfigJson, SpeculativePairKind.Json)!).ToList();
        Assert.Equal(5, configs.Count);
        Assert.All(configs, c => Assert.True(c.Draft.Parameters < c.Target.Parameters));
        Assert.Equal([3, 2], configs.GroupBy(c => c.Target.Run).Select(g => g.Count()).ToArray());
        Assert.All(spec.NewRuns(), r => Assert.Equal(SpeculativePairKind.KindName, r.Kind));
        Assert.Equal(spec.NewRuns().Select(r => r.Key), again.NewRuns().Select(r => r.Key));
    }

    [Fact]
    public void Plan_TwoThreads_ItsOwnStudyAndKeysWhileOneThreadKeepsItsKeys()
    {
        // Given
        using var store = TrainedSource();

        // When
        var one = SpeculativeStudy.Plan(store, "src", Quick);
        var two = SpeculativeStudy.Plan(store, "src", Quick with { Threads = 2 });

        // Then: the two-thread pairs go to their own study (measurements at two thread counts never mix in one fit),
        // record the count in their configuration (so in their keys) and reserve two threads per run; the one-thread
        // configuration has no threads entry, so its keys are the ones planned before threads were a setting.
        Assert.Equal("src-speculate-2t", two.Study);
        Assert.Equal(2, two.ThreadsPerRun);
        Assert.Equal(1, one.ThreadsPerRun);
        Assert.All(two.NewRuns(), r => Assert.Equal(2, JsonSerializer.Deserialize<SpeculativePairConfig>(r.ConfigJson, SpeculativePairKind.Json)!.Threads));
        Assert.All(one.NewRuns(), r => Assert.DoesNotContain("threads", r.ConfigJson, StringComparison.Ordinal));
        Assert.Empty(one.NewRuns().Select(r => r.Key).Intersect(two.NewRuns().Select(r => r.Key)));
        Assert.Throws<ArgumentOutOfRangeException>(() => SpeculativeStudy.Plan(store, "src", Quick with { Threads = 0 }));
    }

    [Fact]
    public void Run_TinyStudy_OneRowPerGammaWithCountsAndPooledFinalValue()
    {
        // Given
        using var store = TrainedSource();
        var spec = SpeculativeStudy.Plan(store, "src", Quick);
        SweepPlan.Enqueue(store, spec);

        // When
        var sweep = InProcessExecutor.Run(() => RunStores.Open(Registry), spec.Study, Options);
        var result = SpeculativeStudy.Read(store, spec.Study);

        // Then
        Assert.Equal(5, sweep.Counts.Done);
        Assert.All(result.Pairs, pair =>
        {
            Assert.Equal([1, 2], pair.Rows.Select(r => r.Gamma).ToArray());
            Assert.All(pair.Rows, r =>
            {
                Assert.False(r.Auto);
                Assert.InRange(r.Accepted, 0, r.Trials);
                Assert.True(r.Trials > 0 && r.Speedup > 0 && r.CostRatio > 0 && r.Theory > 0);
                Assert.Equal((double)r.Accepted / r.Trials, r.Acceptance, 12);
            });
            var (accepted, trials) = pair.PooledCounts;
            var record = store.GetRun(pair.RunKey)!;
            Assert.Equal((double)accepted / trials, record.FinalLoss!.Value, 12);
        });
        // Five pairs identify the acceptance law (or say why not, in words).
        Assert.True(result.GapFit is not null || result.GapUnidentified is { Length: > 0 });
    }

    [Fact]
    public void Open_ResumedAfterOneStep_SameCountsAndFinalValueAsUninterrupted()
    {
        // Given: one pair's run, measured straight through and with a stop after its first step.
        using var store = TrainedSource();
        var spec = SpeculativeStudy.Plan(store, "src", Quick with { Targets = 1, DraftsPerTarget = 1 });
        SweepPlan.Enqueue(store, spec);
        var run = store.ListRuns(spec.Study).Single();
        var kind = new SpeculativePairKind();
        var straight = Path.Combine(_directory, "straight.ckpt");
        var resumed = Path.Combine(_directory, "resumed.ckpt");

        // When
        var all = new List<RunMetric>();
        double straightFinal;
        using (var s = kind.Open(new RunContext(run, straight, 1, store, null)))
        {
            while (!s.Done) all.AddRange(s.TrainStep().Metrics);
            straightFinal = s.FinalValue();
        }
        using (var first = kind.Open(new RunContext(run, resumed, 1, store, null)))
        {
            store.AppendRunMetrics(run.Key, first.TrainStep().Metrics);
            first.SaveCheckpoint(resumed);
        }
        List<RunMetric> second;
        double resumedFinal;
        long resumedAt;
        using (var s = kind.Open(new RunContext(run, resumed, 1, store, null)))
        {
            resumedAt = s.Step;
            second = [.. s.TrainStep().Metrics];
            Assert.True(s.Done);
            resumedFinal = s.FinalValue();
        }

        // Then: the counts are seeded; only the timings differ.
        Assert.Equal(1, resumedAt);
        static double Count(IEnumerable<RunMetric> m, long step, string name) => m.Single(x => x.Step == step && x.Name == name).Value;
        Assert.Equal(Count(all, 2, "accepted"), Count(second, 2, "accepted"));
        Assert.Equal(Count(all, 2, "trials"), Count(second, 2, "trials"));
        Assert.Equal(BitConverter.DoubleToInt64Bits(straightFinal), BitConverter.DoubleToInt64Bits(resumedFinal));
    }

    [Theory]
    [InlineData("""{"pairs": []}""", "pairs")]
    [InlineData("""{"gammas": [0], "pairs": [{}]}""", "gammas")]
    [InlineData("""{"colour": 1}""", "colour")]
    [InlineData("""{"auto": false, "gammas": [], "pairs": [{}]}""", "nothing")]
    [InlineData("""{"pairs": [{"target": {"run": "a", "checkpoint": "a.ckpt", "loss": 1, "parameters": 5}}]}""", "draft")]
    public void Expand_BadSettings_OneLineNamingTheSetting(string json, string named)
    {
        // When
        var error = Assert.Throws<InvalidDataException>(() => new SpeculativePairKind().Expand("s", JsonSerializer.Deserialize<JsonElement>(json)));

        // Then
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void SpreadInLogSize_TenSizesThree_SmallestMiddleAndLargest()
    {
        // Given: sizes 1, 2, 4, ..., 512.
        var models = Enumerable.Range(0, 10).Select(i => new SpeculativeModel($"r{i}", "c", null, 1, 1L << i)).ToList();

        // When
        var chosen = SpeculativeStudy.SpreadInLogSize(models, 3);

        // Then: log-even points 1, ~22.6 (nearest 16 or 32), 512.
        Assert.Equal(1, chosen[0].Parameters);
        Assert.Contains(chosen[1].Parameters, new long[] { 16, 32 });
        Assert.Equal(512, chosen[2].Parameters);
    }
}
