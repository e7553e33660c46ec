using System.Text.Json;
using ScaleLab.Cli;
using Spectre.Console.Testing;

namespace ScaleLab.Cli.Tests;

public sealed class TrendCommandTests
{
    internal static string SharedData(string file)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ScaleLab.slnx")))
        {
            dir = dir.Parent;
        }
        Assert.NotNull(dir);
        return Path.GetFullPath(Path.Combine(dir!.FullName, "..", "shared", "data", file));
    }

    internal static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var console = new TestConsole();
        var stderr = new StringWriter();
        var code = CliApp.Run(args, console, stderr);
        return (code, console.Output, stderr.ToString());
    }

    internal static string TempCsv(string text)
    {
        var path = Path.Combine(Path.GetTempPath(), $"cli-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, text);
        return path;
    }

    internal static void AssertUsageError((int Code, string Stdout, string Stderr) run, string expected)
    {
        Assert.Equal(CliApp.ExitUsage, run.Code);
        var lines = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0]);
    }

    [Fact]
    public void Trend_EpochDeepLearningEraJson_ReportsDoublingMonthsWithInterval()
    {
        // Given the provenance window 2010–2022 (Feb/March): 360 models, 6.6 months
        var data = SharedData("epoch_ai_models_compute_subset.csv");

        // When
        var (code, stdout, _) = Run("trend", data, "--from", "2010", "--to", "2022.2", "--bootstrap", "200", "--seed", "1", "--json");

        // Then stdout is exactly one JSON document with the contract's fields
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal(360, root.GetProperty("n").GetInt32());
        var doubling = root.GetProperty("doubling_months");
        Assert.InRange(doubling.GetProperty("value").GetDouble(), 6.5, 6.7);
        Assert.True(doubling.GetProperty("lo").GetDouble() < 6.6 && doubling.GetProperty("hi").GetDouble() > 6.6);
        Assert.Equal(2010, root.GetProperty("window").GetProperty("from").GetDouble());
        Assert.Single(root.GetProperty("eras").EnumerateArray());
        var end = root.GetProperty("eras")[0].GetProperty("fitted_at_to");
        Assert.Equal(end.GetProperty("flop").GetDouble() / 8.64e19, end.GetProperty("pfs_days").GetDouble(), 6);
    }

    [Fact]
    public void Trend_BreaksAndFrontier_OneTrendPerEra()
    {
        // Given
        var data = SharedData("epoch_ai_models_compute_subset.csv");

        // When
        var (code, stdout, _) = Run("trend", data, "--from", "1950", "--to", "2022.2", "--breaks", "2010", "--bootstrap", "0", "--json");
        var (frontierCode, frontierOut, _) = Run("trend", data, "--from", "2010", "--frontier", "--top", "5", "--bootstrap", "0", "--json");

        // Then the pre-deep-learning era doubles in ~21 months, the deep-learning era in ~6.6
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        var eras = doc.RootElement.GetProperty("eras").EnumerateArray().ToList();
        Assert.Equal(2, eras.Count);
        Assert.InRange(eras[0].GetProperty("doubling_months").GetProperty("value").GetDouble(), 18, 24);
        Assert.InRange(eras[1].GetProperty("doubling_months").GetProperty("value").GetDouble(), 4.5, 7.5);
        Assert.Equal(0, frontierCode);
        using var frontier = JsonDocument.Parse(frontierOut);
        Assert.Equal(5, frontier.RootElement.GetProperty("frontier_top").GetInt32());
        Assert.InRange(frontier.RootElement.GetProperty("n").GetInt32(), 60, 90);
    }

    [Fact]
    public void Trend_Parameters_SkipsRowsWithoutParametersAndReportsCount()
    {
        // Given 121 of the subset's 988 rows have no "Parameters" (provenance step 1)
        var data = SharedData("epoch_ai_models_compute_subset.csv");

        // When
        var (code, stdout, _) = Run("trend", data, "-y", "parameters", "--from", "2010", "--bootstrap", "0", "--json");

        // Then parameters grow more slowly than compute (slope below the compute trend's ~0.57 OOM/yr)
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal("parameters", doc.RootElement.GetProperty("quantity").GetString());
        Assert.Equal(121, doc.RootElement.GetProperty("rows_skipped").GetInt32());
        Assert.Equal(867, doc.RootElement.GetProperty("rows_used").GetInt32());
        Assert.InRange(doc.RootElement.GetProperty("slope").GetDouble(), 0.1, 0.45);
    }

    [Fact]
    public void Trend_HumanOutputAndPlot_WritesTableAndFile()
    {
        // Given
        var data = SharedData("epoch_ai_models_compute_subset.csv");
        var plot = Path.Combine(Path.GetTempPath(), $"trend-{Guid.NewGuid():N}.png");
        try
        {
            // When
            var (code, stdout, _) = Run("trend", data, "--breaks", "2010", "--bootstrap", "50", "--plot", plot);

            // Then
            Assert.Equal(0, code);
            Assert.Contains("doubling", stdout);
            Assert.True(new FileInfo(plot).Length > 10_000);
        }
        finally
        {
            File.Delete(plot);
        }
    }

    [Fact]
    public void Trend_MissingFile_ExitsTwo()
    {
        AssertUsageError(Run("trend", "/no/such/epoch.csv"), "/no/such/epoch.csv");
    }

    [Theory]
    [InlineData("Model,Training compute (FLOP)\nA,1e20\n", "no column \"Publication date\"")]
    [InlineData("Publication date,Parameters\n2020-01-01,1e9\n", "no column \"Training compute (FLOP)\"")]
    [InlineData("Publication date,Training compute (FLOP)\n2020-01-01,lots\n", "line 2, column \"Training compute (FLOP)\"")]
    [InlineData("Publication date,Training compute (FLOP)\n2020-01-01,NaN\n", "line 2, column \"Training compute (FLOP)\"")]
    [InlineData("Publication date,Training compute (FLOP)\n2020-01-01,-3e20\n", "is not a positive number")]
    [InlineData("Publication date,Training compute (FLOP)\n2020-01-01,1e20\n2020/02/01,1e21\n", "line 3, column \"Publication date\"")]
    [InlineData("Publication date,Training compute (FLOP)\n2020-01-01,1e20\n2021-01-01,1e21\n", "need at least 3")]
    public void Trend_BadData_ExitsTwoWithOneLine(string text, string expected)
    {
        // Given
        var path = TempCsv(text);
        try
        {
            // When / Then
            AssertUsageError(Run("trend", path), expected);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("--top", "5")]
    [InlineData("--breaks", "2010,x")]
    [InlineData("--breaks", "2015,2010")]
    [InlineData("--plot", "out.jpg")]
    [InlineData("-y", "tokens")]
    [InlineData("--bootstrap", "-1")]
    public void Trend_BadFlags_ExitsTwoWithOneLine(string flag, string value)
    {
        // Given
        var data = SharedData("epoch_ai_models_compute_subset.csv");

        // When
        var run = Run("trend", data, flag, value);

        // Then
        Assert.Equal(CliApp.ExitUsage, run.Code);
        Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Trend_CostsJoinedOnModelJson_NamesGrowthPerYearAndDoublingMonthsWithIntervals()
    {
        // Given Epoch's cost file (no dates) joined with the model database on Model
        var costs = SharedData("epoch_model_costs.csv");
        var models = SharedData("epoch_ai_models_compute_subset.csv");

        // When
        var (code, stdout, _) = Run("trend", costs, "--value", "Hardware_Capex_Energy_Cost", "--join", models, "--on", "Model",
            "--from", "2016", "--bootstrap", "200", "--seed", "1", "--json");

        // Then both figures carry value, lo and hi, consistent with the slope (growth 10^b, doubling 12·log10 2/b)
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        var growth = root.GetProperty("growth_per_year");
        var doubling = root.GetProperty("doubling_months");
        var slope = root.GetProperty("slope").GetDouble();
        Assert.Equal(Math.Pow(10, slope), growth.GetProperty("value").GetDouble(), 9);
        Assert.Equal(12 * Math.Log10(2) / slope, doubling.GetProperty("value").GetDouble(), 9);
        Assert.True(growth.GetProperty("lo").GetDouble() < growth.GetProperty("value").GetDouble());
        Assert.True(growth.GetProperty("hi").GetDouble() > growth.GetProperty("value").GetDouble());
        Assert.True(doubling.GetProperty("lo").GetDouble() < doubling.GetProperty("hi").GetDouble());
        Assert.Equal("column", root.GetProperty("quantity").GetString());
        Assert.Equal("Model", root.GetProperty("join").GetProperty("on").GetString());
        Assert.Empty(root.GetProperty("join").GetProperty("unmatched").EnumerateArray());
        Assert.True(root.GetProperty("eras")[0].TryGetProperty("growth_per_year", out _));
    }

    [Fact]
    public void Trend_JoinWithUnmatchedRows_ReportsThemInJsonAndText()
    {
        // Given four cost rows, one of which (line 4) has no dated row
        var costs = TempCsv("Model,Cost\nA,\"$1,000.00\"\nB,$2500\nGhost,7\nC,\"$9,000\"\n");
        var dates = TempCsv("Model,Publication date\nA,2019-01-01\nB,2020-01-01\nC,2021-01-01\n");
        try
        {
            // When
            var json = Run("trend", costs, "--value", "Cost", "--join", dates, "--on", "Model", "--bootstrap", "0", "--json");
            var text = Run("trend", costs, "--value", "Cost", "--join", dates, "--on", "Model", "--bootstrap", "0");

            // Then
            Assert.Equal(0, json.Code);
            using var doc = JsonDocument.Parse(json.Stdout);
            var unmatched = doc.RootElement.GetProperty("join").GetProperty("unmatched").EnumerateArray().ToList();
            Assert.Single(unmatched);
            Assert.Equal("Ghost", unmatched[0].GetProperty("key").GetString());
            Assert.Equal(4, unmatched[0].GetProperty("line").GetInt32());
            Assert.Equal(3, doc.RootElement.GetProperty("n").GetInt32());
            Assert.Equal(0, text.Code);
            Assert.Contains("1 rows had no match", text.Stdout);
            Assert.Contains("'Ghost' (line 4)", text.Stdout);
        }
        finally
        {
            File.Delete(costs);
            File.Delete(dates);
        }
    }

    [Fact]
    public void Trend_HardwarePricePerformance_GrowsAndDoublesInMonthsRange()
    {
        // Given the hardware file: FP32 FLOP/s per release dollar
        var chips = SharedData("epoch_hardware_subset.csv");

        // When
        var (code, stdout, _) = Run("trend", chips, "--date", "Release date", "--value", "FP32 (single precision) performance (FLOP/s)",
            "--per", "Release price (USD)", "--bootstrap", "200", "--json");

        // Then 310 chips, price-performance grows, doubling in 18–48 months (orientation: Hobbhahn & Besiroglu 2022, ~2.5 years per doubling)
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(310, doc.RootElement.GetProperty("n").GetInt32());
        Assert.Equal("Release price (USD)", doc.RootElement.GetProperty("per_column").GetString());
        Assert.InRange(doc.RootElement.GetProperty("doubling_months").GetProperty("value").GetDouble(), 18, 48);
    }

    [Theory]
    [InlineData("Release date,Price,FLOPS\n2020-01-01,$100.00,1e12\n2021-01-01,N/A,2e12\n", "line 3, column \"Price\": 'N/A' is not a positive number")]
    [InlineData("Release date,Price,FLOPS\n2020-01-01,\"$1,00\",1e12\n", "line 2, column \"Price\"")]
    [InlineData("Released,Price,FLOPS\n2020-01-01,$100.00,1e12\n", "no column \"Release date\"")]
    public void Trend_BadColumnData_ExitsTwoWithOneLine(string text, string expected)
    {
        // Given
        var path = TempCsv(text);
        try
        {
            // When / Then
            AssertUsageError(Run("trend", path, "--date", "Release date", "--value", "FLOPS", "--per", "Price"), expected);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Trend_JoinMatchingNothingOrHalfAJoin_ExitsTwo()
    {
        // Given
        var costs = TempCsv("Model,Cost\nX,1\nY,2\n");
        var dates = TempCsv("Model,Publication date\nA,2020-01-01\n");
        try
        {
            // When / Then
            AssertUsageError(Run("trend", costs, "--value", "Cost", "--join", dates, "--on", "Model"), "matches a row");
            AssertUsageError(Run("trend", costs, "--value", "Cost", "--join", dates), "--join FILE and --on COL go together");
            AssertUsageError(Run("trend", costs, "--value", "Cost", "-y", "parameters"), "give one");
            AssertUsageError(Run("trend", costs, "--value", "Cost", "--join", "/no/such/dates.csv", "--on", "Model"), "/no/such/dates.csv");
        }
        finally
        {
            File.Delete(costs);
            File.Delete(dates);
        }
    }

    [Fact]
    public void Trend_BreaksAuto_FindsTheDeepLearningBreakWithInterval()
    {
        // Given Epoch's models 1950 to mid-March 2022 (Sevilla et al. 2022 put the deep-learning break around 2010)
        var data = SharedData("epoch_ai_models_compute_subset.csv");

        // When
        var (code, stdout, _) = Run("trend", data, "--from", "1950", "--to", "2022.2", "--breaks", "auto", "--bootstrap", "200", "--json");

        // Then one break, inside its interval, two eras split there
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        var year = doc.RootElement.GetProperty("break").GetProperty("year");
        Assert.InRange(year.GetProperty("value").GetDouble(), 2005, 2015);
        Assert.True(year.GetProperty("lo").GetDouble() <= year.GetProperty("value").GetDouble());
        Assert.True(year.GetProperty("hi").GetDouble() >= year.GetProperty("value").GetDouble());
        var eras = doc.RootElement.GetProperty("eras").EnumerateArray().ToList();
        Assert.Equal(2, eras.Count);
        Assert.Equal(year.GetProperty("value").GetDouble(), eras[1].GetProperty("from").GetDouble());
    }

    [Fact]
    public void Trend_TooFewModelsInWindowOrEra_ExitsTwo()
    {
        // Given
        var data = SharedData("epoch_ai_models_compute_subset.csv");

        // When / Then: 1950–1952 holds fewer than 3 models; a break at 1950.6 leaves the first era with one
        AssertUsageError(Run("trend", data, "--from", "1950", "--to", "1952"), "need at least 3");
        AssertUsageError(Run("trend", data, "--from", "1950", "--to", "2010", "--breaks", "1950.6"), "need at least 3");
    }
}
