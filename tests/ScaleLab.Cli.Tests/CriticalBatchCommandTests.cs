using System.Text.Json;
using ScaleLab.Cli;
using Spectre.Console.Testing;

namespace ScaleLab.Cli.Tests;

public sealed class CriticalBatchCommandTests
{
    [Fact]
    public void CriticalBatch_TinySweepJson_EveryRunReportedAndTargetsReadOff()
    {
        // Given: a tiny GPT falls from ≈ 5.5 past 4.5 and 4.0 nats within a few dozen steps at every batch size
        var dir = Directory.CreateTempSubdirectory("scalelab-cb-");
        var plot = Path.Combine(dir.FullName, "tradeoff.png");
        var console = new TestConsole();
        var stderr = new StringWriter();
        string[] args =
        [
            "critical-batch", "--layers", "1", "--d-model", "16", "--heads", "2", "--seq", "16",
            "--batches", "2,4,8", "--lrs", "1e-2", "--targets", "4.5,4.0", "--max-examples", "800",
            "--min-steps", "20", "--eval-points", "100", "--micro-batches", "2", "--warmup", "5", "--json",
            "--plot", plot,
        ];

        // When
        var code = CliApp.Run(args, console, stderr);

        // Then
        Assert.Equal(CliApp.ExitOk, code);
        using var doc = JsonDocument.Parse(console.Output);
        var root = doc.RootElement;
        Assert.Equal(3, root.GetProperty("sweep").GetArrayLength());
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
        }
        foreach (var file in new[] { plot, Path.Combine(dir.FullName, "tradeoff-bcrit.png") })
        {
            var bytes = File.ReadAllBytes(file);
            Assert.True(bytes.Length > 1000);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        }
        dir.Delete(recursive: true);
    }

    [Theory]
    [InlineData("--batches", "4,8")]
    [InlineData("--batches", "4,8,x")]
    [InlineData("--lrs", "-1")]
    [InlineData("--targets", "")]
    [InlineData("--plot", "figure.jpg")]
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
