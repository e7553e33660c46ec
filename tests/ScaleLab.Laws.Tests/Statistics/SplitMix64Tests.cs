namespace ScaleLab.Laws.Tests.Statistics;

public sealed class SplitMix64Tests
{
    [Fact]
    public void NextUInt64_SeedZero_MatchesReferenceOutputs()
    {
        // Given the reference implementation's outputs for state 0 (Vigna's splitmix64.c: x = 0)
        ulong[] expected = [0xE220A8397B1DCDAFUL, 0x6E789E6AA1B965F4UL, 0x06C45D188009454FUL, 0xF88BB8A8724C81ECUL];
        var rng = new SplitMix64(0);

        // When
        var actual = expected.Select(_ => rng.NextUInt64()).ToArray();

        // Then
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Stream_SeedAndStream_EqualsTheRuleEveryFitDocumentWasWrittenWith()
    {
        // Given stream 7 of seed 42: state Mix(42 ⊕ Mix(8)); the two values were computed independently (Python) from
        // the rule of the law-fit bootstrap before the statistics were unified, so fits, plans and back-tests keep their draws.
        var rng = SplitMix64.Stream(42, 7);

        // When
        var first = rng.NextUInt64();
        var second = rng.NextUInt64();

        // Then
        Assert.Equal(0xEC55F93A42CEC768UL, first);
        Assert.Equal(0x5321A3C635D250F7UL, second);
    }

    [Fact]
    public void Stream_SameSeedAndStream_ReproducesTheSequence()
    {
        // Given two generators for one (seed, stream)
        var a = SplitMix64.Stream(123, 5);
        var b = SplitMix64.Stream(123, 5);

        // When / Then: every draw agrees
        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal(a.NextUInt64(), b.NextUInt64());
        }
    }

    [Fact]
    public void Stream_NeighbouringStreams_AreNotShiftedCopies()
    {
        // Given streams k and k+1 of one seed
        var a = SplitMix64.Stream(42, 7);
        var b = SplitMix64.Stream(42, 8);
        // and, as the negative control, the naive rule that starts stream k at seed + k·γ (the generator's own increment)
        var naiveA = new SplitMix64(unchecked(42 + 7 * SplitMix64.Gamma));
        var naiveB = new SplitMix64(unchecked(42 + 8 * SplitMix64.Gamma));

        // When
        var xs = Enumerable.Range(0, 200).Select(_ => a.NextUInt64()).ToHashSet();
        var ys = Enumerable.Range(0, 200).Select(_ => b.NextUInt64()).ToList();
        var naiveXs = Enumerable.Range(0, 200).Select(_ => naiveA.NextUInt64()).ToHashSet();
        var naiveYs = Enumerable.Range(0, 200).Select(_ => naiveB.NextUInt64()).ToList();

        // Then the rule's streams share no value, while the naive streams are one-step shifts of each other
        Assert.DoesNotContain(ys, xs.Contains);
        Assert.Equal(199, naiveYs.Count(naiveXs.Contains));
    }

    [Fact]
    public void Stream_NeighbouringStreams_AreUncorrelated()
    {
        // Given uniforms from streams k and k+1 of many seeds, paired draw by draw
        const int n = 200_000;
        var u = new double[n];
        var v = new double[n];
        for (var i = 0; i < n; i++)
        {
            var a = SplitMix64.Stream((ulong)(i / 100), (ulong)(i % 100));
            var b = SplitMix64.Stream((ulong)(i / 100), (ulong)(i % 100) + 1);
            u[i] = a.NextDouble();
            v[i] = b.NextDouble();
        }

        // When: the sample correlation of the first draws of neighbouring streams
        var r = Correlation(u, v);

        // Then |r| is within 4 standard errors (1/√n) of zero, and the uniforms have mean 1/2 and variance 1/12
        Assert.InRange(r, -4 / Math.Sqrt(n), 4 / Math.Sqrt(n));
        Assert.InRange(u.Average(), 0.5 - 4 * Math.Sqrt(1.0 / 12 / n), 0.5 + 4 * Math.Sqrt(1.0 / 12 / n));
        Assert.InRange(u.Select(x => (x - 0.5) * (x - 0.5)).Average(), 1.0 / 12 - 0.001, 1.0 / 12 + 0.001);
    }

    [Fact]
    public void NextInt_ManyDraws_UniformByChiSquare()
    {
        // Given 100,000 draws on [0, 10)
        var rng = SplitMix64.Stream(7, 0);
        var counts = new int[10];
        for (var i = 0; i < 100_000; i++)
        {
            counts[rng.NextInt(10)]++;
        }

        // When: Pearson's chi-square against 10,000 per cell (9 degrees of freedom)
        var chi2 = counts.Sum(c => (c - 10_000.0) * (c - 10_000.0) / 10_000.0);

        // Then it is below the 0.999 quantile of chi-square(9), 27.88
        Assert.InRange(chi2, 0, 27.88);
    }

    [Fact]
    public void NextGaussian_ManyDraws_HasStandardNormalMoments()
    {
        // Given 200,000 Box–Muller draws
        var rng = SplitMix64.Stream(11, 3);
        var xs = Enumerable.Range(0, 200_000).Select(_ => rng.NextGaussian()).ToArray();

        // When
        var mean = xs.Average();
        var variance = xs.Select(x => (x - mean) * (x - mean)).Average();
        var beyond196 = xs.Count(x => Math.Abs(x) > 1.959964) / (double)xs.Length;

        // Then mean 0, variance 1 and 5% beyond ±1.96, each within about 4 standard errors
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(variance, 0.987, 1.013);
        Assert.InRange(beyond196, 0.0452, 0.0548);
    }

    private static double Correlation(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxy / Math.Sqrt(sxx * syy);
    }
}
