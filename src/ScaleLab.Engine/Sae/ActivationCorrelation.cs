using System.Numerics.Tensors;

namespace ScaleLab.Engine.Sae;

/// <summary>
/// Pearson correlation, over the same tokens, of every column of one activation matrix with every column of another
/// (tokens × widthA and tokens × widthB, row-major): the similarity that matches latents (or neurons) of two models
/// whose widths differ (Bricken et al. 2023; Paulo &amp; Belrose 2025). Sums are kept in double; the cross products skip
/// zero entries of A, so sparse SAE codes cost O(tokens · k · widthB). A column that is constant over the tokens (a latent
/// that never fired) has no defined correlation: its entries are 0 and it is counted in <see cref="CorrelationMatrix.ConstantA"/>
/// or <see cref="CorrelationMatrix.ConstantB"/>.
/// </summary>
public static class ActivationCorrelation
{
    /// <summary>The widthA × widthB correlation matrix (row-major) of the columns of <paramref name="a"/> and <paramref name="b"/>.</summary>
    public static CorrelationMatrix Correlate(ReadOnlySpan<float> a, int widthA, ReadOnlySpan<float> b, int widthB)
    {
        if (widthA < 1 || widthB < 1) throw new ArgumentException($"widths must be ≥ 1, got {widthA} and {widthB}");
        if (a.Length % widthA != 0 || b.Length % widthB != 0) throw new ArgumentException("each matrix must hold whole rows of its width");
        var tokens = a.Length / widthA;
        if (b.Length / widthB != tokens) throw new ArgumentException($"the two matrices cover different tokens ({tokens} and {b.Length / widthB} rows)");
        if (tokens < 2) throw new ArgumentException($"a correlation needs ≥ 2 tokens, got {tokens}");
        var sumA = new double[widthA];
        var sumB = new double[widthB];
        var cross = new double[(long)widthA * widthB];
        var rowB = new double[widthB];
        for (var t = 0; t < tokens; t++)
        {
            var ra = a.Slice(t * widthA, widthA);
            var rb = b.Slice(t * widthB, widthB);
            for (var j = 0; j < widthB; j++) rowB[j] = rb[j];
            TensorPrimitives.Add(sumB, rowB, sumB);
            for (var i = 0; i < widthA; i++)
            {
                var x = ra[i];
                if (x == 0) continue;
                sumA[i] += x;
                var row = cross.AsSpan(i * widthB, widthB);
                TensorPrimitives.MultiplyAdd(rowB, x, row, row);
            }
        }
        // Second pass for the variances about the mean (no cancellation in Σx² − nμ²).
        var varA = new double[widthA];
        var varB = new double[widthB];
        for (var t = 0; t < tokens; t++)
        {
            for (var i = 0; i < widthA; i++)
            {
                var d = a[t * widthA + i] - sumA[i] / tokens;
                varA[i] += d * d;
            }
            for (var j = 0; j < widthB; j++)
            {
                var d = b[t * widthB + j] - sumB[j] / tokens;
                varB[j] += d * d;
            }
        }
        var constantA = 0;
        var constantB = 0;
        foreach (var v in varA) if (!(v > 0)) constantA++;
        foreach (var v in varB) if (!(v > 0)) constantB++;
        var r = new double[(long)widthA * widthB];
        for (var i = 0; i < widthA; i++)
        {
            if (!(varA[i] > 0)) continue;
            var muA = sumA[i] / tokens;
            for (var j = 0; j < widthB; j++)
            {
                if (!(varB[j] > 0)) continue;
                // Σ(a−μa)(b−μb) = Σab − n·μa·μb
                var cov = cross[(long)i * widthB + j] - tokens * muA * (sumB[j] / tokens);
                r[(long)i * widthB + j] = Math.Clamp(cov / Math.Sqrt(varA[i] * varB[j]), -1, 1);
            }
        }
        return new CorrelationMatrix(r, widthA, widthB, tokens, constantA, constantB);
    }
}

/// <summary>A rows × columns correlation matrix (row-major) over <paramref name="Tokens"/> tokens, and how many columns
/// of each side were constant over them (their correlations are set to 0).</summary>
public sealed record CorrelationMatrix(double[] Values, int Rows, int Columns, int Tokens, int ConstantA, int ConstantB)
{
    public double this[int i, int j] => Values[(long)i * Columns + j];

    /// <summary>For each row, its largest correlation with any column (not one to one).</summary>
    public double[] RowMax()
    {
        var max = new double[Rows];
        for (var i = 0; i < Rows; i++) max[i] = TensorPrimitives.Max(Values.AsSpan(i * Columns, Columns));
        return max;
    }

    /// <summary>For each column, its largest correlation with any row.</summary>
    public double[] ColumnMax()
    {
        var max = new double[Columns];
        Array.Fill(max, double.NegativeInfinity);
        for (var i = 0; i < Rows; i++)
        {
            for (var j = 0; j < Columns; j++) max[j] = Math.Max(max[j], Values[(long)i * Columns + j]);
        }
        return max;
    }
}
