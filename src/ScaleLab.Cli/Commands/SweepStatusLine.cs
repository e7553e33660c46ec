using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;

namespace ScaleLab.Cli.Commands;

/// <summary>The sweep's live status on stderr: rewritten in place on a terminal, otherwise one line
/// whenever the counts change. Worker messages print above it.</summary>
internal sealed class SweepStatusLine(Stderr stderr) : IDisposable
{
    private readonly bool _interactive = stderr.Interactive;
    private readonly Lock _gate = new();
    private string _last = "";
    private StatusCounts? _lastCounts;

    public void Show(SweepStatus status)
    {
        lock (_gate)
        {
            var line = status.ToString();
            if (_interactive)
            {
                stderr.Write("\r" + line.PadRight(Math.Max(_last.Length, line.Length)));
            }
            else if (status.Counts != _lastCounts)
            {
                stderr.WriteLine(line);
            }
            _last = line;
            _lastCounts = status.Counts;
        }
    }

    public void Log(string message)
    {
        lock (_gate)
        {
            stderr.WriteLine(_interactive ? "\r" + message.PadRight(_last.Length) : message);
            if (_interactive && _last.Length > 0)
            {
                stderr.Write(_last);
            }
        }
    }

    public void Finish()
    {
        lock (_gate)
        {
            if (_interactive && _last.Length > 0)
            {
                stderr.WriteLine();
                _last = "";
            }
        }
    }

    public void Dispose() => Finish();
}
