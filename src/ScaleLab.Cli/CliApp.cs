using System.Reflection;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli;

/// <summary>
/// Wires every <see cref="VerbAttribute"/> command into one Spectre <see cref="CommandApp"/> and maps
/// failures to the CLI contract: a user mistake is one line on stderr and exit code 2, a failure while
/// running is one line and exit code 1. Stack traces only with SCALELAB_DEBUG=1.
/// </summary>
public static partial class CliApp
{
    [System.Text.RegularExpressions.GeneratedRegex(@"Path: (\S*) \| LineNumber: (\d+) \| BytePositionInLine: (\d+)\.?")]
    private static partial System.Text.RegularExpressions.Regex JsonPosition();

    public const int ExitOk = 0;
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;

    public static int Run(string[] args, IAnsiConsole? console = null, TextWriter? stderr = null) =>
        Run(args, console, stderr, interceptor: null);

    /// <summary>Runs with an interceptor that sees the bound settings before validation and execution (tests use
    /// it to check that a command line parses without doing the work).</summary>
    internal static int Run(string[] args, IAnsiConsole? console, TextWriter? stderr, ICommandInterceptor? interceptor)
    {
        // A test's writer is synchronised like Console.Error: executors report from several threads.
        var err = stderr is null ? Stderr.Process() : new Stderr(TextWriter.Synchronized(stderr));
        stderr = err.Writer;
        console ??= StdoutConsole();
        var app = Build(console, interceptor, err);
        try
        {
            return app.Run(SingleLetterLongOptionsAsShort(args));
        }
        catch (Exception ex)
        {
            var (code, message) = Classify(ex);
            if (ex is CommandParseException && UnknownOptionName(ex.Message) is { } unknown)
            {
                message = OptionSuggestions.Message(args, unknown);
            }
            else if (OptionSuggestions.BadValueMessage(args, ex.Message) is { } badValue)
            {
                message = badValue;
            }
            stderr.WriteLine($"error: {message}");
            if (Environment.GetEnvironmentVariable("SCALELAB_DEBUG") == "1")
            {
                stderr.WriteLine(ex.ToString());
            }
            return code;
        }
    }

    /// <summary>Width for output that must never wrap (a pipe or a log): wider than any line we print.</summary>
    internal const int UnwrappedWidth = 1 << 15;

    /// <summary>
    /// Stdout as a Spectre console. Off a terminal Spectre would assume 80 columns and hard-wrap tables, splitting
    /// numbers across lines; there the width is unbounded so each row stays one line. On a terminal, COLUMNS (when
    /// set) overrides the detected width.
    /// </summary>
    internal static IAnsiConsole StdoutConsole()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        if (OutputWidth(Console.IsOutputRedirected, Environment.GetEnvironmentVariable("COLUMNS")) is int width)
        {
            console.Profile.Width = width;
        }
        return console;
    }

    /// <summary>The width to force, or null to keep the terminal's own.</summary>
    internal static int? OutputWidth(bool redirected, string? columns)
    {
        if (redirected)
        {
            return UnwrappedWidth;
        }
        return int.TryParse(columns, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int c) && c > 0
            ? Math.Min(c, UnwrappedWidth)
            : null;
    }

    /// <summary>
    /// The CLI contract spells column flags `--n COL --d COL --c COL --y COL`, but Spectre requires long
    /// option names of two or more characters. A one-letter long option is therefore rewritten to the short
    /// form (`--n` to `-n`, `--n=COL` to `-n=COL`), and commands declare those flags as short options
    /// (`-n|--params`), so both spellings work.
    /// </summary>
    internal static string[] SingleLetterLongOptionsAsShort(string[] args) =>
        args.Select(a => a.Length >= 3 && a.StartsWith("--", StringComparison.Ordinal) && char.IsAsciiLetter(a[2]) && (a.Length == 3 || a[3] == '=')
            ? a[1..]
            : a).ToArray();

    public static CommandApp Build(IAnsiConsole? console = null, ICommandInterceptor? interceptor = null, Stderr? stderr = null)
    {
        stderr ??= Stderr.Process();
        // Kinds defined outside Lab register here, so `sweep` specs and worker processes (this program) know them.
        ScaleLab.Lab.Execution.RunKinds.Register(new ScaleLab.Games.Training.HexRunKind());
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("scalelab");
            config.PropagateExceptions();
            config.ValidateExamples();
            // A typo in a flag must not run silently (`--bootsrap 100` would fit without a bootstrap): every
            // token must be a known option, argument or verb.
            config.UseStrictParsing();
            if (interceptor is not null)
            {
                config.SetInterceptor(interceptor);
            }
            if (console is not null)
            {
                config.ConfigureConsole(console);
            }
            // Progress, notes and warnings go here; commands take it by constructor, like IAnsiConsole.
            config.Settings.Registrar.RegisterInstance(stderr);
            var add = typeof(IConfigurator).GetMethod(nameof(IConfigurator.AddCommand))!;
            foreach (var (type, verb) in Verbs().Where(v => !v.Verb.Name.Contains(' ', StringComparison.Ordinal)))
            {
                Describe((ICommandConfigurator)add.MakeGenericMethod(type).Invoke(config, [verb.Name])!, verb);
            }
            // A verb named "branch leaf" (e.g. "hex solve") is a command of the branch.
            var addToBranch = typeof(IConfigurator<CommandSettings>).GetMethod(nameof(IConfigurator<CommandSettings>.AddCommand))!;
            foreach (var branch in Verbs().Where(v => v.Verb.Name.Contains(' ', StringComparison.Ordinal)).GroupBy(v => v.Verb.Name.Split(' ')[0]))
            {
                config.AddBranch(branch.Key, b =>
                {
                    b.SetDescription(BranchDescriptions.GetValueOrDefault(branch.Key, branch.Key));
                    foreach (var (type, verb) in branch)
                    {
                        Describe((ICommandConfigurator)addToBranch.MakeGenericMethod(type).Invoke(b, [verb.Name.Split(' ', 2)[1]])!, verb);
                    }
                });
            }
        });
        return app;
    }

    /// <summary>Descriptions of the verbs that have sub-verbs.</summary>
    private static readonly Dictionary<string, string> BranchDescriptions = new(StringComparer.Ordinal)
    {
        ["hex"] = "Hex board games: exact solver, AlphaZero-style self-play, ratings and the compute frontier (Jones 2021)",
        ["sae"] = "Sparse autoencoders on a trained GPT's activations: capture, train (TopK with AuxK, ReLU+L1), eval (FVU, L0, loss recovered), scaling, features (feature cards), compare and universality (features shared across models)",
    };

    private static void Describe(ICommandConfigurator builder, VerbAttribute verb)
    {
        builder.WithDescription(verb.Description);
        if (verb.Hidden)
        {
            builder.IsHidden();
        }
        foreach (var example in verb.Examples)
        {
            builder.WithExample(example.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }
    }

    internal static IEnumerable<(Type Type, VerbAttribute Verb)> Verbs() =>
        typeof(CliApp).Assembly.GetTypes()
            .Select(t => (Type: t, Verb: t.GetCustomAttribute<VerbAttribute>()))
            .Where(x => x.Verb is not null)
            .OrderBy(x => x.Verb!.Name, StringComparer.Ordinal)
            .Select(x => (x.Type, x.Verb!));

    /// <summary>Exit code and one-line message for an exception that reached the top.</summary>
    internal static (int Code, string Message) Classify(Exception ex)
    {
        if (ex is TargetInvocationException { InnerException: { } inner })
        {
            return Classify(inner);
        }
        var message = OneLine(ex.Message);
        return ex switch
        {
            UsageException or CommandParseException or CommandRuntimeException
                or FileNotFoundException or DirectoryNotFoundException or InvalidDataException
                or FormatException or ArgumentException or UnauthorizedAccessException
                or ScaleLab.Games.Hex.SolverLimitException => (ExitUsage, message),
            OperationCanceledException => (ExitFailure, "cancelled"),
            _ => (ExitFailure, message),
        };
    }

    /// <summary>The option name in Spectre's "Unknown option 'NAME'." message, or null for other parse errors.</summary>
    internal static string? UnknownOptionName(string message)
    {
        const string prefix = "Unknown option '";
        if (!message.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }
        int end = message.IndexOf('\'', prefix.Length);
        return end > prefix.Length ? message[prefix.Length..end] : null;
    }

    private static string OneLine(string message)
    {
        var line = message.ReplaceLineEndings(" ").Trim();
        // System.Text.Json's position suffix (" Path: $.a | LineNumber: 1 | BytePositionInLine: 0.") becomes a line and
        // column a user can find in an editor.
        line = JsonPosition().Replace(line, m => string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"at line {long.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) + 1}, column {long.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture) + 1} ({m.Groups[1].Value})"));
        return line.Length == 0 ? "unknown error" : line;
    }
}
