using ScaleLab.Laws.Ratings;

namespace ScaleLab.Laws.Tests.Ratings;

/// <summary>Synthetic tournaments from planted Bradley–Terry ratings (every game a Bernoulli draw from the model).</summary>
internal static class PlantedTournament
{
    /// <summary>Agent i is "a{i}" with rating <c>ratings[i]</c>.</summary>
    public static string Name(int i) => $"a{i}";

    /// <summary>K agents evenly spaced from 0 down to <paramref name="lowest"/> Elo.</summary>
    public static double[] Ladder(int count, double lowest) =>
        Enumerable.Range(0, count).Select(i => lowest * i / (count - 1)).ToArray();

    /// <summary>Binomial(n, p) as a sum of Bernoulli draws.</summary>
    public static long Binomial(ref SplitMix64 rng, long n, double p)
    {
        long wins = 0;
        for (long g = 0; g < n; g++)
        {
            if (rng.NextDouble() < p)
            {
                wins++;
            }
        }
        return wins;
    }

    /// <summary>
    /// <paramref name="games"/> games between agents i and j with first-move advantage <paramref name="advantage"/>:
    /// agent i moves first in round(<paramref name="firstShare"/>·games) of them, j in the rest.
    /// </summary>
    public static IEnumerable<ColouredResult> Match(double[] ratings, int i, int j, long games, double advantage,
        double firstShare, ref SplitMix64 rng)
    {
        long iFirst = (long)Math.Round(firstShare * games), jFirst = games - iFirst;
        long w1 = Binomial(ref rng, iFirst, BradleyTerry.Probability(ratings[i] - ratings[j] + advantage));
        long w2 = Binomial(ref rng, jFirst, BradleyTerry.Probability(ratings[j] - ratings[i] + advantage));
        return [new ColouredResult(Name(i), Name(j), w1, iFirst - w1), new ColouredResult(Name(j), Name(i), w2, jFirst - w2)];
    }

    /// <summary>A full round robin, <paramref name="gamesPerPair"/> games per pair; the stronger (lower index) moves first in <paramref name="firstShare"/> of them.</summary>
    public static List<ColouredResult> RoundRobin(double[] ratings, long gamesPerPair, double advantage, ulong seed, double firstShare = 0.5)
    {
        var rng = SplitMix64.Stream(seed, 0);
        var results = new List<ColouredResult>();
        for (int i = 0; i < ratings.Length; i++)
        {
            for (int j = i + 1; j < ratings.Length; j++)
            {
                results.AddRange(Match(ratings, i, j, gamesPerPair, advantage, firstShare, ref rng));
            }
        }
        return results;
    }

    /// <summary>Root-mean-square error of the fitted ratings against the planted ones (same anchor a0 = 0).</summary>
    public static double Rmse(RatingFit fit, double[] ratings) =>
        Math.Sqrt(Enumerable.Range(0, ratings.Length).Average(i => Math.Pow(fit.Elo(Name(i)) - ratings[i], 2)));
}
