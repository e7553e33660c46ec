using System.Collections.Concurrent;
using ScaleLab.Lab.Registry;

namespace ScaleLab.Lab.Tests.Registry;

/// <summary>The store contract for match results between runs (schema 3, table matches).</summary>
public abstract partial class RunStoreContractTests
{
    [StoreFact]
    public void RecordMatches_BothOrientationsAndRepeats_AddedIntoOneCanonicalRow()
    {
        // Given
        using var store = StudyWithRuns(3);

        // When: run-001 vs run-000 reported from both sides, twice at snapshot 100, once at 200
        store.RecordMatches(new MatchResult("run-001", "run-000", 100, Wins: 3, Losses: 1, Draws: 2));
        store.RecordMatches(new MatchResult("run-000", "run-001", 100, Wins: 4, Losses: 0, Draws: 1));
        store.RecordMatches(new MatchResult("run-000", "run-001", 200, Wins: 1, Losses: 1, Draws: 0));
        store.RecordMatches(new MatchResult("run-002", "run-000", 100, Wins: 0, Losses: 0, Draws: 5));

        // Then: counted from run-000's side (the smaller key): 1+4 wins, 3+0 losses, 2+1 draws
        Assert.Equal([
            new MatchResult("run-000", "run-001", 100, 5, 3, 3),
            new MatchResult("run-000", "run-001", 200, 1, 1, 0),
            new MatchResult("run-000", "run-002", 100, 0, 0, 5)], store.ReadMatches("s"));
        Assert.Empty(store.ReadMatches("other"));
    }

    [StoreFact]
    public void RecordMatches_SameRunTwiceNegativeOrUnknownRun_Refused()
    {
        // Given
        using var store = StudyWithRuns(2);

        // When / Then
        Assert.Throws<ArgumentException>(() => store.RecordMatches(new MatchResult("run-000", "run-000", 1, 1, 0, 0)));
        Assert.Throws<ArgumentException>(() => store.RecordMatches(new MatchResult("run-000", "run-001", 1, -1, 0, 0)));
        Assert.ThrowsAny<System.Data.Common.DbException>(() => store.RecordMatches(new MatchResult("run-000", "no-such-run", 1, 1, 0, 0)));
        Assert.Empty(store.ReadMatches("s"));
    }

    [StoreFact]
    public void RecordMatches_EightConcurrentReporters_NothingLost()
    {
        // Given: 4 runs (6 pairs); 8 reporters each report 30 games of every pair at snapshots 1 and 2, one game
        // per call, alternating the side they report from
        using (StudyWithRuns(4)) { }
        var pairs = (from a in Enumerable.Range(0, 4) from b in Enumerable.Range(a + 1, 3 - a) select ($"run-{a:D3}", $"run-{b:D3}")).ToList();
        var errors = new ConcurrentBag<Exception>();

        // When
        using var gate = new Barrier(8);
        var threads = Enumerable.Range(0, 8).Select(w => new Thread(() =>
        {
            try
            {
                using var store = OpenStore();
                gate.SignalAndWait();
                for (var game = 0; game < 30; game++)
                {
                    foreach (var (a, b) in pairs)
                    {
                        foreach (var snapshot in new long[] { 1, 2 })
                        {
                            // Game g: A wins when g % 3 == 0, B wins when g % 3 == 1, else a draw.
                            var result = new MatchResult(a, b, snapshot, game % 3 == 0 ? 1 : 0, game % 3 == 1 ? 1 : 0, game % 3 == 2 ? 1 : 0);
                            store.RecordMatches((game + w) % 2 == 0 ? result : result.Swapped());
                        }
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

        // Then: every pair and snapshot holds 8 × 30 games, 80 each way
        Assert.Empty(errors);
        using var check = OpenStore();
        var rows = check.ReadMatches("s");
        Assert.Equal(12, rows.Count);
        Assert.All(rows, r => Assert.Equal((80L, 80L, 80L), (r.Wins, r.Losses, r.Draws)));
    }
}
