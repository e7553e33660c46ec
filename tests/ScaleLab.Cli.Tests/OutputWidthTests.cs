using ScaleLab.Cli;

namespace ScaleLab.Cli.Tests;

/// <summary>Off a terminal, output is never wrapped; on a terminal, COLUMNS is honoured.</summary>
public sealed class OutputWidthTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("scalelab-width-");

    public void Dispose() => _dir.Delete(true);

    [Theory]
    [InlineData(true, null, CliApp.UnwrappedWidth)]
    [InlineData(true, "40", CliApp.UnwrappedWidth)]
    [InlineData(false, "132", 132)]
    [InlineData(false, null, null)]
    [InlineData(false, "0", null)]
    [InlineData(false, "wide", null)]
    public void OutputWidth_RedirectedOrColumns_WidthToForce(bool redirected, string? columns, int? expected) =>
        Assert.Equal(expected, CliApp.OutputWidth(redirected, columns));

    [Fact]
    public void Backtest_StdoutPiped_TableRowsUnwrappedAndEqualToAWideRendering()
    {
        // Given: a back-test whose table is wider than 80 columns.
        var csv = FitCli.PowerLawCsv(_dir.FullName, 12);
        string[] args = ["backtest", csv, "--law", "powerlaw", "--holdout", "3", "--bootstrap", "20"];

        // When: the real program with stdout a pipe (and a narrow COLUMNS, which a pipe must ignore too).
        var piped = CliProcess.Run(args, new Dictionary<string, string?> { ["COLUMNS"] = "40" });
        var console = new Spectre.Console.Testing.TestConsole();
        console.Profile.Width = CliApp.UnwrappedWidth;
        Assert.Equal(CliApp.ExitOk, CliApp.Run(args, console, new StringWriter()));

        // Then: no row is wrapped (so no number is split): the lines are those of an unbounded rendering.
        Assert.Equal(CliApp.ExitOk, piped.Code);
        var lines = Lines(piped.Out);
        Assert.Contains(lines, l => l.Length > 80);
        Assert.Equal(Lines(console.Output), lines);
    }

    private static List<string> Lines(string text) =>
        [.. text.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0)];
}
