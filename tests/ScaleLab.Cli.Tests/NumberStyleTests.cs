using ScaleLab.Laws;

namespace ScaleLab.Cli.Tests;

/// <summary>One number style in human output: at most 5 significant digits, lower-case unpadded exponents.</summary>
public sealed class NumberStyleTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("scalelab-numbers-");

    public void Dispose() => _dir.Delete(true);

    [Theory]
    [InlineData(5.62641e20, "5.6264e+20")]
    [InlineData(1.661e8, "1.661e+8")]
    [InlineData(2.02e12, "2.02e+12")]
    [InlineData(1e6, "1e+6")]
    [InlineData(335712, "335712")]
    [InlineData(999999.6, "1e+6")]
    [InlineData(1.69, "1.69")]
    [InlineData(0.0712346, "0.071235")]
    [InlineData(3.1e-5, "3.1e-5")]
    [InlineData(-2.5e-7, "-2.5e-7")]
    [InlineData(0, "0")]
    [InlineData(double.NaN, "-")]
    [InlineData(double.PositiveInfinity, "inf")]
    public void Format_Values_OneStyle(double value, string expected) => Assert.Equal(expected, NumberStyle.Format(value));

    [Fact]
    public void FitAndBacktest_LargeScales_LowerCaseExponentsOnly()
    {
        // Given: budgets from 1e17 to 1e23 FLOP, which G5 printed as 1E+17 ... 1E+23.
        var csv = FitCli.PowerLawCsv(_dir.FullName, 12);

        // When
        var fit = FitCli.Run("fit", csv, "--law", "powerlaw", "--bootstrap", "20");
        var backtest = FitCli.Run("backtest", csv, "--law", "powerlaw", "--holdout", "3", "--bootstrap", "20");

        // Then: every table cell (the numbers the verbs format; notes written by the fitters keep their own) uses the style.
        Assert.Equal(0, fit.Code);
        Assert.Equal(0, backtest.Code);
        var rows = (fit.Out + backtest.Out).Split('\n').Where(l => l.Contains('│', StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(rows);
        Assert.DoesNotContain(rows, r => System.Text.RegularExpressions.Regex.IsMatch(r, @"\dE[+-]\d"));
        Assert.Contains(rows, r => System.Text.RegularExpressions.Regex.IsMatch(r, @"\de\+\d"));
    }
}
