using Spectre.Console;

namespace ScaleLab.Cli;

/// <summary>
/// Stderr as the commands see it: progress, notes and warnings, never a document (stdout owns that). One per
/// <see cref="CliApp.Run(string[], IAnsiConsole?, TextWriter?)"/>, registered in Spectre's type registrar and
/// injected by constructor, so no command touches the static <see cref="Console.Error"/>. In a real process it is
/// <see cref="Console.Error"/> itself (terminal detection and signal paths behave as before); in a test it is a
/// <see cref="StringWriter"/>, so progress and <c>--json</c> are testable without a process.
/// </summary>
public sealed class Stderr
{
    public Stderr(TextWriter writer, bool interactive = false)
    {
        Writer = writer;
        Interactive = interactive;
    }

    /// <summary>The process's stderr (synchronised: executors log from several threads).</summary>
    public TextWriter Writer { get; }

    /// <summary>True when stderr is a terminal, so a status line may be rewritten in place with a carriage return.</summary>
    public bool Interactive { get; }

    /// <summary>The real process's stderr.</summary>
    public static Stderr Process() => new(Console.Error, interactive: !Console.IsErrorRedirected);

    public void WriteLine(string line) => Writer.WriteLine(line);

    public void WriteLine() => Writer.WriteLine();

    public void Write(string text) => Writer.Write(text);

    /// <summary>A Spectre console on this stderr (progress bars); interactive only on a terminal.</summary>
    public IAnsiConsole AsConsole() => AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Writer) });
}
