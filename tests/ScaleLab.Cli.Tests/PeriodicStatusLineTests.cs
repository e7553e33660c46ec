using ScaleLab.Cli.Commands;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;

namespace ScaleLab.Cli.Tests;

/// <summary>demo's and compare --vintages' status on stderr: a line when the run counts change, else one per 15 s.</summary>
public sealed class PeriodicStatusLineTests
{
    private static SweepStatus Status(int done, int seconds) =>
        new("demo", new StatusCounts(Queued: 8 - done, Running: 0, Done: done, Failed: 0), TimeSpan.FromSeconds(seconds), null);

    [Fact]
    public void Show_SameCountsWithin15Seconds_WritesOnlyOnCountChangesAndAfter15Seconds()
    {
        // Given: a clock the test moves
        var writer = new StringWriter();
        var now = TimeSpan.Zero;
        var view = new PeriodicStatusLine(new Stderr(writer), () => now);

        // When: the same counts with a later elapsed time (the line differs, the counts do not), then past 15 s, then a
        // finished run
        foreach (var (done, seconds) in new[] { (0, 0), (0, 10), (0, 15), (0, 16), (0, 20), (1, 21), (1, 22) })
        {
            now = TimeSpan.FromSeconds(seconds);
            view.Show(Status(done, seconds));
        }

        // Then: the first status, the one more than 15 s after it, and the count change
        var lines = writer.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([Status(0, 0).ToString(), Status(0, 16).ToString(), Status(1, 21).ToString()], lines);
    }
}
