using ScaleLab.Engine.Sae;
using static ScaleLab.Engine.Tests.Kernels.GradCheck;

namespace ScaleLab.Engine.Tests.Sae;

public sealed class SaeMetricsTests
{
    private const int D = 6;

    /// <summary>Rows in mirrored pairs r and 2μ − r with μ = (3, −1.5, 40, 0.25, 7, −12) and entries on a 1/8 grid, so
    /// every sum is exact in double and the mean is exactly μ (a float): the far-from-zero mean makes a "μ = 0" FVU
    /// visibly wrong.</summary>
    private static (float[] X, float[] Mu) Mirrored(int pairs)
    {
        float[] mu = [3f, -1.5f, 40f, 0.25f, 7f, -12f];
        var rng = new Rng(71);
        var x = new float[2 * pairs * D];
        for (var p = 0; p < pairs; p++)
        {
            for (var d = 0; d < D; d++)
            {
                var offset = MathF.Round((float)rng.NextGaussian() * 16) / 8;
                x[2 * p * D + d] = mu[d] + offset;
                x[(2 * p + 1) * D + d] = mu[d] - offset;
            }
        }
        return (x, mu);
    }

    [Fact]
    public void Reconstruction_PredictingTheMean_ExplainedVarianceExactlyZero()
    {
        // Given
        var (x, mu) = Mirrored(50);
        var xhat = new float[x.Length];
        for (var n = 0; n < 100; n++) mu.CopyTo(xhat.AsSpan(n * D, D));

        // When
        var metrics = ReconstructionMetrics.Compute(x, xhat, D, [], 0);

        // Then
        Assert.Equal(1.0, metrics.Fvu);
        Assert.Equal(0.0, metrics.ExplainedVariance);
        Assert.Equal(mu, ReconstructionMetrics.MeanRow(x, D));
    }

    [Fact]
    public void Reconstruction_VarianceAboutZeroInsteadOfMean_FailsTheMeanTest()
    {
        // Given: the negative control: the definition some tools ship, FVU = Σ‖x − x̂‖² / Σ‖x‖², scores the same
        // mean-predictor as explaining most of the variance.
        var (x, mu) = Mirrored(50);
        double residual = 0, norm = 0;
        for (var n = 0; n < 100; n++)
        {
            for (var d = 0; d < D; d++)
            {
                residual += (x[n * D + d] - mu[d]) * (x[n * D + d] - mu[d]);
                norm += x[n * D + d] * x[n * D + d];
            }
        }

        // When
        var wrongExplainedVariance = 1 - residual / norm;

        // Then
        Assert.True(wrongExplainedVariance > 0.9, $"the μ = 0 definition gives EV {wrongExplainedVariance}");
    }

    [Fact]
    public void Reconstruction_Perfect_ExplainedVarianceOneAndMseZero()
    {
        // Given
        var (x, _) = Mirrored(20);

        // When
        var metrics = ReconstructionMetrics.Compute(x, x, D, [3, 0, 40, 0], 80);

        // Then
        Assert.Equal(0.0, metrics.Mse);
        Assert.Equal(1.0, metrics.ExplainedVariance);
        Assert.Equal(2.0, metrics.L0);
        Assert.Equal(0.5, metrics.DeadFraction);
        Assert.Equal(0.25, metrics.DenseFraction);
        Assert.Equal(40, metrics.Tokens);
    }

    [Fact]
    public void Evaluate_AnyBatchSize_IdenticalFvuMseAndSparsity()
    {
        // Given: an SAE with random weights on 301 rows.
        var config = new SaeConfig(SaeFamily.TopK, 16, 40, K: 4);
        using var sae = new SparseAutoencoder(config, 128, threads: 2);
        ToFloat(Gaussian(new Rng(72), config.ParameterCount, 0.3)).CopyTo(sae.Parameters);
        sae.NormalizeDecoderRows();
        var x = ToFloat(Gaussian(new Rng(73), 301 * 16));

        // When
        var results = new[] { 1, 7, 64, 128 }.Select(b => SaeReconstruction.Evaluate(sae, x, b)).ToArray();

        // Then
        Assert.All(results, r => Assert.Equal(results[0], r));
        Assert.InRange(results[0].Fvu, 0.01, 10);
    }

    [Fact]
    public void Evaluate_PerBatchAveragedFvu_DependsOnBatchSize()
    {
        // Given: the negative control: averaging per-batch FVUs (each with its batch's own mean) is not the FVU of the set
        // and moves with the batch size, which the test above would catch.
        var config = new SaeConfig(SaeFamily.TopK, 16, 40, K: 4);
        using var sae = new SparseAutoencoder(config, 128);
        ToFloat(Gaussian(new Rng(72), config.ParameterCount, 0.3)).CopyTo(sae.Parameters);
        sae.NormalizeDecoderRows();
        var x = ToFloat(Gaussian(new Rng(73), 301 * 16));
        double PerBatch(int b)
        {
            var fvus = new List<double>();
            for (var s = 0; s < 301; s += b)
            {
                var rows = x.AsSpan(s * 16, Math.Min(b, 301 - s) * 16);
                if (rows.Length < 2 * 16) continue;
                fvus.Add(SaeReconstruction.Evaluate(sae, rows).Fvu);
            }
            return fvus.Average();
        }

        // When / Then
        Assert.NotEqual(PerBatch(7), PerBatch(64));
    }
}
