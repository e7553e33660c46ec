using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using ScaleLab.Lab.Registry;

namespace ScaleLab.Lab.Tests.Registry;

/// <summary>
/// A store opened beside a running one must not drop the POSIX locks SQLite holds on the database: on Linux,
/// closing any descriptor of a file releases every lock the process holds on it. Once the shared lock of a WAL
/// connection is gone, another process closing the database takes itself for the last user and deletes the WAL
/// under the running writer (what made the demo's verification run lose its metrics and heartbeats).
/// </summary>
public sealed partial class SqliteLockTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("scalelab-lock-").FullName;

    private string DbPath => Path.Combine(_directory, "registry.db");

    [Fact]
    public void Open_BesideAnOpenStore_KeepsItsSharedLock()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        // Given: a registry, and an open connection to it of our own (not pooled: other test classes clear the
        // process's pools in parallel), whose WAL read holds SQLite's shared lock; one descriptor is kept open for the
        // whole test to look at the locks (closing it would itself drop them).
        using (var store = RunStores.Open($"sqlite:{DbPath}"))
        {
            store.CreateStudy("s", null);
        }
        using var holder = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        holder.Open();
        using (var read = holder.CreateCommand())
        {
            read.CommandText = "SELECT count(*) FROM studies";
            read.ExecuteScalar();
        }
        using var probe = File.OpenHandle(DbPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        Assert.True(SharedLockHeld(probe), "precondition: an open WAL connection holds a shared lock on the database");

        // When: a store on the same file is opened in the same process
        using (var second = RunStores.Open($"sqlite:{DbPath}"))
        {
            Assert.Contains(second.ListStudies(), study => study.Name == "s");
        }

        // Then: the open connection's lock is still held
        Assert.True(SharedLockHeld(probe), "opening a store released the open connection's shared lock");
    }

    [Theory]
    [InlineData("not a database")]
    [InlineData("SQLite format 2\0 and then some more text that is not a page")]
    public void Open_ShortForeignFile_ClearErrorAndFileUntouched(string content)
    {
        // Given
        File.WriteAllText(DbPath, content);
        var before = File.ReadAllBytes(DbPath);

        // When
        var error = Assert.Throws<InvalidDataException>(() => RunStores.Open($"sqlite:{DbPath}"));

        // Then
        Assert.Contains("not a ScaleLab registry", error.Message);
        SqliteConnection.ClearAllPools();
        Assert.Equal(before, File.ReadAllBytes(DbPath));
        Assert.False(File.Exists(DbPath + "-wal"));
    }

    /// <summary>Whether some lock conflicts with a write lock on SQLite's shared-lock range (PENDING_BYTE + 2, 510
    /// bytes). An open-file-description query (F_OFD_GETLK) sees the process's own classic POSIX locks as conflicts.</summary>
    private static bool SharedLockHeld(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        const int ofdGetLock = 36, writeLock = 1, unlocked = 2;
        var query = new Flock { Type = writeLock, Whence = 0, Start = 0x40000000 + 2, Length = 510 };
        if (Fcntl((int)handle.DangerousGetHandle(), ofdGetLock, ref query) != 0)
        {
            throw new InvalidOperationException($"fcntl(F_OFD_GETLK) failed: errno {Marshal.GetLastPInvokeError()}");
        }
        return query.Type != unlocked;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Flock
    {
        public short Type;
        public short Whence;
        public long Start;
        public long Length;
        public int Pid;
    }

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, ref Flock flock);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
