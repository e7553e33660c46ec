using ScaleLab.Cli;
using Spectre.Console.Testing;

namespace ScaleLab.Cli.Tests;

public sealed class CliAppTests
{
    [Fact]
    public void Run_UnknownVerb_ExitsTwoWithOneLine()
    {
        // Given
        var stderr = new StringWriter();

        // When
        var code = CliApp.Run(["no-such-verb"], new TestConsole(), stderr);

        // Then
        Assert.Equal(CliApp.ExitUsage, code);
        var lines = stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
    }

    [Fact]
    public void Classify_UserMistakes_AreExitTwo_FailuresAreExitOne()
    {
        Assert.Equal(CliApp.ExitUsage, CliApp.Classify(new FileNotFoundException("missing.csv")).Code);
        Assert.Equal(CliApp.ExitUsage, CliApp.Classify(new InvalidDataException("data.csv row 3: bad")).Code);
        Assert.Equal(CliApp.ExitUsage, CliApp.Classify(new UsageException("bad flag")).Code);
        Assert.Equal(CliApp.ExitFailure, CliApp.Classify(new InvalidOperationException("diverged")).Code);
        // A position beyond the Hex solver's budget is a request it cannot serve: one line, exit 2 (a plain
        // InvalidOperationException, its base class, stays exit 1)
        Assert.Equal(CliApp.ExitUsage, CliApp.Classify(new ScaleLab.Games.Hex.SolverLimitException("the 5x5 solve needs more")).Code);
        Assert.Equal("a b", CliApp.Classify(new UsageException("a\nb")).Message);
    }

    [Fact]
    public void SingleLetterLongOptionsAsShort_ContractColumnFlags_BecomeShortOptions()
    {
        var rewritten = CliApp.SingleLetterLongOptionsAsShort(["fit", "data.csv", "--n", "N", "--c=C", "--law", "chinchilla", "--", "-x"]);
        Assert.Equal(["fit", "data.csv", "-n", "N", "-c=C", "--law", "chinchilla", "--", "-x"], rewritten);
    }
}
