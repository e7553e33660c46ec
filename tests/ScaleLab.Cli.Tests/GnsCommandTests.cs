using System.Text.Json;
using Microsoft.Data.Sqlite;
using ScaleLab.Cli;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;
using Spectre.Console.Testing;

namespace ScaleLab.Cli.Tests;

public sealed class GnsCommandTests : IDisposable
{
    private static readonly string[] Tiny = ["--layers", "1", "--d-model", "16", "--heads", "2", "--seq", "16"];

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("scalelab-gns-");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Delete(recursive: true);
    }

    private string Registry => "sqlite:" + Path.Combine(_dir.FullName, "r.db");

    /// <summary>A tiny run of 24 steps (8 sequences as 2 micro-batches of 4) in the test's registry, study "g".</summary>
    private string[] TinyRun(params string[] extra) =>
        ["gns", .. Tiny, "--batch", "8", "--micro-batches", "2", "--steps", "24", "--registry", Registry, "--study", "g",
            "--checkpoint-interval", "5", .. extra];

    /// <summary>Compact JSON of an element, its numbers as written (the shortest round-trip form of each double).</summary>
    private static string Compact(JsonElement element) => JsonSerializer.Serialize(element);

    private static (JsonElement Root, string Out, string Err) Run(string[] args)
    {
        var console = new TestConsole().Width(200);
        var stderr = new StringWriter();
        var code = CliApp.Run(args, console, stderr);
        Assert.True(code == CliApp.ExitOk, stderr.ToString());
        if (!args.Contains("--json"))
        {
            return (default, console.Output, stderr.ToString());
        }
        using var doc = JsonDocument.Parse(console.Output);
        return (doc.RootElement.Clone(), console.Output, stderr.ToString());
    }

    [Fact]
    public void Gns_TinyModelJson_OneRowPerStepWithFiniteBSimple()
    {
        // Given
        var console = new TestConsole();
        var stderr = new StringWriter();

        // When
        var code = CliApp.Run(["gns", .. Tiny, "--batch", "8", "--micro-batches", "4", "--steps", "12", "--json", "--registry", Registry], console, stderr);

        // Then
        Assert.Equal(CliApp.ExitOk, code);
        using var doc = JsonDocument.Parse(console.Output);
        var root = doc.RootElement;
        Assert.Equal("gns", root.GetProperty("command").GetString());
        Assert.Equal(4, root.GetProperty("micro_batches").GetInt32());
        Assert.Equal(2, root.GetProperty("micro_batch_size").GetInt32());
        var trajectory = root.GetProperty("trajectory");
        Assert.Equal(12, trajectory.GetArrayLength());
        var last = trajectory[11];
        Assert.Equal(12, last.GetProperty("step").GetInt64());
        var bSimple = last.GetProperty("b_simple").GetDouble();
        // B_simple = EMA(tr Σ)/EMA(|G|²), and in tokens it is T = 16 times that
        Assert.Equal(last.GetProperty("trace_cov_ema").GetDouble() / last.GetProperty("grad_norm_sq_ema").GetDouble(), bSimple, 1e-9);
        Assert.Equal(16 * bSimple, last.GetProperty("b_simple_tokens").GetDouble(), 1e-9);
        Assert.True(root.GetProperty("validation_loss").GetDouble() > 0);
    }

    [Fact]
    public void Gns_RegistryRun_SameTrajectoryAsStandaloneBitForBit()
    {
        // Given: the standalone trajectory (--compare-per-example trains its micro-batch run in memory, no registry)
        var standalone = Run(["gns", .. Tiny, "--batch", "8", "--micro-batches", "2", "--steps", "24", "--compare-per-example", "--json"])
            .Root.GetProperty("micro");

        // When: the same settings as a registry run, and a negative control with another seed
        var registry = Run(TinyRun("--json")).Root;
        var otherSeed = Run(TinyRun("--json", "--seed", "2")).Root;

        // Then: every step's loss, raw estimates, EMAs and B_simple are the same doubles (JSON writes the shortest
        // round-trip form), as is the final validation loss; the other seed gives another trajectory
        Assert.Equal(24, registry.GetProperty("trajectory").GetArrayLength());
        Assert.Equal(Compact(standalone.GetProperty("trajectory")), Compact(registry.GetProperty("trajectory")));
        Assert.Equal(standalone.GetProperty("validation_loss").GetDouble(), registry.GetProperty("validation_loss").GetDouble());
        Assert.NotEqual(registry.GetProperty("trajectory")[23].GetProperty("b_simple").GetDouble(),
            otherSeed.GetProperty("trajectory")[23].GetProperty("b_simple").GetDouble());
        using var store = RunStores.Open(Registry);
        var key = registry.GetProperty("run_key").GetString()!;
        Assert.Equal(RunStatus.Done, store.GetRun(key)!.Status);
        Assert.Equal([0, 1], store.ListRuns("g").Select(r => r.Ordinal).Order());
        Assert.Equal(24, store.ReadMetrics(key).Count(m => m.BSimple is not null));
    }

    [Theory]
    [InlineData("slurm")]
    [InlineData("local")]
    public void Gns_WorkerProcessExecutor_RunDoneByAWorkerAndTablePrinted(string executor)
    {
        // Given: for slurm, the fake Slurm (sbatch runs the array tasks as local processes)
        var flags = WorkerExecutors.Flags(executor, _dir.FullName);

        // When
        var (_, output, err) = Run(TinyRun([.. flags, "--every", "8"]));

        // Then: the table has the rows of steps 8, 16 and 24, and the run was trained by a worker process
        // (task 0 of job 101 for slurm, worker w0 for local), not by a thread of this process
        Assert.Contains("B_simple (seq)", output, StringComparison.Ordinal);
        Assert.Contains("│ 24 ", output, StringComparison.Ordinal);
        Assert.Contains(" trained", err, StringComparison.Ordinal);
        Assert.Contains("step 24: loss ", err, StringComparison.Ordinal);
        using var store = RunStores.Open(Registry);
        var run = Assert.Single(store.ListRuns("g"));
        Assert.Equal(RunStatus.Done, run.Status);
        Assert.Contains(WorkerExecutors.WorkerMark(executor), run.Worker, StringComparison.Ordinal);
    }

    [Fact]
    public void Gns_SameCommandAgain_ReadFromTheRegistryNotRetrained()
    {
        // Given
        var first = Run(TinyRun("--json")).Root;

        // When
        var second = Run(TinyRun("--json")).Root;

        // Then
        Assert.True(first.GetProperty("trained_now").GetBoolean());
        Assert.False(second.GetProperty("trained_now").GetBoolean());
        Assert.Equal(Compact(first.GetProperty("trajectory")), Compact(second.GetProperty("trajectory")));
        using var store = RunStores.Open(Registry);
        Assert.Equal(1, Assert.Single(store.ListRuns("g")).Attempts);
    }

    [Fact]
    public void Gns_RunInterruptedByAKilledProcess_ResumedFromItsCheckpointSameTrajectory()
    {
        // Given: a finished run put back as a killed process of this machine leaves it: running (fresh heartbeat),
        // rows and a checkpoint up to step 10, nothing after
        var first = Run(TinyRun("--json")).Root;
        var key = first.GetProperty("run_key").GetString()!;
        RunSpec spec;
        using (var store = RunStores.Open(Registry))
        {
            spec = RunSpec.FromRecord(store.GetRun(key)!);
        }
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(_dir.FullName, "r.db")};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText =
                "UPDATE runs SET status = 'running', worker = $w, heartbeat_ms = $now, finished_ms = NULL, final_loss = NULL WHERE run_key = $k; " +
                "DELETE FROM metrics WHERE run_key = $k AND step > 10";
            command.Parameters.AddWithValue("$w", $"{Environment.MachineName}:99999999:t0");
            command.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$k", key);
            command.ExecuteNonQuery();
        }
        var checkpoint = new ExecutorOptions { CheckpointDirectory = Path.Combine(_dir.FullName, "scalelab-checkpoints") }.CheckpointPath("g", key);
        using (var trainer = new Trainer(RunExecution.ToTrainOptions(spec, 1), Corpora.Open(spec)))
        {
            for (var i = 0; i < 10; i++)
            {
                trainer.TrainStep();
            }
            trainer.SaveCheckpoint(checkpoint);
        }

        // When
        var second = Run(TinyRun("--json")).Root;

        // Then: resumed from step 10 with the EMAs rebuilt from the logged estimates, so the same trajectory bit for bit
        Assert.Equal(10, second.GetProperty("resumed_from_step").GetInt64());
        Assert.Equal(Compact(first.GetProperty("trajectory")), Compact(second.GetProperty("trajectory")));
        Assert.Equal(first.GetProperty("validation_loss").GetDouble(), second.GetProperty("validation_loss").GetDouble());
    }

    [Fact]
    public void Gns_ComparePerExampleWithARegistry_ExitsTwoWithOneLine()
    {
        // Given
        var stderr = new StringWriter();

        // When
        var code = CliApp.Run(["gns", "--compare-per-example", "--registry", Registry], new TestConsole(), stderr);

        // Then
        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Single(stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("--compare-per-example", stderr.ToString());
    }

    [Fact]
    public void Gns_ComparePerExampleJson_BothTrajectoriesAndTheirRatio()
    {
        // Given
        var console = new TestConsole();
        var stderr = new StringWriter();

        // When
        var code = CliApp.Run(["gns", .. Tiny, "--batch", "8", "--micro-batches", "2", "--steps", "40", "--compare-per-example", "--json"], console, stderr);

        // Then
        Assert.Equal(CliApp.ExitOk, code);
        using var doc = JsonDocument.Parse(console.Output);
        var root = doc.RootElement;
        Assert.Equal((4, 1), (root.GetProperty("micro").GetProperty("micro_batch_size").GetInt32(),
            root.GetProperty("per_example").GetProperty("micro_batch_size").GetInt32()));
        var ratios = root.GetProperty("ratio_per_example_over_micro");
        Assert.Equal(40, ratios.GetArrayLength());
        var last = ratios[39].GetDouble();
        var micro = root.GetProperty("micro").GetProperty("trajectory")[39].GetProperty("b_simple").GetDouble();
        var perExample = root.GetProperty("per_example").GetProperty("trajectory")[39].GetProperty("b_simple").GetDouble();
        Assert.Equal(perExample / micro, last, 1e-12);
        Assert.Equal(root.GetProperty("mean_b_simple_per_example").GetDouble() / root.GetProperty("mean_b_simple_micro").GetDouble(),
            root.GetProperty("mean_ratio").GetDouble(), 1e-12);
    }

    [Fact]
    public void Gns_ComparePerExampleWithMicroBatchesOfOne_ExitsTwo()
    {
        // Given
        var stderr = new StringWriter();

        // When
        var code = CliApp.Run(["gns", "--batch", "8", "--micro-batches", "8", "--compare-per-example"], new TestConsole(), stderr);

        // Then
        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains("--compare-per-example", stderr.ToString());
    }

    [Theory]
    [InlineData("--micro-batches", "1")]
    [InlineData("--micro-batches", "3")]
    [InlineData("--ema", "1")]
    [InlineData("--steps", "0")]
    [InlineData("--executor", "cloud")]
    [InlineData("--partition", "gpu")]
    [InlineData("--study", "a b")]
    [InlineData("--registry", "mysql:x")]
    [InlineData("--workers", "0")]
    public void Gns_BadFlag_ExitsTwoWithOneLine(string flag, string value)
    {
        // Given
        var stderr = new StringWriter();

        // When
        var code = CliApp.Run(["gns", "--batch", "8", flag, value], new TestConsole(), stderr);

        // Then
        Assert.Equal(CliApp.ExitUsage, code);
        var lines = stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
    }
}
