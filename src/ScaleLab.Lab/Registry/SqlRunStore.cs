using System.Data;
using System.Data.Common;

namespace ScaleLab.Lab.Registry;

/// <summary>
/// The registry over ADO.NET, shared by both back ends: one schema, one set of parameterized statements.
/// A back end supplies connections, its DDL dialect, write transactions and the row lock for claiming.
/// Times are stored as Unix milliseconds (BIGINT) from the injected <see cref="TimeProvider"/>, so the
/// staleness comparison is the same integer comparison on both back ends and tests can move the clock.
/// </summary>
public abstract partial class SqlRunStore : IRunStore
{
    /// <summary>Schema version written in scalelab_meta; a newer registry is refused, an older one is
    /// upgraded in place (<see cref="Upgrades"/>). 1: the first release; 2: gradient-noise metric columns;
    /// 3: run kinds (runs.kind), the generic per-step metric table (run_metrics) and match results (matches);
    /// 4: a snapshot per side of a match (matches.snapshot_a, matches.snapshot_b).</summary>
    public const int SchemaVersion = 5;

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
