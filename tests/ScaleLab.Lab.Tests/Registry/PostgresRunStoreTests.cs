using Npgsql;
using ScaleLab.Lab.Registry;

namespace ScaleLab.Lab.Tests.Registry;

/// <summary>
/// The store contract against PostgreSQL at $SCALELAB_TEST_POSTGRES (e.g.
/// "Host=127.0.0.1;Username=scalelab;Password=scalelab;Database=scalelab_test"; .ci/run starts one).
/// Each test gets its own schema, dropped afterwards.
/// </summary>
[RequiresEnvironment(Variable)]
public sealed class PostgresRunStoreTests : RunStoreContractTests
{
    public const string Variable = "SCALELAB_TEST_POSTGRES";

    private readonly string? _schema;
    private readonly string? _connectionString;

    public PostgresRunStoreTests()
    {
        var server = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(server))
        {
            return;
        }
        _schema = $"t_{Guid.NewGuid():N}";
        using (var connection = new NpgsqlConnection(server))
        {
            connection.Open();
            using var command = new NpgsqlCommand($"CREATE SCHEMA {_schema}", connection);
            command.ExecuteNonQuery();
        }
        _connectionString = new NpgsqlConnectionStringBuilder(server) { SearchPath = _schema, MaxPoolSize = 20 }.ToString();
    }

    protected override IRunStore OpenStore(TimeProvider? time = null) => RunStores.Open($"postgres:{_connectionString}", time);

    protected override void ExecuteRaw(string sql)
    {
        using var connection = new NpgsqlConnection(_connectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    protected override object? ScalarRaw(string sql)
    {
        using var connection = new NpgsqlConnection(_connectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        return command.ExecuteScalar();
    }

    public override void Dispose()
    {
        if (_schema is not null)
        {
            NpgsqlConnection.ClearAllPools();
            using var connection = new NpgsqlConnection(Environment.GetEnvironmentVariable(Variable));
            connection.Open();
            using var command = new NpgsqlCommand($"DROP SCHEMA {_schema} CASCADE", connection);
            command.ExecuteNonQuery();
        }
        base.Dispose();
    }

    [StoreFact]
    public void Open_ForeignRunsTable_ClearError()
    {
        // Given
        using (var connection = new NpgsqlConnection(_connectionString))
        {
            connection.Open();
            using var command = new NpgsqlCommand("CREATE TABLE runs (id int)", connection);
            command.ExecuteNonQuery();
        }

        // When
        var error = Assert.Throws<InvalidDataException>(() => OpenStore());

        // Then
        Assert.Contains("not a ScaleLab registry", error.Message);
    }
}
