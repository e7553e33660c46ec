using Microsoft.Data.Sqlite;
using Npgsql;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;
using ScaleLab.Lab.Tests.Registry;

namespace ScaleLab.Lab.Tests.Execution;

/// <summary>
/// A whole sweep through a PostgreSQL registry (claims, heartbeats, metrics, artifacts, finish), checked
/// against the same sweep through SQLite: the back end must not change a single metric bit.
/// </summary>
[RequiresEnvironment(PostgresRunStoreTests.Variable)]
public sealed class PostgresSweepTests : IDisposable
{
    private const string Spec = """
        study = "pg"
        seq_len = 16
        batch_size = 4
        tokens = [640, 1280]
        eval_interval = 5
        eval_batches = 2
        [[models]]
        layers = 1
        d_model = 16
        heads = 2
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("scalelab-pgsweep-").FullName;
    private readonly string? _schema;
    private readonly string? _registry;

    public PostgresSweepTests()
    {
        var server = Environment.GetEnvironmentVariable(PostgresRunStoreTests.Variable);
        if (string.IsNullOrWhiteSpace(server))
        {
            return;
        }
        _schema = $"s_{Guid.NewGuid():N}";
        using (var connection = new NpgsqlConnection(server))
        {
            connection.Open();
            using var command = new NpgsqlCommand($"CREATE SCHEMA {_schema}", connection);
            command.ExecuteNonQuery();
        }
        _registry = "postgres:" + new NpgsqlConnectionStringBuilder(server) { SearchPath = _schema };
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        if (_schema is not null)
        {
            NpgsqlConnection.ClearAllPools();
            using var connection = new NpgsqlConnection(Environment.GetEnvironmentVariable(PostgresRunStoreTests.Variable));
            connection.Open();
            using var command = new NpgsqlCommand($"DROP SCHEMA {_schema} CASCADE", connection);
            command.ExecuteNonQuery();
        }
    }

    private SweepResult Sweep(string registry, string name)
    {
        using (var store = RunStores.Open(registry))
        {
            SweepPlan.Enqueue(store, SweepSpec.Parse(Spec), Spec);
        }
        return InProcessExecutor.Run(() => RunStores.Open(registry), "pg", new ExecutorOptions
        {
            Workers = 2,
            CheckpointDirectory = Path.Combine(_directory, name),
            CheckpointInterval = 4,
            HeartbeatInterval = TimeSpan.FromMilliseconds(200),
            StaleAfter = TimeSpan.FromSeconds(5),
            PollInterval = TimeSpan.FromMilliseconds(50),
        });
    }

    [StoreFact]
    public void Run_PostgresRegistry_SameRecordsAsSqlite()
    {
        // Given
        var sqlite = "sqlite:" + Path.Combine(_directory, "r.db");
        Sweep(sqlite, "sqlite");

        // When
        var result = Sweep(_registry!, "postgres");

        // Then
        Assert.Equal(new StatusCounts(0, 0, 2, 0), result.Counts);
        using var a = RunStores.Open(sqlite);
        using var b = RunStores.Open(_registry!);
        Assert.Equal(a.ExportPoints("pg"), b.ExportPoints("pg"));
        foreach (var run in b.ListRuns("pg"))
        {
            Assert.Equal(a.ReadMetrics(run.Key), b.ReadMetrics(run.Key));
            Assert.Equal(a.ListArtifacts(run.Key).Count, b.ListArtifacts(run.Key).Count);
        }
        Assert.Equal(Spec, Assert.Single(b.ListStudies()).Spec);
    }
}
