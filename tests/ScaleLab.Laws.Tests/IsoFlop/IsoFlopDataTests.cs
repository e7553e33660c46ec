using ScaleLab.Laws.IsoFlop;

namespace ScaleLab.Laws.Tests.IsoFlop;

public sealed class IsoFlopDataTests
{
    private static string Temp(string text)
    {
        var path = Path.Combine(Path.GetTempPath(), $"isoflop-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, text);
        return path;
    }

    [Theory]
    [InlineData("C,N,loss\n1e18,1e8,abc\n", "line 2, column \"loss\"")]
    [InlineData("C,N,loss\n1e18,NaN,3\n", "line 2, column \"N\"")]
    [InlineData("C,N,loss\n1e18,1e8,3\n0,1e8,3\n", "line 3, column \"C\"")]
    [InlineData("C,N,loss\n1e18,-5,3\n", "must be positive")]
    [InlineData("C,params\n1e18,1e8\n", "no loss column")]
    public void Load_BadCell_NamesFileLineAndColumn(string text, string expected)
    {
        // Given
        var path = Temp(text);
        try
        {
            // When
            var ex = Assert.Throws<InvalidDataException>(() => IsoFlopData.Load(path));

            // Then
            Assert.Contains(expected, ex.Message);
            Assert.Contains(path, ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Load_ExplicitColumns_OverrideDefaults()
    {
        // Given
        var path = Temp("flop,size,val\n1e18,1e8,3.1\n");
        try
        {
            // When
            var data = IsoFlopData.Load(path, "flop", "size", "val");

            // Then
            Assert.Equal(new IsoFlopRun(1e18, 1e8, 3.1, 2), data.Runs.Single());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
