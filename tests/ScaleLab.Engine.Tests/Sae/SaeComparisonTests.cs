using ScaleLab.Engine.Sae;
using static ScaleLab.Engine.Tests.Kernels.GradCheck;

namespace ScaleLab.Engine.Tests.Sae;

public sealed class SaeComparisonTests
{
    private const int D = 32, N = 24, K = 3, Tokens = 4096;

    /// <summary>Naive double reference: two-pass means, then Σ(a−μa)(b−μb) / √(Σ(a−μa)² Σ(b−μb)²), 0 for a constant column.</summary>
    private static double NaiveCorrelation(float[] a, int wa, float[] b, int wb, int i, int j)
    {
        var t = a.Length / wa;
        double ma = 0, mb = 0;
        for (var r = 0; r < t; r++)
        {
            ma += a[r * wa + i];
            mb += b[r * wb + j];
        }
        ma /= t;
        mb /= t;
        double sab = 0, saa = 0, sbb = 0;
        for (var r = 0; r < t; r++)
        {
            var (x, y) = (a[r * wa + i] - ma, b[r * wb + j] - mb);
            sab += x * y;
            saa += x * x;
            sbb += y * y;
        }
        return saa > 0 && sbb > 0 ? sab / Math.Sqrt(saa * sbb) : 0;
    }

    [Fact]
    public void Correlate_SparseAndDenseColumns_EqualsNaiveDoubleReference()
    {
        // Given: 300 tokens, A sparse (70% zeros, offset nonzeros, one constant column), B dense with a large offset
        var rng = new Rng(101);
        const int t = 300, wa = 7, wb = 5;
        var a = new float[t * wa];
        var b = new float[t * wb];
        for (var r = 0; r < t; r++)
        {
            for (var i = 0; i < wa; i++) a[r * wa + i] = i == 3 ? 2.5f : rng.NextDouble() < 0.7 ? 0 : (float)(3 + rng.NextGaussian());
            for (var j = 0; j < wb; j++) b[r * wb + j] = (float)(50 + rng.NextGaussian() + (j == 0 ? a[r * wa] : 0));
        }

        // When
        var r2 = ActivationCorrelation.Correlate(a, wa, b, wb);

        // Then: every entry within 1e-9 of the reference; one constant column counted; column 0 of each side strongly related
        for (var i = 0; i < wa; i++)
        {
            for (var j = 0; j < wb; j++) Assert.Equal(NaiveCorrelation(a, wa, b, wb, i, j), r2[i, j], 1e-9);
        }
        Assert.Equal((1, 0), (r2.ConstantA, r2.ConstantB));
        Assert.True(r2[0, 0] > 0.8, $"planted dependence gives r = {r2[0, 0]}");
    }

    [Fact]
    public void MatchRectangular_SmallMatrices_EqualsBruteForceOptimum()
    {
        // Given: random rectangular similarity matrices up to 4 × 6 and 6 × 4 (integer ones with ties)
        var rng = new Rng(102);
        for (var trial = 0; trial < 80; trial++)
        {
            var rows = 1 + rng.NextInt(6);
            var columns = 1 + rng.NextInt(6);
            var s = trial % 2 == 0 ? Gaussian(rng, rows * columns) : [.. Enumerable.Range(0, rows * columns).Select(_ => (double)rng.NextInt(4))];

            // When
            var (row, column, matched) = DictionaryMatching.MatchRectangular(s, rows, columns);

            // Then: min(rows, columns) distinct pairs, each reporting its entry, summing to the brute-force maximum over injections
            Assert.Equal(Math.Min(rows, columns), matched.Length);
            Assert.Equal(matched.Length, row.Distinct().Count());
            Assert.Equal(matched.Length, column.Distinct().Count());
            for (var p = 0; p < matched.Length; p++) Assert.Equal(s[row[p] * columns + column[p]], matched[p]);
            Assert.Equal(BestInjection(s, rows, columns), matched.Sum(), 1e-9);
        }
    }

    private static double BestInjection(double[] s, int rows, int columns)
    {
        // Every way to give the smaller side distinct partners on the larger side.
        var (small, large) = (Math.Min(rows, columns), Math.Max(rows, columns));
        double At(int u, int v) => rows <= columns ? s[u * columns + v] : s[v * columns + u];
        double Best(int u, bool[] used)
        {
            if (u == small) return 0;
            var best = double.NegativeInfinity;
            for (var v = 0; v < large; v++)
            {
                if (used[v]) continue;
                used[v] = true;
                best = Math.Max(best, At(u, v) + Best(u + 1, used));
                used[v] = false;
            }
            return best;
        }
        return Best(0, new bool[large]);
    }

    /// <summary>Tied TopK SAE whose rows are <paramref name="dictionary"/> (n × D unit rows), b_pre = 0, b_enc = 0.</summary>
    private static SparseAutoencoder Sae(float[] dictionary, int n)
    {
        var sae = new SparseAutoencoder(new SaeConfig(SaeFamily.TopK, D, n, K: K), 512);
        dictionary.CopyTo(sae.EncoderWeight);
        dictionary.CopyTo(sae.DecoderWeight);
        return sae;
    }

    private static float[] UnitRows(Rng rng, int n)
    {
        var w = ToFloat(Gaussian(rng, n * D));
        for (var i = 0; i < n; i++)
        {
            var row = w.AsSpan(i * D, D);
            var norm = (float)Math.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares(row));
            for (var d = 0; d < D; d++) row[d] /= norm;
        }
        return w;
    }

    /// <summary>Tokens made of K of the n dictionary directions with magnitudes in [1, 3], plus small noise.</summary>
    private static float[] SparseData(Rng rng, float[] dictionary, int n)
    {
        var x = new float[Tokens * D];
        for (var t = 0; t < Tokens; t++)
        {
            var row = x.AsSpan(t * D, D);
            foreach (var f in Enumerable.Range(0, n).OrderBy(_ => rng.NextDouble()).Take(K))
            {
                var m = (float)(1 + 2 * rng.NextDouble());
                for (var d = 0; d < D; d++) row[d] += m * dictionary[f * D + d];
            }
            for (var d = 0; d < D; d++) row[d] += 0.02f * (float)rng.NextGaussian();
        }
        return x;
    }

    /// <summary>SAE B: A's latents permuted (A's latent i is B's latent permutation[i]) with noise on every weight, then
    /// <paramref name="extra"/> random latents appended (B is n + extra wide).</summary>
    private static (SparseAutoencoder B, int[] Permutation) PermutedNoisy(Rng rng, float[] dictionary, int extra)
    {
        var permutation = Enumerable.Range(0, N).OrderBy(_ => rng.NextDouble()).ToArray();
        var rows = UnitRows(rng, N + extra);
        for (var i = 0; i < N; i++)
        {
            for (var d = 0; d < D; d++) rows[permutation[i] * D + d] = dictionary[i * D + d] + 0.03f * (float)rng.NextGaussian();
        }
        return (Sae(rows, N + extra), permutation);
    }

    [Fact]
    public void Compare_PermutedNoisySae_SharesNearlyAllAndRecoversThePermutation()
    {
        // Given: SAE A (n = 24) on sparse data of its own dictionary; SAE B = A permuted + noise, plus 8 random latents (n = 32)
        var rng = new Rng(103);
        var dictionary = UnitRows(rng, N);
        var x = SparseData(rng, dictionary, N);
        using var a = Sae(dictionary, N);
        var (b, permutation) = PermutedNoisy(rng, dictionary, 8);
        using var bDisposable = b;

        // When: codes over the same tokens, matched by correlation (24 × 32, rectangular) and by decoder cosine
        var byCorrelation = SaeComparison.ByCorrelation(SaeComparison.Codes(a, x), N, SaeComparison.Codes(b, x), N + 8, 0.5);
        var byCosine = SaeComparison.ByDecoderCosine(a.Config, a.DecoderWeight, b.Config, b.DecoderWeight, 0.7);

        // Then: ≥ 95% shared at r > 0.5, every planted pair recovered by both methods, mean max correlation > 0.9
        Assert.Equal(N, byCorrelation.Pairs);
        Assert.True(byCorrelation.SharedFraction >= 0.95, $"shared {byCorrelation.SharedFraction}");
        Assert.True(byCorrelation.MeanMaxA > 0.9, $"mean max correlation {byCorrelation.MeanMaxA}");
        for (var p = 0; p < N; p++)
        {
            Assert.Equal(permutation[byCorrelation.RowA[p]], byCorrelation.ColumnB[p]);
            Assert.Equal(permutation[byCosine.RowA[p]], byCosine.ColumnB[p]);
        }
        Assert.Equal(1.0, byCosine.SharedFraction);
    }

    [Fact]
    public void Compare_IndependentCodes_ShareNothing()
    {
        // Given: the negative control: the same two SAEs, but B reads independent tokens (its codes are independent of A's)
        var rng = new Rng(104);
        var dictionary = UnitRows(rng, N);
        var x = SparseData(rng, dictionary, N);
        var y = SparseData(rng, dictionary, N);
        using var a = Sae(dictionary, N);
        var (b, permutation) = PermutedNoisy(rng, dictionary, 8);
        using var bDisposable = b;

        // When
        var m = SaeComparison.ByCorrelation(SaeComparison.Codes(a, x), N, SaeComparison.Codes(b, y), N + 8, 0.5);

        // Then: nothing shared at r > 0.5, mean max |r| near the chance level √(2 ln 32 / 4096) ≈ 0.04, the permutation not recovered
        Assert.Equal(0.0, m.SharedFraction);
        Assert.True(m.MeanMaxA < 0.1, $"mean max correlation {m.MeanMaxA}");
        Assert.True(Enumerable.Range(0, N).Count(p => permutation[m.RowA[p]] == m.ColumnB[p]) <= 3);
    }

    [Fact]
    public void Compare_LatentsThatNeverFire_CountAgainstTheFractionButNotAmongTheFired()
    {
        // Given: A = the 24 planted latents plus 4 that never fire (bias −100), B = A's 24 permuted with noise, plus 8 random
        var rng = new Rng(105);
        var dictionary = UnitRows(rng, N);
        var x = SparseData(rng, dictionary, N);
        using var a = Sae([.. dictionary, .. UnitRows(rng, 4)], N + 4);
        a.EncoderBias[N..].Fill(-100);
        var (b, _) = PermutedNoisy(rng, dictionary, 8);
        using var bDisposable = b;

        // When
        var m = SaeComparison.ByCorrelation(SaeComparison.Codes(a, x), N + 4, SaeComparison.Codes(b, x), N + 8, 0.5);

        // Then: 28 pairs, the 4 silent latents constant; ≥ 23 of 28 shared overall (< 1), ≥ 95% of the 24 fired ones
        Assert.Equal((28, 4), (m.Pairs, m.ConstantA));
        Assert.True(m.SharedFraction <= 24 / 28.0 && m.SharedFraction >= 23 / 28.0, $"shared {m.SharedFraction}");
        Assert.Equal(m.SharedFraction * 28 / 24, m.SharedOfFired, 12);
        Assert.True(m.SharedOfFired >= 0.95, $"shared among fired {m.SharedOfFired}");
    }
}
