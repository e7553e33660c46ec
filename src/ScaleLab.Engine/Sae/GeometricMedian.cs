namespace ScaleLab.Engine.Sae;

/// <summary>The geometric median of points (the point minimising the sum of Euclidean distances to them), by
/// Weiszfeld's algorithm (1937) with Vardi &amp; Zhang's guard against landing on a data point (2000). Gao et al. 2024 and
/// Bricken et al. 2023 start b_pre there: unlike the mean it is not pulled by a few huge activations.</summary>
public static class GeometricMedian
{
    /// <summary>Median of <paramref name="rows"/> points of width <paramref name="width"/> stored row-major in
    /// <paramref name="points"/>: iterate y ← Σ wᵢxᵢ / Σ wᵢ with wᵢ = 1/‖xᵢ − y‖ from the mean until y moves less than
    /// <paramref name="tolerance"/> relative to its scale or <paramref name="maxIterations"/> pass. Points that coincide with
    /// y are skipped (Vardi-Zhang's simplification), which keeps the weights finite. Computed in double.</summary>
    public static double[] Compute(ReadOnlySpan<float> points, int rows, int width, int maxIterations = 200, double tolerance = 1e-7)
    {
        if (rows < 1 || width < 1 || points.Length < (long)rows * width)
        {
            throw new ArgumentException($"geometric median needs ≥ 1 row of width ≥ 1 in the buffer, got {rows} rows of width {width} in {points.Length} values");
        }
        var y = new double[width];
        for (var n = 0; n < rows; n++) for (var d = 0; d < width; d++) y[d] += points[n * width + d];
        for (var d = 0; d < width; d++) y[d] /= rows;
        var next = new double[width];
        for (var it = 0; it < maxIterations; it++)
        {
            Array.Clear(next);
            double weights = 0;
            for (var n = 0; n < rows; n++)
            {
                double dist2 = 0;
                for (var d = 0; d < width; d++)
                {
                    var e = points[n * width + d] - y[d];
                    dist2 += e * e;
                }
                if (dist2 <= 1e-24) continue;
                var w = 1 / Math.Sqrt(dist2);
                weights += w;
                for (var d = 0; d < width; d++) next[d] += w * points[n * width + d];
            }
            if (weights == 0) break;
            double move = 0, scale = 0;
            for (var d = 0; d < width; d++)
            {
                next[d] /= weights;
                move += (next[d] - y[d]) * (next[d] - y[d]);
                scale += next[d] * next[d];
            }
            (y, next) = (next, y);
            if (Math.Sqrt(move) <= tolerance * (1 + Math.Sqrt(scale))) break;
        }
        return y;
    }
}
