using System.Globalization;
using ScaleLab.Lab.Registry;

namespace ScaleLab.Lab.Tests.Registry;

/// <summary>The upgrade to schema version 4 (a snapshot per side of a match) of a real version-3 registry
/// (Registry/Fixtures/registry-v3.sqlite, written by the release before, with match results in it).</summary>
public abstract partial class RunStoreContractTests
{
    private const string VersionThreeFile = "registry-v3.sqlite";

    /// <summary>This test's registry made the version-3 fixture: the file itself where the back end is SQLite; elsewhere
    /// the version-3 tables, verbatim (the version-2 tables and the release's 2 → 3 statements), filled with every row of the file.</summary>
    protected virtual void LoadVersionThreeFixture()
    {
        CreateVersionOneRegistryTables();
        ExecuteRaw("ALTER TABLE metrics ADD COLUMN gns_grad_norm_sq DOUBLE PRECISION");
        ExecuteRaw("ALTER TABLE metrics ADD COLUMN gns_trace_cov DOUBLE PRECISION");
        ExecuteRaw("ALTER TABLE metrics ADD COLUMN b_simple DOUBLE PRECISION");
        ExecuteRaw("ALTER TABLE runs ADD COLUMN kind TEXT");
        ExecuteRaw("""
            CREATE TABLE IF NOT EXISTS run_metrics (
                run_key TEXT NOT NULL REFERENCES runs(run_key),
                step BIGINT NOT NULL,
                name TEXT NOT NULL,
                value DOUBLE PRECISION,
                PRIMARY KEY (run_key, step, name))
            """);
        ExecuteRaw("""
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
            """);
        ExecuteRaw("INSERT INTO scalelab_meta (name, value) VALUES ('schema_version', '3')");
        LoadFixtureRows(VersionThreeFile, ["studies", "runs", "metrics", "artifacts", "run_metrics", "matches"]);
    }

    [StoreFact]
    public void EnsureSchema_VersionThreeRegistryOfLastRelease_UpgradedInPlaceEveryMatchOnBothSides()
    {
        // Given: the release's registry (3 runs, 4 match rows) and its rows read straight from the file
        LoadVersionThreeFixture();
        var matches = ReadFixture(VersionThreeFile, "SELECT run_a, run_b, snapshot, wins, losses, draws FROM matches ORDER BY run_a, run_b, snapshot");
        var runs = ReadFixture(VersionThreeFile, "SELECT run_key, status, final_loss FROM runs ORDER BY run_key");
        var metricCount = (long)ReadFixture(VersionThreeFile, "SELECT COUNT(*) FROM metrics")[0][0]!;

        // When
        using var store = OpenStore();

        // Then: version 4; every match of the release with its snapshot on both sides, every run and metric row kept
        Assert.Equal(CurrentVersion, Convert.ToString(ScalarRaw("SELECT value FROM scalelab_meta WHERE name = 'schema_version'"), CultureInfo.InvariantCulture));
        Assert.Equal(4, matches.Count);
        Assert.Equal(matches.Select(m => new MatchResult((string)m[0]!, (long)m[2]!, (string)m[1]!, (long)m[2]!, (long)m[3]!, (long)m[4]!, (long)m[5]!)),
            store.ReadMatches("v3-agents"));
        Assert.Equal(runs.Select(r => ((string)r[0]!, (string)r[1]!, (double?)r[2])),
            store.ListRuns("v3-agents").OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => (r.Key, r.Status.ToString().ToLowerInvariant(), r.FinalLoss)));
        Assert.Equal(metricCount, store.ListRuns("v3-agents").Sum(r => (long)store.ReadMetrics(r.Key).Count));
        Assert.Equal(15L, metricCount);   // 3 runs of 5 steps

        // and the upgraded table takes a snapshot per side: an old row is added to, a new pairing is a row of its own
        var (a, b) = ((string)matches[0][0]!, (string)matches[0][1]!);
        store.RecordMatches(new MatchResult(b, 4, a, 4, Wins: 1, Losses: 0, Draws: 0));
        store.RecordMatches(new MatchResult(a, 4, b, 8, Wins: 0, Losses: 0, Draws: 3));
        var rows = store.ReadMatches("v3-agents").Where(m => m.RunA == a && m.RunB == b).ToList();
        Assert.Equal([
            new MatchResult(a, 4, b, 4, (long)matches[0][3]!, (long)matches[0][4]! + 1, (long)matches[0][5]!),
            new MatchResult(a, 4, b, 8, 0, 0, 3),
            new MatchResult(a, 8, b, 8, (long)matches[1][3]!, (long)matches[1][4]!, (long)matches[1][5]!)], rows);
    }
}
