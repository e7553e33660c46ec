using System.Text.Json;
using ScaleLab.Engine;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Studies.CriticalBatch;
using ScaleLab.Lab.Studies.GradientNoise;

namespace ScaleLab.Lab.Tests.GradientNoise;

public sealed class GnsDocumentTests
{
    private static readonly TrainOptions Options = new()
    {
        Model = new GptConfig(Layers: 1, DModel: 16, Heads: 2, SeqLen: 16),
        Batch = 8,
        MicroBatches = 2,
        Steps = 5,
        LearningRate = 1e-2,
        Seed = 3,
    };

    /// <summary>A hand-made trajectory whose B_simple at step s is <paramref name="bSimple"/>(s).</summary>
    private static GradientNoiseTrajectory Trajectory(TrainOptions options, Func<long, double> bSimple) =>
        new(options, "test corpus",
            [.. Enumerable.Range(1, (int)options.Steps).Select(s => new GradientNoisePoint(s, s * 128L, 5.0 - 0.1 * s,
                new GradientNoiseRecord(s, 1.0, bSimple(s), 1.0, bSimple(s), bSimple(s))))],
            4.5);

    [Fact]
    public void SecondHalf_FiveSteps_MeansOverStepsThreeToFive()
    {
        // Given: B_simple = s (micro) and 2s (per-example), so the means over steps 3-5 are 4 and 8
        var comparison = new PerExampleComparison(Trajectory(Options, s => s), Trajectory(Options with { MicroBatches = 8 }, s => 2.0 * s));

        // When
        var window = comparison.SecondHalf;
        var (perExample, micro, ratio) = comparison.SecondHalfMean();

        // Then: (S/2, S] with integer S/2, and the closed-form means; the whole run (mean 3) would differ
        Assert.Equal((3L, 5L), window);
        Assert.Equal((8.0, 4.0, 2.0), (perExample, micro, ratio));
        Assert.NotEqual(micro, comparison.MeanOver(1, 5).Micro);
    }

    [Fact]
    public void ToJson_Comparison_HoldsBothTrajectoriesRatiosAndSecondHalfMeans()
    {
        // Given
        var comparison = new PerExampleComparison(Trajectory(Options, s => s), Trajectory(Options with { MicroBatches = 8 }, s => 3.0 * s));

        // When
        using var doc = JsonDocument.Parse(GnsDocument.ToJson(comparison, 0.9));

        // Then
        var root = doc.RootElement;
        Assert.Equal(3, root.GetProperty("mean_from_step").GetInt64());
        Assert.Equal(3.0, root.GetProperty("mean_ratio").GetDouble());
        Assert.All(root.GetProperty("ratio_per_example_over_micro").EnumerateArray(), r => Assert.Equal(3.0, r.GetDouble()));
        Assert.Equal(1, root.GetProperty("per_example").GetProperty("micro_batch_size").GetInt32());
        var step2 = root.GetProperty("micro").GetProperty("trajectory")[1];
        Assert.Equal(2.0 * 16, step2.GetProperty("b_simple_tokens").GetDouble());
        Assert.Equal(0.9, root.GetProperty("micro").GetProperty("ema_decay").GetDouble());
    }

    [Fact]
    public void ToJson_RegistryRun_EndsWithStudyAndRun()
    {
        // Given
        var run = new SweepOutcome(8, 1e-2, 2, 5, 5, [], [], SweepEnding.StepCap, "abc123", TrainedNow: true, ResumedFromStep: 4);

        // When
        using var doc = JsonDocument.Parse(GnsDocument.ToJson(Trajectory(Options, s => s), 0.99, "gns-b8", run));

        // Then: the trajectory's fields first, then the registry run's, in this order
        var names = doc.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal("command", names[0]);
        Assert.Equal(["study", "run_key", "trained_now", "resumed_from_step"], names[^4..]);
        Assert.Equal("abc123", doc.RootElement.GetProperty("run_key").GetString());
        Assert.Equal(4, doc.RootElement.GetProperty("resumed_from_step").GetInt64());
        Assert.Equal(5, doc.RootElement.GetProperty("trajectory").GetArrayLength());
    }
}
