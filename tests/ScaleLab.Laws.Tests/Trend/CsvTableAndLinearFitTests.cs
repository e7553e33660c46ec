using MathNet.Numerics;
using ScaleLab.Laws.Trend;

namespace ScaleLab.Laws.Tests.Trend;

public sealed class CsvTableAndLinearFitTests
{
    [Fact]
    public void Read_QuotedFields_KeepCommasQuotesAndNewlines_AndRecordLines()
    {
        // Given a quoted comma, a doubled quote and a quoted newline
        var path = Path.Combine(Path.GetTempPath(), $"csv-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, "a,b\r\n\"x,y\",\"say \"\"hi\"\"\"\n\"two\nlines\",3\n4,5\n");
        try
        {
            // When
            var table = CsvTable.Read(path);

            // Then
            Assert.Equal(["a", "b"], table.Header);
            Assert.Equal(3, table.Rows.Count);
            Assert.Equal(["x,y", "say \"hi\""], table.Rows[0].Fields);
            Assert.Equal(2, table.Rows[0].Line);
            Assert.Equal("two\nlines", table.Rows[1].Fields[0]);
            Assert.Equal(5, table.Rows[2].Line);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Require_MissingColumn_ListsColumns()
    {
        // Given
        var path = Path.Combine(Path.GetTempPath(), $"csv-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, "a,b\n1,2\n");
        try
        {
            // When
            var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(path).Require("zz"));

            // Then
            Assert.Contains("no column \"zz\" (columns: a, b)", ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Ols_MatchesMathNetAndClosedFormStandardErrors()
    {
        // Given a small data set with a hand-checkable fit
        double[] x = [1, 2, 3, 4, 5, 6];
        double[] y = [2.1, 3.9, 6.2, 7.8, 10.1, 12.2];

        // When
        var fit = LinearFit.Ols(x, y);
        var (a, b) = Fit.Line(x, y);

        // Then slope and intercept agree with Math.NET, se(b) = s/√Sxx with Sxx = 17.5
        Assert.Equal(a, fit.Intercept, 10);
        Assert.Equal(b, fit.Slope, 10);
        var ssRes = x.Select((xi, i) => Math.Pow(y[i] - a - b * xi, 2)).Sum();
        Assert.Equal(Math.Sqrt(ssRes / 4) / Math.Sqrt(17.5), fit.SlopeStdError, 12);
        Assert.Equal(GoodnessOfFit.RSquared(x.Select(xi => a + b * xi), y), fit.R2, 10);
    }
}
