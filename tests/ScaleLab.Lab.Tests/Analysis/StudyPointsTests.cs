using ScaleLab.Lab.Analysis;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Lab.Tests.Analysis;

public sealed class StudyPointsTests
{
    private static (RunRecord Run, ScalingPoint Point) Run(int layers, int width, long steps, double lr, long seed, double loss)
    {
        var spec = new RunSpec("s", 0, "synthetic", null, layers, width, 2, 16, 256, 4, steps, lr, 0, 0.1, 0, 1, 10, 1, seed);
        var row = spec.ToNewRun();
        var record = new RunRecord(spec.Key, "s", 0, spec.ConfigJson, seed, RunStatus.Done, row.Parameters, row.NonEmbeddingParameters,
            row.Tokens, row.Flops, DateTimeOffset.UnixEpoch, null, null, null, null, 1, loss, null);
        return (record, new ScalingPoint(spec.Key, row.NonEmbeddingParameters, row.Parameters, row.Tokens,
            6.0 * row.NonEmbeddingParameters * row.Tokens, loss, seed));
    }

    [Fact]
    public void Select_SeedsAndRates_SeedsAveragedAndBestRateKept()
    {
        // Given: one (N, D) at two rates with two seeds each, and a second D at one rate.
        var runs = new[]
        {
            Run(1, 32, 100, 1e-2, 1, 2.0), Run(1, 32, 100, 1e-2, 2, 2.2),
            Run(1, 32, 100, 3e-2, 1, 2.05), Run(1, 32, 100, 3e-2, 2, 2.09),
            Run(1, 32, 400, 1e-2, 1, 1.9),
        };

        // When
        var selected = StudyPoints.Select(runs.Select(r => r.Run).ToList(), runs.Select(r => r.Point).ToList());

        // Then: 3e-2 wins at D = 1,600 tokens (mean 2.07 < 2.10), with its seeds' sample sd; the plain mean of all
        // four runs (2.085) would be the wrong answer.
        Assert.Equal(2, selected.Count);
        var first = selected[0];
        Assert.Equal(3e-2, first.Best.LearningRate);
        Assert.Equal(2.07, first.Loss, 1e-12);
        Assert.Equal(Math.Sqrt(0.0008), first.Best.Spread!.Value, 1e-12);
        Assert.Equal(2, first.Best.Seeds);
        Assert.Equal([3e-2, 1e-2], first.Tried.Select(t => t.LearningRate));
        Assert.Null(selected[1].Best.Spread);
    }

    [Fact]
    public void ComputeFrontier_DominatedAndSameBudgetRuns_OnlyLowerEnvelopeKept()
    {
        // Given: C grows with steps; the second budget holds a worse and a better run, the third budget a run
        // worse than the second budget's best (off the frontier).
        var runs = new[]
        {
            Run(1, 32, 100, 1e-2, 1, 2.0),
            Run(1, 32, 400, 1e-2, 1, 1.95), Run(1, 32, 401, 3e-2, 1, 1.90),
            Run(1, 32, 1600, 1e-2, 1, 1.93),
            Run(1, 32, 6400, 1e-2, 1, 1.80),
        };
        var selected = StudyPoints.Select(runs.Select(r => r.Run).ToList(), runs.Select(r => r.Point).ToList());

        // When
        var frontier = StudyPoints.ComputeFrontier(selected);

        // Then
        Assert.Equal([2.0, 1.90, 1.80], frontier.Select(p => p.Loss));
        Assert.Equal(4, StudyPoints.ComputeBudgets(selected).Count);
    }
}
