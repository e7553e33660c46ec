using ScaleLab.Engine;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Studies.GradientNoise;

namespace ScaleLab.Lab.Tests.GradientNoise;

public sealed class GradientNoiseRegistryRunTests
{
    private static readonly TrainOptions Options = new()
    {
        Model = new GptConfig(1, 16, 2, 16),
        Batch = 8,
        MicroBatches = 2,
        Steps = 6,
        LearningRate = 1e-2,
        WarmupFraction = 0.1,
        EvalInterval = 3,
        EvalSequences = 32,
        Seed = 5,
    };

    /// <summary>A done run's record and the rows its session would log: made-up raw estimates, B_simple from the tracker.</summary>
    private static (RunRecord Record, List<MetricRow> Rows) Logged()
    {
        var spec = GradientNoiseRegistryRun.Plan("g", "synthetic", null, Options, 0.9);
        var tracker = new GradientNoiseTracker(0.9);
        var rows = new List<MetricRow>();
        for (var step = 1; step <= 6; step++)
        {
            var estimate = new NoiseEstimate(1.0 / step - 0.05 * step, 2.0 + 0.3 * step);
            var noise = tracker.Update(step, estimate);
            rows.Add(new MetricRow(step, step * 128L, 4.0 - 0.1 * step, step % 3 == 0 ? 3.9 - 0.1 * step : null, 1e-2, 1.0,
                estimate.GradNormSq, estimate.TraceCov, noise.BSimple));
        }
        var n = spec.ToNewRun();
        var record = new RunRecord(n.Key, "g", 0, n.ConfigJson, n.Seed, RunStatus.Done, n.Parameters, n.NonEmbeddingParameters, n.Tokens,
            n.Flops, DateTimeOffset.UnixEpoch, null, null, null, null, 1, 3.3, null);
        return (record, rows);
    }

    [Fact]
    public void Plan_TrainOptions_RunTrainsTheSameOptions()
    {
        // Given
        var spec = GradientNoiseRegistryRun.Plan("g", "synthetic", null, Options, 0.9);

        // When
        var trained = RunExecution.ToTrainOptions(spec, Options.Threads);

        // Then: warmup round(0.1·6) = 1 step, 32 evaluation windows = 4 batches of 8 (so left out of the key)
        Assert.Equal(Options.Schedule, trained.Schedule);
        Assert.Equal(Options with { WarmupSteps = 1, WarmupFraction = null }, trained with { WarmupFraction = null });
        Assert.Equal((2, 0.9, 4, (int?)null), (spec.MicroBatches, spec.GnsEma, spec.EvalBatches, spec.EvalSequences));
    }

    [Fact]
    public void Plan_AdamBetaOutsideTheRunSpec_Refused()
    {
        // Given: a β₁ a registry run cannot carry
        var options = Options with { Beta1 = 0.8 };

        // When / Then
        Assert.Throws<ArgumentException>(() => GradientNoiseRegistryRun.Plan("g", "synthetic", null, options, 0.9));
    }

    [Fact]
    public void Read_LoggedRows_EmasRebuiltAndBSimpleAsLogged()
    {
        // Given
        var (record, rows) = Logged();

        // When
        var trajectory = GradientNoiseRegistryRun.Read(record, rows, "corpus");

        // Then: six points whose B_simple is the logged one and is the ratio of the rebuilt EMAs; the final loss is the record's
        Assert.Equal(rows.Select(r => r.BSimple!.Value), trajectory.Points.Select(p => p.Record.BSimple));
        Assert.All(trajectory.Points, p => Assert.Equal(p.Record.TraceCovEma / p.Record.GradNormSqEma, p.Record.BSimple, 1e-12));
        Assert.Equal(3.3, trajectory.ValidationLoss);
    }

    [Fact]
    public void Read_LoggedBSimpleAltered_Throws()
    {
        // Given: one logged B_simple changed in its last bit (an edited registry)
        var (record, rows) = Logged();
        rows[3] = rows[3] with { BSimple = Math.BitIncrement(rows[3].BSimple!.Value) };

        // When / Then
        var error = Assert.Throws<InvalidOperationException>(() => GradientNoiseRegistryRun.Read(record, rows, "corpus"));
        Assert.Contains("step 4", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_StepMissingOrRunNotDone_Throws()
    {
        // Given
        var (record, rows) = Logged();

        // When / Then
        Assert.Throws<InvalidOperationException>(() => GradientNoiseRegistryRun.Read(record, rows.Where(r => r.Step != 2).ToList(), "corpus"));
        Assert.Throws<InvalidOperationException>(() => GradientNoiseRegistryRun.Read(record, rows.Take(5).ToList(), "corpus"));
        Assert.Throws<InvalidOperationException>(() => GradientNoiseRegistryRun.Read(record with { Status = RunStatus.Running }, rows, "corpus"));
    }
}
