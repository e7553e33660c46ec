using System.Text.Json;
using ScaleLab.Cli;

namespace ScaleLab.Cli.Tests;

public sealed class BacktestCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("scalelab-backtest-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Backtest_HoldoutJson_ReportsEachHeldOutPointAndSummary()
    {
        // When
        var (code, output, _) = FitCli.Run("backtest", FitCli.PowerLawCsv(_dir, 20), "--law", "powerlaw", "--holdout", "3", "--bootstrap", "50", "--json");

        // Then
        Assert.Equal(CliApp.ExitOk, code);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal(17, root.GetProperty("train_count").GetInt32());
        var points = root.GetProperty("points");
        Assert.Equal(3, points.GetArrayLength());
        Assert.Equal(20, points[2].GetProperty("row").GetInt32());
        Assert.InRange(root.GetProperty("coverage").GetDouble(), 0, 1);
    }

    [Fact]
    public void Backtest_HoldoutAbove_HoldsOutTheLargest()
    {
        var (code, output, _) = FitCli.Run("backtest", FitCli.PowerLawCsv(_dir, 20), "--law", "powerlaw", "--holdout-above", "1e22", "--bootstrap", "30");
        Assert.Equal(CliApp.ExitOk, code);
        Assert.Contains("predict the", output);
    }

    [Fact]
    public void Backtest_BothHoldoutFlags_ExitsTwo() =>
        FitCli.AssertOneLineError(FitCli.Run("backtest", FitCli.PowerLawCsv(_dir, 20), "--law", "powerlaw", "--holdout", "3", "--holdout-above", "1e21"),
            CliApp.ExitUsage, "exactly one of --holdout");

    [Fact]
    public void Backtest_NoHoldoutFlag_ExitsTwo() =>
        FitCli.AssertOneLineError(FitCli.Run("backtest", FitCli.PowerLawCsv(_dir, 20), "--law", "powerlaw"), CliApp.ExitUsage, "exactly one of --holdout");

    [Fact]
    public void Backtest_TooFewTrainingPoints_ExitsTwo() =>
        FitCli.AssertOneLineError(FitCli.Run("backtest", FitCli.PowerLawCsv(_dir, 6), "--law", "powerlaw", "--holdout", "4"),
            CliApp.ExitUsage, "2 training points");

    [Fact]
    public void Backtest_NothingAboveThreshold_ExitsTwo() =>
        FitCli.AssertOneLineError(FitCli.Run("backtest", FitCli.PowerLawCsv(_dir, 20), "--law", "powerlaw", "--holdout-above", "1e30"),
            CliApp.ExitUsage, "no point has scale above");
}
