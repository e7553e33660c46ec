using System.Collections.Concurrent;
using ScaleLab.Lab.Registry;

namespace ScaleLab.Lab.Tests.Registry;

/// <summary>
/// The store contract, run against every back end by a concrete subclass
/// (<see cref="SqliteRunStoreTests"/>, <see cref="PostgresRunStoreTests"/>). Concurrency tests give each
/// thread its own store instance, as separate worker processes would have.
/// </summary>
public abstract partial class RunStoreContractTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    protected ManualTime Time { get; } = new(Start);

    /// <summary>A new store on this test's registry (the same registry on every call); schema ensured.</summary>
    protected abstract IRunStore OpenStore(TimeProvider? time = null);

    /// <summary>Runs SQL on this test's registry directly, bypassing the store (to build an old registry).</summary>
    protected abstract void ExecuteRaw(string sql);

    /// <summary>The first column of the first row of a query run directly on this test's registry.</summary>
    protected abstract object? ScalarRaw(string sql);

    /// <summary>
    /// A registry exactly as scalelab wrote it at schema version 1 (the tables of the first release, verbatim),
    /// holding one study, one finished run and two metric rows.
    /// </summary>
    private void CreateVersionOneRegistry(string version = "1")
    {
        CreateVersionOneRegistryTables();
        ExecuteRaw($"INSERT INTO scalelab_meta (name, value) VALUES ('schema_version', '{version}')");
        ExecuteRaw("INSERT INTO studies (name, spec, created_ms) VALUES ('old', 'old spec', 1000)");
        ExecuteRaw("INSERT INTO runs (run_key, study, ordinal, config, seed, status, params_total, params_non_embedding, tokens, " +
            "flops, created_ms, started_ms, finished_ms, worker, heartbeat_ms, attempts, final_loss) VALUES ('old-run', 'old', 0, " +
            "'{}', 7, 'done', 1500, 1000, 20000, 1.2e8, 1000, 2000, 3000, 'w', 3000, 1, 3.25)");
        ExecuteRaw("INSERT INTO metrics (run_key, step, tokens, train_loss, val_loss, lr, grad_norm) VALUES " +
            "('old-run', 1, 64, 4.5, NULL, 0.001, 0.75), ('old-run', 2, 128, 4.25, 4.0, 0.002, 0.5)");
    }

    /// <summary>The tables of schema version 1 (the first release), verbatim, empty.</summary>
    private void CreateVersionOneRegistryTables()
    {
        ExecuteRaw("CREATE TABLE scalelab_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)");
        ExecuteRaw("CREATE TABLE studies (name TEXT PRIMARY KEY, spec TEXT, created_ms BIGINT NOT NULL)");
        ExecuteRaw("""
            CREATE TABLE runs (
                run_key TEXT PRIMARY KEY,
                study TEXT NOT NULL REFERENCES studies(name),
                ordinal INTEGER NOT NULL,
                config TEXT NOT NULL,
                seed BIGINT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
                params_total BIGINT NOT NULL,
                params_non_embedding BIGINT NOT NULL,
                tokens BIGINT NOT NULL,
                flops DOUBLE PRECISION NOT NULL,
                created_ms BIGINT NOT NULL,
                started_ms BIGINT,
                finished_ms BIGINT,
                worker TEXT,
                heartbeat_ms BIGINT,
                attempts INTEGER NOT NULL DEFAULT 0,
                final_loss DOUBLE PRECISION,
                error TEXT)
            """);
        ExecuteRaw("CREATE INDEX runs_study_status ON runs (study, status, ordinal)");
        ExecuteRaw("""
            CREATE TABLE metrics (
                run_key TEXT NOT NULL REFERENCES runs(run_key),
                step BIGINT NOT NULL,
                tokens BIGINT NOT NULL,
                train_loss DOUBLE PRECISION,
                val_loss DOUBLE PRECISION,
                lr DOUBLE PRECISION NOT NULL,
                grad_norm DOUBLE PRECISION,
                PRIMARY KEY (run_key, step))
            """);
        ExecuteRaw("""
            CREATE TABLE artifacts (
                run_key TEXT NOT NULL REFERENCES runs(run_key),
                kind TEXT NOT NULL,
                path TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                created_ms BIGINT NOT NULL,
                PRIMARY KEY (run_key, kind, path))
            """);
    }

    [StoreFact]
    public void EnsureSchema_VersionOneRegistry_UpgradedInPlaceKeepingEverything()
    {
        // Given
        CreateVersionOneRegistry();

        // When
        using var store = OpenStore();

        // Then: the current version, the old rows intact with null noise columns, and the new columns writable.
        Assert.Equal(SqlRunStore.SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), Convert.ToString(ScalarRaw("SELECT value FROM scalelab_meta WHERE name = 'schema_version'"),
            System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal([new MetricRow(1, 64, 4.5, null, 1e-3, 0.75), new MetricRow(2, 128, 4.25, 4.0, 2e-3, 0.5)], store.ReadMetrics("old-run"));
        Assert.Equal(new ScalingPoint("old-run", 1000, 1500, 20000, 6.0 * 1000 * 20000, 3.25, 7), Assert.Single(store.ExportPoints("old")));
        Assert.Equal(("old spec", RunStatus.Done), (Assert.Single(store.ListStudies()).Spec, store.GetRun("old-run")!.Status));
        var row = new MetricRow(3, 192, 4.0, null, 2e-3, 0.4, GradNormSqEstimate: -0.5, TraceCovEstimate: 12.0, BSimple: 30.0);
        store.AppendMetrics("old-run", [row]);
        using var again = OpenStore();
        Assert.Equal(row, again.ReadMetrics("old-run")[^1]);
    }

    [StoreFact]
    public void EnsureSchema_VersionOneRegistryOpenedByEightAtOnce_UpgradedOnce()
    {
        // Given
        CreateVersionOneRegistry();
        var errors = new ConcurrentBag<Exception>();

        // When: eight processes' worth of stores open the old registry together; one upgrades, the rest see the current version.
        using var gate = new Barrier(8);
        var threads = Enumerable.Range(0, 8).Select(_ => new Thread(() =>
        {
            gate.SignalAndWait();
            try
            {
                using var store = OpenStore();
                store.AppendMetrics("old-run", [new MetricRow(3, 192, 4.0, null, 2e-3, 0.4, 1.0, 2.0, 3.0)]);
            }
            catch (Exception ex)
            {
                errors.Add(ex);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        // Then
        Assert.Empty(errors);
        using var check = OpenStore();
        Assert.Equal(3, check.ReadMetrics("old-run").Count);
        Assert.Equal(3.0, check.ReadMetrics("old-run")[^1].BSimple);
    }

    [StoreFact]
    public void EnsureSchema_NewerVersion_RefusedAndLeftUntouched()
    {
        // Given: a registry with version-1 tables that claims a version from the future
        CreateVersionOneRegistry(version: "99");

        // When
        var error = Assert.Throws<InvalidDataException>(() => OpenStore());

        // Then: refused with one line, and neither the version nor the tables were changed.
        Assert.Contains("schema version 99 is newer", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Equal("99", Convert.ToString(ScalarRaw("SELECT value FROM scalelab_meta WHERE name = 'schema_version'"),
            System.Globalization.CultureInfo.InvariantCulture));
        Assert.ThrowsAny<System.Data.Common.DbException>(() => ScalarRaw("SELECT b_simple FROM metrics"));
    }

    [StoreFact]
    public void AppendMetrics_NoiseColumns_RoundTripReplaceAndNaNAsNull()
    {
        // Given
        using var store = StudyWithRuns(1);
        store.AppendMetrics("run-000", [
            new MetricRow(1, 64, 3.0, null, 1e-3, 1.0, GradNormSqEstimate: -0.25, TraceCovEstimate: 40.0, BSimple: 160.0),
            new MetricRow(2, 128, 2.9, 2.8, 1e-3, 1.1, GradNormSqEstimate: 0.125, TraceCovEstimate: 41.5, BSimple: 1.0 / 3.0),
            new MetricRow(3, 192, 2.8, null, 1e-3, 1.2)]);

        // When: a resumed run re-logs step 2 with other values and a NaN B_simple
        store.AppendMetrics("run-000", [new MetricRow(2, 128, 2.9, 2.8, 1e-3, 1.1, 0.5, double.NaN, double.NaN)]);

        // Then
        var rows = store.ReadMetrics("run-000");
        Assert.Equal(new MetricRow(1, 64, 3.0, null, 1e-3, 1.0, -0.25, 40.0, 160.0), rows[0]);
        Assert.Equal(new MetricRow(2, 128, 2.9, 2.8, 1e-3, 1.1, 0.5, null, null), rows[1]);
        Assert.Equal(new MetricRow(3, 192, 2.8, null, 1e-3, 1.2), rows[2]);
    }

    public virtual void Dispose() => GC.SuppressFinalize(this);

    private static NewRun Run(int i, string prefix = "run") =>
        new($"{prefix}-{i:D3}", i, $$"""{"i":{{i}}}""", Seed: i, Parameters: 1000 + i, NonEmbeddingParameters: 500 + i,
            Tokens: 10_000 * (i + 1), Flops: 6.0 * (500 + i) * 10_000 * (i + 1));

    private IRunStore StudyWithRuns(int count, TimeProvider? time = null)
    {
        var store = OpenStore(time);
        store.CreateStudy("s", "spec text");
        store.Enqueue("s", Enumerable.Range(0, count).Select(i => Run(i)).ToList());
        return store;
    }

    [StoreFact]
    public void EnsureSchema_CalledAgain_KeepsData()
    {
        // Given
        using var store = StudyWithRuns(3);

        // When
        store.EnsureSchema();
        using var other = OpenStore();

        // Then
        Assert.Equal(3, other.ListRuns("s").Count);
        Assert.Equal("spec text", Assert.Single(other.ListStudies()).Spec);
    }

    [StoreFact]
    public void Enqueue_SameRunsTwice_AddsOnceAndKeepsStatus()
    {
        // Given
        using var store = StudyWithRuns(3);
        var claimed = store.Claim("s", "w1", TimeSpan.FromMinutes(1))!;

        // When
        var added = store.Enqueue("s", Enumerable.Range(0, 4).Select(i => Run(i)).ToList());

        // Then
        Assert.Equal(1, added);
        var runs = store.ListRuns("s");
        Assert.Equal(["run-000", "run-001", "run-002", "run-003"], runs.Select(r => r.Key));
        Assert.Equal(RunStatus.Running, runs.Single(r => r.Key == claimed.Key).Status);
        Assert.Equal(new StatusCounts(3, 1, 0, 0), store.CountByStatus("s"));
    }

    [StoreFact]
    public void Claim_QueuedRuns_InOrdinalOrderThenNull()
    {
        // Given
        using var store = OpenStore(Time);
        store.CreateStudy("s", null);
        store.Enqueue("s", [Run(2), Run(0), Run(1)]);

        // When
        var keys = Enumerable.Range(0, 4).Select(_ => store.Claim("s", "w", TimeSpan.FromMinutes(1))?.Key).ToList();

        // Then
        Assert.Equal(["run-000", "run-001", "run-002", null], keys);
        var run = store.GetRun("run-000")!;
        Assert.Equal(("w", 1, RunStatus.Running), (run.Worker, run.Attempts, run.Status));
        Assert.Equal(Start, run.StartedAt);
    }

    [StoreFact]
    public void Claim_EightConcurrentClaimers_EachRunClaimedExactlyOnce()
    {
        // Given
        const int runs = 64;
        using (StudyWithRuns(runs)) { }
        var claims = new ConcurrentBag<(string Worker, string Key)>();

        // When: 8 claimers, each with its own store, start together and claim until the queue is empty.
        using var gate = new Barrier(8);
        var threads = Enumerable.Range(0, 8).Select(w => new Thread(() =>
        {
            using var store = OpenStore();
            gate.SignalAndWait();
            while (store.Claim("s", $"w{w}", TimeSpan.FromMinutes(5)) is { } run)
            {
                claims.Add(($"w{w}", run.Key));
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        // Then
        Assert.Equal(runs, claims.Count);
        Assert.Equal(runs, claims.Select(c => c.Key).Distinct().Count());
        using var check = OpenStore();
        var records = check.ListRuns("s");
        Assert.All(records, r => Assert.Equal((RunStatus.Running, 1), (r.Status, r.Attempts)));
        Assert.All(claims, c => Assert.Equal(c.Worker, records.Single(r => r.Key == c.Key).Worker));
    }

    [StoreFact]
    public void AppendMetrics_EightConcurrentWriters_NothingLostOrDuplicated()
    {
        // Given: 8 writers on one run, writer w owning steps w, w+8, ...; each writes its steps in batches
        // of 5, then writes them all again (a resumed run re-logging), and 8 more writers fill 8 other runs.
        const int steps = 400;
        using (StudyWithRuns(9)) { }
        static MetricRow Row(long step) =>
            new(step, step * 64, 5.0 - step * 1e-3, step % 10 == 0 ? 4.0 - step * 1e-3 : null, 1e-3 * (1 + step % 7), 0.5 + step);

        // When
        using var gate = new Barrier(16);
        var threads = Enumerable.Range(0, 16).Select(w => new Thread(() =>
        {
            using var store = OpenStore();
            var key = w < 8 ? "run-000" : $"run-{w - 7:D3}";
            var mine = w < 8
                ? Enumerable.Range(0, steps).Where(s => s % 8 == w).Select(s => Row(s)).ToList()
                : Enumerable.Range(0, steps).Select(s => Row(s)).ToList();
            gate.SignalAndWait();
            for (var pass = 0; pass < 2; pass++)
            {
                foreach (var batch in mine.Chunk(5))
                {
                    store.AppendMetrics(key, batch);
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        // Then: every run holds steps 0..399 exactly once with the values written, bit for bit.
        using var check = OpenStore();
        var expected = Enumerable.Range(0, steps).Select(s => Row(s)).ToList();
        for (var i = 0; i < 9; i++)
        {
            Assert.Equal(expected, check.ReadMetrics($"run-{i:D3}"));
        }
    }

    [StoreFact]
    public void AppendMetrics_StepLoggedAgain_ReplacesRow_NaNLossRoundTrips()
    {
        // Given
        using var store = StudyWithRuns(1);
        store.AppendMetrics("run-000", [new MetricRow(1, 64, 3.0, null, 1e-3, 1.0), new MetricRow(2, 128, 2.9, 2.8, 1e-3, 1.1)]);

        // When
        store.AppendMetrics("run-000", [new MetricRow(2, 128, double.NaN, 2.7, 2e-3, 1.2)]);

        // Then
        var rows = store.ReadMetrics("run-000");
        Assert.Equal(2, rows.Count);
        Assert.Equal(new MetricRow(1, 64, 3.0, null, 1e-3, 1.0), rows[0]);
        Assert.True(double.IsNaN(rows[1].TrainLoss));
        Assert.Equal((2.7, 2e-3), (rows[1].ValLoss!.Value, rows[1].LearningRate));
    }

    [StoreFact]
    public void Claim_HeartbeatStale_ReclaimedByAnotherWorkerWithAttemptsIncremented()
    {
        // Given
        using var store = StudyWithRuns(1, Time);
        var timeout = TimeSpan.FromSeconds(60);
        var first = store.Claim("s", "dead", timeout)!;

        // When: a fresh heartbeat keeps the run; 61 s of silence releases it.
        Time.Advance(TimeSpan.FromSeconds(50));
        Assert.True(store.Heartbeat(first.Key, "dead"));
        Time.Advance(TimeSpan.FromSeconds(50));
        var tooEarly = store.Claim("s", "alive", timeout);
        Time.Advance(TimeSpan.FromSeconds(11));
        var second = store.Claim("s", "alive", timeout);

        // Then
        Assert.Null(tooEarly);
        Assert.NotNull(second);
        Assert.Equal((first.Key, "alive", 2), (second.Key, second.Worker, second.Attempts));
        Assert.Equal(Start, second.StartedAt);
        Assert.False(store.Heartbeat(first.Key, "dead"));
        Assert.False(store.Finish(first.Key, "dead", 1.0));
        Assert.True(store.Finish(first.Key, "alive", 2.5));
        Assert.Null(store.Claim("s", "other", TimeSpan.Zero));
        var done = store.GetRun(first.Key)!;
        Assert.Equal((RunStatus.Done, 2.5, "alive"), (done.Status, done.FinalLoss!.Value, done.Worker));
    }

    [StoreFact]
    public void ReleaseWorker_DeadWorker_ItsRunsQueuedAgain()
    {
        // Given
        using var store = StudyWithRuns(3);
        var a = store.Claim("s", "dead", TimeSpan.FromMinutes(1))!;
        var b = store.Claim("s", "alive", TimeSpan.FromMinutes(1))!;

        // When
        var released = store.ReleaseWorker("dead");
        var next = store.Claim("s", "alive2", TimeSpan.FromMinutes(1))!;

        // Then: the released run is claimed before the never-started run-002 (ordinal order), attempt 2.
        Assert.Equal(1, released);
        Assert.Equal((a.Key, 2), (next.Key, next.Attempts));
        Assert.Equal(RunStatus.Running, store.GetRun(b.Key)!.Status);
        Assert.False(store.Finish(a.Key, "dead", 1.0));
    }

    [StoreFact]
    public void Fail_ThenRetryFailed_RunQueuedAgainWithError()
    {
        // Given
        using var store = StudyWithRuns(2);
        var run = store.Claim("s", "w", TimeSpan.FromMinutes(1))!;

        // When
        Assert.True(store.Fail(run.Key, "w", "loss diverged at step 12"));
        var failed = store.GetRun(run.Key)!;
        var retried = store.RetryFailed("s");

        // Then
        Assert.Equal((RunStatus.Failed, "loss diverged at step 12"), (failed.Status, failed.Error));
        Assert.Equal(1, retried);
        Assert.Equal(RunStatus.Queued, store.GetRun(run.Key)!.Status);
        Assert.Equal(run.Key, store.Claim("s", "w2", TimeSpan.FromMinutes(1))!.Key);
    }

    [StoreFact]
    public void ExportPoints_DoneRuns_NDCAndFinalLoss()
    {
        // Given
        using var store = StudyWithRuns(3);
        var a = store.Claim("s", "w", TimeSpan.FromMinutes(1))!;
        var b = store.Claim("s", "w", TimeSpan.FromMinutes(1))!;
        store.Finish(b.Key, "w", 3.25);
        store.Finish(a.Key, "w", 3.5);

        // When
        var points = store.ExportPoints("s");

        // Then: the queued run is absent; C = 6·N·D with N non-embedding.
        Assert.Equal(2, points.Count);
        Assert.Equal(new ScalingPoint("run-000", 500, 1000, 10_000, 6.0 * 500 * 10_000, 3.5, 0), points[0]);
        Assert.Equal(new ScalingPoint("run-001", 501, 1001, 20_000, 6.0 * 501 * 20_000, 3.25, 1), points[1]);
    }

    [StoreFact]
    public void RecordArtifact_SamePathTwice_RefreshesHash()
    {
        // Given
        using var store = StudyWithRuns(1);
        store.RecordArtifact("run-000", "checkpoint", "/ck/run-000.ckpt", "aa");

        // When
        store.RecordArtifact("run-000", "checkpoint", "/ck/run-000.ckpt", "bb");
        store.RecordArtifact("run-000", "model", "/ck/final.bin", "cc");

        // Then
        var artifacts = store.ListArtifacts("run-000");
        Assert.Equal(2, artifacts.Count);
        Assert.Equal("bb", artifacts.Single(a => a.Kind == "checkpoint").Sha256);
    }
}
