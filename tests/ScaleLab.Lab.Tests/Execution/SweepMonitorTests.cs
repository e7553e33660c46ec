using Microsoft.Data.Sqlite;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Tests.Registry;

namespace ScaleLab.Lab.Tests.Execution;

public sealed class SweepMonitorTests : IDisposable
{
    private readonly string _db = Path.Combine(Path.GetTempPath(), $"scalelab-monitor-{Guid.NewGuid():N}.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(_db + suffix);
        }
    }

    [Fact]
    public void Poll_OneRunDone_EtaFromFlopRate()
    {
        // Given: runs of 1, 1 and 2 PFLOP-units; one run already done before the monitor starts (ignored
        // for the rate); the clock moves by hand (TimeProvider timestamps follow GetUtcNow in ManualTime).
        var time = new ManualTime(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var store = RunStores.Open("sqlite:" + _db, time);
        store.CreateStudy("s", null);
        store.Enqueue("s", [.. new[] { 1.0, 1.0, 2.0, 5.0 }.Select((f, i) => new NewRun($"r{i}", i, "{}", i, 1, 1, 1, f))]);
        var old = store.Claim("s", "w", TimeSpan.FromMinutes(1))!;
        store.Finish(old.Key, "w", 1.0);
        var monitor = new SweepMonitor(store, "s", time);
        var before = monitor.Poll();

        // When: run r1 (1 unit) finishes 10 s later, r2 running, r3 queued.
        var r1 = store.Claim("s", "w", TimeSpan.FromMinutes(1))!;
        store.Claim("s", "w2", TimeSpan.FromMinutes(1));
        time.Advance(TimeSpan.FromSeconds(10));
        store.Finish(r1.Key, "w", 2.0);
        var after = monitor.Poll();

        // Then: rate = 1 unit / 10 s; left = 2 + 5 units → ETA 70 s.
        Assert.Null(before.Eta);
        Assert.Equal(new StatusCounts(1, 1, 2, 0), after.Counts);
        Assert.Equal(TimeSpan.FromSeconds(10), after.Elapsed);
        Assert.Equal(70.0, after.Eta!.Value.TotalSeconds, 6);
        Assert.Equal("s: 2/4 done, 1 running, 1 queued, 0 failed | 0:10 elapsed, ETA 1:10", after.ToString());
    }
}
