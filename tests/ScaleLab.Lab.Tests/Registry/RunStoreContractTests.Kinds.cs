using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Data.Sqlite;
using ScaleLab.Lab.Registry;

namespace ScaleLab.Lab.Tests.Registry;

/// <summary>The store contract of schema version 3: run kinds, the generic per-step metric table, and the
/// upgrade of a real version-2 registry (Registry/Fixtures/registry-v2.sqlite, written by the release before).</summary>
public abstract partial class RunStoreContractTests
{
    protected static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Registry", "Fixtures");

    private static readonly string[] FixtureTables = ["studies", "runs", "metrics", "artifacts"];

    /// <summary>This test's registry made the version-2 fixture: the file itself where the back end is SQLite;
    /// elsewhere the version-2 tables, verbatim, filled with every row of the file.</summary>
    protected virtual void LoadVersionTwoFixture()
    {
        CreateVersionOneRegistryTables();
        ExecuteRaw("ALTER TABLE metrics ADD COLUMN gns_grad_norm_sq DOUBLE PRECISION");
        ExecuteRaw("ALTER TABLE metrics ADD COLUMN gns_trace_cov DOUBLE PRECISION");
        ExecuteRaw("ALTER TABLE metrics ADD COLUMN b_simple DOUBLE PRECISION");
        ExecuteRaw("INSERT INTO scalelab_meta (name, value) VALUES ('schema_version', '2')");
        LoadFixtureRows(VersionTwoFile, FixtureTables);
    }

    private const string VersionTwoFile = "registry-v2.sqlite";

    /// <summary>Every row of <paramref name="tables"/> of the fixture <paramref name="file"/>, inserted verbatim.</summary>
    private void LoadFixtureRows(string file, IEnumerable<string> tables)
    {
        foreach (var table in tables)
        {
            foreach (var insert in FixtureRows(file, table))
            {
                ExecuteRaw(insert);
            }
        }
    }

    /// <summary>Reads the version-2 fixture file directly (never through a store, which would upgrade it).</summary>
    private static List<object?[]> ReadFixture(string sql) => ReadFixture(VersionTwoFile, sql);

    /// <summary>Reads a fixture file directly (a copy, never through a store, which would upgrade it).</summary>
    private static List<object?[]> ReadFixture(string file, string sql)
    {
        var copy = Path.Combine(Path.GetTempPath(), $"scalelab-fixture-{Guid.NewGuid():N}.db");
        File.Copy(Path.Combine(Fixtures, file), copy);
        try
        {
            using var connection = new SqliteConnection($"Data Source={copy};Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            using var reader = command.ExecuteReader();
            var rows = new List<object?[]>();
            while (reader.Read())
            {
                var row = new object?[reader.FieldCount];
                for (var i = 0; i < row.Length; i++)
                {
                    row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                }
                rows.Add(row);
            }
            return rows;
        }
        finally
        {
            File.Delete(copy);
        }
    }

    private static IEnumerable<string> FixtureRows(string file, string table)
    {
        static string Literal(object? v) => v switch
        {
            null => "NULL",
            string s => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'",
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            long l => l.ToString(CultureInfo.InvariantCulture),
            _ => throw new InvalidDataException($"unexpected value {v} in the fixture"),
        };
        var columns = ReadFixture(file, $"SELECT name FROM pragma_table_info('{table}') ORDER BY cid").Select(r => (string)r[0]!).ToList();
        foreach (var row in ReadFixture(file, $"SELECT {string.Join(", ", columns)} FROM {table}"))
        {
            yield return $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", row.Select(Literal))})";
        }
    }

    [StoreFact]
    public void EnsureSchema_VersionTwoRegistryOfLastRelease_UpgradedInPlaceKeepingEverything()
    {
        // Given: the release's registry, and its rows read straight from the file
        LoadVersionTwoFixture();
        var runs = ReadFixture("SELECT run_key, study, ordinal, config, status, final_loss, attempts, worker FROM runs ORDER BY run_key");
        var metrics = ReadFixture("SELECT run_key, step, tokens, train_loss, val_loss, lr, grad_norm, gns_grad_norm_sq, gns_trace_cov, b_simple " +
            "FROM metrics ORDER BY run_key, step");
        var artifacts = ReadFixture("SELECT run_key, kind, path, sha256 FROM artifacts ORDER BY run_key, kind, path");

        // When
        using var store = OpenStore();

        // Then: the current version; every run (a language-model run, kind null), metric and artifact as the release wrote it
        Assert.Equal(CurrentVersion, Convert.ToString(ScalarRaw("SELECT value FROM scalelab_meta WHERE name = 'schema_version'"), CultureInfo.InvariantCulture));
        Assert.Equal(["v2-cb", "v2-gns", "v2-lm"], store.ListStudies().Select(s => s.Name));
        var stored = store.ListStudies().SelectMany(s => store.ListRuns(s.Name)).OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
        Assert.Equal(runs.Select(r => ((string)r[0]!, (string)r[1]!, (long)r[2]!, (string)r[3]!, (string)r[4]!, (double?)r[5], (long)r[6]!, (string?)r[7])),
            stored.Select(r => (r.Key, r.Study, (long)r.Ordinal, r.ConfigJson, r.Status.ToString().ToLowerInvariant(), r.FinalLoss, (long)r.Attempts, r.Worker)));
        Assert.All(stored, r => Assert.Equal(((string?)null, "lm"), (r.Kind, r.KindName)));
        Assert.Equal(metrics.Select(m => ((string)m[0]!, new MetricRow((long)m[1]!, (long)m[2]!, (double)m[3]!, (double?)m[4], (double)m[5]!,
                (double)m[6]!, (double?)m[7], (double?)m[8], (double?)m[9]))),
            stored.SelectMany(r => store.ReadMetrics(r.Key).Select(m => (r.Key, m))));
        Assert.Equal(artifacts.Select(a => ((string)a[0]!, (string)a[1]!, (string)a[2]!, (string)a[3]!)),
            stored.SelectMany(r => store.ListArtifacts(r.Key)).Select(a => (a.RunKey, a.Kind, a.Path, a.Sha256))
                .OrderBy(a => a.RunKey, StringComparer.Ordinal).ThenBy(a => a.Kind, StringComparer.Ordinal).ThenBy(a => a.Path, StringComparer.Ordinal));
        Assert.Equal(6, stored.Count);
        Assert.True(metrics.Count > 50);

        // and the new tables work on the upgraded registry
        store.AppendRunMetrics(stored[0].Key, [new RunMetric(1, "mse", 0.5)]);
        Assert.Equal([new RunMetric(1, "mse", 0.5)], store.ReadRunMetrics(stored[0].Key));
        store.RecordMatches(new MatchResult(stored[1].Key, 8, stored[0].Key, 4, Wins: 2, Losses: 1, Draws: 0));
        Assert.Equal([new MatchResult(stored[0].Key, 4, stored[1].Key, 8, 1, 2, 0)], store.ReadMatches(stored[0].Study));
    }

    private static readonly string CurrentVersion = SqlRunStore.SchemaVersion.ToString(CultureInfo.InvariantCulture);

    [StoreFact]
    public void EnsureSchema_NewerVersionRegistry_RefusedAndLeftUntouched()
    {
        // Given: the release's registry claiming the version after this one
        var newer = (SqlRunStore.SchemaVersion + 1).ToString(CultureInfo.InvariantCulture);
        LoadVersionTwoFixture();
        ExecuteRaw($"UPDATE scalelab_meta SET value = '{newer}' WHERE name = 'schema_version'");

        // When
        var error = Assert.Throws<InvalidDataException>(() => OpenStore());

        // Then: refused in one line; no table or column of a later version was added
        Assert.Contains($"schema version {newer} is newer than this scalelab supports ({CurrentVersion})", error.Message);
        Assert.Equal(newer, Convert.ToString(ScalarRaw("SELECT value FROM scalelab_meta WHERE name = 'schema_version'"), CultureInfo.InvariantCulture));
        Assert.ThrowsAny<System.Data.Common.DbException>(() => ScalarRaw("SELECT COUNT(*) FROM run_metrics"));
        Assert.ThrowsAny<System.Data.Common.DbException>(() => ScalarRaw("SELECT kind FROM runs"));
        Assert.ThrowsAny<System.Data.Common.DbException>(() => ScalarRaw("SELECT COUNT(*) FROM matches"));
    }

    [StoreFact]
    public void Enqueue_RunsOfKinds_KindReadBackLanguageModelStoredAsNull()
    {
        // Given
        using var store = OpenStore();
        store.CreateStudy("k", null);

        // When
        store.Enqueue("k", [Run(0) with { Kind = "toy" }, Run(1) with { Kind = "lm" }, Run(2)]);

        // Then
        Assert.Equal([("toy", "toy"), (null, "lm"), (null, "lm")], store.ListRuns("k").Select(r => (r.Kind, r.KindName)));
        Assert.Equal(2L, Convert.ToInt64(ScalarRaw("SELECT COUNT(*) FROM runs WHERE kind IS NULL"), CultureInfo.InvariantCulture));
        Assert.Equal("toy", store.Claim("k", "w", TimeSpan.FromMinutes(1))!.Kind);
    }

    [StoreFact]
    public void AppendRunMetrics_StepLoggedAgain_ReplacesValue_NaNAndInfinityRoundTrip()
    {
        // Given
        using var store = StudyWithRuns(1);
        store.AppendRunMetrics("run-000", [new RunMetric(1, "mse", 2.5), new RunMetric(1, "accuracy", 0.25), new RunMetric(2, "mse", 2.0)]);

        // When: a resumed run re-logs step 1's mse; step 3 holds non-finite values
        store.AppendRunMetrics("run-000", [new RunMetric(1, "mse", 2.25), new RunMetric(3, "mse", double.NaN),
            new RunMetric(3, "weight", double.PositiveInfinity)]);

        // Then: by step, then name; NaN back as NaN
        Assert.Equal([new RunMetric(1, "accuracy", 0.25), new RunMetric(1, "mse", 2.25), new RunMetric(2, "mse", 2.0),
            new RunMetric(3, "mse", double.NaN), new RunMetric(3, "weight", double.PositiveInfinity)], store.ReadRunMetrics("run-000"));
        Assert.Empty(store.ReadMetrics("run-000"));
    }

    [StoreFact]
    public void AppendRunMetrics_EightConcurrentWriters_NothingLostOrDuplicated()
    {
        // Given: 8 writers on one run, writer w owning the metrics named m{w} and x{w} at steps 0..199; each writes
        // in batches of 7 and then everything again (a resumed run re-logging); 8 more writers fill 8 other runs.
        const int steps = 200;
        using (StudyWithRuns(9)) { }
        static double Value(int w, long step, string name) => name[0] == 'm' ? w + step * 1e-3 : Math.Sqrt(step + w) / 3.0;
        static List<RunMetric> Mine(int w) => [.. Enumerable.Range(0, steps).SelectMany(s => new[]
        {
            new RunMetric(s, $"m{w}", Value(w, s, "m")), new RunMetric(s, $"x{w}", Value(w, s, "x")),
        })];
        var errors = new ConcurrentBag<Exception>();

        // When
        using var gate = new Barrier(16);
        var threads = Enumerable.Range(0, 16).Select(t => new Thread(() =>
        {
            try
            {
                using var store = OpenStore();
                var key = t < 8 ? "run-000" : $"run-{t - 7:D3}";
                var mine = Mine(t % 8);
                gate.SignalAndWait();
                for (var pass = 0; pass < 2; pass++)
                {
                    foreach (var batch in mine.Chunk(7))
                    {
                        store.AppendRunMetrics(key, batch);
                    }
                }
            }
            catch (Exception ex)
            {
                errors.Add(ex);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        // Then: the shared run holds all 8 writers' 2 × 200 values exactly once; each other run its writer's, bit for bit
        Assert.Empty(errors);
        using var check = OpenStore();
        var shared = Enumerable.Range(0, 8).SelectMany(Mine).OrderBy(m => m.Step).ThenBy(m => m.Name, StringComparer.Ordinal).ToList();
        Assert.Equal(shared, check.ReadRunMetrics("run-000"));
        for (var t = 8; t < 16; t++)
        {
            Assert.Equal(Mine(t % 8).OrderBy(m => m.Step).ThenBy(m => m.Name, StringComparer.Ordinal), check.ReadRunMetrics($"run-{t - 7:D3}"));
        }
    }
}
