namespace ScaleLab.Laws.Tests;

public sealed class ScalingDatasetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("scalelab-laws-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Write(string text)
    {
        var path = Path.Combine(_dir, "data.csv");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Parse_QuotedFieldsWithCommasQuotesAndNewlines_SplitsCorrectly()
    {
        // When
        var t = CsvDocument.Parse("name,\"N, params\",loss\n\"a, \"\"b\"\"\",1e9,2.5\n\"multi\nline\",2e9,2.4\n", "x.csv");

        // Then
        Assert.Equal(["name", "N, params", "loss"], t.Header);
        Assert.Equal("a, \"b\"", t.Rows[0][0]);
        Assert.Equal("multi\nline", t.Rows[1][0]);
        Assert.Equal([2, 3], t.Lines);
    }

    [Fact]
    public void Load_NAndCOnly_DerivesDAndSaysSo()
    {
        // Given
        var path = Write("Model Size,Training FLOP,loss\n1e9,6e19,2.5\n2e9,2.4e20,2.3\n");

        // When
        var data = ScalingDataset.Load(path, null, LawInputs.N | LawInputs.D);

        // Then
        Assert.Equal([10e9, 20e9], data.D!);
        Assert.Contains("D derived as C/(6N)", data.Notes);
    }

    [Fact]
    public void Load_NAndDOnly_DerivesC()
    {
        var data = ScalingDataset.Load(Write("params,tokens,loss\n1e9,1e10,2.5\n"), null, LawInputs.C);
        Assert.Equal(6e19, data.C![0], 1e6);
        Assert.Contains("C derived as 6ND", data.Notes);
    }

    [Theory]
    [InlineData("N,D,loss\n1e9,1e10,2.5\n1e9,abc,2.4\n", "data row 2 (line 3), column 'D': 'abc' is not a number")]
    [InlineData("N,D,loss\n1e9,1e10,NaN\n", "data row 1 (line 2), column 'loss': 'NaN' is not finite")]
    [InlineData("N,D,loss\n1e9,1e10,2.5\n0,1e10,2.4\n", "data row 2 (line 3), column 'N': 0 is not positive")]
    [InlineData("N,loss\n1e9,2.5\n", "no column for D (tokens)")]
    [InlineData("N,D,y2\n1e9,1e10,2.5\n", "no loss column")]
    public void Load_BadInput_ThrowsOneLineNamingFileRowAndColumn(string csv, string expected)
    {
        // When
        var ex = Assert.Throws<InvalidDataException>(() => ScalingDataset.Load(Write(csv), null, LawInputs.N | LawInputs.D));

        // Then
        Assert.StartsWith("data.csv: ", ex.Message);
        Assert.Contains(expected, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Load_NamedColumnMissing_NamesTheColumn()
    {
        var ex = Assert.Throws<InvalidDataException>(() =>
            ScalingDataset.Load(Write("N,D,loss\n1,1,1\n"), new ColumnSelection(Y: "val"), LawInputs.N));
        Assert.Contains("no column 'val'", ex.Message);
    }

    [Fact]
    public void Load_MissingFile_ThrowsFileNotFound() =>
        Assert.Throws<FileNotFoundException>(() => ScalingDataset.Load(Path.Combine(_dir, "none.csv")));

    [Fact]
    public void Fit_TooFewPoints_ThrowsInvalidData()
    {
        var data = new ScalingDataset("tiny.csv", [2.5, 2.4, 2.3], [1e9, 2e9, 3e9], [1e10, 2e10, 3e10]);
        var ex = Assert.Throws<InvalidDataException>(() => LawFitter.Fit(ChinchillaLaw.Instance, data));
        Assert.Contains("needs at least 6", ex.Message);
    }

    [Fact]
    public void DropHighestLoss_Five_KeepsTheRestInOrder()
    {
        var data = SharedData.Chinchilla240();
        Assert.Equal(240, data.Count);
        Assert.True(data.Y.Max() < 4.0);
    }
}
