using System.Text.Json;
using ScaleLab.Cli;
using Spectre.Console.Testing;

namespace ScaleLab.Cli.Tests;

public sealed class GnsCommandTests
{
    private static readonly string[] Tiny = ["--layers", "1", "--d-model", "16", "--heads", "2", "--seq", "16"];

    [Fact]
    public void Gns_TinyModelJson_OneRowPerStepWithFiniteBSimple()
    {
        // Given
        var console = new TestConsole();
        var stderr = new StringWriter();

        // When
        var code = CliApp.Run(["gns", .. Tiny, "--batch", "8", "--micro-batches", "4", "--steps", "12", "--json"], console, stderr);

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
