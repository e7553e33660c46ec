using System.Text.Json;
using ScaleLab.Cli;
using ScaleLab.Laws;

namespace ScaleLab.Cli.Tests;

public sealed class FitCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("scalelab-fit-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Fit_PowerLawJsonWithBootstrap_WritesOneDocumentWithIntervalsAndBacktest()
    {
        // Given
        var csv = FitCli.PowerLawCsv(_dir, 30);

        // When
        var (code, output, _) = FitCli.Run("fit", csv, "--law", "powerlaw", "--bootstrap", "40", "--seed", "3", "--json");

        // Then
        Assert.Equal(CliApp.ExitOk, code);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal("powerlaw", root.GetProperty("law").GetString());
        Assert.Equal(30, root.GetProperty("points_used").GetInt32());
        var alpha = root.GetProperty("parameters").GetProperty("alpha");
        Assert.Equal(0.07, alpha.GetProperty("value").GetDouble(), 0.01);
        Assert.True(alpha.GetProperty("lo").GetDouble() < alpha.GetProperty("hi").GetDouble());
        Assert.Equal(40, root.GetProperty("bootstrap").GetProperty("draws").GetArrayLength());
        // The default back-test holds out the runs above a tenth of the largest C (5 of 30 over 6 decades).
        var backtest = root.GetProperty("backtest");
        Assert.Equal(5, backtest.GetProperty("holdout_count").GetInt32());
        Assert.Contains("above a tenth", backtest.GetProperty("holdout_rule").GetString());
        Assert.Equal(2, backtest.GetProperty("baselines").GetArrayLength());
        Assert.InRange(backtest.GetProperty("mean_abs_relative_error").GetDouble(), 0, 0.05);
    }

    [Fact]
    public void Fit_HumanOutput_PrintsTableBacktestAndWritesOutAndPlot()
    {
        // Given
        var csv = FitCli.PowerLawCsv(_dir, 12);
        var json = Path.Combine(_dir, "fit.json");
        var png = Path.Combine(_dir, "fit.png");

        // When
        var (code, output, _) = FitCli.Run("fit", csv, "--law", "powerlaw", "--out", json, "--plot", png, "--backtest-bootstrap", "30");

        // Then
        Assert.Equal(CliApp.ExitOk, code);
        Assert.Contains("alpha", output);
        Assert.Contains("back-test", output);
        Assert.Contains("coverage", output);
        Assert.Equal("powerlaw", LawFitDocument.Read(json).Law);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(png)[..4]);
    }

    [Fact]
    public void Fit_NoBacktestFlag_OmitsBacktest()
    {
        var (code, output, _) = FitCli.Run("fit", FitCli.PowerLawCsv(_dir, 12), "--law", "powerlaw", "--no-backtest", "--json");
        Assert.Equal(CliApp.ExitOk, code);
        using var doc = JsonDocument.Parse(output);
        Assert.False(doc.RootElement.TryGetProperty("backtest", out _));
    }

    [Fact]
    public void Fit_MissingFile_ExitsTwoWithOneLine() =>
        FitCli.AssertOneLineError(FitCli.Run("fit", Path.Combine(_dir, "none.csv"), "--law", "powerlaw"), CliApp.ExitUsage, "none.csv");

    [Fact]
    public void Fit_MissingNamedColumn_ExitsTwoNamingIt() =>
        FitCli.AssertOneLineError(FitCli.Run("fit", FitCli.PowerLawCsv(_dir, 12), "--law", "powerlaw", "--y", "val_loss"),
            CliApp.ExitUsage, "no column 'val_loss'");

    [Fact]
    public void Fit_NonNumericCell_ExitsTwoNamingRowAndColumn()
    {
        var csv = FitCli.Write(_dir, "bad.csv", "N,D,loss\n1e9,1e10,2.5\n2e9,2e10,oops\n");
        FitCli.AssertOneLineError(FitCli.Run("fit", csv, "--law", "chinchilla"), CliApp.ExitUsage, "bad.csv: data row 2 (line 3), column 'loss'");
    }

    [Fact]
    public void Fit_NaNCell_ExitsTwo()
    {
        var csv = FitCli.Write(_dir, "nan.csv", "N,D,loss\n1e9,NaN,2.5\n");
        FitCli.AssertOneLineError(FitCli.Run("fit", csv, "--law", "chinchilla"), CliApp.ExitUsage, "column 'D': 'NaN' is not finite");
    }

    [Fact]
    public void Fit_NonPositiveValue_ExitsTwo()
    {
        var csv = FitCli.Write(_dir, "neg.csv", "C,loss\n1e20,2.5\n-1e21,2.4\n");
        FitCli.AssertOneLineError(FitCli.Run("fit", csv, "--law", "powerlaw"), CliApp.ExitUsage, "data row 2 (line 3), column 'C': -1e21 is not positive");
    }

    [Fact]
    public void Fit_TooFewPoints_ExitsTwo()
    {
        var csv = FitCli.Write(_dir, "few.csv", "N,D,loss\n1e9,1e10,2.5\n2e9,2e10,2.4\n3e9,3e10,2.3\n4e9,4e10,2.2\n5e9,5e10,2.1\n");
        FitCli.AssertOneLineError(FitCli.Run("fit", csv, "--law", "chinchilla"), CliApp.ExitUsage, "5 points, chinchilla needs at least 6");
    }

    [Fact]
    public void Fit_UnknownLaw_ExitsTwo() =>
        FitCli.AssertOneLineError(FitCli.Run("fit", FitCli.PowerLawCsv(_dir, 12), "--law", "zipf"), CliApp.ExitUsage, "unknown law 'zipf'");

    [Fact]
    public void Fit_EveryStartFails_ExitsOneWithOneLine()
    {
        // Given: t values near 1e300, where the least-squares start is NaN and every L-BFGS step overflows.
        var rows = string.Concat(Enumerable.Range(1, 12).Select(i => $"{i}e299,{i}\n"));
        var csv = FitCli.Write(_dir, "overflow.csv", "t,y\n" + rows);

        // When / Then
        FitCli.AssertOneLineError(FitCli.Run("fit", csv, "--law", "exponential", "--no-backtest"), CliApp.ExitFailure, "no start converged");
    }
}
