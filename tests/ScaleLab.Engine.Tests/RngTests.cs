using ScaleLab.Engine;

namespace ScaleLab.Engine.Tests;

public sealed class RngTests
{
    [Fact]
    public void FromState_AfterDraws_ContinuesTheSameStream()
    {
        // Given
        var a = new Rng(42);
        for (var i = 0; i < 10; i++) a.NextUInt64();

        // When
        var b = Rng.FromState(a.GetState());

        // Then
        for (var i = 0; i < 100; i++) Assert.Equal(a.NextUInt64(), b.NextUInt64());
    }

    [Fact]
    public void NextInt_ManyDraws_IsUniformByChiSquare()
    {
        // Given: 10 buckets, 100k draws; chi-square with 9 dof has its 99.9% quantile at 27.9.
        var rng = new Rng(7);
        var counts = new int[10];

        // When
        for (var i = 0; i < 100_000; i++) counts[rng.NextInt(10)]++;

        // Then
        var chi2 = counts.Sum(c => (c - 10_000.0) * (c - 10_000.0) / 10_000.0);
        Assert.True(chi2 < 27.9, $"chi2 = {chi2}");
    }

    [Fact]
    public void NextGaussian_ManyDraws_HasUnitMomentsAndDiffersBySeed()
    {
        var rng = new Rng(1);
        var xs = Enumerable.Range(0, 200_000).Select(_ => rng.NextGaussian()).ToArray();
        var mean = xs.Average();
        var variance = xs.Select(x => (x - mean) * (x - mean)).Average();
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(variance, 0.98, 1.02);
        Assert.NotEqual(new Rng(1).NextUInt64(), new Rng(2).NextUInt64());
    }
}
