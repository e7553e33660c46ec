using ScaleLab.Laws.Trend;

namespace ScaleLab.Laws.Tests.Trend;

public sealed class TrendDataTests
{
    [Fact]
    public void Load_EpochCompute_ReadsEveryRow()
    {
        // Given the subset (988 rows, every one with compute; provenance step 1)
        // When
        var data = TrendData.Load(TrendTestData.EpochCsv);

        // Then the spot checks of epoch_PROVENANCE.md hold
        Assert.Equal(988, data.Points.Count);
        Assert.Equal(0, data.Skipped);
        Assert.Equal(3.14e23, data.Points.Single(p => p.Model == "GPT-3 175B (davinci)").Value);
        Assert.Equal(4.7e17, data.Points.Single(p => p.Model == "AlexNet").Value);
    }

    [Fact]
    public void Load_EpochParameters_SkipsRowsWithoutParameters()
    {
        // Given 867 of 988 rows have Parameters (provenance step 1)
        // When
        var data = TrendData.Load(TrendTestData.EpochCsv, TrendQuantity.Parameters);

        // Then
        Assert.Equal(867, data.Points.Count);
        Assert.Equal(121, data.Skipped);
    }

    [Fact]
    public void Load_MalformedDate_NamesFileLineAndColumn()
    {
        // Given
        var path = Path.Combine(Path.GetTempPath(), $"trend-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, "Model,Publication date,Training compute (FLOP)\n\"A, big\",2020-01-01,1e20\nB,2020-13-40,1e21\n");
        try
        {
            // When
            var ex = Assert.Throws<InvalidDataException>(() => TrendData.Load(path));

            // Then
            Assert.Contains("line 3", ex.Message);
            Assert.Contains("\"Publication date\"", ex.Message);
            Assert.Contains(path, ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Load_NonNumericCompute_NamesColumn_EmptyIsSkipped()
    {
        // Given one empty compute cell (skipped) and one non-numeric cell (an error)
        var path = Path.Combine(Path.GetTempPath(), $"trend-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, "Publication date,Training compute (FLOP)\n2020-01-01,\n2020-02-01,lots\n");
        try
        {
            // When
            var ex = Assert.Throws<InvalidDataException>(() => TrendData.Load(path));

            // Then
            Assert.Contains("line 3, column \"Training compute (FLOP)\"", ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(2020, 1, 1, 2020 + 0.5 / 366)]
    [InlineData(2021, 12, 31, 2021 + 364.5 / 365)]
    [InlineData(2021, 7, 2, 2021 + 182.5 / 365)]
    public void FractionalYear_MiddleOfDayConvention(int y, int m, int d, double expected)
    {
        Assert.Equal(expected, FractionalYear.FromDate(new DateOnly(y, m, d)), 12);
    }

    [Fact]
    public void ComputeUnits_PetaflopSDay_Is8Point64e19Flop()
    {
        Assert.Equal(1.0, ComputeUnits.ToPetaflopSDays(8.64e19), 12);
        Assert.Equal(3.14e23 / 8.64e19, ComputeUnits.ToPetaflopSDays(3.14e23), 9);
    }
}
