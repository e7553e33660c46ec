namespace ScaleLab.Lab.Registry;

/// <summary>
/// The run registry: studies, runs, per-step metrics and artifacts, shared by every worker of a sweep.
/// Every operation is one short transaction, safe to call from many threads and processes at once.
/// Two back ends share one schema: <see cref="SqliteRunStore"/> (one machine) and
/// <see cref="PostgresRunStore"/> (several machines). Open one with <see cref="RunStores.Open"/>.
/// </summary>
public interface IRunStore : IDisposable
{
    /// <summary>Where the store lives, for messages (a file path or a host/database).</summary>
    string Location { get; }

    /// <summary>Creates the tables if absent and checks the schema version. A file or database that is
    /// not a ScaleLab registry raises <see cref="InvalidDataException"/> and is left untouched.</summary>
    void EnsureSchema();

    /// <summary>Creates the study if absent (the stored spec is kept from the first call).</summary>
    void CreateStudy(string name, string? spec);

    IReadOnlyList<StudyRecord> ListStudies();

    /// <summary>Adds the runs whose keys are not yet present as queued; returns how many were added.
    /// Runs already present keep their status and metrics, so re-running a sweep resumes it.</summary>
    int Enqueue(string study, IReadOnlyList<NewRun> runs);

    /// <summary>Atomically claims the first queued run of the study (by ordinal), or a running run whose
    /// heartbeat is older than <paramref name="staleAfter"/> (its worker is presumed dead): the run becomes
    /// running, owned by <paramref name="worker"/>, attempts + 1. Null when nothing is claimable.</summary>
    RunRecord? Claim(string study, string worker, TimeSpan staleAfter);

    /// <summary>Refreshes the heartbeat; false when <paramref name="worker"/> no longer owns the run
    /// (it was reclaimed), so the worker should stop working on it.</summary>
    bool Heartbeat(string runKey, string worker);

    /// <summary>Upserts metric rows by (run, step): re-logging a step after a resume replaces it, never
    /// duplicates it. One transaction for the whole batch.</summary>
    void AppendMetrics(string runKey, IReadOnlyList<MetricRow> rows);

    /// <summary>Upserts named metrics by (run, step, name), any kind's per-step values beside the standard row:
    /// re-logging after a resume replaces, never duplicates. One transaction for the whole batch.</summary>
    void AppendRunMetrics(string runKey, IReadOnlyList<RunMetric> metrics);

    /// <summary>The run's named metrics, by step then name (ordinal).</summary>
    IReadOnlyList<RunMetric> ReadRunMetrics(string runKey);

    /// <summary>Adds games between two agents, each a run at a snapshot (one transaction, counts added to what is there,
    /// so concurrent reporters of the same pair lose nothing). Either orientation may be given; the two agents must
    /// differ (another run, or the same run at another snapshot), both runs must exist, and counts must be non-negative.</summary>
    void RecordMatches(MatchResult result);

    /// <summary>The match results among the study's runs (rows whose run A belongs to it), canonical orientation,
    /// by run A, run B, snapshot A, snapshot B.</summary>
    IReadOnlyList<MatchResult> ReadMatches(string study);

    /// <summary>Records (or refreshes, by run, kind and path) an artifact.</summary>
    void RecordArtifact(string runKey, string kind, string path, string sha256);

    IReadOnlyList<ArtifactRecord> ListArtifacts(string runKey);

    /// <summary>Marks the run done with its final loss; false when <paramref name="worker"/> does not own it.</summary>
    bool Finish(string runKey, string worker, double finalLoss);

    /// <summary>Marks the run failed with a one-line reason; false when <paramref name="worker"/> does not own it.</summary>
    bool Fail(string runKey, string worker, string error);

    /// <summary>Puts the runs <paramref name="worker"/> holds back in the queue (its process is known to be
    /// gone, so waiting for the heartbeat to go stale is unnecessary); returns how many.</summary>
    int ReleaseWorker(string worker);

    /// <summary>Puts the study's failed runs back in the queue; returns how many.</summary>
    int RetryFailed(string study);

    RunRecord? GetRun(string runKey);

    /// <summary>The study's runs in ordinal order.</summary>
    IReadOnlyList<RunRecord> ListRuns(string study);

    StatusCounts CountByStatus(string study);

    /// <summary>The run's metrics in step order.</summary>
    IReadOnlyList<MetricRow> ReadMetrics(string runKey);

    /// <summary>The study's finished runs as (N, D, C, loss) points, in ordinal order.</summary>
    IReadOnlyList<ScalingPoint> ExportPoints(string study);
}
