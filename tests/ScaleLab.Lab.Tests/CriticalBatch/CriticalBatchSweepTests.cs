using Microsoft.Data.Sqlite;
using ScaleLab.Engine;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Studies;
using ScaleLab.Lab.Studies.CriticalBatch;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Lab.Tests.CriticalBatch;

public sealed class CriticalBatchSweepTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("scalelab-cbsweep-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private string Registry => "sqlite:" + Path.Combine(_directory, "r.db");

    private ExecutorOptions Options => new()
    {
        CheckpointDirectory = Path.Combine(_directory, "ck"),
        CheckpointInterval = 10,
        HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        StaleAfter = TimeSpan.FromSeconds(30),
        PollInterval = TimeSpan.FromMilliseconds(50),
    };

    /// <summary>A tiny GPT starts near ln 256 ≈ 5.5 nats and passes 4.0 within a few dozen steps.</summary>
    private static CriticalBatchPlan TinyPlan(double lowestTarget = 4.0) => new(
        "cb", "synthetic", null,
        new TrainOptions
        {
            Model = new GptConfig(Layers: 1, DModel: 16, Heads: 2, SeqLen: 16),
            MicroBatches = 4,
            WarmupSteps = 5,
            EvalSequences = 16,
            Seed = 3,
        },
        lowestTarget, MaxExamples: 8 * 400, MinSteps: 10, EvalPoints: 100, EmaDecay: 0.9);

    [Theory]
    [InlineData(1, 8, 1)]
    [InlineData(4, 8, 4)]
    [InlineData(64, 8, 8)]
    [InlineData(12, 8, 6)]
    [InlineData(7, 8, 7)]
    [InlineData(14, 8, 7)]
    public void MicroBatchesFor_Batch_LargestDivisorUpToRequested(int batch, int requested, int expected)
    {
        Assert.Equal(expected, CriticalBatchSweep.MicroBatchesFor(batch, requested));
    }

    [Fact]
    public void Plan_Run_ConstantLearningRateAfterWarmupCapAndStopLoss()
    {
        // When
        var run = CriticalBatchSweep.Plan(TinyPlan(), batch: 8, learningRate: 1e-2, ordinal: 2);

        // Then
        Assert.Equal((400L, 4, 1.0, 4.0, 16, 0.9), (run.Steps, run.EvalInterval, run.MinLrFraction, run.StopAtLoss!.Value, run.EvalSequences!.Value, run.GnsEma!.Value));
        Assert.Equal(4, run.MicroBatches);
        Assert.Equal((5, 2), (run.WarmupSteps, run.Ordinal));
        Assert.Null(CriticalBatchSweep.Plan(TinyPlan(), batch: 1, learningRate: 1e-2, ordinal: 0).GnsEma);
    }

    [Fact]
    public void TrainAndReadBack_ReachableTarget_StopsThereWithCurveAndBSimple_ThenNothingRetrained()
    {
        // Given
        var run = CriticalBatchSweep.Plan(TinyPlan(), batch: 8, learningRate: 1e-2, ordinal: 0);

        // When
        var first = Assert.Single(StudyRuns.TrainAndReadBack(() => RunStores.Open(Registry), [run], null, Options));
        var second = Assert.Single(StudyRuns.TrainAndReadBack(() => RunStores.Open(Registry), [run], null, Options));

        // Then: stopped at the first evaluation at or below 4.0, B_simple at every evaluation
        Assert.Equal(SweepEnding.ReachedTargets, first.Ending);
        Assert.Equal(400, first.StepCap);
        Assert.True(first.StepsRun < first.StepCap);
        Assert.Equal(first.StepsRun, (long)first.Curve[^1].Step);
        Assert.True(first.Curve[^1].Loss <= 4.0);
        Assert.All(first.Curve.SkipLast(1), p => Assert.True(p.Loss > 4.0));
        Assert.Equal(first.Curve.Count, first.NoiseScale.Count);
        Assert.True(double.IsFinite(first.NoiseScale[^1].BSimple));
        Assert.NotNull(StepsToTarget.Find(first.Curve, 4.0));
        Assert.True(first.TrainedNow);
        // ... and the second time, read back from the registry without training
        Assert.False(second.TrainedNow);
        Assert.Equal(first.Curve, second.Curve);
        Assert.Equal(first.NoiseScale, second.NoiseScale);
        using var store = RunStores.Open(Registry);
        Assert.Equal(1, store.GetRun(run.Key)!.Attempts);
    }

    [Fact]
    public void TrainAndReadBack_RunOfADeadLocalProcess_ResumedAtOnceFromItsCheckpoint()
    {
        // Given: a reference, and on another registry the run left "running" by a process of this machine that
        // no longer exists (pid beyond Linux's pid_max), with a fresh heartbeat, a checkpoint at step 6 and rows 1-6 (the run stops at step 8).
        var run = CriticalBatchSweep.Plan(TinyPlan(), batch: 8, learningRate: 1e-2, ordinal: 0);
        var referenceRegistry = "sqlite:" + Path.Combine(_directory, "ref.db");
        var reference = Assert.Single(StudyRuns.TrainAndReadBack(() => RunStores.Open(referenceRegistry), [run], null,
            Options with { CheckpointDirectory = Path.Combine(_directory, "ref-ck") }));
        using var refStore = RunStores.Open(referenceRegistry);
        using (var store = RunStores.Open(Registry))
        {
            store.CreateStudy("cb", null);
            store.Enqueue("cb", [run.ToNewRun()]);
            store.Claim("cb", $"{Environment.MachineName}:99999999:t0", TimeSpan.FromMinutes(5));
            store.AppendMetrics(run.Key, refStore.ReadMetrics(run.Key).Take(6).ToList());
        }
        using (var trainer = new Trainer(RunExecution.ToTrainOptions(run, 1), Corpora.Open(run)))
        {
            for (var i = 0; i < 6; i++)
            {
                trainer.TrainStep();
            }
            Directory.CreateDirectory(Path.GetDirectoryName(Options.CheckpointPath("cb", run.Key))!);
            trainer.SaveCheckpoint(Options.CheckpointPath("cb", run.Key));
        }

        // When
        var resumed = Assert.Single(StudyRuns.TrainAndReadBack(() => RunStores.Open(Registry), [run], null, Options));

        // Then: resumed from step 6 (not retrained, not waiting out the 30 s stale timeout), same result
        Assert.Equal((true, 6L), (resumed.TrainedNow, resumed.ResumedFromStep));
        Assert.Equal(reference.Curve, resumed.Curve);
        Assert.Equal(reference.NoiseScale, resumed.NoiseScale);
        Assert.Equal(reference.Ending, resumed.Ending);
    }

    [Fact]
    public void ReleaseDead_WorkersOfThisHost_OnlyTheDeadProcessReleased()
    {
        // Given: three running runs, held by a dead local process, this live process, and another host's process
        using var store = RunStores.Open(Registry);
        store.CreateStudy("s", null);
        var specs = Enumerable.Range(0, 3).Select(i => CriticalBatchSweep.Plan(TinyPlan(), 8, 1e-3 * (i + 1), i)).ToList();
        store.Enqueue("s", specs.Select(r => (r with { Study = "s" }).ToNewRun()).ToList());
        var dead = $"{Environment.MachineName}:99999999:t0";
        var alive = SweepWorker.NewWorkerId("t1");
        var remote = $"not-{Environment.MachineName}:1:t2";
        foreach (var worker in new[] { dead, alive, remote })
        {
            store.Claim("s", worker, TimeSpan.FromMinutes(5));
        }

        // When
        var released = LocalWorkers.ReleaseDead(store, "s");

        // Then
        Assert.Equal(1, released);
        var runs = store.ListRuns("s");
        Assert.Equal([RunStatus.Queued, RunStatus.Running, RunStatus.Running], runs.Select(r => r.Status));
    }
}
