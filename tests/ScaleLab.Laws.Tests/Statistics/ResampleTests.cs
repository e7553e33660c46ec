namespace ScaleLab.Laws.Tests.Statistics;

public sealed class ResampleTests
{
    [Fact]
    public void Counts_SameStream_AreTheMultiplicitiesOfIndices()
    {
        // Given one stream drawn twice
        var a = SplitMix64.Stream(5, 17);
        var b = SplitMix64.Stream(5, 17);
        var indices = new int[37];
        var counts = new double[37];

        // When: a case resample as indices, and as weights
        Resample.Indices(ref a, indices);
        Resample.Counts(ref b, counts);

        // Then the weights count the indices, sum to n, and both generators stand at the same place
        for (var j = 0; j < counts.Length; j++)
        {
            Assert.Equal(indices.Count(i => i == j), counts[j]);
        }
        Assert.Equal(37, counts.Sum());
        Assert.Equal(a.NextUInt64(), b.NextUInt64());
    }

    [Fact]
    public void Weights_ClusterResample_WeightsEachPointByItsGroupsDraws()
    {
        // Given 11 points in 4 groups (group 3 holds one point), and one stream drawn three ways
        int[] groupOf = [0, 0, 1, 2, 2, 2, 1, 0, 3, 1, 2];
        var a = SplitMix64.Stream(9, 3);
        var b = SplitMix64.Stream(9, 3);
        var c = SplitMix64.Stream(9, 3);
        var times = new double[4];
        var weights = new double[groupOf.Length];
        var cases = new double[groupOf.Length];

        // When: the groups' multiplicities, the cluster weights, and a case resample's weights
        Resample.Counts(ref a, times);
        Resample.Weights(ref b, groupOf, 4, weights);
        Resample.Weights(ref c, null, 0, cases);

        // Then each point carries its group's count (so the draws are the groups', not the points'), the generator stands
        // where the group draw left it, and without groups the weights are the points' own multiplicities
        Assert.Equal(groupOf.Select(g => times[g]), weights);
        Assert.Equal(a.NextUInt64(), b.NextUInt64());
        var reference = SplitMix64.Stream(9, 3);
        var counts = new double[groupOf.Length];
        Resample.Counts(ref reference, counts);
        Assert.Equal(counts, cases);
        Assert.Throws<ArgumentException>(() => Resample.Weights(ref c, groupOf, 4, new double[3]));
    }

    [Fact]
    public void Replicates_OneThreadOrMany_GiveTheSameDraws()
    {
        // Given a bootstrap of the mean of 50 values, run on one thread and on all
        var data = Enumerable.Range(0, 50).Select(i => Math.Sin(i)).ToArray();
        double[] Run(int threads)
        {
            var means = new double[200];
            Resample.Replicates(means.Length, 99, (int r, ref SplitMix64 rng) =>
            {
                var pick = new int[data.Length];
                Resample.Indices(ref rng, pick);
                means[r] = pick.Average(i => data[i]);
            }, streamOffset: 1UL << 32, maxDegreeOfParallelism: threads);
            return means;
        }

        // When
        var serial = Run(1);
        var parallel = Run(-1);

        // Then bit for bit, and replicate r used stream (seed, offset + r)
        Assert.Equal(serial, parallel);
        var replay = SplitMix64.Stream(99, (1UL << 32) + 7);
        var pick7 = new int[data.Length];
        Resample.Indices(ref replay, pick7);
        Assert.Equal(pick7.Average(i => data[i]), serial[7]);
    }

    [Fact]
    public void Replicates_BootstrapOfTheMean_HasTheStandardErrorOfTheMean()
    {
        // Given n = 400 draws of N(0, 1): the bootstrap sd of the mean should be ≈ s/√n = 0.05
        var rng0 = SplitMix64.Stream(1, 0);
        var data = Enumerable.Range(0, 400).Select(_ => rng0.NextGaussian()).ToArray();
        var means = new double[2000];

        // When
        Resample.Replicates(means.Length, 4, (int r, ref SplitMix64 rng) =>
        {
            var pick = new int[data.Length];
            Resample.Indices(ref rng, pick);
            means[r] = pick.Average(i => data[i]);
        });
        var m = means.Average();
        var sd = Math.Sqrt(means.Select(v => (v - m) * (v - m)).Sum() / (means.Length - 1));
        var mean = data.Average();
        var s = Math.Sqrt(data.Select(v => (v - mean) * (v - mean)).Sum() / data.Length);

        // Then within 10% (the sd of a 2,000-replicate sd estimate is about 1.6%)
        Assert.InRange(sd / (s / Math.Sqrt(data.Length)), 0.9, 1.1);
    }
}
