using System.Globalization;
using System.Text;
using System.Text.Json;
using static ScaleLab.Cli.Tests.TrendCommandTests;

namespace ScaleLab.Cli.Tests;

public sealed class IsoFlopCommandTests
{
    /// <summary>
    /// A CSV of runs from L = 1.69 + 406.4/N^0.34 + 410.7/D^0.28 (D = C/(6N)) on five isoFLOP budgets
    /// 1e18…1e20 with N every 0.125 decade where 2 ≤ D/N ≤ 2000, plus deterministic ±0.002 ripple.
    /// Its exact optimum has a = β/(α+β) = 0.4516.
    /// </summary>
    private static string SyntheticCsv()
    {
        var text = new StringBuilder("C,N,loss\n");
        var k = 0;
        foreach (var logC in new[] { 18.0, 18.5, 19.0, 19.5, 20.0 })
        {
            var c = Math.Pow(10, logC);
            for (var logN = 6.0; logN <= 12; logN += 0.125)
            {
                var n = Math.Pow(10, logN);
                var d = c / (6 * n);
                if (d / n is < 2 or > 2000)
                {
                    continue;
                }
                var loss = 1.69 + 406.4 / Math.Pow(n, 0.34) + 410.7 / Math.Pow(d, 0.28) + 0.002 * Math.Sin(k++ * 2.3);
                text.Append(CultureInfo.InvariantCulture, $"{c:R},{n:R},{loss:R}\n");
            }
        }
        return TempCsv(text.ToString());
    }

    [Fact]
    public void IsoFlop_ChinchillaPointsJson_ExponentsNearHoffmannApproach2()
    {
        // Given Epoch's digitised Chinchilla runs (columns found by their names)
        var data = SharedData("chinchilla_points.csv");

        // When
        var (code, stdout, _) = Run("isoflop", data, "--bootstrap", "200", "--no-approach3", "--json");

        // Then a and b sit near Hoffmann et al.'s Approach 2 (0.49, 0.51) within the binning band
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.InRange(root.GetProperty("n_exponent").GetProperty("value").GetDouble(), 0.43, 0.56);
        Assert.InRange(root.GetProperty("d_exponent").GetProperty("value").GetDouble(), 0.44, 0.57);
        Assert.True(root.GetProperty("budgets").GetArrayLength() >= 9);
        Assert.Equal("Training FLOP", root.GetProperty("columns").GetProperty("c").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("approach3").ValueKind);
    }

    [Fact]
    [Trait("Category", "Slow")] // the Approach-3 fit runs Hoffmann et al.'s full 4,500-start grid (~30 s on 2 busy cores)
    public void IsoFlop_SyntheticLawWithApproach3_BothApproachesRecoverTheExponent()
    {
        // Given
        var path = SyntheticCsv();
        var plot = Path.Combine(Path.GetTempPath(), $"isoflop-{Guid.NewGuid():N}.svg");
        try
        {
            // When
            var (code, stdout, _) = Run("isoflop", path, "--bootstrap", "20", "--seed", "2", "--json", "--plot", plot);

            // Then Approach 2 and Approach 3 both land on β/(α+β) = 0.4516
            Assert.Equal(0, code);
            using var doc = JsonDocument.Parse(stdout);
            var root = doc.RootElement;
            Assert.StartsWith("exact", root.GetProperty("grouping").GetString());
            Assert.InRange(root.GetProperty("n_exponent").GetProperty("value").GetDouble(), 0.4416, 0.4616);
            var a3 = root.GetProperty("approach3");
            Assert.InRange(a3.GetProperty("n_exponent").GetProperty("value").GetDouble(), 0.4416, 0.4616);
            Assert.InRange(a3.GetProperty("beta").GetDouble(), 0.25, 0.31);
            Assert.True(File.Exists(plot));
        }
        finally
        {
            File.Delete(path);
            File.Delete(plot);
        }
    }

    [Fact]
    public void IsoFlop_HumanOutput_ShowsExponentsAndBudgets()
    {
        // Given
        var path = SyntheticCsv();
        try
        {
            // When
            var (code, stdout, _) = Run("isoflop", path, "--bootstrap", "50", "--no-approach3");

            // Then
            Assert.Equal(0, code);
            Assert.Contains("N_opt ∝ C^a", stdout);
            Assert.Contains("1e+20", stdout);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void IsoFlop_MissingFile_ExitsTwo()
    {
        AssertUsageError(Run("isoflop", "/no/such/runs.csv"), "/no/such/runs.csv");
    }

    [Theory]
    [InlineData("C,N\n1e18,1e8\n", "no loss column")]
    [InlineData("C,N,loss\n1e18,1e8,abc\n", "line 2, column \"loss\"")]
    [InlineData("C,N,loss\n1e18,nan,3\n", "line 2, column \"N\"")]
    [InlineData("C,N,loss\n1e18,0,3\n", "must be positive")]
    [InlineData("C,N,loss\n-1e18,1e8,3\n", "line 2, column \"C\"")]
    [InlineData("C,N,loss\n1e18,1e8,3.0\n1e18,2e8,2.9\n1e18,4e8,3.0\n1e19,1e8,2.9\n1e19,2e8,2.8\n1e19,4e8,2.9\n", "need at least 3")]
    [InlineData("C,N,loss\n1e18,1e8,3\n1e18,2e8,2.9\n1e19,1e8,2.9\n1e19,2e8,2.8\n1e20,1e8,2.9\n1e20,2e8,2.8\n", "need at least 3")]
    public void IsoFlop_BadData_ExitsTwoWithOneLine(string text, string expected)
    {
        // Given (the last two: two budgets of three runs; three budgets of two runs each)
        var path = TempCsv(text);
        try
        {
            // When / Then
            AssertUsageError(Run("isoflop", path, "--no-approach3"), expected);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void IsoFlop_MissingNamedColumn_ExitsTwo()
    {
        AssertUsageError(Run("isoflop", SharedData("chinchilla_points.csv"), "-y", "val_loss"), "no column \"val_loss\"");
    }

    [Theory]
    [InlineData("--bins", "0")]
    [InlineData("--bootstrap", "-5")]
    [InlineData("--plot", "x.gif")]
    [InlineData("--level", "1.5")]
    [InlineData("--approach3-drop", "-1")]
    public void IsoFlop_BadFlags_ExitsTwoWithOneLine(string flag, string value)
    {
        // When
        var run = Run("isoflop", SharedData("chinchilla_points.csv"), flag, value, "--no-approach3");

        // Then
        Assert.Equal(CliApp.ExitUsage, run.Code);
        Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void IsoFlop_WindowJson_ReportsWindowAndSensitivity()
    {
        // When
        var (code, output, _) = FitCli.Run("isoflop", SyntheticCsv(), "--window", "0.3", "--bootstrap", "50", "--no-approach3", "--json");

        // Then
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Contains("0.3 decades", root.GetProperty("window").GetString());
        Assert.Equal(5, root.GetProperty("window_sensitivity").GetArrayLength());
        Assert.InRange(root.GetProperty("n_exponent").GetProperty("value").GetDouble(), 0.44, 0.46);
    }

    [Theory]
    [InlineData("--window", "0", "--window must be a positive number")]
    [InlineData("--nearest", "2", "--nearest must be at least 3")]
    public void IsoFlop_BadWindow_ExitsTwo(string flag, string value, string expected) =>
        FitCli.AssertOneLineError(FitCli.Run("isoflop", SyntheticCsv(), flag, value), 2, expected);

    [Fact]
    public void IsoFlop_WindowAndAllPoints_ExitsTwo() =>
        FitCli.AssertOneLineError(FitCli.Run("isoflop", SyntheticCsv(), "--window", "0.5", "--all-points"), 2, "at most one of");
}
