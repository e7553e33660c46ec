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
    /// <remarks>Runs whose comparable settings (<see cref="StudySettings"/>) differ from those of the study's runs
    /// already recorded are refused (<see cref="InvalidDataException"/>, one line) unless <paramref name="addToStudy"/>.</remarks>
    public static EnqueueResult Enqueue(IRunStore store, SweepSpec spec, string? specText = null, bool addToStudy = false)
    {
        var runs = spec.NewRuns();
        StudySettings.Check(store, spec.Study, runs, addToStudy);
        store.CreateStudy(spec.Study, specText);
        var added = store.Enqueue(spec.Study, runs);
        return new EnqueueResult(spec.Study, runs.Count, added);
    }
}
