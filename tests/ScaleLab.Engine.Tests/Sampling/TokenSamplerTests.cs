using ScaleLab.Engine.Sampling;

namespace ScaleLab.Engine.Tests.Sampling;

public sealed class TokenSamplerTests
{
    private static readonly float[] Logits = [1.0f, 3.0f, 0.5f, 2.5f, -1.0f, 2.9f, 0.0f, 1.5f];

    private static double[] Expected(float[] logits, double temperature, int topK)
    {
        var keep = logits.Select((z, i) => (z, i)).OrderByDescending(t => t.z).ThenBy(t => t.i).Take(topK == 0 ? logits.Length : topK).Select(t => t.i).ToHashSet();
        var w = logits.Select((z, i) => keep.Contains(i) ? Math.Exp(z / temperature) : 0).ToArray();
        var total = w.Sum();
        return w.Select(x => x / total).ToArray();
    }

    private static double ChiSquare(int[] counts, double[] p, int n) =>
        counts.Select((c, i) => p[i] > 0 ? (c - n * p[i]) * (c - n * p[i]) / (n * p[i]) : 0).Sum();

    [Theory]
    [InlineData(1.0, 0)]
    [InlineData(0.5, 3)]
    [InlineData(2.0, 5)]
    public void Sample_ManyDraws_MatchTemperedTopKSoftmax_NotThePlainSoftmax(double temperature, int topK)
    {
        // Given 200k draws
        var rng = new Rng(17);
        const int n = 200_000;
        var counts = new int[Logits.Length];
        var options = new SamplingOptions(temperature, topK);

        // When
        for (var i = 0; i < n; i++) counts[TokenSampler.Sample(Logits, options, rng)]++;

        // Then: chi-square against the tempered top-k softmax is below the 99.9% quantile for 7 degrees of
        // freedom (24.3); against the plain softmax (τ = 1, all tokens: the negative control) it is far above,
        // except where the two coincide (τ = 1, k = 0). Excluded tokens never appear.
        var expected = Expected(Logits, temperature, topK);
        Assert.True(ChiSquare(counts, expected, n) < 24.3, $"χ² = {ChiSquare(counts, expected, n):F1}");
        if (temperature != 1.0 || topK != 0)
        {
            Assert.True(ChiSquare(counts, Expected(Logits, 1.0, 0), n) > 1000);
        }
        for (var i = 0; i < Logits.Length; i++)
        {
            if (expected[i] == 0) Assert.Equal(0, counts[i]);
        }
    }

    [Fact]
    public void Sample_ZeroTemperatureOrTopOne_IsArgMax()
    {
        // Given
        var rng = new Rng(1);

        // When / Then
        Assert.Equal(1, TokenSampler.Sample(Logits, new SamplingOptions(0, 0), rng));
        Assert.Equal(1, TokenSampler.Sample(Logits, new SamplingOptions(1.5, 1), rng));
        Assert.Equal(0, TokenSampler.ArgMax([2f, 2f, 1f]));
    }

    [Fact]
    public void Options_NegativeTemperatureOrTopK_AreRefused()
    {
        Assert.Throws<ArgumentException>(() => new SamplingOptions(-1, 0).Validate());
        Assert.Throws<ArgumentException>(() => new SamplingOptions(1, -2).Validate());
    }

    [Theory]
    [InlineData(1.0, 0)]
    [InlineData(0.5, 3)]
    [InlineData(2.0, 5)]
    [InlineData(0.0, 0)]
    [InlineData(1.3, 1)]
    public void Probabilities_AnyOptions_EqualTheClosedFormSampleDrawsFrom(double temperature, int topK)
    {
        // Given
        var probabilities = new double[Logits.Length];

        // When
        TokenSampler.Probabilities(Logits, new SamplingOptions(temperature, topK), probabilities);

        // Then: the tempered top-k softmax (one-hot at the argmax for τ = 0 or k = 1)
        var expected = temperature == 0 || topK == 1 ? Logits.Select((_, i) => i == 1 ? 1.0 : 0).ToArray() : Expected(Logits, temperature, topK);
        for (var i = 0; i < Logits.Length; i++) Assert.Equal(expected[i], probabilities[i], 12);
    }

    [Fact]
    public void Probabilities_TiesAtTheTopKBoundary_KeepLowerIdsLikeSample()
    {
        // Given logits with three tokens tied at the boundary of the top 3
        float[] logits = [0f, 2f, 1f, 1f, 1f, -1f];
        var options = new SamplingOptions(1.0, 3);
        var probabilities = new double[logits.Length];
        var rng = new Rng(4);
        var seen = new bool[logits.Length];

        // When
        TokenSampler.Probabilities(logits, options, probabilities);
        for (var i = 0; i < 20_000; i++) seen[TokenSampler.Sample(logits, options, rng)] = true;

        // Then tokens 1, 2 and 3 are kept (2 and 3 are the lower ids among the tied 2, 3, 4), as Sample keeps them
        Assert.Equal([false, true, true, true, false, false], probabilities.Select(p => p > 0).ToArray());
        Assert.Equal(seen, probabilities.Select(p => p > 0).ToArray());
        Assert.Equal(1.0, probabilities.Sum(), 12);
    }

    [Fact]
    public void SampleFrom_UnnormalisedWeights_MatchesTheirProportionsAndSkipsZeros()
    {
        // Given weights summing to 4, two of them zero
        double[] weights = [0, 1, 2, 0, 0.5, 0.5];
        var rng = new Rng(9);
        const int n = 100_000;
        var counts = new int[weights.Length];

        // When
        for (var i = 0; i < n; i++) counts[TokenSampler.SampleFrom(weights, rng)]++;

        // Then: χ² below the 99.9% quantile for 3 degrees of freedom (16.3); zero weights never drawn; and the
        // proportions of a wrong normalisation (uniform over the nonzero ones: the control) far above it
        var p = weights.Select(w => w / 4).ToArray();
        Assert.True(ChiSquare(counts, p, n) < 16.3, $"χ² = {ChiSquare(counts, p, n):F1}");
        Assert.True(ChiSquare(counts, weights.Select(w => w > 0 ? 0.25 : 0).ToArray(), n) > 1000);
        Assert.Equal(0, counts[0] + counts[3]);
        Assert.Throws<ArgumentException>(() => TokenSampler.SampleFrom([0.0, 0.0], rng));
    }
}
