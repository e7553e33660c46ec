namespace ScaleLab.Lab.Registry;

/// <summary>Life cycle of a run in the registry: queued → running → done | failed.</summary>
public enum RunStatus
{
    Queued,
    Running,
    Done,
    Failed,
}

/// <summary>A run to enqueue. <paramref name="Key"/> is the stable hash of its configuration (see
/// <c>RunSpec.Key</c>), so enqueueing the same run twice is a no-op. <paramref name="Ordinal"/> is its
/// position in the sweep's expansion and fixes the claim order. <paramref name="Kind"/> names the run's kind
/// (null: a language-model run, "lm"). For a kind other than the language model, <paramref name="Parameters"/>,
/// <paramref name="Tokens"/> and <paramref name="Flops"/> are whatever the kind counts as its size, data and
/// compute (0 where it has none).</summary>
public sealed record NewRun(
    string Key,
    int Ordinal,
    string ConfigJson,
    long Seed,
    long Parameters,
    long NonEmbeddingParameters,
    long Tokens,
    double Flops,
    string? Kind = null);

/// <summary>One row of the runs table. Times are UTC; <see cref="Heartbeat"/> is the last sign of life
/// of <see cref="Worker"/>; <see cref="Attempts"/> counts claims (a reclaim after a dead worker adds one).
/// <see cref="FinalLoss"/> is the loss the run reported when it finished (validation loss, nats/token, for a
/// language-model run; a kind's own final value otherwise). <see cref="Kind"/> is null for a language-model run.</summary>
public sealed record RunRecord(
    string Key,
    string Study,
    int Ordinal,
    string ConfigJson,
    long Seed,
    RunStatus Status,
    long Parameters,
    long NonEmbeddingParameters,
    long Tokens,
    double Flops,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string? Worker,
    DateTimeOffset? Heartbeat,
    int Attempts,
    double? FinalLoss,
    string? Error,
    string? Kind = null)
{
    /// <summary>The run's kind: <see cref="Kind"/>, or "lm" (the language-model run) when the record has none.</summary>
    public string KindName => Kind ?? "lm";
}

/// <summary>Metrics of one optimizer step. <paramref name="Tokens"/> is the number of training tokens
/// seen after the step; <paramref name="ValLoss"/> is null on steps without an evaluation. A NaN loss
/// (a diverged run) is stored as NULL and reads back as NaN (train) or null (validation).
/// The last three are the gradient noise scale (McCandlish et al. 2018, App. A.1), null when the run does
/// not track it (schema version 2): <paramref name="GradNormSqEstimate"/> and <paramref name="TraceCovEstimate"/>
/// are this step's raw two-batch estimates of |G|² and tr(Σ) (noisy, may be negative; kept raw so the EMAs can
/// be rebuilt, e.g. when a run resumes), and <paramref name="BSimple"/> is the ratio of their EMAs up to this
/// step, in sequences. A NaN in any of them is stored as NULL and reads back as null.</summary>
public sealed record MetricRow(
    long Step,
    long Tokens,
    double TrainLoss,
    double? ValLoss,
    double LearningRate,
    double GradNorm,
    double? GradNormSqEstimate = null,
    double? TraceCovEstimate = null,
    double? BSimple = null);

/// <summary>A file a run produced (kind "checkpoint", "model", ...) with its SHA-256 (lower-case hex).</summary>
public sealed record ArtifactRecord(string RunKey, string Kind, string Path, string Sha256, DateTimeOffset CreatedAt);

/// <summary>One finished run as a scaling-law point: N non-embedding parameters (and the total),
/// D training tokens, C = 6·N·D training FLOP (Kaplan et al. 2020, §2.1) and the final loss.</summary>
public sealed record ScalingPoint(
    string RunKey,
    long N,
    long NTotal,
    long D,
    double C,
    double Loss,
    long Seed);

/// <summary>How many runs of a study are in each state.</summary>
public sealed record StatusCounts(int Queued, int Running, int Done, int Failed)
{
    public int Total => Queued + Running + Done + Failed;
}

/// <summary>A study: a named group of runs, with the spec that produced it (TOML text or JSON).</summary>
public sealed record StudyRecord(string Name, string? Spec, DateTimeOffset CreatedAt);

internal static class RunStatusText
{
    public static string ToText(RunStatus status) => status switch
    {
        RunStatus.Queued => "queued",
        RunStatus.Running => "running",
        RunStatus.Done => "done",
        RunStatus.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    public static RunStatus Parse(string text) => text switch
    {
        "queued" => RunStatus.Queued,
        "running" => RunStatus.Running,
        "done" => RunStatus.Done,
        "failed" => RunStatus.Failed,
        _ => throw new InvalidDataException($"registry holds an unknown run status '{text}'"),
    };
}

/// <summary>One named metric of one step of a run (the generic metric table of schema 3): a kind logs whatever
/// it measures under its own names without a schema change. A NaN is stored as NULL and reads back as NaN.</summary>
public sealed record RunMetric(long Step, string Name, double Value);

/// <summary>
/// Games between two agents of a study, each a run at one of its snapshots (the training step of the snapshot that
/// played): run A at <paramref name="SnapshotA"/> against run B at <paramref name="SnapshotB"/>, counted from A's side:
/// it won <paramref name="Wins"/>, lost <paramref name="Losses"/> and drew <paramref name="Draws"/>. The two may be
/// snapshots of one run (a run against its earlier self). The registry keeps one row per unordered pair of agents
/// (agent A the smaller by run key, ordinal, then snapshot), adding every report into it.
/// </summary>
public sealed record MatchResult(string RunA, long SnapshotA, string RunB, long SnapshotB, long Wins, long Losses, long Draws)
{
    /// <summary>Games between the two runs at the same snapshot (the schema-3 shape: one snapshot for both sides).</summary>
    public MatchResult(string RunA, string RunB, long Snapshot, long Wins, long Losses, long Draws)
        : this(RunA, Snapshot, RunB, Snapshot, Wins, Losses, Draws)
    {
    }

    public long Games => Wins + Losses + Draws;

    /// <summary>A's part of the counts in the games where A had the first move (Black in Hex); the rest are the games
    /// where B had it. Null: the colours were not recorded (every row of a registry before schema 5, and a row that
    /// adds games with colours to games without).</summary>
    public FirstMoveCounts? AFirst { get; init; }

    /// <summary>Whether both sides are the same agent (same run, same snapshot): not a match.</summary>
    public bool SameAgent => RunA == RunB && SnapshotA == SnapshotB;

    /// <summary>The same result from the other side (agents, wins and losses swapped).</summary>
    public MatchResult Swapped() => new(RunB, SnapshotB, RunA, SnapshotA, Losses, Wins, Draws)
    {
        // B's games as first mover are A's as second: B's wins there are A's losses there, and so on.
        AFirst = AFirst is { } f ? new FirstMoveCounts(Losses - f.Losses, Wins - f.Wins, Draws - f.Draws) : null,
    };

    /// <summary>B's part of the counts in the games where B had the first move, from A's side (A's results as second mover).</summary>
    public FirstMoveCounts? ASecond => AFirst is { } f ? new FirstMoveCounts(Wins - f.Wins, Losses - f.Losses, Draws - f.Draws) : null;

    /// <summary>The orientation the registry stores: agent A the smaller by run key (ordinal), then by snapshot.</summary>
    public MatchResult Canonical()
    {
        var byRun = string.CompareOrdinal(RunA, RunB);
        return byRun < 0 || (byRun == 0 && SnapshotA <= SnapshotB) ? this : Swapped();
    }
}

/// <summary>One side's wins, losses and draws in the games of a match where it had the first move.</summary>
public sealed record FirstMoveCounts(long Wins, long Losses, long Draws)
{
    public long Games => Wins + Losses + Draws;
}
