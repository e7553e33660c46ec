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
            CliApp.ExitUsage, "at most one of --holdout");

    [Fact]
    public void Backtest_NoHoldoutFlagJson_DefaultSplitBaselinesSpanAndCalibration()
    {
        // Given: 20 runs over 6 decades of C (the test CSV), a known floor 1.7.
        // When
        var (code, output, _) = FitCli.Run("backtest", FitCli.PowerLawCsv(_dir, 20), "--law", "powerlaw", "--bootstrap", "40", "--level", "0.8",
            "--floor", "1.7", "--json");

        // Then: the runs above 1e22 are held out (4, from 10^22.05; the largest training run is 10^21.74); the
        // document carries baselines with skills, span, calibration and coverage.
        Assert.Equal(CliApp.ExitOk, code);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Contains("above a tenth", root.GetProperty("holdout_rule").GetString());
        Assert.Equal(4, root.GetProperty("holdout_count").GetInt32());
        Assert.Equal(6 * 4 / 19.0, root.GetProperty("span_decades").GetDouble(), 6);
        Assert.Equal(1.7, root.GetProperty("floor").GetDouble());
        var baselines = root.GetProperty("baselines");
        Assert.Equal(2, baselines.GetArrayLength());
        Assert.Equal("last point carried forward", baselines[0].GetProperty("name").GetString());
        Assert.True(baselines[1].GetProperty("log_skill").GetDouble() > 0);
        Assert.Equal("calibrated", root.GetProperty("interval").GetString());
        Assert.True(root.GetProperty("calibration").GetProperty("nested").GetArrayLength() >= 1);
        Assert.Equal(0.8, root.GetProperty("nominal_coverage").GetDouble());
        Assert.InRange(root.GetProperty("achieved_coverage").GetDouble(), 0, 1);
        Assert.True(double.IsFinite(root.GetProperty("points")[0].GetProperty("reducible_relative_error").GetDouble()));
    }

    [Fact]
    public void Backtest_CoverageBelowNominal_OutputSaysSo()
    {
        // Given: mean-curve intervals (no run noise) on noisy runs cover far below 95%.
        // When
        var (code, output, _) = FitCli.Run("backtest", FitCli.PowerLawCsv(_dir, 40), "--law", "powerlaw", "--holdout", "12", "--bootstrap", "40",
            "--interval", "mean");

        // Then
        Assert.Equal(CliApp.ExitOk, code);
        Assert.Contains("BELOW nominal", output);
        Assert.Contains("warning: interval coverage", output);
        Assert.Contains("log-log line", output);
    }

    [Fact]
    public void Backtest_BadInterval_ExitsTwo() =>
        FitCli.AssertOneLineError(FitCli.Run("backtest", FitCli.PowerLawCsv(_dir, 20), "--law", "powerlaw", "--interval", "wide"),
            CliApp.ExitUsage, "--interval must be");

    [Fact]
    public void Backtest_TooFewTrainingPoints_ExitsTwo() =>
        FitCli.AssertOneLineError(FitCli.Run("backtest", FitCli.PowerLawCsv(_dir, 6), "--law", "powerlaw", "--holdout", "4"),
            CliApp.ExitUsage, "2 training points");

    [Fact]
    public void Backtest_NothingAboveThreshold_ExitsTwo() =>
        FitCli.AssertOneLineError(FitCli.Run("backtest", FitCli.PowerLawCsv(_dir, 20), "--law", "powerlaw", "--holdout-above", "1e30"),
            CliApp.ExitUsage, "no point has scale above");
}
