using Microsoft.Data.Sqlite;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Lab.Tests.Execution;

public sealed class InProcessExecutorTests : IDisposable
{
    /// <summary>Six tiny runs (2 shapes × 3 budgets), each well under a second on one thread.</summary>
    public const string TinySpec = """
        study = "tiny"
        corpus = "synthetic:3"
        seq_len = 16
        batch_size = 4
        tokens = [1280, 2560, 3840]
        eval_interval = 7
        eval_batches = 2
        [[models]]
        layers = 1
        d_model = 16
        heads = 2
        [[models]]
        layers = 2
        d_model = 16
        heads = 4
        [schedule]
        warmup_steps = 3
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("scalelab-exec-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private string Registry(string name) => "sqlite:" + Path.Combine(_directory, name + ".db");

    private ExecutorOptions Options(string name, int workers = 2) => new()
    {
        Workers = workers,
        CheckpointDirectory = Path.Combine(_directory, name + "-ck"),
        CheckpointInterval = 10,
        HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        StaleAfter = TimeSpan.FromSeconds(5),
        PollInterval = TimeSpan.FromMilliseconds(50),
    };

    private SweepResult Sweep(string name, int workers = 2)
    {
        using (var store = RunStores.Open(Registry(name)))
        {
            SweepPlan.Enqueue(store, SweepSpec.Parse(TinySpec));
        }
        return InProcessExecutor.Run(() => RunStores.Open(Registry(name)), "tiny", Options(name, workers));
    }

    [Fact]
    public void Run_TinySweepTwoWorkers_EveryRunDoneWithContiguousMetricsAndCheckpoint()
    {
        // When
        var result = Sweep("a");

        // Then
        Assert.True(result.Complete);
        Assert.Equal(new StatusCounts(0, 0, 6, 0), result.Counts);
        Assert.Equal(6, result.Outcomes.Count(o => o.End == RunEnd.Done));
        using var store = RunStores.Open(Registry("a"));
        foreach (var run in store.ListRuns("tiny"))
        {
            var spec = RunSpec.FromRecord(run);
            var metrics = store.ReadMetrics(run.Key);
            Assert.Equal(Enumerable.Range(1, (int)spec.Steps).Select(s => (long)s), metrics.Select(m => m.Step));
            Assert.All(metrics, m => Assert.Equal(m.Step * 64, m.Tokens));
            // Validation every 7 steps and after the last; the final loss is the last validation.
            Assert.Equal(metrics.Where(m => m.Step % 7 == 0 || m.Step == spec.Steps).Select(m => m.Step),
                metrics.Where(m => m.ValLoss is not null).Select(m => m.Step));
            Assert.Equal(metrics[^1].ValLoss, run.FinalLoss);
            Assert.Equal(1, run.Attempts);
            var checkpoint = Assert.Single(store.ListArtifacts(run.Key));
            Assert.Equal(RunExecution.Sha256(checkpoint.Path), checkpoint.Sha256);
            Assert.Equal(spec.Steps, Checkpoint.Load(checkpoint.Path).Step);
        }
        Assert.Equal(6, store.ExportPoints("tiny").Count);
    }

    [Fact]
    public void Run_SameSpecAgain_NothingAddedNothingRetrained()
    {
        // Given
        Sweep("b");
        using var store = RunStores.Open(Registry("b"));
        var before = store.ListRuns("tiny");

        // When
        var again = SweepPlan.Enqueue(store, SweepSpec.Parse(TinySpec));
        var result = InProcessExecutor.Run(() => RunStores.Open(Registry("b")), "tiny", Options("b"));

        // Then
        Assert.Equal((6, 0), (again.Runs, again.Added));
        Assert.Empty(result.Outcomes);
        Assert.Equal(before, store.ListRuns("tiny"));
    }

    [Fact]
    public void Train_ResumedAfterCrash_MatchesUninterruptedBitForBit()
    {
        // Given: an uninterrupted reference, and a crashed attempt on a second registry: a checkpoint at
        // step 10 and, after it, rows for steps 11-13 holding junk (written by the "dead" worker).
        var reference = Sweep("ref", workers: 1);
        using var refStore = RunStores.Open(Registry("ref"));
        var target = refStore.ListRuns("tiny")[0];
        var spec = RunSpec.FromRecord(target);

        using var store = RunStores.Open(Registry("crash"));
        SweepPlan.Enqueue(store, SweepSpec.Parse(TinySpec));
        var options = Options("crash", workers: 1);
        Assert.Equal(target.Key, store.Claim("tiny", "dead", options.StaleAfter)!.Key);
        using (var trainer = new Trainer(RunExecution.ToTrainOptions(spec, 1), Corpora.Open(spec)))
        {
            for (var i = 0; i < 10; i++)
            {
                trainer.TrainStep();
            }
            Directory.CreateDirectory(Path.GetDirectoryName(options.CheckpointPath("tiny", target.Key))!);
            trainer.SaveCheckpoint(options.CheckpointPath("tiny", target.Key));
        }
        store.AppendMetrics(target.Key, [.. Enumerable.Range(11, 3).Select(s => new MetricRow(s, 0, 99, 99, 9, 9))]);
        store.ReleaseWorker("dead");
        var run = store.Claim("tiny", "alive", options.StaleAfter)!;
        Assert.Equal((target.Key, 2), (run.Key, run.Attempts));

        // When
        var outcome = RunExecution.Train(store, run, "alive", options);

        // Then: same final loss, same metrics from step 11 on, same parameters and optimizer state.
        Assert.Equal((RunEnd.Done, 10L), (outcome.End, outcome.ResumedFromStep));
        Assert.Equal(refStore.GetRun(target.Key)!.FinalLoss, store.GetRun(target.Key)!.FinalLoss);
        Assert.Equal(refStore.ReadMetrics(target.Key).Where(m => m.Step > 10), store.ReadMetrics(target.Key));
        var a = Checkpoint.Load(Options("ref").CheckpointPath("tiny", target.Key));
        var b = Checkpoint.Load(options.CheckpointPath("tiny", target.Key));
        Assert.Equal(a.Parameters, b.Parameters);
        Assert.Equal(a.M, b.M);
        Assert.Equal(a.V, b.V);
        Assert.True(reference.Complete);
    }

    [Fact]
    public void Train_RunReclaimedByAnotherWorker_OldWorkerStopsAsLost()
    {
        // Given: a long run (20 000 steps) held by "old", heartbeating every 50 ms.
        using var store = RunStores.Open(Registry("lost"));
        SweepPlan.Enqueue(store, SweepSpec.Parse(TinySpec.Replace("tokens = [1280, 2560, 3840]", "tokens = [1280000]")));
        var run = store.Claim("tiny", "old", TimeSpan.FromMinutes(5))!;
        var options = Options("lost") with { HeartbeatInterval = TimeSpan.FromMilliseconds(50) };
        RunOutcome? outcome = null;
        var worker = new Thread(() =>
        {
            using var own = RunStores.Open(Registry("lost"));
            outcome = RunExecution.Train(own, run, "old", options);
        });
        worker.Start();
        while (store.ReadMetrics(run.Key).Count < 10 && worker.IsAlive)
        {
            Thread.Sleep(20);
        }

        // When: the run is handed to "new" (as after a presumed death).
        store.ReleaseWorker("old");
        var taken = store.Claim("tiny", "new", TimeSpan.FromMinutes(5))!;
        Assert.True(worker.Join(TimeSpan.FromMinutes(2)));

        // Then
        Assert.Equal((run.Key, 2), (taken.Key, taken.Attempts));
        Assert.Equal(RunEnd.Lost, outcome!.End);
        var record = store.GetRun(run.Key)!;
        Assert.Equal((RunStatus.Running, "new"), (record.Status, record.Worker));
    }
}
