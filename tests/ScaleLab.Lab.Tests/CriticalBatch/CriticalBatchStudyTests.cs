using ScaleLab.Lab.Studies.CriticalBatch;
using Xunit.Abstractions;

namespace ScaleLab.Lab.Tests.CriticalBatch;

/// <summary>
/// End-to-end analysis on synthetic loss curves built so that the steps to reach loss L at batch B are exactly
/// S(L, B) = S_min(L)·(1 + B_crit(L)/B), with S_min(L) = 2000·L^(−4) and B_crit(L) = 64·(L/2)^(−1/0.21), which
/// spans about 27..185 over the targets, inside the swept 4..1024. A second, badly tuned learning rate takes
/// twice the steps and reports a wildly different B_simple (100·B_crit) that must not enter the average: only the
/// best run per batch size counts, and those report B_simple = B_crit/2 at every loss.
/// </summary>
public sealed class CriticalBatchStudyTests(ITestOutputHelper output)
{
    private const double Alpha = 0.21;

    private static double SMin(double loss) => 2000 * Math.Pow(loss, -4);

    private static double BCrit(double loss) => 64 * Math.Pow(loss / 2.0, -1 / Alpha);

    /// <summary>
    /// Curve evaluated at losses 4.0 down to 1.5 in steps of 0.01: step(L) = S(L, B)·slowdown; B_simple at
    /// loss L is <paramref name="bSimpleFraction"/>·B_crit(L).
    /// </summary>
    private static SweepRun Run(int batch, double lr, double slowdown, double bSimpleFraction = 0.5)
    {
        var points = new List<LossPoint>();
        var noise = new List<NoiseScalePoint>();
        for (var i = 0; i <= 250; i++)
        {
            var l = 4.0 - 0.01 * i;
            points.Add(new LossPoint(slowdown * SMin(l) * (1 + BCrit(l) / batch), l));
            noise.Add(new NoiseScalePoint(l, bSimpleFraction * BCrit(l)));
        }
        return new SweepRun(batch, lr, points, noise);
    }

    [Fact]
    public void Analyze_CurvesFromTheHyperbola_RecoversBCritPerLossAndAlpha()
    {
        // Given: batch sizes 2^2..2^10, two learning rates each (the second twice as slow)
        var runs = new List<SweepRun>();
        for (var k = 2; k <= 10; k++)
        {
            runs.Add(Run(1 << k, 1e-3, 1.0));
            runs.Add(Run(1 << k, 3e-3, 2.0, bSimpleFraction: 100));
        }
        double[] targets = [2.4, 2.2, 2.0, 1.8, 1.6];

        // When
        var analysis = CriticalBatchStudy.Analyze(runs, targets);

        // Then: curves are sampled every 0.01 in loss, so interpolation error is well under 1 %
        foreach (var t in analysis.Targets)
        {
            output.WriteLine($"L={t.TargetLoss}: B_crit={t.Fit!.BCrit:F2} (true {BCrit(t.TargetLoss):F2}) B_simple={t.BSimple:F2}");
            Assert.Equal(BCrit(t.TargetLoss), t.Fit.BCrit, 0.02 * BCrit(t.TargetLoss));
            Assert.Equal(SMin(t.TargetLoss), t.Fit.SMin, 0.02 * SMin(t.TargetLoss));
            Assert.All(t.BestLearningRates, lr => Assert.Equal(1e-3, lr));
            Assert.Equal(0.5 * BCrit(t.TargetLoss), t.BSimple!.Value, 0.02 * BCrit(t.TargetLoss));
        }
        Assert.NotNull(analysis.LossScaling);
        Assert.Equal(Alpha, analysis.LossScaling.AlphaB, 0.005);
        Assert.Equal(2.0, analysis.Ratio!.Value, 0.05);
    }

    [Fact]
    public void Analyze_TargetReachedByTooFewBatchSizes_NoFitForThatTarget()
    {
        // Given: only two batch sizes
        var runs = new List<SweepRun> { Run(8, 1e-3, 1), Run(16, 1e-3, 1) };

        // When
        var analysis = CriticalBatchStudy.Analyze(runs, [2.0]);

        // Then
        Assert.Null(analysis.Targets[0].Fit);
        Assert.Equal(2, analysis.Targets[0].Runs.Count);
        Assert.Null(analysis.LossScaling);
        Assert.Null(analysis.Ratio);
    }

    [Fact]
    public void BSimpleAtLoss_BetweenPoints_InterpolatesInLoss()
    {
        NoiseScalePoint[] trajectory = [new(3.0, 10), new(2.0, 30)];
        Assert.Equal(20.0, CriticalBatchStudy.BSimpleAtLoss(trajectory, 2.5));
        Assert.Null(CriticalBatchStudy.BSimpleAtLoss(trajectory, 1.0));
    }
}
