using System.Text.Json;
using ScaleLab.Cli;
using ScaleLab.Laws;

namespace ScaleLab.Cli.Tests;

public sealed class PlanCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("scalelab-plan-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>A chinchilla fit document with a bootstrap, from Epoch's parameters plus jittered draws.</summary>
    private string ChinchillaDocument()
    {
        var rng = new Random(4);
        var draws = Enumerable.Range(0, 50).Select(_ => new[]
        {
            1.82 + 0.02 * (rng.NextDouble() - 0.5), 482 * (1 + 0.2 * (rng.NextDouble() - 0.5)), 2085 * (1 + 0.2 * (rng.NextDouble() - 0.5)),
            0.348 + 0.02 * (rng.NextDouble() - 0.5), 0.366 + 0.02 * (rng.NextDouble() - 0.5),
        }).ToArray();
        var doc = new LawFitDocument
        {
            Law = "chinchilla",
            Loss = "huber",
            Parameters = new() { ["E"] = new(1.82), ["A"] = new(482.01), ["B"] = new(2085.43), ["alpha"] = new(0.3478), ["beta"] = new(0.3658) },
            Bootstrap = new BootstrapDocument(50, 0, 0.95, 1, "test", ["E", "A", "B", "alpha", "beta"], draws),
        };
        var path = Path.Combine(_dir, "fit.json");
        doc.Write(path);
        return path;
    }

    [Fact]
    public void Plan_ChinchillaDocumentJson_SpendsTheBudgetWithIntervals()
    {
        // When
        var (code, output, _) = FitCli.Run("plan", ChinchillaDocument(), "--compute", "5.76e23", "--json");

        // Then
        Assert.Equal(CliApp.ExitOk, code);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        double n = root.GetProperty("n").GetDouble(), d = root.GetProperty("d").GetDouble();
        Assert.Equal(5.76e23, 6 * n * d, 1e14);
        Assert.Equal(50, root.GetProperty("samples").GetInt32());
        var ni = root.GetProperty("n_interval");
        Assert.InRange(n, ni.GetProperty("lo").GetDouble(), ni.GetProperty("hi").GetDouble());
    }

    [Fact]
    public void Plan_HumanOutput_ShowsAllocation()
    {
        var (code, output, _) = FitCli.Run("plan", ChinchillaDocument(), "--compute", "1e24");
        Assert.Equal(CliApp.ExitOk, code);
        Assert.Contains("tokens per parameter", output);
    }

    [Fact]
    public void Plan_MissingFile_ExitsTwo() =>
        FitCli.AssertOneLineError(FitCli.Run("plan", Path.Combine(_dir, "none.json"), "--compute", "1e24"), CliApp.ExitUsage, "none.json");

    [Fact]
    public void Plan_BadCompute_ExitsTwo() =>
        FitCli.AssertOneLineError(FitCli.Run("plan", ChinchillaDocument(), "--compute", "-5"), CliApp.ExitUsage, "--compute must be a positive number");

    [Fact]
    public void Plan_NotAChinchillaFit_ExitsTwo()
    {
        var path = FitCli.Write(_dir, "p.json", new LawFitDocument { Law = "powerlaw", Loss = "huber", Parameters = new() { ["E"] = new(1) } }.ToJson());
        FitCli.AssertOneLineError(FitCli.Run("plan", path, "--compute", "1e24"), CliApp.ExitUsage, "plan needs a chinchilla fit");
    }

    [Fact]
    public void Plan_MalformedDocument_ExitsTwo()
    {
        var path = FitCli.Write(_dir, "broken.json", "{ not json");
        FitCli.AssertOneLineError(FitCli.Run("plan", path, "--compute", "1e24"), CliApp.ExitUsage, "broken.json: not a fit document");
    }
}
