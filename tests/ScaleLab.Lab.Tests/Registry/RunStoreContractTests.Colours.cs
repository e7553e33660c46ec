using System.Globalization;
using ScaleLab.Lab.Registry;

namespace ScaleLab.Lab.Tests.Registry;

/// <summary>The store contract for the first-move counts of a match (schema 5: first_wins, first_losses, first_draws).</summary>
public abstract partial class RunStoreContractTests
{
    [StoreFact]
    public void RecordMatches_WithColours_SwappedIntoTheCanonicalSideAndAdded()
    {
        // Given
        using var store = StudyWithRuns(2);

        // When: run-001 reports 3-1 with 2-0 of it as first mover (so 1-1 as second); run-000 then reports 4-0-1 with
        // 2-0-1 as first mover
        store.RecordMatches(new MatchResult("run-001", "run-000", 100, Wins: 3, Losses: 1, Draws: 0) { AFirst = new FirstMoveCounts(2, 0, 0) });
        store.RecordMatches(new MatchResult("run-000", "run-001", 100, Wins: 4, Losses: 0, Draws: 1) { AFirst = new FirstMoveCounts(2, 0, 1) });

        // Then: from run-000's side 1+4 wins, 3+0 losses, 0+1 draws; as first mover run-000 won run-001's second-mover
        // losses (1) + 2 and lost run-001's second-mover wins (1) + 0, drew 0 + 1
        var row = Assert.Single(store.ReadMatches("s"));
        Assert.Equal(new MatchResult("run-000", "run-001", 100, 5, 3, 1) { AFirst = new FirstMoveCounts(3, 1, 1) }, row);
        Assert.Equal(new FirstMoveCounts(2, 2, 0), row.ASecond);
        Assert.Equal(row, row.Swapped().Swapped());
    }

    [StoreFact]
    public void RecordMatches_ColoursMixedWithoutColours_RowColoursUnknown_BadCountsRefused()
    {
        // Given
        using var store = StudyWithRuns(3);

        // When: one pairing gets a report with colours and one without; another only reports with colours
        store.RecordMatches(new MatchResult("run-000", "run-001", 1, 2, 2, 0) { AFirst = new FirstMoveCounts(2, 0, 0) });
        store.RecordMatches(new MatchResult("run-000", "run-001", 1, 1, 1, 0));
        store.RecordMatches(new MatchResult("run-000", "run-002", 1, 1, 1, 0) { AFirst = new FirstMoveCounts(1, 0, 0) });

        // Then: the mixed row's colours are unknown (null), the other keeps them
        var rows = store.ReadMatches("s");
        Assert.Null(rows[0].AFirst);
        Assert.Equal((3L, 3L), (rows[0].Wins, rows[0].Losses));
        Assert.Equal(new FirstMoveCounts(1, 0, 0), rows[1].AFirst);
        // and first-move counts beyond the match's own, or negative, are refused without writing
        Assert.Throws<ArgumentException>(() => store.RecordMatches(new MatchResult("run-001", "run-002", 1, 1, 1, 0) { AFirst = new FirstMoveCounts(2, 0, 0) }));
        Assert.Throws<ArgumentException>(() => store.RecordMatches(new MatchResult("run-001", "run-002", 1, 1, 1, 0) { AFirst = new FirstMoveCounts(0, -1, 0) }));
        Assert.Equal(2, store.ReadMatches("s").Count);
    }

    [StoreFact]
    public void EnsureSchema_VersionThreeRegistry_UpgradedToFive_OldRowsReadWithoutColours()
    {
        // Given: the release's version-3 registry (4 match rows, no colours)
        LoadVersionThreeFixture();
        var before = ReadFixture(VersionThreeFile, "SELECT COUNT(*) FROM matches")[0][0];

        // When
        using var store = OpenStore();

        // Then: version 5, every old row readable with its colours unknown
        Assert.Equal("5", CurrentVersion);
        Assert.Equal(CurrentVersion, Convert.ToString(ScalarRaw("SELECT value FROM scalelab_meta WHERE name = 'schema_version'"), CultureInfo.InvariantCulture));
        var rows = store.ReadMatches("v3-agents");
        Assert.Equal((long)before!, rows.Count);
        Assert.All(rows, r => Assert.Null(r.AFirst));
        // and a report with colours into an old row leaves it unknown, a new pairing keeps them
        var (a, b) = (rows[0].RunA, rows[0].RunB);
        store.RecordMatches(new MatchResult(a, rows[0].SnapshotA, b, rows[0].SnapshotB, 1, 0, 0) { AFirst = new FirstMoveCounts(1, 0, 0) });
        store.RecordMatches(new MatchResult(a, 99, b, 99, 2, 1, 0) { AFirst = new FirstMoveCounts(1, 1, 0) });
        var after = store.ReadMatches("v3-agents");
        Assert.Null(after.Single(r => r.SnapshotA == rows[0].SnapshotA && r.SnapshotB == rows[0].SnapshotB && r.RunB == b).AFirst);
        Assert.Equal(new FirstMoveCounts(1, 1, 0), after.Single(r => r.SnapshotA == 99).AFirst);
    }
}
