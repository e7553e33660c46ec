using System.Text.Json;
using static ScaleLab.Cli.Tests.TrendCommandTests;

namespace ScaleLab.Cli.Tests;

public sealed class CostTrendCommandTests
{
    private static readonly string Costs = SharedData("epoch_model_costs.csv");
    private static readonly string Models = SharedData("epoch_ai_models_compute_subset.csv");
    private static readonly string Chips = SharedData("epoch_hardware_subset.csv");

    [Fact]
    public void CostTrend_EpochFiles_Json_ThreeTrendsAndImpliedUtilisationWithIntervals()
    {
        // Given Epoch's costs (dated and given compute by the model database) and chips, 2016–2024
        // When
        var (code, stdout, _) = Run("cost-trend", Costs, "--join", Models, "--on", "Model", "--hardware", Chips,
            "--from", "2016", "--to", "2025", "--bootstrap", "300", "--seed", "2", "--json");

        // Then every component carries growth_per_year and doubling_months with intervals, and b_u = b_C − b_P − b_cost
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        double Slope(string name) => root.GetProperty(name).GetProperty("slope").GetDouble();
        foreach (var name in new[] { "cost", "compute", "price_performance", "predicted_cost", "implied_utilisation" })
        {
            var growth = root.GetProperty(name).GetProperty("growth_per_year");
            Assert.True(growth.GetProperty("lo").GetDouble() <= growth.GetProperty("value").GetDouble(), name);
            Assert.True(growth.GetProperty("hi").GetDouble() >= growth.GetProperty("value").GetDouble(), name);
            Assert.True(root.GetProperty(name).TryGetProperty("doubling_months", out _), name);
        }
        Assert.Equal(Slope("compute") - Slope("price_performance") - Slope("cost"), Slope("implied_utilisation"), 12);
        Assert.Equal(75, root.GetProperty("cost").GetProperty("n").GetInt32());
        Assert.Empty(root.GetProperty("unmatched").EnumerateArray());
        Assert.NotEmpty(root.GetProperty("findings").EnumerateArray());
    }

    [Fact]
    public void CostTrend_HumanOutput_SaysWhereTheTrendsDisagree()
    {
        // When
        var (code, stdout, _) = Run("cost-trend", Costs, "--join", Models, "--on", "Model", "--hardware", Chips, "--from", "2016", "--bootstrap", "100");

        // Then
        Assert.Equal(0, code);
        Assert.Contains("implied utilisation", stdout);
        Assert.Contains("cost and compute / price-performance", stdout);
    }

    [Fact]
    public void CostTrend_BadInputs_ExitTwoWithOneLine()
    {
        // When / Then: no hardware file; half a join; no chips in the window; a missing column
        AssertUsageError(Run("cost-trend", Costs, "--join", Models, "--on", "Model"), "--hardware");
        AssertUsageError(Run("cost-trend", Costs, "--join", Models, "--hardware", Chips), "go together");
        AssertUsageError(Run("cost-trend", Costs, "--join", Models, "--on", "Model", "--hardware", Chips, "--from", "2024", "--bootstrap", "10"), "0 chips in the window");
        AssertUsageError(Run("cost-trend", Costs, "--join", Models, "--on", "Model", "--hardware", Chips, "--cost", "Rental"), "no column \"Rental\"");
        AssertUsageError(Run("cost-trend", Costs, "--join", Models, "--on", "Model", "--hardware", Chips, "--bootstrap", "0"), "--bootstrap");
    }
}
