using ScaleLab.Engine;
using ScaleLab.Lab.Studies.Distillation;

namespace ScaleLab.Lab.Tests.Distillation;

/// <summary>The crossover estimator on planted curves: a known crossing is found inside its bootstrap interval; curves
/// that never cross are not given one (the negative control); the three compute views shift the distilled axis.</summary>
public sealed class DistillationCrossoverTests
{
    private static readonly long[] Tokens = [10_000, 30_000, 90_000, 270_000, 810_000];
    private const long N = 1000;

    /// <summary>Scratch L = 2 + 40·C^-0.25; distilled L = scratch + slope·(log C − log C0), so Δ crosses 0 at C0 (distillation
    /// pays below C0 for slope &gt; 0). Seeds add Gaussian noise of the given size.</summary>
    private static List<DistillationPoint> Planted(double c0, double slope, double noise, int seeds, double teacherForwardPerToken = 0)
    {
        var rng = new Rng(42);
        var points = new List<DistillationPoint>();
        foreach (var d in Tokens)
        {
            var c = 6.0 * N * d;
            var scratch = 2 + 40 * Math.Pow(c, -0.25);
            for (var s = 1; s <= seeds; s++)
            {
                points.Add(new DistillationPoint(N, "none", s, d, c, 0, 0, scratch + noise * rng.NextGaussian()));
                points.Add(new DistillationPoint(N, "teacher", s, d, c, teacherForwardPerToken * d, 0,
                    scratch + slope * (Math.Log(c) - Math.Log(c0)) + noise * rng.NextGaussian()));
            }
        }
        return points;
    }

    [Fact]
    public void Compute_PlantedCrossing_FoundInsideItsInterval()
    {
        // Given: a crossing at C0 = 1e9 (inside 6e7..4.9e9), noise 0.002 nats over 4 seeds.
        var points = Planted(1e9, 0.02, 0.002, 4);

        // When
        var c = Assert.Single(DistillationCrossovers.Compute(points, ComputeView.StudentOnly, draws: 500));

        // Then
        Assert.Equal(CrossoverKind.StopsPaying, c.Kind);
        Assert.InRange(c.Compute!.Value, c.Low!.Value, c.High!.Value);
        Assert.InRange(1e9, c.Low!.Value, c.High!.Value);
        Assert.True(c.FractionAgreeing > 0.9, $"agreeing {c.FractionAgreeing}");
    }

    [Fact]
    public void Compute_NoiselessCrossing_ExactForPiecewiseLinearCurves()
    {
        // Given: Δ linear in log C, noise 0: the root of the joined curves is C0 exactly (Δ is linear between knots).
        var points = Planted(2e8, 0.05, 0, 1);

        // When
        var c = Assert.Single(DistillationCrossovers.Compute(points, ComputeView.StudentOnly, draws: 10));

        // Then
        Assert.Equal(2e8, c.Compute!.Value, 2e8 * 1e-9);
    }

    [Fact]
    public void Compute_CurvesThatDoNotCross_NoCrossoverGiven()
    {
        // Given (negative control): the distilled curve 0.05 below scratch everywhere, and one 0.05 above.
        var below = Planted(1e20, 0, 0.002, 4).Select(p => p.Teacher == "teacher" ? p with { Loss = p.Loss - 0.05 } : p).ToList();
        var above = Planted(1e20, 0, 0.002, 4).Select(p => p.Teacher == "teacher" ? p with { Loss = p.Loss + 0.05 } : p).ToList();

        // When
        var pays = Assert.Single(DistillationCrossovers.Compute(below, ComputeView.StudentOnly, draws: 200));
        var loses = Assert.Single(DistillationCrossovers.Compute(above, ComputeView.StudentOnly, draws: 200));

        // Then
        Assert.Equal((CrossoverKind.PaysThroughout, (double?)null), (pays.Kind, pays.Compute));
        Assert.Equal((CrossoverKind.NeverPays, (double?)null), (loses.Kind, loses.Compute));
    }

    [Fact]
    public void Compute_TeacherForwardCounted_CrossingAtSmallerCompute()
    {
        // Given: the planted crossing (both curves falling) with a teacher costing 2·N_T = 6·N per token: it doubles each
        // distilled run's compute, moving that curve right.
        var points = Planted(1e9, 0.03, 0, 1, teacherForwardPerToken: 6.0 * N);

        // When
        var free = Assert.Single(DistillationCrossovers.Compute(points, ComputeView.StudentOnly, draws: 10));
        var counted = Assert.Single(DistillationCrossovers.Compute(points, ComputeView.WithTeacherForward, draws: 10));

        // Then: counting the teacher makes distillation stop paying at a smaller compute.
        Assert.Equal(1e9, free.Compute!.Value, 1e9 * 1e-9);
        Assert.True(counted.Compute < free.Compute, $"{counted.Compute} vs {free.Compute}");
    }
}
