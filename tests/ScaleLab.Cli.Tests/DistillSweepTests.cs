using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using ScaleLab.Cli.Commands;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Cli.Tests;

/// <summary>
/// The "distill" run kind through <c>scalelab sweep</c>: on Slurm (the stand-in of <see cref="SlurmSweepTests"/>) and with
/// its worker processes killed by SIGKILL mid-run, each time with the metrics of an uninterrupted run, bit for bit.
/// </summary>
public sealed class DistillSweepTests : IDisposable
{
    private const string Spec = """
        study = "distilled"
        kind = "distill"
        checkpoint_interval = 10
        [settings]
        teachers = ["oracle"]
        temperature = [1.0, 2.0]
        lambda = 0.5
        student = { corpus = "synthetic:3", seq_len = 16, batch_size = 4, tokens = [TOKENS], eval_interval = 50, eval_batches = 2, models = [{ layers = 1, d_model = 16, heads = 2 }], schedule = { warmup_steps = 3 } }
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("scalelab-distill-sweep-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private string WriteSpec(int tokens)
    {
        var path = Path.Combine(_directory, "distill.toml");
        File.WriteAllText(path, Spec.Replace("TOKENS", tokens.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        return path;
    }

    /// <summary>Asserts every run of the registry done with the metrics and final loss of its session run straight through.</summary>
    private void AssertLikeReference(string registry, SweepSpec spec)
    {
        using var scratch = RunStores.Open("sqlite:" + Path.Combine(_directory, "reference.db"));
        using var store = RunStores.Open(registry);
        var runs = store.ListRuns("distilled");
        Assert.Equal(spec.NewRuns().Count, runs.Count);
        foreach (var run in runs)
        {
            Assert.Equal((RunStatus.Done, "distill"), (run.Status, run.Kind));
            using var session = RunKinds.Get("distill").Open(new RunContext(run, Path.Combine(_directory, run.Key + ".ref"), 1, scratch, null));
            var (rows, named) = (new List<MetricRow>(), new List<RunMetric>());
            while (!session.Done)
            {
                var step = session.TrainStep();
                rows.Add(step.Row!);
                named.AddRange(step.Metrics);
            }
            Assert.Equal(rows, store.ReadMetrics(run.Key));
            Assert.Equal(named.OrderBy(m => m.Step).ThenBy(m => m.Name, StringComparer.Ordinal), store.ReadRunMetrics(run.Key));
            Assert.Equal(session.FinalValue(), run.FinalLoss);
        }
    }

    [Fact]
    public void Sweep_DistillKindOnSlurm_EveryRunDoneWithReferenceMetrics()
    {
        // Given: two oracle-distilled runs of 20 steps
        var spec = WriteSpec(1280);
        var registry = "sqlite:" + Path.Combine(_directory, "slurm.db");

        // When
        var (code, _, err) = FitCli.Run(["sweep", spec, "--executor", "slurm", "--workers", "2", "--registry", registry,
            "--checkpoint-dir", Path.Combine(_directory, "slurm-ck"), "--slurm-bin", SlurmSweepTests.FakeSlurm(_directory),
            "--slurm-logs", Path.Combine(_directory, "logs")]);

        // Then
        Assert.True(code == 0, err);
        AssertLikeReference(registry, SweepSpec.Load(spec));
    }

    [Fact]
    public void Sweep_DistillWorkerKilledMidRun_ResumedFromCheckpointWithReferenceMetrics()
    {
        // Given: two runs of 400 steps, checkpointed every 10 steps, on two worker processes
        var specPath = WriteSpec(25600);
        var spec = SweepSpec.Load(specPath);
        var registry = "sqlite:" + Path.Combine(_directory, "killed.db");
        using var store = RunStores.Open(registry);
        SweepPlan.Enqueue(store, spec);
        var options = new ExecutorOptions
        {
            Workers = 2,
            CheckpointDirectory = Path.Combine(_directory, "killed-ck"),
            CheckpointInterval = spec.CheckpointInterval,
            HeartbeatInterval = TimeSpan.FromMilliseconds(200),
            StaleAfter = TimeSpan.FromSeconds(3),
            PollInterval = TimeSpan.FromMilliseconds(100),
            MetricsFlushInterval = TimeSpan.FromMilliseconds(50),
        };
        var executor = new LocalProcessExecutor(ExecutorChoice.CurrentWorkerLaunch(), registry);
        var log = new ConcurrentQueue<string>();

        // When: SIGKILL a worker whose run is past its step-10 checkpoint and not past step 300
        SweepResult? result = null;
        var sweep = new Thread(() => result = executor.Run(store, "distilled", options, log: log.Enqueue));
        sweep.Start();
        var kills = 0;
        var deadline = Stopwatch.StartNew();
        while (kills < 1 && sweep.IsAlive && deadline.Elapsed < TimeSpan.FromMinutes(2))
        {
            Thread.Sleep(25);
            var workers = executor.WorkerProcesses;
            var victim = store.ListRuns("distilled").FirstOrDefault(r => r.Status == RunStatus.Running && r.Worker is not null
                && workers.ContainsKey(r.Worker) && store.ReadMetrics(r.Key).Count is >= 15 and <= 300);
            if (victim is null)
            {
                continue;
            }
            try
            {
                using var process = Process.GetProcessById(workers[victim.Worker!]);
                process.Kill();
                process.WaitForExit();
                kills++;
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                // It exited between the look and the kill.
            }
        }
        sweep.Join();

        // Then: all done, a run claimed again and resumed from its checkpoint, the metrics those of no interruption
        Assert.Equal(1, kills);
        Assert.Equal(new StatusCounts(0, 0, 2, 0), result!.Counts);
        Assert.True(store.ListRuns("distilled").Sum(r => r.Attempts) > 2, "no run was claimed again");
        Assert.Contains(log, l => l.Contains("resuming from step", StringComparison.Ordinal));
        AssertLikeReference(registry, spec);
    }
}
