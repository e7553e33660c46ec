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

    [Theory]
    [InlineData(0.98765, 3, "0.988")]
    [InlineData(5.62641e20, 3, "5.63e+20")]
    [InlineData(1234.6, 3, "1235")]
    [InlineData(0.99961, 3, "1")]
    [InlineData(4.7e-4, 2, "4.7e-4")]
    [InlineData(2.4e6, 1, "2e+6")]
    public void Format_FewerDigits_SameForm(double value, int digits, string expected) =>
        Assert.Equal(expected, NumberStyle.Format(value, digits));

    [Theory]
    [InlineData(0.9473, false, "94.7%")]
    [InlineData(0.0123, true, "+1.23%")]
    [InlineData(-0.005, true, "-0.5%")]
    [InlineData(0.95, false, "95%")]
    public void Percent_Fractions_InTheStyle(double fraction, bool signed, string expected) =>
        Assert.Equal(expected, NumberStyle.Percent(fraction, signed: signed));

    [Theory]
    [InlineData("5.63e+20", true)]
    [InlineData("335712", true)]
    [InlineData("-0.0079418", true)]
    [InlineData("5.63E+20", false)]
    [InlineData("1.661e+08", false)]
    [InlineData("0.50", false)]
    [InlineData("1,234", false)]
    [InlineData("1.2e+3", false)]
    [InlineData("0.0000123", false)]
    public void IsStyled_Texts_RecognisesOnlyTheStyle(string text, bool expected) =>
        Assert.Equal(expected, NumberStyle.IsStyled(text));

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
