using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using ScaleLab.Cli;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Cli.Tests;

/// <summary>
/// A sweep killed with SIGKILL takes its workers with it, and a re-run finishes every run exactly once without
/// waiting out the stale-heartbeat timeout for runs the dead processes held.
/// </summary>
public sealed class SweepKillTests : IDisposable
{
    private const string Spec = """
        study = "killed"
        seq_len = 16
        batch_size = 4
        tokens = [64000, 96000]
        eval_interval = 50
        eval_batches = 2
        checkpoint_interval = 25
        [grid]
        layers = [1]
        d_model = [16, 24]
        heads = [2]
        [schedule]
        warmup_steps = 3
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("scalelab-sweepkill-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void Sweep_KilledWithSigkill_WorkersGoneWithinFiveSecondsAndRerunFinishesEveryRunOnce()
    {
        // Given: a sweep of 4 runs on 2 worker processes, started as a real process.
        var specPath = Path.Combine(_directory, "sweep.toml");
        File.WriteAllText(specPath, Spec);
        var registry = "sqlite:" + Path.Combine(_directory, "runs.db");
        using var sweep = Process.Start(CliProcess.StartInfo(["sweep", specPath, "--workers", "2", "--registry", registry]))!;
        _ = sweep.StandardError.ReadToEndAsync();
        _ = sweep.StandardOutput.ReadToEndAsync();
        List<int> workers;
        try
        {
            // When: both workers are training (a run has logged metrics), the sweep is killed with SIGKILL.
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
            while (true)
            {
                Assert.True(DateTime.UtcNow < deadline, "the sweep's workers never started training");
                Assert.False(sweep.HasExited, "the sweep ended before it could be killed");
                workers = ChildrenOf(sweep.Id);
                using var peek = RunStores.Open(registry);
                if (workers.Count == 2 && peek.ListRuns("killed").Any(r => r.Status == RunStatus.Running && peek.ReadMetrics(r.Key).Count > 30))
                {
                    break;
                }
                Thread.Sleep(100);
            }
            sweep.Kill();
            sweep.WaitForExit();
        }
        finally
        {
            if (!sweep.HasExited)
            {
                sweep.Kill(entireProcessTree: true);
            }
        }

        // Then: every worker is gone within 5 s (on today's main they trained on, unseen).
        var clock = Stopwatch.StartNew();
        while (workers.Any(LocalWorkers.IsAlive) && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            Thread.Sleep(50);
        }
        var survivors = workers.Where(LocalWorkers.IsAlive).ToList();
        foreach (var pid in survivors)
        {
            Process.GetProcessById(pid).Kill();
        }
        Assert.True(survivors.Count == 0, $"worker(s) {string.Join(", ", survivors)} still alive {clock.Elapsed.TotalSeconds:F1} s after the sweep was killed");

        // And: a re-run finishes every run exactly once (metrics 1..steps, once each), well inside the 60 s stale
        // timeout, which a run left "running" by a dead process would otherwise wait out.
        clock.Restart();
        var rerun = FitCli.Run("sweep", specPath, "--workers", "2", "--registry", registry);
        Assert.True(rerun.Code == CliApp.ExitOk, rerun.Err);
        Assert.True(clock.Elapsed < new ExecutorOptions().StaleAfter, $"re-run took {clock.Elapsed.TotalSeconds:F0} s");
        using var store = RunStores.Open(registry);
        var runs = store.ListRuns("killed");
        Assert.Equal(4, runs.Count);
        foreach (var run in runs)
        {
            Assert.Equal(RunStatus.Done, run.Status);
            var steps = RunSpec.FromRecord(run).Steps;
            Assert.Equal(Enumerable.Range(1, (int)steps).Select(s => (long)s), store.ReadMetrics(run.Key).Select(m => m.Step));
        }
    }

    [Fact]
    public void Sweep_RunHeldByDeadProcessOfThisHost_QueuedAgainAtOnce()
    {
        // Given: a registry whose one run is "running", held by a worker id of this host whose process has exited
        // (its heartbeat is fresh, so the stale timeout alone would keep it for 60 s).
        var specPath = Path.Combine(_directory, "one.toml");
        File.WriteAllText(specPath, Spec.Replace("tokens = [64000, 96000]", "tokens = [640]").Replace("d_model = [16, 24]", "d_model = [16]")
            .Replace("study = \"killed\"", "study = \"held\""));
        var registry = "sqlite:" + Path.Combine(_directory, "held.db");
        int deadPid;
        using (var exited = Process.Start(new ProcessStartInfo("true"))!)
        {
            exited.WaitForExit();
            deadPid = exited.Id;
        }
        using (var store = RunStores.Open(registry))
        {
            SweepPlan.Enqueue(store, SweepSpec.Load(specPath));
            Assert.NotNull(store.Claim("held", $"{Environment.MachineName}:{deadPid.ToString(CultureInfo.InvariantCulture)}:w0", TimeSpan.FromSeconds(60)));
        }

        // When
        var clock = Stopwatch.StartNew();
        var result = FitCli.Run("sweep", specPath, "--workers", "1", "--registry", registry);

        // Then
        Assert.True(result.Code == CliApp.ExitOk, result.Err);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(45), $"took {clock.Elapsed.TotalSeconds:F0} s: the run waited for the stale timeout");
        using var after = RunStores.Open(registry);
        var run = Assert.Single(after.ListRuns("held"));
        Assert.Equal(RunStatus.Done, run.Status);
        Assert.Equal(2, run.Attempts);
    }

    /// <summary>Processes whose parent is <paramref name="pid"/> (from /proc).</summary>
    private static List<int> ChildrenOf(int pid) =>
        [.. Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : 0)
            .Where(p => p > 0 && LocalWorkers.ProcStat(p) is { } s && s.ParentPid == pid && s.State is not 'Z')];
}
