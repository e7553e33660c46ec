using ScaleLab.Laws.Ratings;
using Xunit.Abstractions;
using static ScaleLab.Laws.Tests.Ratings.PlantedTournament;

namespace ScaleLab.Laws.Tests.Ratings;

public sealed class MatchPairingTests(ITestOutputHelper output)
{
    private static readonly double[] Thirty = Ladder(30, -2000);
    private static readonly string[] Names = Enumerable.Range(0, 30).Select(Name).ToArray();

    private static void Play(List<ColouredResult> results, IEnumerable<ProposedMatch> matches, double[] ratings, ref SplitMix64 rng)
    {
        foreach (var m in matches)
        {
            int i = int.Parse(m.A[1..], System.Globalization.CultureInfo.InvariantCulture);
            int j = int.Parse(m.B[1..], System.Globalization.CultureInfo.InvariantCulture);
            results.AddRange(Match(ratings, i, j, m.Games, 150, 0.5, ref rng));
        }
    }

    /// <summary>Plays rounds chosen by <paramref name="chooser"/> until <paramref name="budget"/> games; returns the final fit's RMSE.</summary>
    private static double Campaign(long budget, ulong seed, Func<List<ColouredResult>, SplitMix64, IReadOnlyList<ProposedMatch>> chooser)
    {
        var rng = SplitMix64.Stream(seed, 1);
        var results = new List<ColouredResult>();
        while (results.Sum(r => r.Games) < budget)
        {
            Play(results, chooser(results, SplitMix64.Stream(seed, (ulong)results.Count + 2)), Thirty, ref rng);
        }
        return Rmse(BradleyTerry.Fit(results, new RatingOptions { Anchor = Name(0), VirtualDraws = 1 }), Thirty);
    }

    private static readonly PairingOptions Options = new() { Pairs = 16, GamesPerMatch = 128 };

    private static IReadOnlyList<ProposedMatch> Adaptive(List<ColouredResult> results, SplitMix64 _) =>
        MatchPairing.Next(Names, results, Options);

    /// <summary>Negative control: the same links (the first round from no games), then uniformly random pairs.</summary>
    private static IReadOnlyList<ProposedMatch> RandomPairs(List<ColouredResult> results, SplitMix64 rng)
    {
        if (results.Count == 0)
        {
            return MatchPairing.Next(Names, results, Options);
        }
        var picks = new List<ProposedMatch>();
        while (picks.Count < Options.Pairs)
        {
            int i = rng.NextInt(30), j = rng.NextInt(30);
            if (i != j)
            {
                picks.Add(new ProposedMatch(Name(i), Name(j), Options.GamesPerMatch, double.NaN, double.NaN, "random"));
            }
        }
        return picks;
    }

    [Fact]
    public void Next_NoGamesYet_ProposesAChainThatLinksEveryAgentToTheAnchor()
    {
        // Given: 30 agents in order of strength, no games, anchor a0.
        // When
        var links = MatchPairing.Next(Names, [], new PairingOptions { GamesPerMatch = 16 });

        // Then: 29 links, each agent to its neighbour, all marked as links.
        Assert.Equal(29, links.Count);
        for (int i = 1; i < 30; i++)
        {
            Assert.Contains(links, m => m.A == Name(i - 1) && m.B == Name(i));
        }
        Assert.All(links, m => Assert.True(double.IsNaN(m.WinProbability) && m.Games == 16));

        // And when they are played, the next round is informative (rated) matches.
        var rng = SplitMix64.Stream(1, 0);
        var results = new List<ColouredResult>();
        Play(results, links, Thirty, ref rng);
        var next = MatchPairing.Next(Names, results, new PairingOptions { GamesPerMatch = 16 });
        Assert.Equal(8, next.Count);
        Assert.All(next, m => Assert.InRange(m.WinProbability, 0.0, 1.0));
        Assert.All(next, m => Assert.True(m.VarianceReduction > 0));
    }

    [Fact]
    public void Next_NewAgentsBesideALinkedGroup_LinkedToTheirNearestLinkedNeighbour()
    {
        // Given: a0..a3 have played; a4 and a5 are new; anchor a2.
        string[] agents = [.. Names[..6]];
        ColouredResult[] results = [new("a0", "a1", 5, 3), new("a1", "a2", 4, 4), new("a2", "a3", 6, 2)];

        // When
        var links = MatchPairing.Next(agents, results, new PairingOptions { Rating = new RatingOptions { Anchor = "a2", VirtualDraws = 1 } });

        // Then: a4 links to a3, then a5 to a4.
        Assert.Equal(2, links.Count);
        Assert.Equal(("a3", "a4"), (links[0].A, links[0].B));
        Assert.Equal(("a4", "a5"), (links[1].A, links[1].B));
    }

    [Fact]
    public void Next_PlantedLadder_ReachesRoundRobinPrecisionWithAThirdOfTheGames()
    {
        // Given: the round robin of the rating test (512 games per pair, 222,720 games) and a budget of a third of it.
        long roundRobinGames = 30 * 29 / 2 * 512;
        long budget = roundRobinGames / 3;
        ulong[] seeds = [11, 12];

        // When: each design plays to the budget from scratch (links first), then the ratings are fitted.
        double roundRobin = seeds.Average(s => Rmse(BradleyTerry.Fit(RoundRobin(Thirty, 512, 150, s), new RatingOptions { Anchor = Name(0) }), Thirty));
        double adaptive = seeds.Average(s => Campaign(budget, s, Adaptive));
        double random = seeds.Average(s => Campaign(budget, s, RandomPairs));

        // Then: the informative design matches the round robin's RMSE with a third of its games; the negative control,
        // random pairs with the same budget and the same links, does not.
        output.WriteLine($"mean RMSE: round robin {roundRobin:F1} Elo ({roundRobinGames} games), informative {adaptive:F1}, random {random:F1} ({budget} games)");
        Assert.True(adaptive <= roundRobin, $"informative {adaptive:F1} vs round robin {roundRobin:F1}");
        Assert.True(random > roundRobin, $"random {random:F1} vs round robin {roundRobin:F1}");
    }

    [Fact]
    public void Next_PairsWorthTwoGamesAndPairsNotAllowed_ProposedWithTheirGamesNeverExcludedAndTheRoundFilled()
    {
        // Given 10 agents linked by a round robin; pairs that do not involve the anchor a0 are "deterministic" (2 games),
        // and pairs whose names differ by one (a1-a2, ...) have met and may not be proposed again
        var ratings = Ladder(10, -1000);
        var names = Enumerable.Range(0, 10).Select(Name).ToArray();
        var results = RoundRobin(ratings, 8, 0, seed: 5);
        int Index(string a) => int.Parse(a[1..], System.Globalization.CultureInfo.InvariantCulture);
        long GamesOf(string a, string b) => a == "a0" || b == "a0" ? 64 : 2;
        bool Allowed(string a, string b) => Math.Abs(Index(a) - Index(b)) != 1 || a == "a0" || b == "a0";
        var options = new PairingOptions
        {
            Pairs = int.MaxValue, GamesPerMatch = 64, GamesOf = GamesOf, Allowed = Allowed, RoundGames = 4 * 64,
            Rating = new RatingOptions { Anchor = "a0", VirtualDraws = 1 },
        };
        // When a round is proposed
        var round = MatchPairing.Next(names, results, options);
        // Then every proposal is allowed, plays its pair's games, no pair twice, and the round stops at the first pick
        // that fills its 256 games
        Assert.All(round, m => Assert.True(Allowed(m.A, m.B), $"{m.A}-{m.B}"));
        Assert.All(round, m => Assert.Equal(GamesOf(m.A, m.B), m.Games));
        Assert.Equal(round.Count, round.Select(m => (m.A, m.B)).Distinct().Count());
        var total = round.Sum(m => m.Games);
        Assert.True(total >= 256 && total - round[^1].Games < 256, $"{total} games in {round.Count} picks");
        output.WriteLine($"{round.Count} picks, {total} games: {string.Join(", ", round.Select(m => $"{m.A}-{m.B}x{m.Games}"))}");
        // And without the limits the same design proposes 64-game matches between "deterministic" pairs (control)
        var plain = MatchPairing.Next(names, results, options with { GamesOf = null, Allowed = null, RoundGames = null, Pairs = 8 });
        Assert.Contains(plain, m => m.A != "a0" && m.B != "a0" && m.Games == 64);
    }

    [Fact]
    public void Next_BadInput_RefusedWithOneLine()
    {
        Assert.Contains("listed twice", Assert.Throws<InvalidDataException>(() => MatchPairing.Next(["a", "a"], [])).Message, StringComparison.Ordinal);
        Assert.Contains("'z'", Assert.Throws<InvalidDataException>(() => MatchPairing.Next(["a", "b"], [new ColouredResult("a", "z", 1, 1)])).Message, StringComparison.Ordinal);
        Assert.Contains("even", Assert.Throws<InvalidDataException>(() => MatchPairing.Next(["a", "b"], [], new PairingOptions { GamesPerMatch = 7 })).Message, StringComparison.Ordinal);
    }
}
