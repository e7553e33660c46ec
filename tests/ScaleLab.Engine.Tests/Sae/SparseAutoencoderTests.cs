using ScaleLab.Engine.Sae;
using static ScaleLab.Engine.Tests.Kernels.GradCheck;

namespace ScaleLab.Engine.Tests.Sae;

public sealed class SparseAutoencoderTests
{
    public static TheoryData<SaeFamily, int, int> Cases() => new()
    {
        { SaeFamily.TopK, 0, 1 }, { SaeFamily.TopK, 6, 1 }, { SaeFamily.TopK, 6, 3 }, { SaeFamily.ReluL1, 0, 1 }, { SaeFamily.ReluL1, 0, 4 },
    };

    private static (SaeConfig Config, float[] P, float[] X, bool[] Dead) Problem(SaeFamily family, int auxK, int D = 19, int L = 37, int N = 23)
    {
        var config = new SaeConfig(family, D, L, K: 5, AuxK: auxK, AuxCoefficient: 0.25, L1Coefficient: family == SaeFamily.ReluL1 ? 0.05 : 0);
        var rng = new Rng(21);
        var p = ToFloat(Gaussian(rng, config.ParameterCount, 0.4));
        var x = ToFloat(Gaussian(rng, N * D));
        var dead = Enumerable.Range(0, L).Select(l => l % 3 == 1).ToArray();
        return (config, p, x, dead);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardBackward_Float_MatchesDoubleReference(SaeFamily family, int auxK, int threads)
    {
        // Given
        var (config, p, x, dead) = Problem(family, auxK);
        const int N = 23;
        using var sae = new SparseAutoencoder(config, 32, threads);
        p.CopyTo(sae.Parameters);
        var reference = new double[p.Length];
        var terms = SaeReference.LossAndGradient<double>(config, ToDouble(p), ToDouble(x), N, dead, [], reference);

        // When
        sae.Forward(x, N, dead);
        sae.ZeroGrad();
        sae.Backward();

        // Then
        Assert.Equal(terms.Reconstruction, sae.ReconstructionLoss, 1e-5 * (1 + terms.Reconstruction));
        Assert.Equal(terms.Aux, sae.AuxLoss, 1e-5 * (1 + terms.Aux));
        Assert.Equal(terms.L1, sae.L1Loss, 1e-5 * (1 + terms.L1));
        Assert.Equal(auxK > 0, sae.AuxLoss > 0);
        AssertClose("gradient", sae.Gradients, reference, 1e-6, 1e-4);
    }

    [Theory]
    [InlineData(SaeFamily.TopK)]
    [InlineData(SaeFamily.ReluL1)]
    public void ForwardBackward_AnyThreadCount_BitIdentical(SaeFamily family)
    {
        // Given
        var (config, p, x, dead) = Problem(family, family == SaeFamily.TopK ? 6 : 0, D: 40, L: 150, N: 97);
        float[]? first = null;
        double firstLoss = 0;
        foreach (var threads in new[] { 1, 2, 3, 5 })
        {
            using var sae = new SparseAutoencoder(config, 97, threads);
            p.CopyTo(sae.Parameters);

            // When
            var loss = sae.Forward(x, 97, dead);
            sae.ZeroGrad();
            sae.Backward();

            // Then
            if (first is null)
            {
                first = [.. sae.Gradients];
                firstLoss = loss;
            }
            else
            {
                Assert.Equal(firstLoss, loss);
                Assert.Equal(first, sae.Gradients);
            }
        }
    }

    [Fact]
    public void AuxLoss_DataScaledTenfold_UnchangedWhileReconstructionGrowsHundredfold()
    {
        // Given: the same SAE on x and on 10·x with b_pre and b_enc scaled by 10 too (W_enc, W_dec unchanged): every code,
        // x̂, e and ê scale by 10, so the reconstruction term grows 100-fold, while AuxK's term, normalised by the spread
        // of e as in Gao et al., does not change (an unnormalised AuxK term would also grow 100-fold and, at a fixed α,
        // fade relative to nothing as reconstruction improves).
        var (config, p, x, dead) = Problem(SaeFamily.TopK, 6);
        const int N = 23;
        using var sae = new SparseAutoencoder(config, N);
        p.CopyTo(sae.Parameters);
        sae.Forward(x, N, dead);
        double recon = sae.ReconstructionLoss, aux = sae.AuxLoss;
        var scaled = p.ToArray();
        foreach (var (offset, length) in new[] { (config.PreBiasOffset, config.Inputs), (config.EncoderBiasOffset, config.Latents) })
        {
            for (var i = offset; i < offset + length; i++) scaled[i] *= 10;
        }

        // When
        scaled.CopyTo(sae.Parameters);
        sae.Forward(x.Select(v => 10 * v).ToArray(), N, dead);

        // Then: and the term equals α·Σ‖ê − e‖²/Σ‖e − ē‖² from its stated spread.
        Assert.True(aux > 0);
        Assert.Equal(100 * recon, sae.ReconstructionLoss, 1e-4 * 100 * recon);
        Assert.Equal(aux, sae.AuxLoss, 1e-4 * aux);
        var e = new double[N * config.Inputs];
        for (var i = 0; i < e.Length; i++) e[i] = 10.0 * x[i] - sae.Reconstruction[i];
        double spread = 0;
        for (var d = 0; d < config.Inputs; d++)
        {
            var mean = Enumerable.Range(0, N).Average(n => e[n * config.Inputs + d]);
            spread += Enumerable.Range(0, N).Sum(n => (e[n * config.Inputs + d] - mean) * (e[n * config.Inputs + d] - mean));
        }
        Assert.Equal(spread, sae.AuxResidualVariance, 1e-4 * spread);
    }

    [Fact]
    public void Backward_CalledTwice_AddsIntoGradients()
    {
        // Given
        var (config, p, x, dead) = Problem(SaeFamily.TopK, 6);
        using var sae = new SparseAutoencoder(config, 23);
        p.CopyTo(sae.Parameters);
        sae.Forward(x, 23, dead);
        sae.ZeroGrad();
        sae.Backward();
        var once = sae.Gradients.ToArray();

        // When
        sae.Backward();

        // Then
        for (var i = 0; i < once.Length; i++) Assert.Equal(2 * once[i], sae.Gradients[i], 1e-6 * (1 + Math.Abs(once[i])));
    }

    [Fact]
    public void RemoveDecoderParallelGradient_LeavesGradientOrthogonalToEachRow()
    {
        // Given
        var (config, p, x, _) = Problem(SaeFamily.TopK, 0);
        using var sae = new SparseAutoencoder(config, 23);
        p.CopyTo(sae.Parameters);
        sae.NormalizeDecoderRows();
        sae.Forward(x, 23);
        sae.ZeroGrad();
        sae.Backward();
        var D = config.Inputs;
        var before = sae.Gradients.AsSpan(config.DecoderWeightOffset + 2 * D, D).ToArray();

        // When
        sae.RemoveDecoderParallelGradient();

        // Then: the component along each row is gone (it was not zero before), and each row has unit norm.
        var w = sae.DecoderWeight;
        var dotBefore = 0.0;
        for (var d = 0; d < D; d++) dotBefore += before[d] * w[2 * D + d];
        Assert.True(Math.Abs(dotBefore) > 1e-4);
        for (var l = 0; l < config.Latents; l++)
        {
            double dot = 0, norm = 0;
            for (var d = 0; d < D; d++)
            {
                dot += sae.Gradients[config.DecoderWeightOffset + l * D + d] * w[l * D + d];
                norm += w[l * D + d] * w[l * D + d];
            }
            Assert.True(Math.Abs(dot) < 1e-6, $"row {l}: gradient·row = {dot}");
            Assert.Equal(1.0, norm, 1e-5);
        }
    }

    [Fact]
    public void TopKSelect_EveryLengthAndK_MatchesSortedReference()
    {
        // Given: values with ties (rounded to a coarse grid) and non-positive entries, every length 0..257.
        var rng = new Rng(31);
        for (var length = 0; length <= 257; length++)
        {
            var values = Enumerable.Range(0, length).Select(_ => MathF.Round((float)rng.NextGaussian() * 4) / 4).ToArray();
            foreach (var k in new[] { 1, 2, 7, 32 })
            {
                var indices = new int[k];
                var selected = new float[k];

                // When
                var count = TopK.Select(values, default, k, indices, selected);

                // Then
                var expected = Enumerable.Range(0, length).Where(i => values[i] > 0).OrderByDescending(i => values[i]).ThenBy(i => i).Take(k).ToArray();
                Assert.Equal(expected, indices[..count]);
                Assert.Equal(expected.Select(i => values[i]).ToArray(), selected[..count]);
            }
        }
    }

    [Fact]
    public void Constructor_KLargerThanLatents_RefusedInOneLine()
    {
        // Given
        var config = new SaeConfig(SaeFamily.TopK, 8, 16, K: 17);

        // When
        var error = Assert.Throws<ArgumentException>(() => new SparseAutoencoder(config, 4));

        // Then
        Assert.Contains("k must be in 1..n = 16", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void GeometricMedian_PointsWithOutliers_IsRobustWhereTheMeanIsNot()
    {
        // Given: 20 points on a small circle around (1, 2) and 3 far outliers; the geometric median stays near the centre
        // (breakdown point ½), the mean (negative control) moves far.
        var points = new List<float>();
        for (var i = 0; i < 20; i++) points.AddRange([1 + 0.1f * MathF.Cos(i * 0.314f), 2 + 0.1f * MathF.Sin(i * 0.314f)]);
        points.AddRange([100f, 100f, 120f, -80f, 90f, 95f]);

        // When
        var median = GeometricMedian.Compute(points.ToArray(), 23, 2);

        // Then
        var mean = new[] { points.Where((_, i) => i % 2 == 0).Average(), points.Where((_, i) => i % 2 == 1).Average() };
        Assert.True(Math.Abs(median[0] - 1) < 0.2 && Math.Abs(median[1] - 2) < 0.2, $"median ({median[0]}, {median[1]})");
        Assert.False(Math.Abs(mean[0] - 1) < 0.2 && Math.Abs(mean[1] - 2) < 0.2);
    }

    [Fact]
    public void GeometricMedian_ThreeCollinearPoints_IsTheMiddleOne()
    {
        // Given: on a line the geometric median is the ordinary median, (2, 2) here; the mean would be (4, 4).
        float[] points = [0, 0, 2, 2, 10, 10];

        // When
        var median = GeometricMedian.Compute(points, 3, 2);

        // Then
        Assert.Equal(2, median[0], 1e-3);
        Assert.Equal(2, median[1], 1e-3);
    }
}
