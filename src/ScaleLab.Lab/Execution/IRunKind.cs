using ScaleLab.Lab.Registry;

namespace ScaleLab.Lab.Execution;

/// <summary>
/// A kind of run: what a study's runs are (a language model, a toy regression, a self-play agent) and how
/// one is trained. The lab's machinery — sweep specs, atomic claims, heartbeats, checkpoints, resume after a
/// crash, every executor, the registry's metrics — is the same for every kind (<see cref="RunExecution.Train"/>);
/// a kind supplies only the runs of a spec and a session that steps. A kind is registered by the assembly that
/// defines it (<see cref="RunKinds"/>), so an assembly that defines kinds depends on Lab, never the reverse.
/// </summary>
public interface IRunKind
{
    /// <summary>The name a spec and a run record give (lower-case, e.g. "lm"); unique among registered kinds.</summary>
    string Name { get; }

    /// <summary>The names of the metrics its sessions log per step into the registry's generic metric table
    /// (<see cref="RunStepResult.Metrics"/>); empty for a kind that logs only the standard row.</summary>
    IReadOnlyList<string> MetricNames { get; }

    /// <summary>
    /// The runs of a sweep spec of this kind, in claim order: <paramref name="settings"/> is the spec's table of
    /// settings as JSON (TOML read into JSON: tables → objects, arrays → arrays). Each run's
    /// <see cref="NewRun.ConfigJson"/> must hold everything that determines its result and its key must be a
    /// stable hash of it (<see cref="Sweeps.RunKeys.Of"/>), so re-running a spec finds its runs. Errors are
    /// <see cref="InvalidDataException"/> in one line naming the setting.
    /// </summary>
    IReadOnlyList<NewRun> Expand(string study, System.Text.Json.JsonElement settings);

    /// <summary>
    /// Opens a session for a claimed run: resumes from <see cref="RunContext.CheckpointPath"/> when it holds a
    /// usable checkpoint, else starts at step 0. A configuration or input that cannot work raises
    /// <see cref="InvalidDataException"/>, <see cref="IOException"/>, <see cref="ArgumentException"/> or
    /// <see cref="FormatException"/>, and the run is marked failed with its message.
    /// </summary>
    IRunSession Open(RunContext context);
}

/// <summary>What a session is given: the claimed run (its kind's config in <see cref="RunRecord.ConfigJson"/>),
/// its checkpoint file, kernel threads, the registry (to read back what the run logged before a resume; writing
/// is the worker loop's job) and a log for progress lines.</summary>
public sealed record RunContext(RunRecord Run, string CheckpointPath, int Threads, IRunStore Store, Action<string>? Log);

/// <summary>One optimizer step's record: the standard row (losses, learning rate, gradient norm; null for a
/// kind without one) and any named metrics of this step (generic table, schema 3).</summary>
public sealed record RunStepResult(long Step, MetricRow? Row, IReadOnlyList<RunMetric> Metrics);

/// <summary>
/// A run being trained by one worker. The worker loop calls <see cref="TrainStep"/> until <see cref="Done"/>,
/// writes each step's metrics before every checkpoint it asks for (<see cref="SaveCheckpoint"/>), and records
/// <see cref="FinalValue"/> as the run's final loss. Resuming from a checkpoint must continue the run bit for
/// bit: metrics logged after a resume replace (by run and step) those a dead worker wrote.
/// </summary>
public interface IRunSession : IDisposable
{
    /// <summary>Completed steps; right after <see cref="IRunKind.Open"/> the step the run resumed from (0: fresh).</summary>
    long Step { get; }

    /// <summary>Planned steps.</summary>
    long Steps { get; }

    /// <summary>True once the run has nothing left to do: all steps taken, or it stopped early by its own rule
    /// (a target loss reached).</summary>
    bool Done { get; }

    /// <summary>One step, plus whatever evaluation the kind's schedule puts after it. A diverged run throws
    /// <see cref="InvalidOperationException"/> (the run fails; retrying cannot help).</summary>
    RunStepResult TrainStep();

    /// <summary>The value recorded as the run's final loss once it is done (the last evaluation; evaluated now
    /// when this session made none, which gives the same value bit for bit).</summary>
    double FinalValue();

    /// <summary>Saves a checkpoint atomically (write, then rename) at <paramref name="path"/>.</summary>
    void SaveCheckpoint(string path);
}
