using System.Diagnostics;
using Microsoft.Data.Sqlite;
using ScaleLab.Cli.Commands;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Cli.Tests;

/// <summary>
/// The Slurm executor: its batch script, a whole sweep through a stand-in for sbatch/squeue/scancel that runs the
/// array's tasks as local processes (always), and the same sweep on a real one-node Slurm (Slow; .ci/run starts
/// it with .ci/slurm-up and sets SCALELAB_TEST_SLURM=1).
/// </summary>
public sealed class SlurmSweepTests : IDisposable
{
    public const string Variable = "SCALELAB_TEST_SLURM";

    private readonly string _directory = Directory.CreateTempSubdirectory("scalelab-slurm-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var pid in Directory.EnumerateFiles(_directory, "*.pid", SearchOption.AllDirectories))
        {
            // Stand-in tasks still alive after a failed test.
            try
            {
                using var process = Process.GetProcessById(int.Parse(File.ReadAllText(pid).Trim(), System.Globalization.CultureInfo.InvariantCulture));
                process.Kill(entireProcessTree: true);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
            {
            }
        }
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>sbatch/squeue/scancel stand-ins: sbatch starts every array task of the script in the background with
    /// SLURM_ARRAY_JOB_ID/TASK_ID set (jobs numbered from 101; a file "fail-job-N" makes job N's tasks exit 3 at once),
    /// squeue lists the job's live tasks, scancel kills them.</summary>
    private string FakeSlurm() => FakeSlurm(_directory);

    /// <summary>The stand-ins in DIRECTORY/fake-slurm (for other tests that run sweeps through them).</summary>
    internal static string FakeSlurm(string directory)
    {
        var bin = Directory.CreateDirectory(Path.Combine(directory, "fake-slurm")).FullName;
        void Script(string name, string body)
        {
            var path = Path.Combine(bin, name);
            File.WriteAllText(path, "#!/bin/bash\nstate=\"$(dirname \"$0\")/state\"; mkdir -p \"$state\"\n" + body);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        Script("sbatch", """
            script="${@: -1}"
            job=$(( $(cat "$state/next" 2>/dev/null || echo 100) + 1 )); echo $job > "$state/next"
            range=$(sed -n 's/^#SBATCH --array=//p' "$script"); out=$(sed -n 's/^#SBATCH --output=//p' "$script")
            for i in $(seq ${range%-*} ${range#*-}); do
              log=${out//%A/$job}; log=${log//%a/$i}
              if [ -e "$state/fail-job-$job" ]; then
                bash -c 'exit 3' > "$log" 2>&1 &
              else
                SLURM_ARRAY_JOB_ID=$job SLURM_ARRAY_TASK_ID=$i setsid bash "$script" > "$log" 2>&1 < /dev/null &
              fi
              echo $! > "$state/$job.$i.pid"
            done
            echo "$job"
            """);
        Script("squeue", """
            while [ $# -gt 0 ]; do [ "$1" = -j ] && job=$2; shift; done
            for f in "$state/$job".*.pid; do [ -e "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && echo RUNNING; done
            exit 0
            """);
        Script("scancel", """
            for f in "$state/$1".*.pid; do [ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
            exit 0
            """);
        return bin;
    }

    private static (int Code, string Out, string Err) Run(params string[] args) => FitCli.Run(args);

    private string Spec()
    {
        var path = Path.Combine(_directory, "tiny.toml");
        File.WriteAllText(path, SweepCommandTests.TinySpec);
        return path;
    }

    /// <summary>The last job id the stand-in sbatch handed out.</summary>
    private string LastJob() => File.ReadAllText(Path.Combine(_directory, "fake-slurm", "state", "next")).Trim();

    private static IReadOnlyList<RunRecord> Runs(string registry)
    {
        using var store = RunStores.Open(registry);
        return store.ListRuns("tiny");
    }

    [Fact]
    public void BatchScript_ArrayCpusOptionsAndQuotedCommand_ParsesInBash()
    {
        // Given: a launcher path with a space and a quote, and a relative SQLite registry
        var executor = new SlurmExecutor(new WorkerLaunch("/opt/my dir/it's/scalelab", ["--flag"]), "sqlite:rel/x.db",
            new SlurmOptions { Partition = "cpu", TimeLimit = "1:30:00", Account = "lab", LogDirectory = Path.Combine(_directory, "logs") });
        var options = new ExecutorOptions { Workers = 3, ThreadsPerWorker = 2, CheckpointDirectory = "ck" };

        // When
        var script = executor.BatchScript("my study", options);
        var path = Path.Combine(_directory, "s.sbatch");
        File.WriteAllText(path, script);
        var syntax = Process.Start(new ProcessStartInfo("bash", ["-n", path]) { RedirectStandardError = true })!;
        syntax.WaitForExit();

        // Then
        Assert.Equal(0, syntax.ExitCode);
        Assert.StartsWith("#!/bin/bash\n", script, StringComparison.Ordinal);
        Assert.Contains("#SBATCH --job-name=scalelab-my_study\n", script, StringComparison.Ordinal);
        Assert.Contains("#SBATCH --array=0-2\n", script, StringComparison.Ordinal);
        Assert.Contains("#SBATCH --cpus-per-task=2\n", script, StringComparison.Ordinal);
        Assert.Contains("#SBATCH --partition=cpu\n", script, StringComparison.Ordinal);
        Assert.Contains("#SBATCH --time=1:30:00\n", script, StringComparison.Ordinal);
        Assert.Contains("#SBATCH --account=lab\n", script, StringComparison.Ordinal);
        Assert.Contains($"#SBATCH --output={Path.Combine(_directory, "logs")}/my_study-%A_%a.log\n", script, StringComparison.Ordinal);
        Assert.Contains("exec '/opt/my dir/it'\\''s/scalelab' '--flag' 'worker'", script, StringComparison.Ordinal);
        Assert.Contains($"'sqlite:{Path.GetFullPath("rel/x.db")}'", script, StringComparison.Ordinal);
        Assert.Contains("'--study' 'my study'", script, StringComparison.Ordinal);
        Assert.Contains("--worker-id\" ", script.Replace("'--worker-id' ", "--worker-id\" ", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("\"$(hostname):$$:slurm${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\"", script, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("a b  c")]
    [InlineData("it's \"quoted\" $HOME `x` \\ ;|&")]
    public void ShellQuote_AnyWord_BashReadsItBack(string word)
    {
        // When
        var echo = Process.Start(new ProcessStartInfo("bash", ["-c", "printf %s " + SlurmExecutor.ShellQuote(word)]) { RedirectStandardOutput = true })!;
        var output = echo.StandardOutput.ReadToEnd();
        echo.WaitForExit();

        // Then
        Assert.Equal(word, output);
    }

    [Fact]
    public void Sweep_FakeSlurm_EveryRunDoneByArrayTasks()
    {
        // Given
        var registry = "sqlite:" + Path.Combine(_directory, "r.db");
        var logs = Path.Combine(_directory, "logs");

        // When
        var (code, _, err) = Run("sweep", Spec(), "--executor", "slurm", "--slurm-bin", FakeSlurm(), "--slurm-logs", logs,
            "--workers", "2", "--registry", registry);

        // Then: all four runs done by workers of job 101 (ids HOST:PID:slurm101_TASK), one log per task
        Assert.True(code == 0, err);
        var runs = Runs(registry);
        Assert.Equal(4, runs.Count);
        Assert.All(runs, r => Assert.Equal(RunStatus.Done, r.Status));
        Assert.Equal("101", LastJob());
        Assert.All(runs, r => Assert.Contains(":slurm101_", r.Worker, StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(logs, "tiny-101_0.log")));
        Assert.True(File.Exists(Path.Combine(logs, "tiny-101_1.log")));
        Assert.True(File.Exists(Path.Combine(logs, "tiny.sbatch")));
    }

    [Fact]
    public void Sweep_FakeSlurmDefaultWorkers_OneTaskPerRunLeftAndNoJobWhenDone()
    {
        // Given
        var bin = FakeSlurm();
        var registry = "sqlite:" + Path.Combine(_directory, "r.db");

        // When: the sweep without --workers, then again once it is done
        var first = Run("sweep", Spec(), "--executor", "slurm", "--slurm-bin", bin, "--registry", registry);
        var second = Run("sweep", Spec(), "--executor", "slurm", "--slurm-bin", bin, "--registry", registry);

        // Then: job 101 had one task per run (4), and the re-run submitted nothing
        Assert.True(first.Code == 0, first.Err);
        Assert.True(second.Code == 0, second.Err);
        Assert.Equal(4, Directory.GetFiles(Path.Combine(bin, "state"), "101.*.pid").Length);
        Assert.Equal("101", LastJob());
        Assert.All(Runs(registry), r => Assert.Equal(RunStatus.Done, r.Status));
    }

    [Fact]
    public void Sweep_FakeSlurmFirstJobFails_ResubmittedAndFinished()
    {
        // Given: job 101's tasks all exit at once without claiming anything
        var bin = FakeSlurm();
        Directory.CreateDirectory(Path.Combine(bin, "state"));
        File.WriteAllText(Path.Combine(bin, "state", "fail-job-101"), "");
        var registry = "sqlite:" + Path.Combine(_directory, "r.db");

        // When
        var (code, _, err) = Run("sweep", Spec(), "--executor", "slurm", "--slurm-bin", bin, "--workers", "2", "--registry", registry);

        // Then: the executor saw the job end with runs left and submitted job 102, which did them
        Assert.True(code == 0, err);
        Assert.Equal("102", LastJob());
        Assert.All(Runs(registry), r => Assert.Equal(RunStatus.Done, r.Status));
        Assert.All(Runs(registry), r => Assert.Contains(":slurm102_", r.Worker, StringComparison.Ordinal));
    }

    [Fact]
    public void Sweep_SlurmTasksAlwaysFail_GivesUpWithOneLine()
    {
        // Given: every job's tasks exit at once
        var bin = FakeSlurm();
        Directory.CreateDirectory(Path.Combine(bin, "state"));
        foreach (var job in Enumerable.Range(101, SlurmExecutor.Resubmissions + 1))
        {
            File.WriteAllText(Path.Combine(bin, "state", $"fail-job-{job}"), "");
        }
        var registry = "sqlite:" + Path.Combine(_directory, "r.db");

        // When
        var (code, _, err) = Run("sweep", Spec(), "--executor", "slurm", "--slurm-bin", bin, "--workers", "1", "--registry", registry);

        // Then: a failure (exit 1) naming the give-up, the runs still queued for a later attempt
        Assert.Equal(1, code);
        Assert.Contains("giving up on study tiny", err, StringComparison.Ordinal);
        Assert.All(Runs(registry), r => Assert.Equal(RunStatus.Queued, r.Status));
    }

    [Fact]
    public void Run_CancelledWhileTasksTrain_JobCancelledAndRunsBackInQueue()
    {
        // Given: two long runs being trained by the tasks of a stand-in job
        var bin = FakeSlurm();
        var registry = "sqlite:" + Path.Combine(_directory, "r.db");
        var spec = SweepSpec.Parse(SweepCommandTests.TinySpec.Replace("tokens = [640, 1280]", "tokens = [4000000]"));
        using var store = RunStores.Open(registry);
        SweepPlan.Enqueue(store, spec);
        var executor = new SlurmExecutor(ExecutorChoice.CurrentWorkerLaunch(), registry,
            new SlurmOptions { CommandDirectory = bin, LogDirectory = Path.Combine(_directory, "logs"), PollInterval = TimeSpan.FromMilliseconds(200) });
        var options = new ExecutorOptions { Workers = 2, CheckpointDirectory = Path.Combine(_directory, "ck") };
        using var cancel = new CancellationTokenSource();

        // When: cancelled once both runs are running
        var run = Task.Run(() => executor.Run(store, "tiny", options, status =>
        {
            if (status.Counts.Running == 2) cancel.Cancel();
        }, cancellationToken: cancel.Token));
        var thrown = Record.Exception(() => run.Wait(TimeSpan.FromMinutes(2)));

        // Then: cancelled, the stand-in's tasks are gone (scancel), and both runs are queued again
        Assert.IsType<OperationCanceledException>(Assert.IsType<AggregateException>(thrown).InnerException);
        var pids = Directory.GetFiles(Path.Combine(bin, "state"), "101.*.pid");
        Assert.Equal(2, pids.Length);
        foreach (var pid in pids)
        {
            var id = int.Parse(File.ReadAllText(pid).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(WaitForExit(id, TimeSpan.FromSeconds(20)), $"task process {id} still alive after scancel");
        }
        Assert.All(store.ListRuns("tiny"), r => Assert.Equal(RunStatus.Queued, r.Status));
    }

    private static bool WaitForExit(int pid, TimeSpan timeout)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.WaitForExit(timeout);
        }
        catch (ArgumentException)
        {
            return true;
        }
    }

    [Fact]
    public void Sweep_SlurmOptionWithoutSlurmExecutor_UsageError()
    {
        // When
        var (code, _, err) = Run("sweep", Spec(), "--partition", "cpu");

        // Then
        Assert.Equal(2, code);
        Assert.Contains("need --executor slurm", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Sweep_SbatchMissing_OneClearLine()
    {
        // When: a --slurm-bin folder without sbatch
        var empty = Directory.CreateDirectory(Path.Combine(_directory, "empty")).FullName;
        var (code, _, err) = Run("sweep", Spec(), "--executor", "slurm", "--slurm-bin", empty,
            "--registry", "sqlite:" + Path.Combine(_directory, "r.db"));

        // Then
        Assert.Equal(1, code);
        Assert.Contains("sbatch not found", err, StringComparison.Ordinal);
    }

    [SkippableFact]
    [Trait("Category", "Slow")]
    public void Sweep_RealSlurm_EveryRunDoneByArrayTasks()
    {
        Skip.If(Environment.GetEnvironmentVariable(Variable) != "1", $"{Variable}=1 is set by .ci/run once .ci/slurm-up has started a one-node Slurm");

        // Given
        var registry = "sqlite:" + Path.Combine(_directory, "real.db");
        var logs = Path.Combine(_directory, "logs");

        // When
        var (code, _, err) = Run("sweep", Spec(), "--executor", "slurm", "--slurm-logs", logs, "--workers", "2", "--registry", registry);

        // Then: done by the tasks of one real job, with their logs written by Slurm
        Assert.True(code == 0, err);
        var runs = Runs(registry);
        Assert.Equal(4, runs.Count);
        Assert.All(runs, r => Assert.Equal(RunStatus.Done, r.Status));
        var logFiles = Directory.GetFiles(logs, "tiny-*_*.log");
        Assert.Equal(2, logFiles.Length);
    }

    [SkippableFact]
    [Trait("Category", "Slow")]
    public void Sweep_RealSlurmWithPostgresRegistry_EveryRunDone()
    {
        // The cluster setup: Slurm tasks claiming runs from PostgreSQL (each test in a schema of its own).
        var server = Environment.GetEnvironmentVariable("SCALELAB_TEST_POSTGRES");
        Skip.If(Environment.GetEnvironmentVariable(Variable) != "1" || string.IsNullOrWhiteSpace(server),
            $"needs {Variable}=1 and SCALELAB_TEST_POSTGRES (both set by .ci/run)");
        var schema = $"s_{Guid.NewGuid():N}";
        Execute(server!, $"CREATE SCHEMA {schema}");
        try
        {
            var registry = "postgres:" + new Npgsql.NpgsqlConnectionStringBuilder(server) { SearchPath = schema };

            // When
            var (code, _, err) = Run("sweep", Spec(), "--executor", "slurm", "--slurm-logs", Path.Combine(_directory, "logs"),
                "--workers", "2", "--registry", registry, "--checkpoint-dir", Path.Combine(_directory, "ck"));

            // Then
            Assert.True(code == 0, err);
            var runs = Runs(registry);
            Assert.Equal(4, runs.Count);
            Assert.All(runs, r => Assert.Equal(RunStatus.Done, r.Status));
            Assert.All(runs, r => Assert.Contains(":slurm", r.Worker, StringComparison.Ordinal));
        }
        finally
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            Execute(server!, $"DROP SCHEMA {schema} CASCADE");
        }

        static void Execute(string connectionString, string sql)
        {
            using var connection = new Npgsql.NpgsqlConnection(connectionString);
            connection.Open();
            using var command = new Npgsql.NpgsqlCommand(sql, connection);
            command.ExecuteNonQuery();
        }
    }
}
