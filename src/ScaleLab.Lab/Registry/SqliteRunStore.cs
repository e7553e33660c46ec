using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace ScaleLab.Lab.Registry;

/// <summary>
/// The registry in one SQLite file (default ./scalelab.db) for the workers of one machine. WAL mode lets
/// readers run beside the one writer; every write takes the lock up front (BEGIN IMMEDIATE) and waits up to
/// <see cref="BusyTimeout"/> for it, so concurrent workers queue instead of failing.
/// </summary>
public sealed class SqliteRunStore : SqlRunStore
{
    /// <summary>How long a writer waits for the lock before SQLITE_BUSY surfaces.</summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Live stores per connection string in this process. The connection pool is per connection string and
    /// process-wide, and Microsoft.Data.Sqlite's pool clear can dispose the native handle of a connection another thread
    /// is just activating (a known race of its leaked-connection reclaim): so a store clears the pool only when it is the
    /// last live store on its file in this process.</summary>
    private static readonly Dictionary<string, int> LiveStores = new(StringComparer.Ordinal);

    private readonly string _connectionString;
    private int _disposed;

    public SqliteRunStore(string path, TimeProvider? time = null) : base(time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        _connectionString = ConnectionStringFor(Path);
        lock (LiveStores)
        {
            LiveStores[_connectionString] = LiveStores.GetValueOrDefault(_connectionString) + 1;
        }
    }

    /// <summary>How many stores of this process are open on <paramref name="path"/> (what decides whether disposing one
    /// clears the connection pool).</summary>
    internal static int LiveStoresOn(string path)
    {
        var connectionString = ConnectionStringFor(System.IO.Path.GetFullPath(path));
        lock (LiveStores)
        {
            return LiveStores.GetValueOrDefault(connectionString);
        }
    }

    private static string ConnectionStringFor(string fullPath) => new SqliteConnectionStringBuilder
    {
        DataSource = fullPath,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = true,
        DefaultTimeout = (int)BusyTimeout.TotalSeconds,
    }.ToString();

    /// <summary>Absolute path of the database file.</summary>
    public string Path { get; }

    public override string Location => Path;

    protected override string ClaimLockClause => "";

    public override void EnsureSchema()
    {
        // Refuse a foreign file before SQLite touches it: opening a non-database and setting WAL mode
        // could otherwise write to it.
        CheckHeader();
        var directory = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
        try
        {
            using var connection = Open();
            using var transaction = BeginWrite(connection);
            var tables = new List<string>();
            using (var command = Command(connection, transaction, "SELECT name FROM sqlite_master WHERE type = 'table'"))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    tables.Add(reader.GetString(0));
                }
            }
            var hasMeta = tables.Contains("scalelab_meta");
            if (!hasMeta && tables.Count > 0)
            {
                throw new InvalidDataException(
                    $"{Path}: a SQLite database but not a ScaleLab registry (tables: {string.Join(", ", tables.Take(5))}); choose another --registry");
            }
            CreateOrCheckSchema(connection, transaction, hasMeta);
            transaction.Commit();
            // WAL is a property of the file: set once, it persists for every later connection.
            Execute(connection, null, "PRAGMA journal_mode = WAL");
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 26 or 11)
        {
            // 26 SQLITE_NOTADB, 11 SQLITE_CORRUPT
            throw new InvalidDataException($"{Path}: not a ScaleLab registry (SQLite: {ex.Message.TrimEnd('.')})", ex);
        }
    }

    /// <summary>Runs SQLite's own consistency check; "ok" when the file is sound.</summary>
    public string IntegrityCheck()
    {
        using var connection = Open();
        return Convert.ToString(Scalar(connection, null, "PRAGMA integrity_check"), System.Globalization.CultureInfo.InvariantCulture) ?? "";
    }

    public override void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // Pooled connections keep the file open; the last store on the file releases them so the file can be moved
            // or deleted. Under the lock, so no other store on this file is opening a connection meanwhile.
            lock (LiveStores)
            {
                var left = LiveStores[_connectionString] - 1;
                if (left > 0)
                {
                    LiveStores[_connectionString] = left;
                }
                else
                {
                    LiveStores.Remove(_connectionString);
                    using var connection = new SqliteConnection(_connectionString);
                    SqliteConnection.ClearPool(connection);
                }
            }
        }
        base.Dispose();
    }

    protected override DbConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, null,
            $"PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds}; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL");
        return connection;
    }

    protected override DbTransaction BeginWrite(DbConnection connection) =>
        ((SqliteConnection)connection).BeginTransaction(deferred: false);

    /// <summary>
    /// Refuses a file that is not a SQLite database before anything writes to it. The probe goes through SQLite on a
    /// read-only connection, never through a .NET stream: on Linux, closing any descriptor of a file drops every POSIX
    /// lock this process holds on it, including the shared lock SQLite's open connections keep in WAL mode. A store
    /// opened beside a running one (the verification run of <c>demo</c>, a worker opening its own store) once did exactly
    /// that, and another process closing the database then took it for the last user, checkpointed and deleted the
    /// WAL under the running writer, whose later writes were lost (see "How To Corrupt An SQLite Database File", 2.2).
    /// </summary>
    private void CheckHeader()
    {
        if (!File.Exists(Path) || new FileInfo(Path).Length == 0)
        {
            return;
        }
        var readOnly = new SqliteConnectionStringBuilder(_connectionString) { Mode = SqliteOpenMode.ReadOnly }.ToString();
        try
        {
            using var probe = new SqliteConnection(readOnly);
            probe.Open();
            using var command = probe.CreateCommand();
            command.CommandText = "PRAGMA schema_version";
            command.ExecuteScalar();
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 26)
        {
            // 26 SQLITE_NOTADB: the first page is not a SQLite header.
            throw new InvalidDataException($"{Path}: not a ScaleLab registry (not a SQLite database); left untouched", ex);
        }
    }
}
