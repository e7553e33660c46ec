using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using ScaleLab.Cli.Commands;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Cli.Tests.Kinds;

/// <summary>
/// A kind the lab does not know (<see cref="LinearRegressionKind"/>, defined in this test assembly and exported to
/// worker processes through $SCALELAB_RUN_KINDS) runs through <c>scalelab sweep</c> on every executor — threads of
/// this process, local worker processes, Slurm (the stand-in of <see cref="SlurmSweepTests"/>) — and under SIGKILL,
/// each time with the metrics of an uninterrupted run, bit for bit.
/// </summary>
public sealed class LinearRegressionKindTests : IDisposable
{
    private const string Spec = """
        study = "toy"
        kind = "linreg"
        checkpoint_interval = 10
        [settings]
        features = 6
        steps = 60
        batch = 8
        eval_interval = 20
        step_delay_ms = STEP_DELAY
        learning_rates = [0.05]
        seeds = [1, 2, 3]
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("scalelab-linreg-").FullName;

    public LinearRegressionKindTests()
    {
        // What a program that defines kinds does for its worker processes (inherited by children and Slurm jobs).
        Environment.SetEnvironmentVariable(RunKinds.AssembliesVariable, typeof(LinearRegressionKind).Assembly.Location);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private string WriteSpec(int stepDelayMs)
    {
        var path = Path.Combine(_directory, "toy.toml");
        File.WriteAllText(path, Spec.Replace("STEP_DELAY", stepDelayMs.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        return path;
    }

    /// <summary>Each run trained straight through by its session alone (no registry, no executor).</summary>
    private Dictionary<string, (List<RunMetric> Metrics, double Final)> Reference(SweepSpec spec)
    {
        var reference = new Dictionary<string, (List<RunMetric>, double)>();
        using var store = RunStores.Open("sqlite:" + Path.Combine(_directory, "unused.db"));
        foreach (var run in spec.NewRuns())
        {
            var record = new RunRecord(run.Key, spec.Study, run.Ordinal, run.ConfigJson, run.Seed, RunStatus.Running, 0, 0, 0, 0,
                DateTimeOffset.UnixEpoch, null, null, null, null, 1, null, null, run.Kind);
            using var session = RunKinds.Get("linreg").Open(new RunContext(record, Path.Combine(_directory, run.Key + ".ref"), 1, store, null));
            var metrics = new List<RunMetric>();
            while (!session.Done)
            {
                metrics.AddRange(session.TrainStep().Metrics);
            }
            reference[run.Key] = ([.. metrics.OrderBy(m => m.Step).ThenBy(m => m.Name, StringComparer.Ordinal)], session.FinalValue());
        }
        return reference;
    }

    private void AssertLikeReference(string registry, SweepSpec spec)
    {
        var reference = Reference(spec);
        using var store = RunStores.Open(registry);
        var runs = store.ListRuns("toy");
        Assert.Equal(3, runs.Count);
        foreach (var run in runs)
        {
            Assert.Equal((RunStatus.Done, "linreg"), (run.Status, run.Kind));
            var (metrics, final) = reference[run.Key];
            Assert.Equal(metrics, store.ReadRunMetrics(run.Key));
            Assert.Equal(final, run.FinalLoss);
            Assert.Empty(store.ReadMetrics(run.Key));
        }
    }

    [Fact]
    public void Session_SgdOnNoisyLinearData_ValidationErrorNearNoiseFloorAndWeightsConverge()
    {
        // Given: y = w*·x + 0.1 ε, so the best achievable validation MSE is σ² = 0.01
        var spec = SweepSpec.Parse(Spec.Replace("STEP_DELAY", "0", StringComparison.Ordinal));

        // When
        var reference = Reference(spec);

        // Then: every run ends within a factor 2 of the noise floor, and its weight error shrank a hundredfold
        foreach (var (metrics, final) in reference.Values)
        {
            var error = metrics.Where(m => m.Name == "weight_error").Select(m => m.Value).ToList();
            Assert.InRange(final, 0.005, 0.02);
            Assert.True(error[^1] < error[0] / 100, $"weight error {error[0]} -> {error[^1]}");
            Assert.Equal(60, error.Count);
            Assert.Equal([20L, 40, 60], metrics.Where(m => m.Name == "val_mse").Select(m => m.Step));
        }
    }

    [Theory]
    [InlineData("threads")]
    [InlineData("local")]
    [InlineData("slurm")]
    public void Sweep_LinearRegressionKindOnEachExecutor_EveryRunDoneWithReferenceMetrics(string executor)
    {
        // Given
        var spec = WriteSpec(stepDelayMs: 0);
        var registry = "sqlite:" + Path.Combine(_directory, executor + ".db");
        string[] extra = executor == "slurm" ? ["--slurm-bin", SlurmSweepTests.FakeSlurm(_directory), "--slurm-logs", Path.Combine(_directory, "logs")] : [];

        // When
        var (code, _, err) = FitCli.Run(["sweep", spec, "--executor", executor, "--workers", "2", "--registry", registry,
            "--checkpoint-dir", Path.Combine(_directory, executor + "-ck"), .. extra]);

        // Then
        Assert.True(code == 0, err);
        AssertLikeReference(registry, SweepSpec.Load(spec));
    }

    [SkippableFact]
    [Trait("Category", "Slow")]
    public void Sweep_LinearRegressionKindOnRealSlurm_EveryRunDoneWithReferenceMetrics()
    {
        Skip.If(Environment.GetEnvironmentVariable(SlurmSweepTests.Variable) != "1",
            $"{SlurmSweepTests.Variable}=1 is set by .ci/run once .ci/slurm-up has started a one-node Slurm");

        // Given: the kind's assembly reaches the array tasks through $SCALELAB_RUN_KINDS, which sbatch exports
        var spec = WriteSpec(stepDelayMs: 0);
        var registry = "sqlite:" + Path.Combine(_directory, "real-slurm.db");

        // When
        var (code, _, err) = FitCli.Run(["sweep", spec, "--executor", "slurm", "--workers", "2", "--registry", registry,
            "--checkpoint-dir", Path.Combine(_directory, "real-slurm-ck"), "--slurm-logs", Path.Combine(_directory, "real-slurm-logs")]);

        // Then: the tasks of a real Slurm job ran the kind the lab does not know, with the reference metrics
        Assert.True(code == 0, err);
        AssertLikeReference(registry, SweepSpec.Load(spec));
    }

    [Fact]
    public void Runs_MetricsCsvOfLinearRegressionStudy_OneRowPerRunStepAndName()
    {
        // Given
        var spec = WriteSpec(stepDelayMs: 0);
        var registry = "sqlite:" + Path.Combine(_directory, "csv.db");
        var sweep = FitCli.Run("sweep", spec, "--executor", "threads", "--workers", "1", "--registry", registry,
            "--checkpoint-dir", Path.Combine(_directory, "csv-ck"));

        // When
        var csv = FitCli.Run("runs", "--study", "toy", "--registry", registry, "--metrics", "--csv");

        // Then: 3 runs × (60 steps × 2 metrics + 3 validations), each value as the registry holds it
        Assert.True(sweep.Code == 0, sweep.Err);
        var lines = csv.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(RunCsv.NamedMetricsHeader, lines[0]);
        Assert.Equal(3 * (60 * 2 + 3), lines.Length - 1);
        Assert.Equal(3, lines.Count(l => l.Contains(",60,val_mse,", StringComparison.Ordinal)));
    }

    [Fact]
    public void Sweep_LinearRegressionWorkersKilledMidRun_ResumedFromCheckpointWithReferenceMetrics()
    {
        // Given: runs of 60 steps at ~20 ms a step, checkpointed every 10 steps, on two worker processes
        var specPath = WriteSpec(stepDelayMs: 20);
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

        // When: twice, SIGKILL a worker whose run is past its step-10 checkpoint and not past step 40
        SweepResult? result = null;
        var sweep = new Thread(() => result = executor.Run(store, "toy", options, log: log.Enqueue));
        sweep.Start();
        var kills = 0;
        var deadline = Stopwatch.StartNew();
        while (kills < 2 && sweep.IsAlive && deadline.Elapsed < TimeSpan.FromMinutes(2))
        {
            Thread.Sleep(25);
            var workers = executor.WorkerProcesses;
            var victim = store.ListRuns("toy").FirstOrDefault(r => r.Status == RunStatus.Running && r.Worker is not null
                && workers.ContainsKey(r.Worker) && store.ReadRunMetrics(r.Key).Count(m => m.Name == "train_mse") is >= 12 and <= 40);
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

        // Then: all done, some run claimed again and resumed from a checkpoint, the metrics those of no interruption
        Assert.Equal(2, kills);
        Assert.Equal(new StatusCounts(0, 0, 3, 0), result!.Counts);
        Assert.True(store.ListRuns("toy").Sum(r => r.Attempts) > 3, "no run was claimed again");
        Assert.Contains(log, l => l.Contains("resuming from step", StringComparison.Ordinal));
        AssertLikeReference(registry, spec);
    }
}
