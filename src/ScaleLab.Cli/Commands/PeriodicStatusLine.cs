using ScaleLab.Lab.Execution;

namespace ScaleLab.Cli.Commands;

/// <summary>A long in-process sweep's status on stderr for a log rather than a terminal (<c>demo</c>, <c>compare
/// --vintages</c>): one line whenever the run counts (the line before its first '|') change, and otherwise at most one
/// every 15 s of <paramref name="elapsed"/> (the command's clock), so a quiet stretch still shows progress without a line per
/// update.</summary>
internal sealed class PeriodicStatusLine(Stderr stderr, Func<TimeSpan> elapsed)
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);
    private string _lastCounts = "";
    private TimeSpan _lastShown = TimeSpan.Zero;

    public void Show(SweepStatus status)
    {
        var line = status.ToString();
        var counts = line[..line.IndexOf('|', StringComparison.Ordinal)];
        var now = elapsed();
        if (counts != _lastCounts || now - _lastShown > Interval)
        {
            stderr.WriteLine(line);
            (_lastCounts, _lastShown) = (counts, now);
        }
    }
}
