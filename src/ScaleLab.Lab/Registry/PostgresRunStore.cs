using System.Data.Common;
using Npgsql;

namespace ScaleLab.Lab.Registry;

/// <summary>
/// The registry in a PostgreSQL database, for workers on several machines. Same schema and statements as
/// <see cref="SqliteRunStore"/>; claims lock the chosen row with FOR UPDATE SKIP LOCKED so concurrent
/// claimers never wait on or take the same run. Tables live in the connection's search path (set
/// "Search Path=..." in the connection string to keep a registry in its own schema).
/// </summary>
public sealed class PostgresRunStore : SqlRunStore
{
    private readonly NpgsqlDataSource _dataSource;

    public PostgresRunStore(string connectionString, TimeProvider? time = null) : base(time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new FormatException($"invalid PostgreSQL connection string: {ex.Message}", ex);
        }
        Location = $"postgres://{builder.Host}:{builder.Port}/{builder.Database}";
        _dataSource = NpgsqlDataSource.Create(builder);
    }

    public override string Location { get; }

    protected override string ClaimLockClause => "FOR UPDATE SKIP LOCKED";

    public override void EnsureSchema()
    {
        using var connection = Open();
        using var transaction = BeginWrite(connection);
        // Concurrent CREATE TABLE IF NOT EXISTS can collide in the catalog; serialize schema creation.
        Execute(connection, transaction, "SELECT pg_advisory_xact_lock(7311455337)");
        var hasMeta = Scalar(connection, transaction, "SELECT to_regclass('scalelab_meta') IS NOT NULL") is true;
        var hasRuns = Scalar(connection, transaction, "SELECT to_regclass('runs') IS NOT NULL") is true;
        if (!hasMeta && hasRuns)
        {
            throw new InvalidDataException($"{Location}: database has a 'runs' table but is not a ScaleLab registry");
        }
        CreateOrCheckSchema(connection, transaction, hasMeta);
        transaction.Commit();
    }

    public override void Dispose()
    {
        _dataSource.Dispose();
        base.Dispose();
    }

    protected override DbConnection Open()
    {
        try
        {
            return _dataSource.OpenConnection();
        }
        catch (NpgsqlException ex)
        {
            throw new IOException($"{Location}: cannot connect to PostgreSQL: {ex.Message}", ex);
        }
    }

    protected override DbTransaction BeginWrite(DbConnection connection) => ((NpgsqlConnection)connection).BeginTransaction();
}
