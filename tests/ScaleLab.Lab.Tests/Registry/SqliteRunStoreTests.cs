using Microsoft.Data.Sqlite;
using ScaleLab.Lab.Registry;

namespace ScaleLab.Lab.Tests.Registry;

public sealed class SqliteRunStoreTests : RunStoreContractTests
{
    private readonly string _directory = Directory.CreateTempSubdirectory("scalelab-store-").FullName;

    private string DbPath => Path.Combine(_directory, "registry.db");

    protected override IRunStore OpenStore(TimeProvider? time = null) => RunStores.Open($"sqlite:{DbPath}", time);

    protected override void ExecuteRaw(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    protected override object? ScalarRaw(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    protected override void LoadVersionTwoFixture() => File.Copy(Path.Combine(Fixtures, "registry-v2.sqlite"), DbPath);

    protected override void LoadVersionThreeFixture() => File.Copy(Path.Combine(Fixtures, "registry-v3.sqlite"), DbPath);

    public override void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        base.Dispose();
    }

    [Fact]
    public void EnsureSchema_NewFile_WalModeAndIntegrityOk()
    {
        // Given
        using var store = (SqliteRunStore)OpenStore();

        // When
        using var connection = new SqliteConnection($"Data Source={DbPath}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        var mode = command.ExecuteScalar();

        // Then
        Assert.Equal("wal", mode);
        Assert.Equal("ok", store.IntegrityCheck());
    }

    [Fact]
    public void Open_FileNotADatabase_ClearErrorAndFileUntouched()
    {
        // Given
        var bytes = Enumerable.Range(0, 5000).Select(i => (byte)(i * 31 % 251)).ToArray();
        File.WriteAllBytes(DbPath, bytes);

        // When
        var error = Assert.Throws<InvalidDataException>(() => OpenStore());

        // Then
        Assert.Contains(DbPath, error.Message);
        Assert.Contains("not a ScaleLab registry", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Equal(bytes, File.ReadAllBytes(DbPath));
        Assert.False(File.Exists(DbPath + "-wal"));
    }

    [Fact]
    public void Open_CorruptSqlitePages_ClearErrorAndFileUntouched()
    {
        // Given: a real registry whose pages after the header are overwritten with garbage.
        using (var store = OpenStore())
        {
            store.CreateStudy("s", null);
        }
        SqliteConnection.ClearAllPools();
        var bytes = File.ReadAllBytes(DbPath);
        for (var i = 100; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(i * 7);
        }
        File.WriteAllBytes(DbPath, bytes);
        File.Delete(DbPath + "-wal");
        File.Delete(DbPath + "-shm");

        // When
        var error = Assert.Throws<InvalidDataException>(() => OpenStore());

        // Then
        Assert.Contains(DbPath, error.Message);
        Assert.Equal(bytes, File.ReadAllBytes(DbPath));
    }

    [Fact]
    public void Open_ForeignSqliteDatabase_ClearErrorAndFileUntouched()
    {
        // Given
        using (var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers VALUES (1, 'x')";
            command.ExecuteNonQuery();
        }
        var before = File.ReadAllBytes(DbPath);

        // When
        var error = Assert.Throws<InvalidDataException>(() => OpenStore());

        // Then
        Assert.Contains("not a ScaleLab registry", error.Message);
        Assert.Contains("customers", error.Message);
        SqliteConnection.ClearAllPools();
        Assert.Equal(before, File.ReadAllBytes(DbPath));
    }

    [Fact]
    public void Open_NewerSchemaVersion_Refused()
    {
        // Given
        using (var store = OpenStore()) { }
        using (var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE scalelab_meta SET value = '99' WHERE name = 'schema_version'";
            command.ExecuteNonQuery();
        }

        // When
        var error = Assert.Throws<InvalidDataException>(() => OpenStore());

        // Then
        Assert.Contains("schema version 99", error.Message);
    }

    [Fact]
    public void Dispose_OnlyTheLastStoreOnAFileClearsThePool_AndTwiceCountsOnce()
    {
        // Given: two stores on one file
        var a = new SqliteRunStore(DbPath);
        var b = new SqliteRunStore(DbPath);
        Assert.Equal(2, SqliteRunStore.LiveStoresOn(DbPath));

        // When: one is disposed twice
        a.Dispose();
        a.Dispose();

        // Then: the other still counts (its pool is not cleared under it), and the last one's dispose ends the count
        Assert.Equal(1, SqliteRunStore.LiveStoresOn(DbPath));
        b.Dispose();
        Assert.Equal(0, SqliteRunStore.LiveStoresOn(DbPath));
    }
}
