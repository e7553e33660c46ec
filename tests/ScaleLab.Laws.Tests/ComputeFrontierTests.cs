namespace ScaleLab.Laws.Tests;

public sealed class ComputeFrontierTests
{
    [Fact]
    public void Indices_HandMadeRuns_KeepsTheLowerEnvelopeWithTies()
    {
        // Given (C, loss): a run beaten by a cheaper one (2e18, 3.1), and a tie at equal C and loss
        double[] c = [1e18, 2e18, 2e18, 4e18, 4e18, 8e18];
        double[] y = [3.0, 3.1, 2.8, 2.7, 2.7, 2.9];
        var data = new ScalingDataset("f", y, c: c);

        // When
        var idx = ComputeFrontier.Indices(data);

        // Then
        Assert.Equal([0, 2, 3, 4], idx);
    }

    [Fact]
    public void Indices_RandomRuns_MatchesBruteForceDefinition()
    {
        // Given random runs with repeated compute values
        var rng = new Random(7);
        var c = Enumerable.Range(0, 200).Select(_ => Math.Pow(10, 17 + rng.Next(0, 30) / 10.0)).ToArray();
        var y = c.Select(x => 2 + 5 * Math.Pow(x, -0.05) + 0.3 * rng.NextDouble()).ToArray();
        var data = new ScalingDataset("r", y, c: c);

        // When
        var fast = ComputeFrontier.Indices(data).Order().ToArray();

        // Then: i is kept iff no j ≠ i with C_j ≤ C_i has a strictly lower loss
        var brute = Enumerable.Range(0, 200).Where(i => !Enumerable.Range(0, 200).Any(j => j != i && c[j] <= c[i] && y[j] < y[i])).ToArray();
        Assert.Equal(brute, fast);
        Assert.Contains("compute-efficient frontier", ComputeFrontier.Select(data).Notes[^1]);
    }
}
