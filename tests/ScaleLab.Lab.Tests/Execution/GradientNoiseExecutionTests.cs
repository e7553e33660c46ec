using Microsoft.Data.Sqlite;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Studies.GradientNoise;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Lab.Tests.Execution;

/// <summary>Sweep runs that log the gradient noise scale per step, and runs that stop at a target loss.</summary>
public sealed class GradientNoiseExecutionTests : IDisposable
{
    /// <summary>One tiny run of 30 steps, batch 8 as 4 micro-batches of 2, B_simple logged every step.</summary>
    public const string GnsSpec = """
        study = "gns"
        corpus = "synthetic:3"
        seq_len = 16
        batch_size = 8
        micro_batches = 4
        gns = true
        gns_ema = 0.9
        tokens = [3840]
        eval_interval = 7
        eval_batches = 2
        [[models]]
        layers = 1
        d_model = 16
        heads = 2
        [schedule]
        warmup_steps = 3
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("scalelab-gnsexec-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private string Registry(string name) => "sqlite:" + Path.Combine(_directory, name + ".db");

    private ExecutorOptions Options(string name) => new()
    {
        Workers = 1,
        CheckpointDirectory = Path.Combine(_directory, name + "-ck"),
        CheckpointInterval = 10,
        HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        StaleAfter = TimeSpan.FromSeconds(5),
        PollInterval = TimeSpan.FromMilliseconds(50),
    };

    private RunRecord Sweep(string name, IReadOnlyList<RunSpec> runs)
    {
        using (var store = RunStores.Open(Registry(name)))
        {
            store.CreateStudy(runs[0].Study, null);
            store.Enqueue(runs[0].Study, runs.Select(r => r.ToNewRun()).ToList());
        }
        var result = InProcessExecutor.Run(() => RunStores.Open(Registry(name)), runs[0].Study, Options(name));
        Assert.True(result.Complete);
        using var check = RunStores.Open(Registry(name));
        return check.ListRuns(runs[0].Study)[0];
    }

    [Fact]
    public void Run_GnsSpec_EveryStepLogsTheEstimatesOfGradientNoiseRun()
    {
        // Given
        var spec = SweepSpec.Parse(GnsSpec).Expand()[0];

        // When
        var run = Sweep("a", [spec]);

        // Then: every step carries the raw estimates and B_simple, bit for bit those of the library's own
        // GradientNoiseRun on the same options (same trainer arithmetic, same tracker).
        using var store = RunStores.Open(Registry("a"));
        var rows = store.ReadMetrics(run.Key);
        var reference = GradientNoiseRun.Train(RunExecution.ToTrainOptions(spec, 1), Corpora.Open(spec), 0.9);
        Assert.Equal(30, rows.Count);
        Assert.Equal(reference.Points.Select(p => (p.Step, (double?)p.Record.GradNormSq, (double?)p.Record.TraceCov, (double?)p.Record.BSimple)),
            rows.Select(r => (r.Step, r.GradNormSqEstimate, r.TraceCovEstimate, r.BSimple)));
        Assert.All(rows, r => Assert.True(r.BSimple > 0));
    }

    [Fact]
    public void Train_GnsRunResumedAfterCrash_SameBSimpleAsUninterrupted()
    {
        // Given: an uninterrupted reference, and on a second registry the state a worker killed after step 13
        // leaves: its rows 1-10 and checkpoint of step 10, then rows 11-13 that the resumed run must replace.
        var spec = SweepSpec.Parse(GnsSpec).Expand()[0];
        var target = Sweep("ref", [spec]);
        using var refStore = RunStores.Open(Registry("ref"));
        var referenceRows = refStore.ReadMetrics(target.Key);
        using var store = RunStores.Open(Registry("crash"));
        store.CreateStudy("gns", null);
        store.Enqueue("gns", [spec.ToNewRun()]);
        var options = Options("crash");
        store.Claim("gns", "dead", options.StaleAfter);
        using (var trainer = new Trainer(RunExecution.ToTrainOptions(spec, 1), Corpora.Open(spec)))
        {
            for (var i = 0; i < 10; i++)
            {
                trainer.TrainStep();
            }
            Directory.CreateDirectory(Path.GetDirectoryName(options.CheckpointPath("gns", target.Key))!);
            trainer.SaveCheckpoint(options.CheckpointPath("gns", target.Key));
        }
        store.AppendMetrics(target.Key, [.. referenceRows.Take(10), .. referenceRows.Skip(10).Take(3).Select(r => r with { BSimple = 1e9 })]);
        store.ReleaseWorker("dead");
        var run = store.Claim("gns", "alive", options.StaleAfter)!;

        // When
        var outcome = RunExecution.Train(store, run, "alive", options);

        // Then: the EMAs were rebuilt from the logged estimates, so B_simple after the resume is the
        // uninterrupted one (a tracker restarted at step 10 would give other values from step 11 on).
        Assert.Equal((RunEnd.Done, 10L), (outcome.End, outcome.ResumedFromStep));
        Assert.Equal(referenceRows, store.ReadMetrics(target.Key));
    }

    [Fact]
    public void Train_StopAtLoss_DoneAtFirstEvaluationBelowAndNotTrainedFurtherOnResume()
    {
        // Given: a 300-step run that stops once validation reaches 4.5 nats (a tiny GPT starts near ln 256 ≈ 5.5)
        var spec = SweepSpec.Parse(GnsSpec.Replace("tokens = [3840]", "tokens = [38400]")).Expand()[0] with { StopAtLoss = 4.5 };

        // When
        var run = Sweep("stop", [spec]);

        // Then
        using var store = RunStores.Open(Registry("stop"));
        var rows = store.ReadMetrics(run.Key);
        var evals = rows.Where(r => r.ValLoss is not null).ToList();
        Assert.Equal(RunStatus.Done, run.Status);
        Assert.True(rows[^1].Step < spec.Steps);
        Assert.Equal(rows[^1].ValLoss, run.FinalLoss);
        Assert.True(run.FinalLoss <= 4.5);
        Assert.All(evals.SkipLast(1), r => Assert.True(r.ValLoss > 4.5));

        // When: the worker died after the final checkpoint but before marking the run done; it is resumed.
        using var again = RunStores.Open(Registry("stop-resume"));
        again.CreateStudy("gns", null);
        again.Enqueue("gns", [spec.ToNewRun()]);
        var options = Options("stop-resume");
        again.Claim("gns", "dead", options.StaleAfter);
        Directory.CreateDirectory(Path.GetDirectoryName(options.CheckpointPath("gns", run.Key))!);
        File.Copy(Options("stop").CheckpointPath("gns", run.Key), options.CheckpointPath("gns", run.Key));
        again.AppendMetrics(run.Key, rows);
        again.ReleaseWorker("dead");
        var outcome = RunExecution.Train(again, again.Claim("gns", "alive", options.StaleAfter)!, "alive", options);

        // Then: done at once with the same loss, no step trained past the stop.
        Assert.Equal((RunEnd.Done, rows[^1].Step, run.FinalLoss), (outcome.End, outcome.ResumedFromStep, outcome.FinalLoss));
        Assert.Equal(rows, again.ReadMetrics(run.Key));
    }
}
