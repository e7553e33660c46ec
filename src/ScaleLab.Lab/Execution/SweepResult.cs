using ScaleLab.Lab.Registry;

namespace ScaleLab.Lab.Execution;

/// <summary>The end of an executor's session: final counts, wall time, and (in-process executor) each run's outcome.</summary>
public sealed record SweepResult(string Study, StatusCounts Counts, TimeSpan Wall, IReadOnlyList<RunOutcome> Outcomes)
{
    public bool Complete => Counts.Queued == 0 && Counts.Running == 0;
}
