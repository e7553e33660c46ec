namespace ScaleLab.Engine.Sae;

/// <summary>
/// How well an SAE reconstructs a set of N activation rows of width D, with the definitions stated (several public tools
/// divide by Σ‖x‖² or average per batch; these do neither):
/// <code>
///   MSE  = Σ_n ‖x_n − x̂_n‖² / (N·D)
///   FVU  = Σ_n ‖x_n − x̂_n‖² / Σ_n ‖x_n − μ‖²,  μ = the mean row over the same N rows (not zero)
///   EV   = 1 − FVU        (explained variance: 0 when x̂ = μ, 1 when x̂ = x)
///   L0   = mean number of latents with z &gt; 0 per row
///   dead fraction  = latents with no z &gt; 0 in all N rows (N is <see cref="Tokens"/>: say it beside the figure)
///   dense fraction = latents with z &gt; 0 in more than <see cref="DenseThreshold"/> of the rows
/// </code>
/// Every sum runs over whole rows in row order, in double, after μ is known (two passes), so the figures do not depend
/// on how the rows were batched through the SAE.
/// </summary>
public sealed record ReconstructionMetrics(
    long Tokens, double Mse, double Fvu, double L0, double DeadFraction, double DenseFraction, double DenseThreshold)
{
    /// <summary>1 − FVU.</summary>
    public double ExplainedVariance => 1 - Fvu;

    /// <summary>The default threshold for a dense latent: active on more than 10% of tokens.</summary>
    public const double DefaultDenseThreshold = 0.1;

    /// <summary>MSE, FVU and EV of reconstructions <paramref name="xhat"/> of <paramref name="x"/> (both N·D, row-major), and
    /// the sparsity figures from <paramref name="firing"/> (L, rows each latent was active on) and
    /// <paramref name="activeEntries"/> (Σ over rows of active latents).</summary>
    public static ReconstructionMetrics Compute(ReadOnlySpan<float> x, ReadOnlySpan<float> xhat, int width,
        ReadOnlySpan<long> firing, long activeEntries, double denseThreshold = DefaultDenseThreshold)
    {
        var (mse, fvu) = Reconstruction(x, xhat, width);
        var rows = x.Length / width;
        long dead = 0, dense = 0;
        foreach (var f in firing)
        {
            if (f == 0) dead++;
            if (f > denseThreshold * rows) dense++;
        }
        return new ReconstructionMetrics(rows, mse, fvu, activeEntries / (double)rows,
            firing.IsEmpty ? double.NaN : dead / (double)firing.Length, firing.IsEmpty ? double.NaN : dense / (double)firing.Length, denseThreshold);
    }

    /// <summary>(MSE, FVU) as defined above. μ_d = Σ_n x[n,d] / N; then numerator and denominator are summed element by
    /// element in the same order, so x̂ = μ (when μ is a float) gives FVU = 1 exactly.</summary>
    public static (double Mse, double Fvu) Reconstruction(ReadOnlySpan<float> x, ReadOnlySpan<float> xhat, int width)
    {
        if (width < 1 || x.Length == 0 || x.Length % width != 0 || xhat.Length != x.Length)
        {
            throw new ArgumentException($"metrics need x and x̂ of equal length, a whole number (≥ 1) of rows of width {width}; got {x.Length} and {xhat.Length}");
        }
        var rows = x.Length / width;
        var mean = new double[width];
        for (var n = 0; n < rows; n++) for (var d = 0; d < width; d++) mean[d] += x[n * width + d];
        for (var d = 0; d < width; d++) mean[d] /= rows;
        double residual = 0, total = 0;
        for (var n = 0; n < rows; n++)
        {
            for (var d = 0; d < width; d++)
            {
                var e = (double)x[n * width + d] - xhat[n * width + d];
                var c = x[n * width + d] - mean[d];
                residual += e * e;
                total += c * c;
            }
        }
        return (residual / ((double)rows * width), residual / total);
    }

    /// <summary>The mean row μ (D) of <paramref name="x"/>, summed in double in row order: the mean-ablation value.</summary>
    public static float[] MeanRow(ReadOnlySpan<float> x, int width)
    {
        var rows = x.Length / width;
        var mean = new double[width];
        for (var n = 0; n < rows; n++) for (var d = 0; d < width; d++) mean[d] += x[n * width + d];
        return [.. mean.Select(m => (float)(m / rows))];
    }
}

/// <summary>Running an SAE over many rows in batches: reconstructions and firing counts, the inputs of
/// <see cref="ReconstructionMetrics"/>.</summary>
public static class SaeReconstruction
{
    /// <summary>Encodes and decodes every row of <paramref name="x"/> (rows × D) in batches of at most the SAE's
    /// <see cref="SparseAutoencoder.MaxRows"/>; writes x̂ into <paramref name="xhat"/> and returns each latent's count of
    /// active rows and the total active entries. A row's x̂ does not depend on the batch it was in.</summary>
    public static (long[] Firing, long ActiveEntries) Run(SparseAutoencoder sae, ReadOnlySpan<float> x, Span<float> xhat, int batchRows = 0)
    {
        ArgumentNullException.ThrowIfNull(sae);
        var D = sae.Config.Inputs;
        if (x.Length % D != 0 || xhat.Length != x.Length) throw new ArgumentException($"x ({x.Length}) and x̂ ({xhat.Length}) must be equal whole numbers of rows of width {D}");
        var batch = batchRows > 0 ? Math.Min(batchRows, sae.MaxRows) : sae.MaxRows;
        var firing = new long[sae.Config.Latents];
        long active = 0;
        var rows = x.Length / D;
        for (var start = 0; start < rows; start += batch)
        {
            var count = Math.Min(batch, rows - start);
            sae.Forward(x.Slice(start * D, count * D), count);
            sae.Reconstruction.CopyTo(xhat.Slice(start * D, count * D));
            for (var n = 0; n < count; n++)
            {
                var latents = sae.ActiveLatents(n);
                active += latents.Length;
                foreach (var l in latents) firing[l]++;
            }
        }
        return (firing, active);
    }

    /// <summary>All metrics of <paramref name="sae"/> on <paramref name="x"/>.</summary>
    public static ReconstructionMetrics Evaluate(SparseAutoencoder sae, ReadOnlySpan<float> x, int batchRows = 0, double denseThreshold = ReconstructionMetrics.DefaultDenseThreshold)
    {
        ArgumentNullException.ThrowIfNull(sae);
        var xhat = new float[x.Length];
        var (firing, active) = Run(sae, x, xhat, batchRows);
        return ReconstructionMetrics.Compute(x, xhat, sae.Config.Inputs, firing, active, denseThreshold);
    }
}
