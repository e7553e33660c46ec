using ScaleLab.Lab.Registry;

namespace ScaleLab.Lab.Execution;

/// <summary>A snapshot of a sweep for the live view: run counts, elapsed time and an ETA (null until a run
/// has finished in this session).</summary>
public sealed record SweepStatus(string Study, StatusCounts Counts, TimeSpan Elapsed, TimeSpan? Eta)
{
    /// <summary>One line, e.g. "demo: 3/8 done, 2 running, 3 queued, 0 failed | 0:42 elapsed, ETA 1:10".</summary>
    public override string ToString()
    {
        var c = Counts;
        var eta = Eta is { } e ? $", ETA {Format(e)}" : "";
        return $"{Study}: {c.Done}/{c.Total} done, {c.Running} running, {c.Queued} queued, {c.Failed} failed | {Format(Elapsed)} elapsed{eta}";
    }

    private static string Format(TimeSpan t) => t.TotalHours >= 1
        ? $"{(int)t.TotalHours}:{t.Minutes:D2}:{t.Seconds:D2}"
        : $"{t.Minutes}:{t.Seconds:D2}";
}

/// <summary>
/// Estimates a sweep's remaining time from the registry. Runs differ in cost by orders of magnitude, so the
/// estimate is in training FLOP, not in runs: rate = FLOP of the runs finished since the monitor started /
/// elapsed time; ETA = FLOP of the queued and running runs / rate (running runs counted in full, so the
/// estimate errs long).
/// </summary>
public sealed class SweepMonitor
{
    private readonly IRunStore _store;
    private readonly string _study;
    private readonly HashSet<string> _doneAtStart;
    private readonly TimeProvider _time;
    private readonly long _start;

    public SweepMonitor(IRunStore store, string study, TimeProvider? time = null)
    {
        _store = store;
        _study = study;
        _time = time ?? TimeProvider.System;
        _start = _time.GetTimestamp();
        _doneAtStart = store.ListRuns(study).Where(r => r.Status is RunStatus.Done or RunStatus.Failed).Select(r => r.Key).ToHashSet();
    }

    public SweepStatus Poll()
    {
        var runs = _store.ListRuns(_study);
        var counts = new StatusCounts(
            runs.Count(r => r.Status == RunStatus.Queued), runs.Count(r => r.Status == RunStatus.Running),
            runs.Count(r => r.Status == RunStatus.Done), runs.Count(r => r.Status == RunStatus.Failed));
        var doneFlops = runs.Where(r => r.Status is RunStatus.Done or RunStatus.Failed && !_doneAtStart.Contains(r.Key)).Sum(r => r.Flops);
        var leftFlops = runs.Where(r => r.Status is RunStatus.Queued or RunStatus.Running).Sum(r => r.Flops);
        var elapsed = _time.GetElapsedTime(_start);
        TimeSpan? eta = doneFlops > 0 ? TimeSpan.FromSeconds(leftFlops / (doneFlops / elapsed.TotalSeconds)) : null;
        return new SweepStatus(_study, counts, elapsed, eta);
    }
}
