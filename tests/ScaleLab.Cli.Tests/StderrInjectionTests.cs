using System.Text.Json;
using ScaleLab.Cli;
using Spectre.Console.Testing;

namespace ScaleLab.Cli.Tests;

/// <summary>
/// Progress goes to the one injected <see cref="Stderr"/>, not the process's static stderr, so a verb run in-process
/// with a <see cref="StringWriter"/> shows its progress there while stdout holds only the <c>--json</c> document.
/// </summary>
public sealed class StderrInjectionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("scalelab-stderr-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var console = new TestConsole();
        var stderr = new StringWriter();
        var code = CliApp.Run(args, console, stderr);
        return (code, console.Output, stderr.ToString());
    }

    [Fact]
    public void Run_FitBootstrapWithJson_ProgressLinesOnInjectedStderrAndStdoutIsOneDocument()
    {
        // Given: 12 points, so the fit is bootstrapped (50 draws) and back-tested (30 draws)
        var data = FitCli.PowerLawCsv(_dir, 12);

        // When
        var (code, output, err) = Run("fit", data, "--law", "powerlaw", "--bootstrap", "50", "--backtest-bootstrap", "30", "--json");

        // Then: progress lines at tenths of each bootstrap, the last one included, on the injected writer and nowhere in
        // stdout (draws run in parallel, so a tenth may be reported twice or not at all, and out of order)
        Assert.True(code == CliApp.ExitOk, err);
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        AssertTenths(lines.Where(l => l.StartsWith("bootstrap:", StringComparison.Ordinal)).ToList(), "bootstrap", 50);
        AssertTenths(lines.Where(l => l.StartsWith("back-test", StringComparison.Ordinal)).ToList(), "back-test bootstrap", 30);
        Assert.DoesNotContain("bootstrap:", output, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal("powerlaw", doc.RootElement.GetProperty("law").GetString());
    }

    private static void AssertTenths(IReadOnlyList<string> lines, string what, int total)
    {
        var allowed = Enumerable.Range(1, 10).Select(i => $"{what}: {total / 10 * i}/{total}").ToHashSet();
        Assert.NotEmpty(lines);
        Assert.All(lines, l => Assert.Contains(l, allowed));
        Assert.Contains($"{what}: {total}/{total}", lines);
    }

    [Fact]
    public void Run_TrainWithJson_StepAndEvalLinesOnInjectedStderrAndStdoutIsOneDocument()
    {
        // Given / When: a tiny run of 20 steps (a plain line every 5% of the run, since a StringWriter is no terminal)
        var (code, output, err) = Run("train", "--layers", "1", "--d-model", "16", "--heads", "2", "--seq", "16", "--batch", "4",
            "--eval-sequences", "8", "--steps", "20", "--json");

        // Then
        Assert.True(code == CliApp.ExitOk, err);
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(Enumerable.Range(1, 20).Select(i => $"step {i}/20"), lines.Where(l => l.StartsWith("step ", StringComparison.Ordinal)).Select(l => string.Join(' ', l.Split(' ')[..2])));
        Assert.Contains(lines, l => l.StartsWith("eval step 20: validation loss ", StringComparison.Ordinal));
        Assert.DoesNotContain("step ", output, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(20, doc.RootElement.GetProperty("steps").GetInt64());
    }
}
