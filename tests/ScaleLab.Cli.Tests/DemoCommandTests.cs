using System.Text.Json;
using ScaleLab.Cli;
using ScaleLab.Lab.Registry;
using Spectre.Console.Testing;

namespace ScaleLab.Cli.Tests;

/// <summary>The main job end to end: `demo --quick` trains, fits, back-tests, plans and writes the report.</summary>
public sealed class DemoCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("scalelab-demo-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Demo_Quick_WritesReportAndResumesWithoutRetraining()
    {
        // Given
        var stderr = new StringWriter();

        // When
        var code = CliApp.Run(["demo", "--quick", "--out", _dir, "--bootstrap", "20"], new TestConsole(), stderr);

        // Then: all 12 runs done, both laws fitted and back-tested, two plans, the three report files.
        Assert.Equal(CliApp.ExitOk, code);
        foreach (var file in new[] { "report.html", "report.md", "report.json", "demo.toml", "scalelab.db" })
        {
            Assert.True(File.Exists(Path.Combine(_dir, file)), $"{file} missing; stderr: {stderr}");
        }
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "report.json")));
        var root = doc.RootElement;
        Assert.Equal(12, root.GetProperty("runs").GetArrayLength());
        Assert.All(root.GetProperty("runs").EnumerateArray(), r => Assert.Equal("done", r.GetProperty("status").GetString()));
        Assert.Equal(["chinchilla", "powerlaw"], root.GetProperty("laws").EnumerateArray().Select(l => l.GetProperty("law").GetString()));
        Assert.Equal(2, root.GetProperty("backtests").GetArrayLength());
        Assert.Equal(2, root.GetProperty("plans").GetArrayLength());
        var floor = root.GetProperty("true_loss_floor").GetDouble();
        Assert.InRange(floor, 1.5, 1.7);
        Assert.All(root.GetProperty("runs").EnumerateArray(), r => Assert.True(r.GetProperty("final_val_loss").GetDouble() > floor));

        // When: run again into the same folder
        var again = new StringWriter();
        var secondCode = CliApp.Run(["demo", "--quick", "--out", _dir, "--bootstrap", "20"], new TestConsole(), again);

        // Then: nothing is trained twice: every run was claimed exactly once.
        Assert.Equal(CliApp.ExitOk, secondCode);
        using var store = RunStores.Open("sqlite:" + Path.Combine(_dir, "scalelab.db"));
        var runs = store.ListRuns("demo-quick");
        Assert.Equal(12, runs.Count);
        Assert.All(runs, r => Assert.Equal(1, r.Attempts));
    }
}
