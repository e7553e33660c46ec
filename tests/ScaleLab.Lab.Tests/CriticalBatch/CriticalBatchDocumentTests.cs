using System.Text.Json;
using ScaleLab.Engine;
using ScaleLab.Lab.Studies.CriticalBatch;
using ScaleLab.Laws;

namespace ScaleLab.Lab.Tests.CriticalBatch;

public sealed class CriticalBatchDocumentTests
{
    private static CriticalBatchFit Fit(double bCritHi) => new(SMin: 100, EMin: 3200, BCrit: 32,
        new Interval(80, 120), new Interval(2000, 5000), new Interval(20, bCritHi), Confidence: 0.95, ResidualStdDev: 0.05,
        Count: 3, MinBatch: 4, MaxBatch: 64);

    [Fact]
    public void ToJson_UnboundedIntervalAndTargetWithoutFit_NullsThereAndTheRunsReportedAsGiven()
    {
        // Given: one target whose B_crit interval has no upper end, one with too few batch sizes for a fit
        var analysis = new CriticalBatchAnalysis(
        [
            new TargetResult(2.4, [new BatchRun(4, 250), new BatchRun(16, 120), new BatchRun(64, 105)], [1e-2, 1e-2, 5e-3], Fit(double.PositiveInfinity), 16),
            new TargetResult(2.0, [new BatchRun(4, 900)], [1e-2], null, null),
        ], null, 32, 16);
        SweepOutcome[] outcomes = [new(4, 1e-2, 2, 500, 250, [new LossPoint(100, 2.6), new LossPoint(250, 2.39)],
            [new NoiseScalePoint(2.39, 15.5)], SweepEnding.StepCap, "k1", TrainedNow: true, ResumedFromStep: 100)];

        // When
        using var json = JsonDocument.Parse(CriticalBatchDocument.ToJson(analysis, outcomes, new GptConfig(2, 32, 2, 32), "synthetic",
            ["f.png", "f-bcrit.png"], "cb", "sqlite:r.db"));

        // Then
        var root = json.RootElement;
        var targets = root.GetProperty("targets");
        Assert.Equal(JsonValueKind.Null, targets[0].GetProperty("b_crit_interval").GetProperty("hi").ValueKind);
        Assert.Equal(20, targets[0].GetProperty("b_crit_interval").GetProperty("lo").GetDouble());
        Assert.False(targets[0].GetProperty("b_crit_within_observed_range").ValueKind == JsonValueKind.Null);
        Assert.Equal(JsonValueKind.Null, targets[1].GetProperty("b_crit").ValueKind);
        Assert.Equal(JsonValueKind.Null, targets[1].GetProperty("b_simple").ValueKind);
        Assert.Equal(1000, targets[0].GetProperty("runs")[0].GetProperty("examples").GetDouble());
        Assert.Equal(2.0, root.GetProperty("ratio_b_crit_over_b_simple").GetDouble());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("loss_scaling").ValueKind);
        var run = Assert.Single(root.GetProperty("sweep").EnumerateArray());
        Assert.Equal(("k1", true, 100L, "StepCap"), (run.GetProperty("run_key").GetString(), run.GetProperty("trained_now").GetBoolean(),
            run.GetProperty("resumed_from_step").GetInt64(), run.GetProperty("ending").GetString()));
        Assert.Equal(2.39, run.GetProperty("curve")[1].GetProperty("validation_loss").GetDouble());
        Assert.Equal(32, root.GetProperty("model").GetProperty("d_model").GetInt32());
        Assert.Equal(["command", "study", "registry"], root.EnumerateObject().Select(p => p.Name).Where(n => n is "command" or "study" or "registry"));
        Assert.Equal("registry", root.EnumerateObject().Last().Name);
    }
}
