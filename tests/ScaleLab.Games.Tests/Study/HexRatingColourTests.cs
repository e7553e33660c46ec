using ScaleLab.Engine;
using ScaleLab.Games.Study;
using ScaleLab.Lab.Registry;
using ScaleLab.Laws.Ratings;
using Xunit.Abstractions;

namespace ScaleLab.Games.Tests.Study;

/// <summary>Registry ratings with the first-move term: match rows carry which agent moved first (schema 5), and a board
/// whose rows all have colours is fitted with Bradley–Terry's first-move advantage.</summary>
public class HexRatingColourTests(ITestOutputHelper output)
{
    private static readonly double[] Planted = [0, -150, -300, -450, -600, -750];
    private const double FirstMove = 250;

    /// <summary>Plays a planted, colour-biased design into a fresh registry: the stronger agent of each pair moves first
    /// in 80% of 600 games, the first mover winning with P = 1/(1 + 10^(−(r_first − r_second + h)/400)).</summary>
    private static IReadOnlyList<MatchResult> Record(IRunStore store, bool colours)
    {
        store.CreateStudy("c", null);
        store.Enqueue("c", Planted.Select((_, i) => new NewRun($"r{i}", i, "{}", i, 1, 1, 0, 0)).ToList());
        var rng = new Rng(2026);
        for (var i = 0; i < Planted.Length; i++)
        {
            for (var j = i + 1; j < Planted.Length; j++)
            {
                long w = 0, l = 0, fw = 0, fl = 0;
                for (var g = 0; g < 600; g++)
                {
                    var iFirst = g % 5 != 0;
                    var diff = (iFirst ? Planted[i] - Planted[j] : Planted[j] - Planted[i]) + FirstMove;
                    var firstWins = rng.NextDouble() < BradleyTerry.Probability(diff);
                    var iWins = firstWins == iFirst;
                    if (iWins) w++; else l++;
                    if (iFirst && iWins) fw++;
                    if (iFirst && !iWins) fl++;
                }
                var match = new MatchResult($"r{i}", 0, $"r{j}", 0, w, l, 0);
                store.RecordMatches(colours ? match with { AFirst = new FirstMoveCounts(fw, fl, 0) } : match);
            }
        }
        return store.ReadMatches("c");
    }

    private (double Rmse, RatingFit Fit) Rate(bool colours)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"hexcolour-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            using var store = RunStores.Open("sqlite:" + Path.Combine(dir, "r.db"));
            var matches = Record(store, colours);
            var names = Planted.Select((_, i) => ($"r{i}", 0L)).ToDictionary(k => k, k => k.Item1 == "r0" ? "perfect" : k.Item1);
            var known = HexRating.ColoursKnown(matches, names);
            Assert.Equal(colours, known);
            var fit = BradleyTerry.Fit(HexRating.BoardResults(matches, names), HexRating.Options(new Dictionary<string, string> { ["perfect"] = "r0" }, known));
            var rmse = Math.Sqrt(Enumerable.Range(1, Planted.Length - 1).Average(i => Math.Pow(fit.Elo($"r{i}") - Planted[i], 2)));
            output.WriteLine($"colours {colours}: RMSE {rmse:F1} Elo, h = {fit.Advantage:F1}; {string.Join(" ", Enumerable.Range(1, Planted.Length - 1).Select(i => $"{fit.Elo($"r{i}"):F0}"))}");
            return (rmse, fit);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Fit_ColourBiasedDesignThroughTheRegistry_RecoversPlantedRatingsAndFirstMoveAdvantage()
    {
        // Given a planted colour-biased design recorded with colours, read back from the registry
        // When rated with the first-move term
        var (rmse, fit) = Rate(colours: true);
        // Then the ratings come back (anchor perfect = 0) and h is inside its interval
        Assert.Equal("perfect", fit.Anchor);
        Assert.True(rmse < 30, $"RMSE {rmse:F1} Elo");
        Assert.NotNull(fit.FirstMoveAdvantage);
        Assert.InRange(FirstMove, fit.FirstMoveAdvantage!.Interval.Lo - 10, fit.FirstMoveAdvantage.Interval.Hi + 10);
    }

    [Fact]
    public void Fit_SameDesignRecordedWithoutColours_MissesThePlantedRatings()
    {
        // Given the same games recorded without colours (a registry before schema 5): negative control
        // When rated colour-blind (the only fit the rows allow)
        var (rmse, fit) = Rate(colours: false);
        // Then the first-move advantage is credited to the agent that moved first more often: the ratings are far off
        Assert.Null(fit.FirstMoveAdvantage);
        Assert.True(rmse > 60, $"RMSE {rmse:F1} Elo: the colour-blind fit should not recover a colour-biased design");
    }
}
