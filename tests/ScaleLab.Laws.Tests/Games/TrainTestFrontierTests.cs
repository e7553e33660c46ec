using ScaleLab.Laws.Games;

namespace ScaleLab.Laws.Tests.Games;

/// <summary>
/// Jones's train–test frontier (<see cref="TrainTestFrontier"/>) on hand-made and planted data. The planted surface is a
/// plane Elo = a·log10 train + b·log10 test + noise, whose iso-Elo slope is −a/b; 60 agents with log10 train compute
/// uniform on [3, 6], each evaluated at 7 test computes 0.3 decades apart.
/// </summary>
public class TrainTestFrontierTests
{
    private static readonly double[] Levels = [-300, -150, 0, 150, 300];

    private static List<TrainTestPoint> Planted(double a, double b, double noise, ulong seed, int agents = 60)
    {
        var rng = SplitMix64.Stream(seed, 7);
        var points = new List<TrainTestPoint>();
        for (var i = 0; i < agents; i++)
        {
            var x = 3 + 3 * rng.NextDouble();
            for (var k = 0; k < 7; k++)
            {
                var y = 2 + 0.3 * k;
                points.Add(new TrainTestPoint($"a{i}", x, y, a * x + b * y - (4.5 * a + 3 * b) + noise * rng.NextGaussian()));
            }
        }
        return points;
    }

    [Fact]
    public void Construct_TakesTheRunningMinimumPerBin_AndStopsWhereItReachesItsFinalValue()
    {
        // Level 0: bins 1.0 (least 3.0), 1.5 (2.0; an evaluation at or below the level is ignored), 2.0 (2.5 → running 2.0: the curve
        // reached its final value 1.0 only at 3.0), 3.0 (1.0), 3.5 (1.0 again: cut).
        var e = new List<TrainTestPoint>
        {
            new("p", 1.0, 3.0, 10), new("p", 1.0, 3.5, 20), new("q", 1.5, 2.0, 5), new("q", 1.5, 1.0, 0),
            new("r", 2.0, 2.5, 50), new("s", 3.0, 1.0, 1), new("t", 3.5, 0.5, -1), new("t", 3.5, 1.2, 30),
        };
        var points = TrainTestFrontier.Construct(e, [0]);
        Assert.Equal([(1.0, 3.0), (1.5, 2.0), (2.0, 2.0), (3.0, 1.0)], points.Select(p => (Math.Round(p.Log10TrainCompute, 9), p.Log10TestCompute)));
        Assert.All(points, p => Assert.Equal(0, p.Elo));
        // A level no evaluation exceeds adds nothing; one reached only in a single bin gives one point
        Assert.Empty(TrainTestFrontier.Construct(e, [60]));
        Assert.Single(TrainTestFrontier.Construct(e, [40]));
    }

    [Theory]
    [InlineData(500, 415, 20, -1.30, -1.10, 5)]
    [InlineData(200, 415, 20, -0.55, -0.41, 5)]
    [InlineData(500, 415, 60, -1.30, -1.00, 2)] // at 60 Elo of noise the pull towards zero (about 0.06) is as large as the interval: 4 of 8 cover
    public void PlantedPlane_SlopeRecovered(double a, double b, double noise, double lo, double hi, int minCovered)
    {
        var slopes = new List<double>();
        var covered = 0;
        for (ulong seed = 1; seed <= 8; seed++)
        {
            var fit = TrainTestFrontier.Fit(Planted(a, b, noise, seed), Levels, bootstrap: 100, seed: seed);
            slopes.Add(fit.Slope.Value);
            if (fit.Slope.Interval is { } iv && iv.Lo <= -a / b && -a / b <= iv.Hi) covered++;
            Assert.True(fit.Slope.Value < 0, $"seed {seed}: slope {fit.Slope.Value}");
        }
        // The plane through the frontier: log10 test at the planted surface's centre (x 4.5, Elo 0) is the planted 3 (b·y = −a·x there)
        var centre = TrainTestFrontier.Fit(Planted(a, b, noise, 1), Levels, bootstrap: 0).Predict(4.5, 0);
        Assert.InRange(centre, 2.8, 3.3);
        var median = Quantile.Of(slopes, 0.5);
        Assert.InRange(median, lo, hi);
        Assert.True(covered >= minCovered, $"{covered} of 8 intervals cover the planted {-a / b:0.00}");
    }

    [Fact]
    public void NegativeControl_TrainingBuysNothing_SlopeNearZeroNotJones()
    {
        // Elo depends on test compute only: the running minimum can only bend the curves down, but not to Jones's −1.2
        var slopes = Enumerable.Range(1, 8).Select(s => TrainTestFrontier.Fit(Planted(0, 415, 60, (ulong)s), Levels, bootstrap: 0).Slope.Value).ToList();
        Assert.InRange(Quantile.Of(slopes, 0.5), -0.4, 0.0);
    }

    [Fact]
    public void NegativeControl_WrongVariants_FailTheRecovery()
    {
        // (1) one line through all levels, without the Elo term: each level's curve sits higher and further right, which flattens the slope
        // (2) no running minimum and no cut at the final value: the flat tails of the curves flatten it too
        var pooled = new List<double>();
        var raw = new List<double>();
        for (ulong seed = 1; seed <= 8; seed++)
        {
            var e = Planted(500, 415, 20, seed);
            var frontier = TrainTestFrontier.Construct(e, Levels);
            pooled.Add(LinearFit.Ols(frontier.Select(p => p.Log10TrainCompute).ToArray(), frontier.Select(p => p.Log10TestCompute).ToArray()).Slope);
            var perBin = Levels.SelectMany(level => e.Where(p => p.Elo > level).GroupBy(p => Math.Round(p.Log10TrainCompute / TrainTestFrontier.BinWidth))
                .Select(g => new TrainTestFrontierPoint(level, g.Key * TrainTestFrontier.BinWidth, g.Min(p => p.Log10TestCompute)))).ToList();
            raw.Add(TrainTestFrontier.Plane(perBin)!.Value.Slope);
        }
        Assert.True(Quantile.Of(pooled, 0.5) > -1.0, $"pooled median {Quantile.Of(pooled, 0.5)}");
        Assert.True(Quantile.Of(raw, 0.5) > -1.0, $"per-bin median {Quantile.Of(raw, 0.5)}");
    }

    [Fact]
    public void Bootstrap_ResamplesClusters_AndIsReproducible()
    {
        var e = Planted(500, 415, 20, 3);
        var byAgent = TrainTestFrontier.Fit(e, Levels, bootstrap: 50, seed: 9);
        var again = TrainTestFrontier.Fit(e, Levels, bootstrap: 50, seed: 9);
        Assert.Equal(byAgent.Slope.Interval, again.Slope.Interval);
        Assert.Equal(60, byAgent.Clusters);
        // Clusters of 6 agents: the same estimate, other resamples
        var grouped = TrainTestFrontier.Fit(e, Levels, p => (int.Parse(p.Agent[1..]) / 6).ToString(), bootstrap: 50, seed: 9);
        Assert.Equal(10, grouped.Clusters);
        Assert.Equal(byAgent.Slope.Value, grouped.Slope.Value);
        Assert.NotEqual(byAgent.Slope.Interval, grouped.Slope.Interval);
        Assert.True(byAgent.Slope.Interval!.Lo < byAgent.Slope.Value && byAgent.Slope.Value < byAgent.Slope.Interval.Hi);
    }

    [Fact]
    public void NoLevelSpansTwoBins_IsRefusedInOneLine()
    {
        var e = new List<TrainTestPoint> { new("p", 1.0, 3.0, 10), new("p", 1.0, 2.0, 20) };
        var ex = Assert.Throws<InvalidDataException>(() => TrainTestFrontier.Fit(e, [0]));
        Assert.Contains("spans two training-compute bins", ex.Message);
    }
}
