using System.Text.Json;
using Microsoft.Data.Sqlite;
using ScaleLab.Cli;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;
using Spectre.Console.Testing;

namespace ScaleLab.Cli.Tests;

public sealed class CriticalBatchCommandTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("scalelab-cb-");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Delete(recursive: true);
    }

    private string DbPath => Path.Combine(_dir.FullName, "r.db");

    /// <summary>A tiny GPT falls from ≈ 5.5 past 4.5 and 4.0 nats within a few dozen steps at every batch size.</summary>
    private string[] TinySweep(params string[] extra) =>
    [
        "critical-batch", "--layers", "1", "--d-model", "16", "--heads", "2", "--seq", "16",
        "--batches", "2,4,8", "--lrs", "1e-2", "--targets", "4.5,4.0", "--max-examples", "800",
        "--min-steps", "20", "--eval-points", "100", "--micro-batches", "2", "--warmup", "5", "--json",
        "--registry", "sqlite:" + DbPath, "--study", "cb", "--checkpoint-interval", "4", .. extra,
    ];

    private static (int Code, JsonElement Root, string Err) Run(string[] args)
    {
        var console = new TestConsole();
        var stderr = new StringWriter();
        var code = CliApp.Run(args, console, stderr);
        Assert.True(code == CliApp.ExitOk, stderr.ToString());
        using var doc = JsonDocument.Parse(console.Output);
        return (code, doc.RootElement.Clone(), stderr.ToString());
    }

    /// <summary>The result without the per-session fields (which runs were trained now).</summary>
    private static string Result(JsonElement root) => JsonSerializer.Serialize(new
    {
        targets = root.GetProperty("targets"),
        mean_b_crit = root.GetProperty("mean_b_crit"),
        mean_b_simple = root.GetProperty("mean_b_simple"),
        curves = root.GetProperty("sweep").EnumerateArray().Select(r => new
        {
            key = r.GetProperty("run_key").GetString(),
            curve = r.GetProperty("curve"),
            b_simple = r.GetProperty("b_simple_at_evals"),
            ending = r.GetProperty("ending").GetString(),
        }).ToList(),
    });

    [Theory]
    [InlineData("local")]
    [InlineData("slurm")]
    public void CriticalBatch_WorkerProcessExecutors_SameResultAsThreadsAndRunsDoneByWorkers(string executor)
    {
        // Given: the same sweep on threads of this process (the default), into another registry
        var reference = Run([.. TinySweep().Select(a => a == "sqlite:" + DbPath ? "sqlite:" + Path.Combine(_dir.FullName, "ref.db") : a),
            "--checkpoint-dir", Path.Combine(_dir.FullName, "ref-ck")]);
        var flags = WorkerExecutors.Flags(executor, _dir.FullName);

        // When: trained by worker processes (local) or by the tasks of a Slurm job array (the stand-in)
        var (_, root, err) = Run(TinySweep([.. flags, "--workers", "2"]));

        // Then: the analysis is the one of the in-process run, bit for bit, every run was trained now, by a worker process
        Assert.Equal(Result(reference.Root), Result(root));
        Assert.All(root.GetProperty("sweep").EnumerateArray(), r => Assert.True(r.GetProperty("trained_now").GetBoolean(), err));
        using var store = RunStores.Open("sqlite:" + DbPath);
        Assert.All(store.ListRuns("cb"), r => Assert.DoesNotContain(":t", r.Worker![r.Worker!.LastIndexOf(':')..], StringComparison.Ordinal));
        Assert.All(store.ListRuns("cb"), r => Assert.Contains(WorkerExecutors.WorkerMark(executor), r.Worker, StringComparison.Ordinal));
    }

    [Fact]
    public void CriticalBatch_TinySweepJson_EveryRunReportedAndTargetsReadOff()
    {
        // Given
        var plot = Path.Combine(_dir.FullName, "tradeoff.png");

        // When
        var (_, root, _) = Run(TinySweep("--plot", plot));

        // Then
        Assert.Equal(3, root.GetProperty("sweep").GetArrayLength());
        Assert.Equal("cb", root.GetProperty("study").GetString());
        var targets = root.GetProperty("targets");
        Assert.Equal(2, targets.GetArrayLength());
        Assert.Equal(4.5, targets[0].GetProperty("target_loss").GetDouble());
        foreach (var target in targets.EnumerateArray())
        {
            foreach (var run in target.GetProperty("runs").EnumerateArray())
            {
                // E = B·S by definition
                Assert.Equal(run.GetProperty("batch").GetDouble() * run.GetProperty("steps").GetDouble(), run.GetProperty("examples").GetDouble(), 1e-9);
            }
        }
        foreach (var run in root.GetProperty("sweep").EnumerateArray())
        {
            Assert.Equal("ReachedTargets", run.GetProperty("ending").GetString());
            Assert.True(run.GetProperty("trained_now").GetBoolean());
        }
        foreach (var file in new[] { plot, Path.Combine(_dir.FullName, "tradeoff-bcrit.png") })
        {
            var bytes = File.ReadAllBytes(file);
            Assert.True(bytes.Length > 1000);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        }
        using var store = RunStores.Open("sqlite:" + DbPath);
        Assert.Equal(new StatusCounts(0, 0, 3, 0), store.CountByStatus("cb"));
    }

    [Fact]
    public void CriticalBatch_SameCommandAgain_NothingRetrainedSameResult()
    {
        // Given
        var first = Run(TinySweep());

        // When
        var second = Run(TinySweep());

        // Then
        Assert.All(second.Root.GetProperty("sweep").EnumerateArray(), r => Assert.False(r.GetProperty("trained_now").GetBoolean()));
        Assert.Equal(Result(first.Root), Result(second.Root));
        using var store = RunStores.Open("sqlite:" + DbPath);
        Assert.All(store.ListRuns("cb"), r => Assert.Equal(1, r.Attempts));
    }

    [Fact]
    public void CriticalBatch_RunInterruptedByAKilledProcess_ResumedFromItsCheckpointSameResult()
    {
        // Given: a finished study, then its longest run put back as a killed process of this machine leaves it:
        // running (fresh heartbeat), rows and a checkpoint up to half-way, nothing after.
        var first = Run(TinySweep());
        var longest = first.Root.GetProperty("sweep").EnumerateArray().MaxBy(r => r.GetProperty("steps_run").GetInt64());
        var key = longest.GetProperty("run_key").GetString()!;
        var half = longest.GetProperty("steps_run").GetInt64() / 2;
        RunSpec spec;
        using (var store = RunStores.Open("sqlite:" + DbPath))
        {
            spec = RunSpec.FromRecord(store.GetRun(key)!);
        }
        using (var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText =
                "UPDATE runs SET status = 'running', worker = $w, heartbeat_ms = $now, finished_ms = NULL, final_loss = NULL WHERE run_key = $k; " +
                "DELETE FROM metrics WHERE run_key = $k AND step > $s";
            command.Parameters.AddWithValue("$w", $"{Environment.MachineName}:99999999:t0");
            command.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$k", key);
            command.Parameters.AddWithValue("$s", half);
            command.ExecuteNonQuery();
        }
        var checkpoint = new ExecutorOptions { CheckpointDirectory = Path.Combine(_dir.FullName, "scalelab-checkpoints") }.CheckpointPath("cb", key);
        using (var trainer = new Trainer(RunExecution.ToTrainOptions(spec, 1), Corpora.Open(spec)))
        {
            for (var i = 0; i < half; i++)
            {
                trainer.TrainStep();
            }
            trainer.SaveCheckpoint(checkpoint);
        }

        // When
        var second = Run(TinySweep());

        // Then: only that run trained, from the half-way checkpoint, and the result is the same
        foreach (var run in second.Root.GetProperty("sweep").EnumerateArray())
        {
            var resumed = run.GetProperty("run_key").GetString() == key;
            Assert.Equal(resumed, run.GetProperty("trained_now").GetBoolean());
            Assert.Equal(resumed ? half : 0, run.GetProperty("resumed_from_step").GetInt64());
        }
        Assert.Equal(Result(first.Root), Result(second.Root));
    }

    [Theory]
    [InlineData("--batches", "4,8")]
    [InlineData("--batches", "4,8,x")]
    [InlineData("--lrs", "-1")]
    [InlineData("--targets", "")]
    [InlineData("--plot", "figure.jpg")]
    [InlineData("--study", "a b")]
    [InlineData("--registry", "mysql:x")]
    [InlineData("--workers", "0")]
    public void CriticalBatch_BadFlag_ExitsTwoWithOneLine(string flag, string value)
    {
        // Given
        var stderr = new StringWriter();

        // When
        var code = CliApp.Run(["critical-batch", flag, value], new TestConsole(), stderr);

        // Then
        Assert.Equal(CliApp.ExitUsage, code);
        var lines = stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
    }
}
