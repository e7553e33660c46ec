using System.Numerics.Tensors;

namespace ScaleLab.Engine.Sae;

/// <summary>
/// Matching the latents of two dictionaries one to one (universality: Bricken et al. 2023; Paulo &amp; Belrose 2025):
/// the assignment that maximises the summed similarity (decoder cosine, or correlation of activations over the same
/// tokens), found exactly by the Hungarian algorithm, and the fraction of latents whose matched similarity exceeds a
/// stated threshold.
/// </summary>
public static class DictionaryMatching
{
    /// <summary>
    /// The minimum-cost assignment of rows to columns of a square cost matrix (n × n, row-major): Kuhn–Munkres in the
    /// O(n³) shortest-augmenting-path form with row and column potentials (Jonker &amp; Volgenant 1987's formulation of
    /// the Hungarian method). Returns column[row]. Computed in double.
    /// </summary>
    public static int[] Assign(ReadOnlySpan<double> cost, int n)
    {
        if (n < 0 || cost.Length != (long)n * n) throw new ArgumentException($"the cost matrix must be n × n = {(long)n * n} values, got {cost.Length}");
        // 1-based arrays; p[j] = row matched to column j (0: none), u, v potentials.
        var u = new double[n + 1];
        var v = new double[n + 1];
        var p = new int[n + 1];
        var way = new int[n + 1];
        var minv = new double[n + 1];
        var used = new bool[n + 1];
        for (var i = 1; i <= n; i++)
        {
            p[0] = i;
            var j0 = 0;
            Array.Fill(minv, double.PositiveInfinity);
            Array.Clear(used);
            do
            {
                used[j0] = true;
                int i0 = p[j0], j1 = 0;
                var delta = double.PositiveInfinity;
                for (var j = 1; j <= n; j++)
                {
                    if (used[j]) continue;
                    var cur = cost[(i0 - 1) * n + (j - 1)] - u[i0] - v[j];
                    if (cur < minv[j])
                    {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if (minv[j] < delta)
                    {
                        delta = minv[j];
                        j1 = j;
                    }
                }
                for (var j = 0; j <= n; j++)
                {
                    if (used[j])
                    {
                        u[p[j]] += delta;
                        v[j] -= delta;
                    }
                    else
                    {
                        minv[j] -= delta;
                    }
                }
                j0 = j1;
            }
            while (p[j0] != 0);
            do
            {
                var j1 = way[j0];
                p[j0] = p[j1];
                j0 = j1;
            }
            while (j0 != 0);
        }
        var column = new int[n];
        for (var j = 1; j <= n; j++) column[p[j] - 1] = j - 1;
        return column;
    }

    /// <summary>Cosine similarity of every row of <paramref name="a"/> with every row of <paramref name="b"/> (both n × width).</summary>
    public static double[] CosineMatrix(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int width)
    {
        var n = a.Length / width;
        if (a.Length != b.Length || a.Length % width != 0) throw new ArgumentException("both dictionaries must hold the same whole number of rows of the given width");
        var s = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++) s[i * n + j] = TensorPrimitives.CosineSimilarity(a.Slice(i * width, width), b.Slice(j * width, width));
        }
        return s;
    }

    /// <summary>The one-to-one matching that maximises the summed similarity (n × n, row-major) and each row's matched
    /// similarity.</summary>
    public static (int[] Match, double[] Similarity) Match(ReadOnlySpan<double> similarity, int n)
    {
        var cost = new double[similarity.Length];
        for (var i = 0; i < cost.Length; i++) cost[i] = -similarity[i];
        var match = Assign(cost, n);
        var matched = new double[n];
        for (var i = 0; i < n; i++) matched[i] = similarity[i * n + match[i]];
        return (match, matched);
    }

    /// <summary>
    /// The one-to-one matching of a rectangular rows × columns similarity matrix (row-major) that maximises the summed
    /// similarity: min(rows, columns) pairs, every row matched when rows ≤ columns (else every column). Solved exactly
    /// by padding the smaller side with dummy entries of similarity 0 to a square and running <see cref="Assign"/>.
    /// Returns the pairs in order of the smaller side (rows first when rows ≤ columns) and each pair's similarity.
    /// </summary>
    public static (int[] Row, int[] Column, double[] Similarity) MatchRectangular(ReadOnlySpan<double> similarity, int rows, int columns)
    {
        if (rows < 1 || columns < 1 || similarity.Length != (long)rows * columns)
        {
            throw new ArgumentException($"the similarity matrix must be rows × columns = {(long)rows * columns} values, got {similarity.Length}");
        }
        var n = Math.Max(rows, columns);
        var cost = new double[(long)n * n];
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < columns; j++) cost[(long)i * n + j] = -similarity[i * columns + j];
        }
        var match = Assign(cost, n);
        var pairs = Math.Min(rows, columns);
        var (row, column, matched) = (new int[pairs], new int[pairs], new double[pairs]);
        var p = 0;
        if (rows <= columns)
        {
            for (var i = 0; i < rows; i++) (row[p], column[p], matched[p++]) = (i, match[i], similarity[i * columns + match[i]]);
        }
        else
        {
            var byColumn = new int[columns];
            for (var i = 0; i < n; i++) if (i < rows && match[i] < columns) byColumn[match[i]] = i;
            for (var j = 0; j < columns; j++) (row[p], column[p], matched[p++]) = (byColumn[j], j, similarity[byColumn[j] * columns + j]);
        }
        return (row, column, matched);
    }

    /// <summary>Fraction of matched similarities above <paramref name="threshold"/>.</summary>
    public static double SharedFraction(ReadOnlySpan<double> matched, double threshold)
    {
        var count = 0;
        foreach (var s in matched) if (s > threshold) count++;
        return matched.IsEmpty ? double.NaN : count / (double)matched.Length;
    }
}
