using System.Collections.Concurrent;
using ScaleLab.Lab.Registry;

namespace ScaleLab.Lab.Tests.Registry;

/// <summary>The store contract for match results between agents, each a run at a snapshot (schema 4, table matches).</summary>
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
    public void RecordMatches_SnapshotPerSide_EachPairingItsOwnRowSelfPlayKept()
    {
        // Given
        using var store = StudyWithRuns(2);

        // When: run-000 at step 100 against run-001 at 200 from both sides; the crossed pairing (200 vs 100); run-001 at
        // step 300 against its own snapshot at 100 from both sides
        store.RecordMatches(new MatchResult("run-000", 100, "run-001", 200, Wins: 2, Losses: 1, Draws: 0));
        store.RecordMatches(new MatchResult("run-001", 200, "run-000", 100, Wins: 4, Losses: 0, Draws: 1));
        store.RecordMatches(new MatchResult("run-000", 200, "run-001", 100, Wins: 0, Losses: 3, Draws: 0));
        store.RecordMatches(new MatchResult("run-001", 300, "run-001", 100, Wins: 5, Losses: 1, Draws: 0));
        store.RecordMatches(new MatchResult("run-001", 100, "run-001", 300, Wins: 2, Losses: 0, Draws: 1));

        // Then: the pairing (000@100, 001@200) is one row, 2+0 wins and 1+4 losses from run-000's side; the crossed
        // pairing is another; the self-play row is counted from the earlier snapshot's side (1+2 wins, 5+0 losses)
        Assert.Equal([
            new MatchResult("run-000", 100, "run-001", 200, 2, 5, 1),
            new MatchResult("run-000", 200, "run-001", 100, 0, 3, 0),
            new MatchResult("run-001", 100, "run-001", 300, 3, 5, 1)], store.ReadMatches("s"));
    }

    [Fact]
    public void Canonical_BothOrientations_SameAgentFirstByRunThenSnapshot()
    {
        // Given
        var crossed = new MatchResult("b", 1, "a", 9, Wins: 2, Losses: 1, Draws: 4);
        var self = new MatchResult("a", 9, "a", 1, Wins: 2, Losses: 1, Draws: 4);

        // When / Then: the smaller run key first even at a later snapshot; within one run, the earlier snapshot first
        Assert.Equal(new MatchResult("a", 9, "b", 1, 1, 2, 4), crossed.Canonical());
        Assert.Equal(crossed.Canonical(), crossed.Swapped().Canonical());
        Assert.Equal(new MatchResult("a", 1, "a", 9, 1, 2, 4), self.Canonical());
        Assert.Equal(self.Canonical(), self.Swapped().Canonical());
        Assert.True(new MatchResult("a", "a", 5, 1, 0, 0).SameAgent);
        Assert.False(self.SameAgent);
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
        // Given: 4 runs (6 pairs); 8 reporters each report 30 games of every pair at snapshots (1, 1), (2, 2) and (1, 2),
        // and of every run against its own earlier snapshot (2 vs 1), one game per call, alternating the side they report from
        using (StudyWithRuns(4)) { }
        var pairs = (from a in Enumerable.Range(0, 4) from b in Enumerable.Range(a + 1, 3 - a) select ($"run-{a:D3}", $"run-{b:D3}")).ToList();
        var pairings = pairs.SelectMany(p => new (string, long, string, long)[] { (p.Item1, 1, p.Item2, 1), (p.Item1, 2, p.Item2, 2), (p.Item1, 1, p.Item2, 2) })
            .Concat(Enumerable.Range(0, 4).Select(r => ($"run-{r:D3}", 1L, $"run-{r:D3}", 2L))).ToList();
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
                    foreach (var (a, sa, b, sb) in pairings)
                    {
                        // Game g: A wins when g % 3 == 0, B wins when g % 3 == 1, else a draw.
                        var result = new MatchResult(a, sa, b, sb, game % 3 == 0 ? 1 : 0, game % 3 == 1 ? 1 : 0, game % 3 == 2 ? 1 : 0);
                        store.RecordMatches((game + w) % 2 == 0 ? result : result.Swapped());
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

        // Then: every pairing holds 8 × 30 games, 80 each way
        Assert.Empty(errors);
        using var check = OpenStore();
        var rows = check.ReadMatches("s");
        Assert.Equal(pairings.Select(p => (p.Item1, p.Item2, p.Item3, p.Item4)).Order(), rows.Select(r => (r.RunA, r.SnapshotA, r.RunB, r.SnapshotB)).Order());
        Assert.Equal(22, rows.Count);
        Assert.All(rows, r => Assert.Equal((80L, 80L, 80L), (r.Wins, r.Losses, r.Draws)));
    }
}
