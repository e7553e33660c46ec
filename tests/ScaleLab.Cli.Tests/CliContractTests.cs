using System.Text;
using System.Text.RegularExpressions;
using ScaleLab.Cli;
using Spectre.Console.Cli;
using Spectre.Console.Testing;

namespace ScaleLab.Cli.Tests;

/// <summary>The CLI contract across every verb: strict flags with suggestions, and a help page per verb.</summary>
public sealed partial class CliContractTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("scalelab-contract-");

    public void Dispose() => _dir.Delete(true);

    [Fact]
    public void Run_MisspelledOption_ExitsTwoWithSuggestionAndDoesNoWork()
    {
        // Given: valid data, so that on a lenient parser the fit would run (and exit 0) without a bootstrap.
        var csv = FitCli.PowerLawCsv(_dir.FullName, 8);
        var outFile = Path.Combine(_dir.FullName, "fit.json");

        // When
        var result = FitCli.Run("fit", csv, "--law", "powerlaw", "--bootsrap", "100", "--out", outFile);

        // Then
        FitCli.AssertOneLineError(result, CliApp.ExitUsage, "unknown option --bootsrap for 'fit'; did you mean --bootstrap?");
        Assert.False(File.Exists(outFile));
    }

    [Fact]
    public void Run_TrainStepInsteadOfSteps_ExitsTwoSuggestingSteps() =>
        FitCli.AssertOneLineError(FitCli.Run("train", "--step", "5"), CliApp.ExitUsage, "did you mean --steps?");

    [Fact]
    public void Run_OptionFarFromAnyKnown_ExitsTwoWithoutSuggestion()
    {
        var csv = FitCli.PowerLawCsv(_dir.FullName, 8);
        var result = FitCli.Run("fit", csv, "--law", "powerlaw", "--foo");
        FitCli.AssertOneLineError(result, CliApp.ExitUsage, "unknown option --foo for 'fit' (see scalelab fit --help)");
        Assert.DoesNotContain("did you mean", result.Err);
    }

    [Fact]
    public void Run_UnknownShortOption_ExitsTwo() =>
        FitCli.AssertOneLineError(FitCli.Run("train", "-q"), CliApp.ExitUsage, "unknown option -q for 'train'");

    [Theory]
    [InlineData("bootsrap", "--bootstrap")]
    [InlineData("bootstap", "--bootstrap")]
    [InlineData("sed", "--seed")]
    [InlineData("boot", "--bootstrap")]
    [InlineData("jsn", "--json")]
    [InlineData("foo", null)]
    [InlineData("x", null)]
    public void Nearest_FitOptions_SuggestsOnlyCloseOnes(string typed, string? expected) =>
        Assert.Equal(expected, OptionSuggestions.Nearest(typed, OptionSuggestions.KnownOptions("fit")));

    [Theory]
    [InlineData("", "", 0)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("flaw", "lawn", 2)]
    [InlineData("abc", "", 3)]
    public void Levenshtein_KnownPairs_MatchTextbook(string a, string b, int d)
    {
        Assert.Equal(d, OptionSuggestions.Levenshtein(a, b));
        Assert.Equal(d, OptionSuggestions.Levenshtein(b, a));
    }

    public static TheoryData<string> VisibleVerbs() => [.. CliApp.Verbs().Where(v => !v.Verb.Hidden).Select(v => v.Verb.Name)];

    [Theory]
    [MemberData(nameof(VisibleVerbs))]
    public void Help_EveryVerb_ExitsZeroWithDescriptionUsageExamplesAndOptions(string verb)
    {
        // When
        var (code, output, err) = FitCli.Run([.. verb.Split(' '), "--help"]);

        // Then: the page renders (a description read as markup once crashed `sweep --help`) and has every section.
        Assert.True(code == CliApp.ExitOk, $"exit {code}: {err}");
        foreach (var section in new[] { "DESCRIPTION:", "USAGE:", "EXAMPLES:", "OPTIONS:" })
        {
            Assert.Contains(section, output);
        }
        Assert.Contains($"scalelab {verb}", output);
    }

    [Fact]
    public void Help_SweepSpecDescription_ShowsTomlTablesLiterally()
    {
        var (code, output, _) = FitCli.Run("sweep", "--help");
        Assert.Equal(CliApp.ExitOk, code);
        Assert.Contains("[[models]] or [grid]", output);
        Assert.Contains("[schedule]", output);
    }

    /// <summary>Every `scalelab ...` command line in the README (code blocks and inline code) and every --help
    /// example, as argument vectors.</summary>
    public static TheoryData<string> DocumentedCommandLines() => [.. AllDocumentedLines()];

    private static List<string> AllDocumentedLines() =>
        ReadmeCommandLines(File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md")))
            .Concat(CliApp.Verbs().SelectMany(v => v.Verb.Examples.Select(e => "scalelab " + e)))
            .Distinct(StringComparer.Ordinal)
            .ToList();

    [Fact]
    public void ReadmeCommandLines_FindsTheDocumentedVerbs()
    {
        var lines = AllDocumentedLines();
        Assert.True(lines.Count >= 25, $"only {lines.Count} command lines found");
        foreach (var verb in new[] { "fit", "backtest", "plan", "isoflop", "trend", "train", "sample", "sweep", "runs", "report", "gns", "critical-batch", "demo" })
        {
            Assert.Contains(lines, l => Tokenize(l).ElementAtOrDefault(1) == verb);
        }
    }

    [Theory]
    [MemberData(nameof(DocumentedCommandLines))]
    public void Parse_DocumentedCommandLine_EveryOptionKnown(string commandLine)
    {
        // Given: the line's arguments; the interceptor stops the run once the settings are bound (before
        // validation and before any work, so files the example names need not exist).
        var args = Tokenize(commandLine).Skip(1).ToArray();
        var interceptor = new StopAfterBinding();
        var stderr = new StringWriter();

        // When
        int code = CliApp.Run(args, new TestConsole(), stderr, interceptor);

        // Then: a help line shows its page; any other line binds.
        if (args.Contains("--help"))
        {
            Assert.Equal(CliApp.ExitOk, code);
            return;
        }
        Assert.True(interceptor.Bound, $"'{commandLine}' did not parse: {stderr}");
    }

    [Fact]
    public void Parse_LineWithTypo_IsNotBound()
    {
        // Negative control for the test above: a misspelled option must stop at the parser.
        var interceptor = new StopAfterBinding();
        CliApp.Run(["fit", "data.csv", "--law", "powerlaw", "--bootsrap", "100"], new TestConsole(), new StringWriter(), interceptor);
        Assert.False(interceptor.Bound);
    }

    private sealed class StopAfterBinding : ICommandInterceptor
    {
        public bool Bound { get; private set; }

        public void Intercept(CommandContext context, CommandSettings settings)
        {
            Bound = true;
            throw new OperationCanceledException("parsed only");
        }
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ScaleLab.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("ScaleLab.slnx not found above the test folder");
    }

    /// <summary>
    /// Shell-like extraction: code-block lines joined at trailing backslashes, comments dropped, split at
    /// <c>&amp;&amp;</c>, <c>|</c> and <c>;</c> outside quotes, redirections dropped; plus inline code spans.
    /// </summary>
    internal static IEnumerable<string> ReadmeCommandLines(string markdown)
    {
        var commands = new List<string>();
        bool inBlock = false;
        var pending = new StringBuilder();
        foreach (var raw in markdown.Split('\n'))
        {
            if (raw.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inBlock = !inBlock;
                continue;
            }
            if (!inBlock)
            {
                commands.AddRange(InlineCode().Matches(raw).Select(m => m.Groups[1].Value).Where(IsScalelab));
                continue;
            }
            var line = StripComment(raw).TrimEnd();
            if (line.EndsWith('\\'))
            {
                pending.Append(line[..^1]).Append(' ');
                continue;
            }
            pending.Append(line);
            commands.AddRange(SplitCommands(pending.ToString()).Where(IsScalelab));
            pending.Clear();
        }
        return commands.Select(c => Regex.Replace(c.Trim(), @"^\./scalelab", "scalelab"));
    }

    private static bool IsScalelab(string command)
    {
        var words = Tokenize(command);
        return words.Count >= 2 && words[0] is "scalelab" or "./scalelab";
    }

    private static string StripComment(string line)
    {
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            quoted ^= line[i] == '"';
            if (!quoted && line[i] == '#' && (i == 0 || char.IsWhiteSpace(line[i - 1])))
            {
                return line[..i];
            }
        }
        return line;
    }

    private static IEnumerable<string> SplitCommands(string line)
    {
        var parts = new List<string>();
        var current = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char ch = line[i];
            quoted ^= ch == '"';
            if (!quoted && (ch is '|' or ';' || (ch == '&' && i + 1 < line.Length && line[i + 1] == '&')))
            {
                parts.Add(current.ToString());
                current.Clear();
                i += ch == '&' ? 1 : 0;
                continue;
            }
            current.Append(ch);
        }
        parts.Add(current.ToString());
        return parts;
    }

    /// <summary>Words with double quotes removed; a redirection (<c>&gt; FILE</c>) and its target dropped.</summary>
    internal static List<string> Tokenize(string command)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        bool quoted = false, any = false;
        foreach (char ch in command + " ")
        {
            if (ch == '"')
            {
                quoted = !quoted;
                any = true;
            }
            else if (char.IsWhiteSpace(ch) && !quoted)
            {
                if (any)
                {
                    words.Add(current.ToString());
                }
                current.Clear();
                any = false;
            }
            else
            {
                current.Append(ch);
                any = true;
            }
        }
        int redirect = words.FindIndex(w => w is ">" or ">>" or "2>");
        return redirect < 0 ? words : words[..redirect];
    }

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex InlineCode();
}
