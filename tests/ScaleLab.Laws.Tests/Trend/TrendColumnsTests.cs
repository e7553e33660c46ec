using ScaleLab.Laws.Trend;

namespace ScaleLab.Laws.Tests.Trend;

public sealed class TrendColumnsTests
{
    private static string Temp(string text)
    {
        var path = Path.Combine(Path.GetTempPath(), $"trend-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, text);
        return path;
    }

    [Theory]
    [InlineData("$1,234.50", 1234.5)]
    [InlineData("1234.5", 1234.5)]
    [InlineData("1,234.5", 1234.5)]
    [InlineData("$329.00", 329)]
    [InlineData("-$2,000", -2000)]
    [InlineData("3.14e23", 3.14e23)]
    [InlineData(" $1,000,000 ", 1e6)]
    public void TryParse_MoneyAndPlainNumbers_ParseAlike(string cell, double expected)
    {
        // When
        var ok = TrendNumbers.TryParse(cell, out var value);

        // Then
        Assert.True(ok, cell);
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("N/A")]
    [InlineData("1,23")]
    [InlineData("12,34,567")]
    [InlineData("$")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("$$5")]
    public void TryParse_NotANumber_IsRefused(string cell)
    {
        // When / Then: a misplaced comma is not silently dropped ("1,23" is not 123)
        Assert.False(TrendNumbers.TryParse(cell, out _), cell);
    }

    [Fact]
    public void Load_EpochCostsJoinedOnModel_EveryModelTakesItsPublicationDate()
    {
        // Given the cost file (no dates) and the model database (epoch_PROVENANCE.md: all 82 join)
        var columns = new TrendColumns { Value = "Hardware_Capex_Energy_Cost", JoinPath = TrendTestData.EpochCsv, On = "Model" };

        // When
        var data = TrendData.Load(TrendTestData.SharedData("epoch_model_costs.csv"), columns);

        // Then
        Assert.Equal(82, data.Points.Count);
        Assert.Empty(data.Unmatched);
        var alphaGoZero = data.Points.Single(p => p.Model == "AlphaGo Zero");
        var database = TrendData.Load(TrendTestData.EpochCsv).Points.Single(p => p.Model == "AlphaGo Zero");
        Assert.Equal(database.Date, alphaGoZero.Date);
        Assert.Equal(615129.9196727764, alphaGoZero.Value);
        Assert.Equal("Publication date", data.DateColumn);
    }

    [Fact]
    public void Load_CloudCost_SkipsModelsWithoutThatMethod()
    {
        // Given 35 of 82 models have a cloud-cost estimate (provenance)
        var columns = new TrendColumns { Value = "Cloud_Cost", JoinPath = TrendTestData.EpochCsv, On = "Model" };

        // When
        var data = TrendData.Load(TrendTestData.SharedData("epoch_model_costs.csv"), columns);

        // Then
        Assert.Equal(35, data.Points.Count);
        Assert.Equal(47, data.Skipped);
    }

    [Fact]
    public void Load_Join_ReportsRowsThatDidNotMatch()
    {
        // Given three cost rows, one of whose models the dated file lacks
        var costs = Temp("Model,Cost\nA,\"$1,000\"\nGhost,5\nC,$30.5\n");
        var dates = Temp("Model,Publication date\nA,2020-01-01\nB,2021-01-01\nC,2022-01-01\n");
        try
        {
            // When
            var data = TrendData.Load(costs, new TrendColumns { Value = "Cost", JoinPath = dates, On = "Model" });

            // Then the unmatched row is named with its line, and the others carry the joined dates
            Assert.Equal([("Ghost", 3)], data.Unmatched);
            Assert.Equal([1000.0, 30.5], data.Points.Select(p => p.Value));
            Assert.Equal(new DateOnly(2022, 1, 1), data.Points[1].Date);
        }
        finally
        {
            File.Delete(costs);
            File.Delete(dates);
        }
    }

    [Fact]
    public void Load_JoinMatchingNothing_IsAnError()
    {
        // Given keys that the other file does not have
        var costs = Temp("Model,Cost\nX,1\nY,2\n");
        var dates = Temp("Model,Publication date\nA,2020-01-01\n");
        try
        {
            // When / Then
            var ex = Assert.Throws<InvalidDataException>(() => TrendData.Load(costs, new TrendColumns { Value = "Cost", JoinPath = dates, On = "Model" }));
            Assert.Contains("matches a row", ex.Message);
            Assert.Contains("'X' on line 2", ex.Message);
        }
        finally
        {
            File.Delete(costs);
            File.Delete(dates);
        }
    }

    [Fact]
    public void Load_RepeatedJoinKey_IsAnError()
    {
        // Given a dated file with two rows for one model (which date would the cost take?)
        var costs = Temp("Model,Cost\nA,1\n");
        var dates = Temp("Model,Publication date\nA,2020-01-01\nA,2021-01-01\n");
        try
        {
            // When / Then
            var ex = Assert.Throws<InvalidDataException>(() => TrendData.Load(costs, new TrendColumns { Value = "Cost", JoinPath = dates, On = "Model" }));
            Assert.Contains("line 2 and line 3", ex.Message);
        }
        finally
        {
            File.Delete(costs);
            File.Delete(dates);
        }
    }

    [Fact]
    public void Load_NotAvailableCell_NamesRowAndColumn()
    {
        // Given a price written "N/A" on line 3
        var path = Temp("Release date,Price,FLOPS\n2020-01-01,$100.00,1e12\n2021-01-01,N/A,2e12\n");
        try
        {
            // When
            var ex = Assert.Throws<InvalidDataException>(() =>
                TrendData.Load(path, new TrendColumns { Date = "Release date", Value = "FLOPS", Per = "Price" }));

            // Then one message names the file, the row and the column
            Assert.Contains($"{path} line 3, column \"Price\": 'N/A' is not a positive number", ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Load_JoinedColumnError_NamesTheJoinedFileLine()
    {
        // Given a joined date that is malformed on the joined file's line 3
        var costs = Temp("Model,Cost\nA,1\nB,2\n");
        var dates = Temp("Model,Publication date\nA,2020-01-01\nB,soon\n");
        try
        {
            // When / Then
            var ex = Assert.Throws<InvalidDataException>(() => TrendData.Load(costs, new TrendColumns { Value = "Cost", JoinPath = dates, On = "Model" }));
            Assert.Contains($"{dates} line 3, column \"Publication date\"", ex.Message);
        }
        finally
        {
            File.Delete(costs);
            File.Delete(dates);
        }
    }

    [Fact]
    public void Load_PerColumn_TrendsTheRatio()
    {
        // Given the hardware file: the first chip (GeForce 2 GTS Pro) does 1.6e9 FP32 FLOP/s for "$329.00"
        var columns = new TrendColumns
        {
            Date = "Release date",
            Value = "FP32 (single precision) performance (FLOP/s)",
            Per = "Release price (USD)",
        };

        // When
        var data = TrendData.Load(TrendTestData.SharedData("epoch_hardware_subset.csv"), columns);

        // Then every chip with an FP32 figure is used (provenance: 310 chips, all with a price)
        Assert.Equal(310, data.Points.Count);
        Assert.Equal(1.6e9 / 329.0, data.Points[0].Value, 9);
        Assert.Equal("FP32 (single precision) performance (FLOP/s) per Release price (USD)", data.Label);
    }

    [Fact]
    public void Load_ByQuantity_EqualsLoadByColumnName()
    {
        // Given the old entry point and the new one on the same column
        // When
        var old = TrendData.Load(TrendTestData.EpochCsv, TrendQuantity.Parameters);
        var named = TrendData.Load(TrendTestData.EpochCsv, new TrendColumns { Value = "Parameters" });

        // Then
        Assert.Equal(old.Points, named.Points);
        Assert.Equal(old.Skipped, named.Skipped);
        Assert.Equal(TrendQuantity.Parameters, old.Quantity);
        Assert.Null(named.Quantity);
    }
}
