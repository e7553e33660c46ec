using ScaleLab.Engine.Sae;
using static ScaleLab.Engine.Tests.Kernels.GradCheck;

namespace ScaleLab.Engine.Tests.Sae;

public sealed class DictionaryMatchingTests
{
    private static IEnumerable<int[]> Permutations(int[] items)
    {
        if (items.Length <= 1)
        {
            yield return items;
            yield break;
        }
        for (var i = 0; i < items.Length; i++)
        {
            foreach (var rest in Permutations([.. items[..i], .. items[(i + 1)..]])) yield return [items[i], .. rest];
        }
    }

    [Fact]
    public void Assign_SmallMatrices_EqualsBruteForceOptimum()
    {
        // Given: random cost matrices n = 0..6, some with ties (integer costs)
        var rng = new Rng(91);
        for (var trial = 0; trial < 60; trial++)
        {
            var n = trial % 7;
            var cost = trial % 2 == 0 ? Gaussian(rng, n * n) : [.. Enumerable.Range(0, n * n).Select(_ => (double)rng.NextInt(4))];

            // When
            var assignment = DictionaryMatching.Assign(cost, n);

            // Then: a permutation whose total equals the minimum over all n! permutations
            Assert.Equal(Enumerable.Range(0, n), assignment.Order());
            var best = Permutations([.. Enumerable.Range(0, n)]).Min(p => Enumerable.Range(0, n).Sum(i => cost[i * n + p[i]]));
            Assert.Equal(best, Enumerable.Range(0, n).Sum(i => cost[i * n + assignment[i]]), 1e-9);
        }
    }

    [Fact]
    public void Match_PermutedNoisyDictionary_RecoversThePermutationAndSharesAll()
    {
        // Given: 40 unit rows in 16 dimensions and the same rows permuted with small noise
        var rng = new Rng(92);
        const int n = 40, width = 16;
        var a = ToFloat(Gaussian(rng, n * width));
        var permutation = Enumerable.Range(0, n).OrderBy(_ => rng.NextDouble()).ToArray();
        var b = new float[n * width];
        for (var i = 0; i < n; i++)
        {
            for (var d = 0; d < width; d++) b[permutation[i] * width + d] = a[i * width + d] + 0.05f * (float)rng.NextGaussian();
        }

        // When
        var (match, similarity) = DictionaryMatching.Match(DictionaryMatching.CosineMatrix(a, b, width), n);

        // Then
        Assert.Equal(permutation, match);
        Assert.Equal(1.0, DictionaryMatching.SharedFraction(similarity, 0.9));
    }

    [Fact]
    public void Match_IndependentRandomDictionaries_ShareAlmostNothing()
    {
        // Given: the negative control: two unrelated random dictionaries
        var rng = new Rng(93);
        var a = ToFloat(Gaussian(rng, 40 * 16));
        var b = ToFloat(Gaussian(rng, 40 * 16));

        // When
        var (_, similarity) = DictionaryMatching.Match(DictionaryMatching.CosineMatrix(a, b, 16), 40);

        // Then
        Assert.True(DictionaryMatching.SharedFraction(similarity, 0.9) < 0.05);
    }
}
