using System.Text.Json;
using ScaleLab.Cli;
using ScaleLab.Lab.Registry;
using Spectre.Console.Testing;

namespace ScaleLab.Cli.Tests;

/// <summary>The main job end to end: `demo --quick` trains, fits, back-tests, plans and writes the report.</summary>
public sealed class DemoCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("scalelab-demo-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Demo_Quick_WritesReportAndResumesWithoutRetraining()
    {
        // Given
        var stderr = new StringWriter();

        // When
        var code = CliApp.Run(["demo", "--quick", "--out", _dir, "--bootstrap", "20"], new TestConsole(), stderr);

        // Then: every run of the spec done, both laws fitted and back-tested, two plans, the verification run, the
        // report files and one SVG per figure.
        var expected = Lab.Sweeps.SweepSpec.Parse(Commands.DemoSpec.Toml(quick: true)).Expand().Count;
        Assert.Equal(CliApp.ExitOk, code);
        foreach (var file in new[] { "report.html", "report.md", "report.json", "demo.toml", "scalelab.db", "loss-vs-compute.svg", "training-curves.svg", "backtest-chinchilla.svg" })
        {
            Assert.True(File.Exists(Path.Combine(_dir, file)), $"{file} missing; stderr: {stderr}");
        }
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "report.json")));
        var root = doc.RootElement;
        Assert.Equal(expected, root.GetProperty("runs").GetArrayLength());
        Assert.All(root.GetProperty("runs").EnumerateArray(), r => Assert.Equal("done", r.GetProperty("status").GetString()));
        Assert.Equal(["chinchilla", "powerlaw"], root.GetProperty("laws").EnumerateArray().Select(l => l.GetProperty("law").GetString()));
        // L(N,D) is back-tested; L(C) on the quick study's 3-budget frontier has too few points for a hold-out.
        Assert.Contains("chinchilla", root.GetProperty("backtests").EnumerateArray().Select(b => b.GetProperty("law").GetString()));
        Assert.Equal(2, root.GetProperty("plans").EnumerateArray().Count(p => p.GetProperty("law").GetString()!.StartsWith("chinchilla", StringComparison.Ordinal)));
        var floor = root.GetProperty("true_loss_floor").GetDouble();
        Assert.InRange(floor, 1.5, 1.7);
        Assert.All(root.GetProperty("runs").EnumerateArray(), r => Assert.True(r.GetProperty("final_val_loss").GetDouble() > floor));
        var floors = root.GetProperty("floors");
        Assert.True(floors.GetProperty("entropy_rate").GetDouble() < floors.GetProperty("context_floor").GetDouble());
        var verification = root.GetProperty("verification");
        Assert.InRange(verification.GetProperty("multiple_of_largest_run").GetDouble(), 9, 11);
        var predicted = verification.GetProperty("predicted");
        Assert.True(predicted.GetProperty("lo").GetDouble() < predicted.GetProperty("hi").GetDouble());
        Assert.True(verification.GetProperty("observed").GetDouble() > floor);
        Assert.StartsWith("Forecast check", root.GetProperty("headline").GetString(), StringComparison.Ordinal);

        // When: run again into the same folder
        var again = new StringWriter();
        var secondCode = CliApp.Run(["demo", "--quick", "--out", _dir, "--bootstrap", "20"], new TestConsole(), again);

        // Then: nothing is trained twice: every run was claimed exactly once.
        Assert.Equal(CliApp.ExitOk, secondCode);
        using var store = RunStores.Open("sqlite:" + Path.Combine(_dir, "scalelab.db"));
        var runs = store.ListRuns("demo-quick").Concat(store.ListRuns("demo-quick.verify")).ToList();
        Assert.Equal(expected + 1, runs.Count);
        Assert.All(runs, r => Assert.Equal(1, r.Attempts));

        // When: the last run is put back in the queue as if the demo had been killed before marking it done, and the
        // demo is resumed with plain sweep on its spec and registry
        var last = store.ListRuns("demo-quick")[^1];
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_dir, "scalelab.db")};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"UPDATE runs SET status = 'queued', final_loss = NULL WHERE run_key = '{last.Key}'";
            command.ExecuteNonQuery();
        }
        // (sweep's progress and worker lines go to the process's stderr, so it is captured for this call)
        var resumed = new StringWriter();
        var original = Console.Error;
        Console.SetError(TextWriter.Synchronized(resumed));
        int sweepCode;
        try
        {
            sweepCode = CliApp.Run(["sweep", Path.Combine(_dir, "demo.toml"), "--registry", "sqlite:" + Path.Combine(_dir, "scalelab.db"),
                "--executor", "threads", "--workers", "1"], new TestConsole(), resumed);
        }
        finally
        {
            Console.SetError(original);
        }

        // Then: sweep found the demo's checkpoint of that run (its last step) and trained nothing again
        Assert.True(sweepCode == CliApp.ExitOk, resumed.ToString());
        var steps = Lab.Sweeps.RunSpec.FromRecord(last).Steps;
        Assert.Contains($"resuming from step {steps}", resumed.ToString(), StringComparison.Ordinal);
        var after = store.ListRuns("demo-quick");
        Assert.Equal((RunStatus.Done, 2, last.FinalLoss), (after[^1].Status, after[^1].Attempts, after[^1].FinalLoss));
        Assert.All(after.SkipLast(1), r => Assert.Equal(1, r.Attempts));

        // When: verify is asked for a budget no larger than the study's largest run
        // (the laws' compute is 6·N·D with N the non-embedding parameters, as the verification's multiple is)
        var largest = verification.GetProperty("compute").GetDouble() / verification.GetProperty("multiple_of_largest_run").GetDouble();
        var refused = new StringWriter();
        var verifyCode = CliApp.Run(["verify", "--study", "demo-quick", "--registry", "sqlite:" + Path.Combine(_dir, "scalelab.db"),
            "--compute", largest.ToString("R", System.Globalization.CultureInfo.InvariantCulture), "--bootstrap", "20",
            "--out", Path.Combine(_dir, "verify.html")], new TestConsole(), refused);

        // Then: one line, exit 2, nothing enqueued
        Assert.True(verifyCode == CliApp.ExitUsage, refused.ToString());
        Assert.Contains("is not beyond the study's largest run", refused.ToString(), StringComparison.Ordinal);
        Assert.Single(store.ListRuns("demo-quick.verify"));
    }
}
