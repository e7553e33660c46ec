using System.Globalization;
using System.Text;
using System.Text.Json;
using ScaleLab.Cli;

namespace ScaleLab.Cli.Tests;

/// <summary>fit and plan on data that do and do not identify the chinchilla law: words, remedies, refusals.</summary>
public sealed class IdentificationCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("scalelab-ident-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>3 × 3 runs (N 3e3…3e5, D 1e6…1e7) of L = 1.5406 + 30/N^0.3 + 80/D^0.3 with 2% seeded noise.</summary>
    private string SmallSweepCsv()
    {
        var rng = new Random(5);
        var sb = new StringBuilder("N,D,loss\n");
        foreach (var n in new[] { 3e3, 3e4, 3e5 })
        {
            foreach (var d in new[] { 1e6, 3e6, 1e7 })
            {
                double z = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
                double loss = (1.5406 + 30 * Math.Pow(n, -0.3) + 80 * Math.Pow(d, -0.3)) * Math.Exp(0.02 * z);
                sb.Append(CultureInfo.InvariantCulture, $"{n:R},{d:R},{loss:R}\n");
            }
        }
        return FitCli.Write(_dir, "sweep.csv", sb.ToString());
    }

    [Fact]
    public void Fit_UnidentifiedSweep_SaysSoInWordsAndOffersRemedies()
    {
        // When
        var (code, output, _) = FitCli.Run("fit", SmallSweepCsv(), "--law", "chinchilla", "--bootstrap", "40");

        // Then
        Assert.Equal(CliApp.ExitOk, code);
        Assert.Contains("not identified by these data", output);
        Assert.Contains("--fix E=VALUE", output);
        Assert.Contains("AIC", output);
        Assert.Contains("correlation (Gauss-Newton)", output);
    }

    [Fact]
    public void FitThenPlan_UnidentifiedFit_PlanRefusedUnlessForcedAndLabelled()
    {
        // Given a fit document of the unidentified sweep
        var json = Path.Combine(_dir, "fit.json");
        Assert.Equal(CliApp.ExitOk, FitCli.Run("fit", SmallSweepCsv(), "--law", "chinchilla", "--bootstrap", "40", "--out", json).Code);

        // When
        var refused = FitCli.Run("plan", json, "--compute", "1e15");
        var forced = FitCli.Run("plan", json, "--compute", "1e15", "--allow-unidentified");

        // Then
        FitCli.AssertOneLineError(refused, CliApp.ExitFailure, "plan not made:");
        Assert.Equal(CliApp.ExitOk, forced.Code);
        Assert.Contains("UNIDENTIFIED (forced)", forced.Out);
        Assert.Contains("decades beyond the largest fitted compute", forced.Out);
    }

    [Fact]
    public void Fit_FixAndTie_DocumentMarksFixedAndTiedAndEveryParameterIdentified()
    {
        // When the remedies are given on the command line
        var (code, output, _) = FitCli.Run("fit", SmallSweepCsv(), "--law", "chinchilla", "--fix", "E=1.5406", "--tie", "beta=alpha",
            "--bootstrap", "40", "--json");

        // Then
        Assert.Equal(CliApp.ExitOk, code);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        var e = root.GetProperty("parameters").GetProperty("E");
        Assert.Equal(1.5406, e.GetProperty("value").GetDouble());
        Assert.Equal("fixed", e.GetProperty("status").GetString());
        Assert.False(e.TryGetProperty("lo", out _));
        Assert.Equal("tied", root.GetProperty("parameters").GetProperty("beta").GetProperty("status").GetString());
        Assert.True(root.GetProperty("identification").GetProperty("all_identified").GetBoolean());
        Assert.Equal(3, root.GetProperty("diagnostics").GetProperty("names").GetArrayLength());
        Assert.True(root.GetProperty("information").GetProperty("bic").GetDouble() < 0);
        Assert.Equal("relative_gradient", root.GetProperty("stop").GetString());
    }

    [Fact]
    public void Fit_IdenticalRows_ExitsTwoWithOneLine()
    {
        var csv = FitCli.Write(_dir, "same.csv", "C,loss\n" + string.Concat(Enumerable.Repeat("1e18,2.5\n", 8)));
        FitCli.AssertOneLineError(FitCli.Run("fit", csv, "--law", "powerlaw"), CliApp.ExitUsage, "have the same inputs");
    }

    [Fact]
    public void Fit_FrontierOnChinchilla_ExitsTwo() =>
        FitCli.AssertOneLineError(FitCli.Run("fit", SmallSweepCsv(), "--law", "chinchilla", "--frontier"), CliApp.ExitUsage, "--frontier");

    [Fact]
    public void Fit_FrontierPowerLaw_FitsOnlyTheEnvelope()
    {
        // Given a CSV whose 30 runs lie on a smooth power law, plus 5 inefficient runs above it
        var csv = FitCli.PowerLawCsv(_dir, 30);
        File.AppendAllText(csv, "1e18,9\n1e19,9\n1e20,9\n1e21,9\n1e22,9\n");

        // When
        var (code, output, _) = FitCli.Run("fit", csv, "--law", "powerlaw", "--frontier", "--no-backtest", "--json");

        // Then the inefficient runs are not among the fitted points
        Assert.Equal(CliApp.ExitOk, code);
        using var doc = JsonDocument.Parse(output);
        Assert.True(doc.RootElement.GetProperty("points_used").GetInt32() <= 30);
        Assert.Contains(doc.RootElement.GetProperty("notes").EnumerateArray(), n => n.GetString()!.Contains("compute-efficient frontier"));
    }

    [Fact]
    public void Fit_BadFix_ExitsTwo() =>
        FitCli.AssertOneLineError(FitCli.Run("fit", SmallSweepCsv(), "--law", "chinchilla", "--fix", "E"), CliApp.ExitUsage, "expected SYMBOL=VALUE");
}
