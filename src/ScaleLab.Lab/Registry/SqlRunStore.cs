using System.Data;
using System.Data.Common;

namespace ScaleLab.Lab.Registry;

/// <summary>
/// The registry over ADO.NET, shared by both back ends: one schema, one set of parameterized statements.
/// A back end supplies connections, its DDL dialect, write transactions and the row lock for claiming.
/// Times are stored as Unix milliseconds (BIGINT) from the injected <see cref="TimeProvider"/>, so the
/// staleness comparison is the same integer comparison on both back ends and tests can move the clock.
/// </summary>
public abstract class SqlRunStore : IRunStore
{
    /// <summary>Schema version written in scalelab_meta; a newer registry is refused, an older one is
    /// upgraded in place (<see cref="Upgrades"/>). 1: the first release; 2: gradient-noise metric columns;
    /// 3: run kinds (runs.kind), the generic per-step metric table (run_metrics) and match results (matches);
    /// 4: a snapshot per side of a match (matches.snapshot_a, matches.snapshot_b).</summary>
    public const int SchemaVersion = 4;

    private const string RunColumns =
        "run_key, study, ordinal, config, seed, status, params_total, params_non_embedding, tokens, flops, " +
        "created_ms, started_ms, finished_ms, worker, heartbeat_ms, attempts, final_loss, error, kind";

    private const string Claimable = "(status = 'queued' OR (status = 'running' AND heartbeat_ms < @cutoff))";

    private readonly TimeProvider _time;

    protected SqlRunStore(TimeProvider? time) => _time = time ?? TimeProvider.System;

    public abstract string Location { get; }

    /// <summary>A new open connection (pooled by the provider).</summary>
    protected abstract DbConnection Open();

    /// <summary>Starts a transaction that holds the write lock from its first statement.</summary>
    protected abstract DbTransaction BeginWrite(DbConnection connection);

    /// <summary>Row-lock suffix for the claim subquery ("FOR UPDATE SKIP LOCKED" where supported).</summary>
    protected abstract string ClaimLockClause { get; }

    public abstract void EnsureSchema();

    public virtual void Dispose() => GC.SuppressFinalize(this);

    /// <summary>The tables of schema version 1, shared by both back ends (DOUBLE PRECISION and BIGINT are
    /// valid SQLite type names with REAL and INTEGER affinity). Metric losses are nullable because SQLite
    /// stores NaN as NULL. A new registry is created at version 1 and brought to <see cref="SchemaVersion"/>
    /// by the same <see cref="Upgrades"/> an old registry goes through, so both end with the same tables.</summary>
    protected static readonly string[] SchemaStatements =
    [
        "CREATE TABLE IF NOT EXISTS scalelab_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS studies (name TEXT PRIMARY KEY, spec TEXT, created_ms BIGINT NOT NULL)",
        """
        CREATE TABLE IF NOT EXISTS runs (
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
        """,
        "CREATE INDEX IF NOT EXISTS runs_study_status ON runs (study, status, ordinal)",
        """
        CREATE TABLE IF NOT EXISTS metrics (
            run_key TEXT NOT NULL REFERENCES runs(run_key),
            step BIGINT NOT NULL,
            tokens BIGINT NOT NULL,
            train_loss DOUBLE PRECISION,
            val_loss DOUBLE PRECISION,
            lr DOUBLE PRECISION NOT NULL,
            grad_norm DOUBLE PRECISION,
            PRIMARY KEY (run_key, step))
        """,
        """
        CREATE TABLE IF NOT EXISTS artifacts (
            run_key TEXT NOT NULL REFERENCES runs(run_key),
            kind TEXT NOT NULL,
            path TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            created_ms BIGINT NOT NULL,
            PRIMARY KEY (run_key, kind, path))
        """,
    ];

    /// <summary>
    /// The steps from one schema version to the next, in order: <c>Upgrades[i]</c> takes version i + 1 to
    /// i + 2. Each only adds (nullable columns, tables), so a registry upgraded while no worker of an older
    /// scalelab is writing loses nothing; an older scalelab then refuses the newer registry instead of
    /// writing rows without the new columns.
    /// </summary>
    protected static readonly string[][] Upgrades =
    [
        // 1 → 2: per-step gradient noise scale (raw two-batch estimates and the ratio of their EMAs).
        [
            "ALTER TABLE metrics ADD COLUMN gns_grad_norm_sq DOUBLE PRECISION",
            "ALTER TABLE metrics ADD COLUMN gns_trace_cov DOUBLE PRECISION",
            "ALTER TABLE metrics ADD COLUMN b_simple DOUBLE PRECISION",
        ],
        // 2 → 3: the kind of each run (NULL: a language-model run, as every run before kinds), any kind's named
        // per-step metrics, and pairwise match results between runs (agents of one study playing each other).
        [
            "ALTER TABLE runs ADD COLUMN kind TEXT",
            """
            CREATE TABLE IF NOT EXISTS run_metrics (
                run_key TEXT NOT NULL REFERENCES runs(run_key),
                step BIGINT NOT NULL,
                name TEXT NOT NULL,
                value DOUBLE PRECISION,
                PRIMARY KEY (run_key, step, name))
            """,
            """
            CREATE TABLE IF NOT EXISTS matches (
                run_a TEXT NOT NULL REFERENCES runs(run_key),
                run_b TEXT NOT NULL REFERENCES runs(run_key),
                snapshot BIGINT NOT NULL,
                wins BIGINT NOT NULL,
                losses BIGINT NOT NULL,
                draws BIGINT NOT NULL,
                updated_ms BIGINT NOT NULL,
                PRIMARY KEY (run_a, run_b, snapshot),
                CHECK (run_a < run_b))
            """,
        ],
        // 3 → 4: a snapshot per side of a match (run A at snapshot i against run B at snapshot j, or one run against its
        // earlier self), so the key changes: the table is rebuilt, each old row (one snapshot for both sides) copied
        // with that snapshot on both sides. A scalelab of schema 3 refuses the upgraded registry, so none writes the old shape.
        [
            """
            CREATE TABLE matches_v4 (
                run_a TEXT NOT NULL REFERENCES runs(run_key),
                snapshot_a BIGINT NOT NULL,
                run_b TEXT NOT NULL REFERENCES runs(run_key),
                snapshot_b BIGINT NOT NULL,
                wins BIGINT NOT NULL,
                losses BIGINT NOT NULL,
                draws BIGINT NOT NULL,
                updated_ms BIGINT NOT NULL,
                PRIMARY KEY (run_a, snapshot_a, run_b, snapshot_b),
                CHECK (run_a < run_b OR (run_a = run_b AND snapshot_a < snapshot_b)))
            """,
            "INSERT INTO matches_v4 (run_a, snapshot_a, run_b, snapshot_b, wins, losses, draws, updated_ms) " +
                "SELECT run_a, snapshot, run_b, snapshot, wins, losses, draws, updated_ms FROM matches",
            "DROP TABLE matches",
            "ALTER TABLE matches_v4 RENAME TO matches",
        ],
    ];

    /// <summary>Inside the caller's write transaction (which holds the back end's schema lock): creates the
    /// tables of a new registry, or checks the version of an existing one and upgrades it in place when it is
    /// older. A newer version is refused before anything is written, and so is a version that is unreadable;
    /// a failed upgrade rolls back with the transaction, leaving the old version intact.</summary>
    protected void CreateOrCheckSchema(DbConnection connection, DbTransaction transaction, bool hasMeta)
    {
        int version;
        if (hasMeta)
        {
            var text = Scalar(connection, transaction, "SELECT value FROM scalelab_meta WHERE name = 'schema_version'");
            if (text is null || !int.TryParse(Convert.ToString(text, System.Globalization.CultureInfo.InvariantCulture), out version) || version < 1)
            {
                throw new InvalidDataException($"{Location}: registry has no readable schema version; not a ScaleLab registry");
            }
            if (version > SchemaVersion)
            {
                throw new InvalidDataException(
                    $"{Location}: registry schema version {version} is newer than this scalelab supports ({SchemaVersion}); upgrade scalelab");
            }
        }
        else
        {
            foreach (var statement in SchemaStatements)
            {
                Execute(connection, transaction, statement);
            }
            Execute(connection, transaction, "INSERT INTO scalelab_meta (name, value) VALUES ('schema_version', '1')");
            version = 1;
        }
        if (version == SchemaVersion)
        {
            return;
        }
        for (var v = version; v < SchemaVersion; v++)
        {
            foreach (var statement in Upgrades[v - 1])
            {
                Execute(connection, transaction, statement);
            }
        }
        Execute(connection, transaction, "UPDATE scalelab_meta SET value = @v WHERE name = 'schema_version'",
            ("v", SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    public void CreateStudy(string name, string? spec)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        using var connection = Open();
        Execute(connection, null,
            "INSERT INTO studies (name, spec, created_ms) VALUES (@name, @spec, @now) ON CONFLICT (name) DO NOTHING",
            ("name", name), ("spec", spec), ("now", NowMs()));
    }

    public IReadOnlyList<StudyRecord> ListStudies()
    {
        using var connection = Open();
        using var command = Command(connection, null, "SELECT name, spec, created_ms FROM studies ORDER BY name");
        using var reader = command.ExecuteReader();
        var studies = new List<StudyRecord>();
        while (reader.Read())
        {
            studies.Add(new StudyRecord(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1),
                FromMs(GetLong(reader, 2))));
        }
        return studies;
    }

    public int Enqueue(string study, IReadOnlyList<NewRun> runs)
    {
        using var connection = Open();
        using var transaction = BeginWrite(connection);
        using var command = Command(connection, transaction,
            "INSERT INTO runs (run_key, study, ordinal, config, seed, status, params_total, params_non_embedding, " +
            "tokens, flops, created_ms, attempts, kind) VALUES (@key, @study, @ordinal, @config, @seed, 'queued', @pt, @pn, " +
            "@tokens, @flops, @now, 0, @kind) ON CONFLICT (run_key) DO NOTHING",
            ("key", ""), ("study", study), ("ordinal", 0), ("config", ""), ("seed", 0L), ("pt", 0L), ("pn", 0L),
            ("tokens", 0L), ("flops", 0.0), ("now", NowMs()), ("kind", null));
        var added = 0;
        foreach (var run in runs)
        {
            command.Parameters["key"].Value = run.Key;
            command.Parameters["ordinal"].Value = run.Ordinal;
            command.Parameters["config"].Value = run.ConfigJson;
            command.Parameters["seed"].Value = run.Seed;
            command.Parameters["pt"].Value = run.Parameters;
            command.Parameters["pn"].Value = run.NonEmbeddingParameters;
            command.Parameters["tokens"].Value = run.Tokens;
            command.Parameters["flops"].Value = run.Flops;
            command.Parameters["kind"].Value = run.Kind is null or LanguageModelKind ? DBNull.Value : run.Kind;
            added += command.ExecuteNonQuery();
        }
        transaction.Commit();
        return added;
    }

    public RunRecord? Claim(string study, string worker, TimeSpan staleAfter)
    {
        // One statement: the subquery picks the first claimable run, the outer WHERE re-checks it is still
        // claimable (PostgreSQL re-evaluates it on the locked row; SQLite holds the write lock throughout).
        var now = NowMs();
        var sql =
            $"UPDATE runs SET status = 'running', worker = @worker, heartbeat_ms = @now, " +
            $"started_ms = COALESCE(started_ms, @now), attempts = attempts + 1, error = NULL " +
            $"WHERE run_key = (SELECT run_key FROM runs WHERE study = @study AND {Claimable} " +
            $"ORDER BY ordinal, run_key LIMIT 1 {ClaimLockClause}) AND {Claimable} RETURNING {RunColumns}";
        using var connection = Open();
        using var command = Command(connection, null, sql,
            ("worker", worker), ("now", now), ("study", study), ("cutoff", now - (long)staleAfter.TotalMilliseconds));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadRun(reader) : null;
    }

    public bool Heartbeat(string runKey, string worker)
    {
        using var connection = Open();
        return Execute(connection, null,
            "UPDATE runs SET heartbeat_ms = @now WHERE run_key = @key AND worker = @worker AND status = 'running'",
            ("now", NowMs()), ("key", runKey), ("worker", worker)) == 1;
    }

    public void AppendMetrics(string runKey, IReadOnlyList<MetricRow> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }
        using var connection = Open();
        using var transaction = BeginWrite(connection);
        using var command = Command(connection, transaction,
            "INSERT INTO metrics (run_key, step, tokens, train_loss, val_loss, lr, grad_norm, gns_grad_norm_sq, " +
            "gns_trace_cov, b_simple) VALUES (@key, @step, @tokens, @train, @val, @lr, @grad, @gsq, @trace, @bsimple) " +
            "ON CONFLICT (run_key, step) DO UPDATE SET " +
            "tokens = excluded.tokens, train_loss = excluded.train_loss, val_loss = excluded.val_loss, " +
            "lr = excluded.lr, grad_norm = excluded.grad_norm, gns_grad_norm_sq = excluded.gns_grad_norm_sq, " +
            "gns_trace_cov = excluded.gns_trace_cov, b_simple = excluded.b_simple",
            ("key", runKey), ("step", 0L), ("tokens", 0L), ("train", (double?)0.0), ("val", (double?)0.0),
            ("lr", 0.0), ("grad", (double?)0.0), ("gsq", (double?)0.0), ("trace", (double?)0.0), ("bsimple", (double?)0.0));
        foreach (var row in rows)
        {
            command.Parameters["step"].Value = row.Step;
            command.Parameters["tokens"].Value = row.Tokens;
            command.Parameters["train"].Value = DbDouble(row.TrainLoss);
            command.Parameters["val"].Value = row.ValLoss is { } v ? DbDouble(v) : DBNull.Value;
            command.Parameters["lr"].Value = row.LearningRate;
            command.Parameters["grad"].Value = DbDouble(row.GradNorm);
            command.Parameters["gsq"].Value = DbDouble(row.GradNormSqEstimate);
            command.Parameters["trace"].Value = DbDouble(row.TraceCovEstimate);
            command.Parameters["bsimple"].Value = DbDouble(row.BSimple);
            command.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    /// <summary>The kind name stored as NULL, so a registry's language-model runs read the same before and after
    /// run kinds.</summary>
    private const string LanguageModelKind = "lm";

    public void AppendRunMetrics(string runKey, IReadOnlyList<RunMetric> metrics)
    {
        if (metrics.Count == 0)
        {
            return;
        }
        using var connection = Open();
        using var transaction = BeginWrite(connection);
        using var command = Command(connection, transaction,
            "INSERT INTO run_metrics (run_key, step, name, value) VALUES (@key, @step, @name, @value) " +
            "ON CONFLICT (run_key, step, name) DO UPDATE SET value = excluded.value",
            ("key", runKey), ("step", 0L), ("name", ""), ("value", (double?)0.0));
        foreach (var metric in metrics)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(metric.Name);
            command.Parameters["step"].Value = metric.Step;
            command.Parameters["name"].Value = metric.Name;
            command.Parameters["value"].Value = DbDouble(metric.Value);
            command.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    public IReadOnlyList<RunMetric> ReadRunMetrics(string runKey)
    {
        using var connection = Open();
        using var command = Command(connection, null,
            "SELECT step, name, value FROM run_metrics WHERE run_key = @key ORDER BY step, name", ("key", runKey));
        using var reader = command.ExecuteReader();
        var metrics = new List<RunMetric>();
        while (reader.Read())
        {
            metrics.Add(new RunMetric(GetLong(reader, 0), reader.GetString(1), reader.IsDBNull(2) ? double.NaN : reader.GetDouble(2)));
        }
        // Ordinal name order on both back ends (PostgreSQL's ORDER BY follows the database collation).
        return metrics.OrderBy(m => m.Step).ThenBy(m => m.Name, StringComparer.Ordinal).ToList();
    }

    public void RecordMatches(MatchResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.SameAgent)
        {
            throw new ArgumentException($"a match needs two different agents, got run {result.RunA} at snapshot {result.SnapshotA} twice");
        }
        if (result.Wins < 0 || result.Losses < 0 || result.Draws < 0)
        {
            throw new ArgumentException($"match counts must be non-negative, got {result.Wins}/{result.Losses}/{result.Draws}");
        }
        var m = result.Canonical();
        using var connection = Open();
        Execute(connection, null,
            "INSERT INTO matches (run_a, snapshot_a, run_b, snapshot_b, wins, losses, draws, updated_ms) " +
            "VALUES (@a, @snapshot_a, @b, @snapshot_b, @w, @l, @d, @now) " +
            "ON CONFLICT (run_a, snapshot_a, run_b, snapshot_b) DO UPDATE SET wins = matches.wins + excluded.wins, " +
            "losses = matches.losses + excluded.losses, draws = matches.draws + excluded.draws, updated_ms = excluded.updated_ms",
            ("a", m.RunA), ("snapshot_a", m.SnapshotA), ("b", m.RunB), ("snapshot_b", m.SnapshotB), ("w", m.Wins), ("l", m.Losses),
            ("d", m.Draws), ("now", NowMs()));
    }

    public IReadOnlyList<MatchResult> ReadMatches(string study)
    {
        using var connection = Open();
        using var command = Command(connection, null,
            "SELECT m.run_a, m.snapshot_a, m.run_b, m.snapshot_b, m.wins, m.losses, m.draws FROM matches m JOIN runs r ON r.run_key = m.run_a " +
            "WHERE r.study = @study", ("study", study));
        using var reader = command.ExecuteReader();
        var results = new List<MatchResult>();
        while (reader.Read())
        {
            results.Add(new MatchResult(reader.GetString(0), GetLong(reader, 1), reader.GetString(2), GetLong(reader, 3), GetLong(reader, 4),
                GetLong(reader, 5), GetLong(reader, 6)));
        }
        return results.OrderBy(r => r.RunA, StringComparer.Ordinal).ThenBy(r => r.RunB, StringComparer.Ordinal)
            .ThenBy(r => r.SnapshotA).ThenBy(r => r.SnapshotB).ToList();
    }

    public void RecordArtifact(string runKey, string kind, string path, string sha256)
    {
        using var connection = Open();
        Execute(connection, null,
            "INSERT INTO artifacts (run_key, kind, path, sha256, created_ms) VALUES (@key, @kind, @path, @sha, @now) " +
            "ON CONFLICT (run_key, kind, path) DO UPDATE SET sha256 = excluded.sha256, created_ms = excluded.created_ms",
            ("key", runKey), ("kind", kind), ("path", path), ("sha", sha256), ("now", NowMs()));
    }

    public IReadOnlyList<ArtifactRecord> ListArtifacts(string runKey)
    {
        using var connection = Open();
        using var command = Command(connection, null,
            "SELECT run_key, kind, path, sha256, created_ms FROM artifacts WHERE run_key = @key ORDER BY created_ms, kind, path",
            ("key", runKey));
        using var reader = command.ExecuteReader();
        var artifacts = new List<ArtifactRecord>();
        while (reader.Read())
        {
            artifacts.Add(new ArtifactRecord(reader.GetString(0), reader.GetString(1), reader.GetString(2),
                reader.GetString(3), FromMs(GetLong(reader, 4))));
        }
        return artifacts;
    }

    public bool Finish(string runKey, string worker, double finalLoss)
    {
        using var connection = Open();
        return Execute(connection, null,
            "UPDATE runs SET status = 'done', finished_ms = @now, heartbeat_ms = @now, final_loss = @loss, error = NULL " +
            "WHERE run_key = @key AND worker = @worker AND status = 'running'",
            ("now", NowMs()), ("loss", DbDouble(finalLoss)), ("key", runKey), ("worker", worker)) == 1;
    }

    public bool Fail(string runKey, string worker, string error)
    {
        using var connection = Open();
        return Execute(connection, null,
            "UPDATE runs SET status = 'failed', finished_ms = @now, heartbeat_ms = @now, error = @error " +
            "WHERE run_key = @key AND worker = @worker AND status = 'running'",
            ("now", NowMs()), ("error", error), ("key", runKey), ("worker", worker)) == 1;
    }

    public int ReleaseWorker(string worker)
    {
        using var connection = Open();
        return Execute(connection, null,
            "UPDATE runs SET status = 'queued' WHERE worker = @worker AND status = 'running'", ("worker", worker));
    }

    public int RetryFailed(string study)
    {
        using var connection = Open();
        return Execute(connection, null,
            "UPDATE runs SET status = 'queued', worker = NULL, finished_ms = NULL WHERE study = @study AND status = 'failed'",
            ("study", study));
    }

    public RunRecord? GetRun(string runKey)
    {
        using var connection = Open();
        using var command = Command(connection, null, $"SELECT {RunColumns} FROM runs WHERE run_key = @key", ("key", runKey));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadRun(reader) : null;
    }

    public IReadOnlyList<RunRecord> ListRuns(string study)
    {
        using var connection = Open();
        using var command = Command(connection, null,
            $"SELECT {RunColumns} FROM runs WHERE study = @study ORDER BY ordinal, run_key", ("study", study));
        using var reader = command.ExecuteReader();
        var runs = new List<RunRecord>();
        while (reader.Read())
        {
            runs.Add(ReadRun(reader));
        }
        return runs;
    }

    public StatusCounts CountByStatus(string study)
    {
        using var connection = Open();
        using var command = Command(connection, null,
            "SELECT status, COUNT(*) FROM runs WHERE study = @study GROUP BY status", ("study", study));
        using var reader = command.ExecuteReader();
        int queued = 0, running = 0, done = 0, failed = 0;
        while (reader.Read())
        {
            var n = (int)GetLong(reader, 1);
            switch (RunStatusText.Parse(reader.GetString(0)))
            {
                case RunStatus.Queued: queued = n; break;
                case RunStatus.Running: running = n; break;
                case RunStatus.Done: done = n; break;
                default: failed = n; break;
            }
        }
        return new StatusCounts(queued, running, done, failed);
    }

    public IReadOnlyList<MetricRow> ReadMetrics(string runKey)
    {
        using var connection = Open();
        using var command = Command(connection, null,
            "SELECT step, tokens, train_loss, val_loss, lr, grad_norm, gns_grad_norm_sq, gns_trace_cov, b_simple " +
            "FROM metrics WHERE run_key = @key ORDER BY step",
            ("key", runKey));
        using var reader = command.ExecuteReader();
        var rows = new List<MetricRow>();
        while (reader.Read())
        {
            rows.Add(new MetricRow(GetLong(reader, 0), GetLong(reader, 1),
                reader.IsDBNull(2) ? double.NaN : reader.GetDouble(2),
                reader.IsDBNull(3) ? null : reader.GetDouble(3),
                reader.GetDouble(4),
                reader.IsDBNull(5) ? double.NaN : reader.GetDouble(5),
                reader.IsDBNull(6) ? null : reader.GetDouble(6),
                reader.IsDBNull(7) ? null : reader.GetDouble(7),
                reader.IsDBNull(8) ? null : reader.GetDouble(8)));
        }
        return rows;
    }

    public IReadOnlyList<ScalingPoint> ExportPoints(string study)
    {
        using var connection = Open();
        using var command = Command(connection, null,
            "SELECT run_key, params_non_embedding, params_total, tokens, final_loss, seed FROM runs " +
            "WHERE study = @study AND status = 'done' AND final_loss IS NOT NULL ORDER BY ordinal, run_key",
            ("study", study));
        using var reader = command.ExecuteReader();
        var points = new List<ScalingPoint>();
        while (reader.Read())
        {
            var n = GetLong(reader, 1);
            var d = GetLong(reader, 3);
            points.Add(new ScalingPoint(reader.GetString(0), n, GetLong(reader, 2), d, 6.0 * n * d,
                reader.GetDouble(4), GetLong(reader, 5)));
        }
        return points;
    }

    protected long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static object DbDouble(double value) => double.IsNaN(value) ? DBNull.Value : value;

    private static object DbDouble(double? value) => value is { } v ? DbDouble(v) : DBNull.Value;

    /// <summary>Integer columns come back as Int64 from SQLite and Int32 or Int64 from PostgreSQL.</summary>
    private static long GetLong(DbDataReader reader, int i) =>
        Convert.ToInt64(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);

    private static RunRecord ReadRun(DbDataReader r)
    {
        DateTimeOffset? Ms(int i) => r.IsDBNull(i) ? null : FromMs(GetLong(r, i));
        string? Text(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        return new RunRecord(
            Key: r.GetString(0),
            Study: r.GetString(1),
            Ordinal: (int)GetLong(r, 2),
            ConfigJson: r.GetString(3),
            Seed: GetLong(r, 4),
            Status: RunStatusText.Parse(r.GetString(5)),
            Parameters: GetLong(r, 6),
            NonEmbeddingParameters: GetLong(r, 7),
            Tokens: GetLong(r, 8),
            Flops: r.GetDouble(9),
            CreatedAt: FromMs(GetLong(r, 10)),
            StartedAt: Ms(11),
            FinishedAt: Ms(12),
            Worker: Text(13),
            Heartbeat: Ms(14),
            Attempts: (int)GetLong(r, 15),
            FinalLoss: r.IsDBNull(16) ? null : r.GetDouble(16),
            Error: Text(17),
            Kind: Text(18));
    }

    protected static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql,
        params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            if (value is null)
            {
                parameter.DbType = DbType.String;
            }
            command.Parameters.Add(parameter);
        }
        return command;
    }

    protected static int Execute(DbConnection connection, DbTransaction? transaction, string sql,
        params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        return command.ExecuteNonQuery();
    }

    protected static object? Scalar(DbConnection connection, DbTransaction? transaction, string sql,
        params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }
}
