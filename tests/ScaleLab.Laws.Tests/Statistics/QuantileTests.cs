using MathNet.Numerics.Distributions;

namespace ScaleLab.Laws.Tests.Statistics;

public sealed class QuantileTests
{
    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(0.1, 1.4)]
    [InlineData(0.25, 2.0)]
    [InlineData(0.5, 3.0)]
    [InlineData(0.9, 4.6)]
    [InlineData(1.0, 5.0)]
    public void OfSorted_OneToFive_MatchesType7ByHand(double q, double expected)
    {
        // Given 1..5: h = 4q, Q = x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]) (R's quantile(1:5, q), type 7)
        double[] sorted = [1, 2, 3, 4, 5];

        // When
        var value = Quantile.OfSorted(sorted, q);

        // Then
        Assert.Equal(expected, value, 12);
    }

    [Fact]
    public void OfSorted_EvenGrid_EqualsQExactlyUnlikeType6()
    {
        // Given the grid x_i = i/(m−1), i = 0..m−1, on which type 7 is the identity: Q(q) = q for every q in [0, 1]
        const int m = 41;
        var grid = Enumerable.Range(0, m).Select(i => i / (double)(m - 1)).ToArray();
        double[] qs = [0.025, 0.1, 0.333, 0.5, 0.9, 0.975];

        // When: type 7, and as the negative control type 6 (Weibull, h = (m + 1)q − 1, the SAS/Minitab default)
        var type7 = qs.Select(q => Quantile.OfSorted(grid, q)).ToArray();
        var type6 = qs.Select(q => Type6(grid, q)).ToArray();

        // Then type 7 reproduces q to rounding; type 6 misses it by more than 1e-3 at the 2.5% and 97.5% points
        for (var k = 0; k < qs.Length; k++)
        {
            Assert.Equal(qs[k], type7[k], 14);
        }
        Assert.True(Math.Abs(type6[0] - 0.025) > 1e-3 && Math.Abs(type6[^1] - 0.975) > 1e-3);
    }

    [Fact]
    public void Percentile_LargeNormalSample_EndsAtTheNormalQuantiles()
    {
        // Given 100,000 standard normal draws
        var rng = SplitMix64.Stream(3, 1);
        var xs = Enumerable.Range(0, 100_000).Select(_ => rng.NextGaussian()).ToList();

        // When: the central 95% interval
        var interval = Quantile.Percentile(xs, 0.95);

        // Then its ends are Φ⁻¹(0.025) and Φ⁻¹(0.975) = ∓1.95996 to within sampling error (sd of the 2.5% quantile ≈ 0.011)
        Assert.Equal(Normal.InvCDF(0, 1, 0.025), interval.Lo, 0.05);
        Assert.Equal(Normal.InvCDF(0, 1, 0.975), interval.Hi, 0.05);
    }

    [Fact]
    public void Percentile_NonFiniteValues_AreIgnoredAndNoneGivesNaNEnds()
    {
        // Given a sample with NaN and infinities among 1..5, and one with no finite value
        double[] mixed = [double.NaN, 5, 1, double.PositiveInfinity, 3, 2, double.NegativeInfinity, 4];
        double[] none = [double.NaN, double.PositiveInfinity];

        // When
        var interval = Quantile.Percentile(mixed, 0.8);
        var empty = Quantile.Percentile(none, 0.8);

        // Then the first is the 10th and 90th percentiles of 1..5; the second has NaN ends
        Assert.Equal(1.4, interval.Lo, 12);
        Assert.Equal(4.6, interval.Hi, 12);
        Assert.True(double.IsNaN(empty.Lo) && double.IsNaN(empty.Hi));
    }

    [Fact]
    public void Columns_EachColumn_IsItsOwnPercentileInterval()
    {
        // Given rows (1, 10), (2, 20), ..., (5, 50)
        var rows = Enumerable.Range(1, 5).Select(i => new double[] { i, 10 * i }).ToArray();

        // When
        var columns = Quantile.Columns(rows, 2, 0.5);

        // Then the 25th and 75th percentiles of each column
        Assert.Equal(new Interval(2, 4), columns[0]);
        Assert.Equal(new Interval(20, 40), columns[1]);
    }

    private static double Type6(double[] sorted, double q)
    {
        var h = (sorted.Length + 1) * q - 1;
        var lo = Math.Clamp((int)Math.Floor(h), 0, sorted.Length - 1);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (h - Math.Floor(h)) * (sorted[hi] - sorted[lo]);
    }
}
