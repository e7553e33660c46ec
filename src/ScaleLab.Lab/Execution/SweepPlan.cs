using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Lab.Execution;

/// <summary>What enqueueing a spec did: runs in the spec, newly queued, and already present (any status).</summary>
public sealed record EnqueueResult(string Study, int Runs, int Added)
{
    public int Existing => Runs - Added;
}

public static class SweepPlan
{
    /// <summary>Creates the study (keeping the spec text) and enqueues the spec's runs; runs already in the
    /// registry (same key) are left as they are, so re-running a sweep resumes it.</summary>
    public static EnqueueResult Enqueue(IRunStore store, SweepSpec spec, string? specText = null)
    {
        var runs = spec.NewRuns();
        store.CreateStudy(spec.Study, specText);
        var added = store.Enqueue(spec.Study, runs);
        return new EnqueueResult(spec.Study, runs.Count, added);
    }
}
