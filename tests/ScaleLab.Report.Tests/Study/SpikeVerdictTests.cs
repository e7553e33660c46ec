using ScaleLab.Report.Study;

namespace ScaleLab.Report.Tests.Study;

public sealed class SpikeVerdictTests
{
    // A falling training curve of 200 steps of 512 tokens with batch scatter of ±0.15 nats, and optionally one step
    // raised by `jump` nats.
    private static RunRow Run(string shape, int spikeStep = -1, double jump = 0)
    {
        var curve = Enumerable.Range(1, 200).Select(s =>
        {
            var loss = 1.7 + (3.8 * Math.Exp(-s / 20.0)) + (0.15 * Math.Sin(s * 1.7));
            return new CurvePoint(s * 512.0, loss + (s == spikeStep ? jump : 0), null);
        }).ToList();
        return new RunRow(shape, shape, 1, 10_000, 20_000, 200 * 512.0, 6e4 * 512, 1.7, 1.7, "done", curve);
    }

    [Fact]
    public void SpikeVerdict_OneRunJumpsTwoNats_NamesItWithItsRiseAndWhere()
    {
        // Given: three clean runs and one whose step 60 jumps 2 nats
        var rows = new[] { Run("L2 C16 H2"), Run("L2 C20 H2"), Run("L2 C26 H2", spikeStep: 60, jump: 2.0), Run("L2 C32 H2") };

        // When
        var verdict = ReportRows.SpikeVerdict(rows);

        // Then
        Assert.NotNull(verdict);
        Assert.StartsWith("Loss spikes: 1 of the 4 runs", verdict, StringComparison.Ordinal);
        Assert.Contains("L2 C26 H2", verdict, StringComparison.Ordinal);
        Assert.Contains("at 30% of its tokens", verdict, StringComparison.Ordinal);
    }

    [Fact]
    public void SpikeVerdict_OnlyBatchScatter_NoneAndTheLargestRise()
    {
        // Given: the same runs without the jump, and one with a jump below the threshold (0.6 nats)
        var rows = new[] { Run("L2 C16 H2"), Run("L2 C20 H2"), Run("L2 C26 H2", spikeStep: 60, jump: 0.6) };

        // When
        var verdict = ReportRows.SpikeVerdict(rows);

        // Then
        Assert.NotNull(verdict);
        Assert.StartsWith("Loss spikes: none of the 3 runs", verdict, StringComparison.Ordinal);
        Assert.Contains("largest rise: L2 C26 H2", verdict, StringComparison.Ordinal);
    }

    [Fact]
    public void LargestRise_FallingCurve_IsTheLargestStepAboveTheRunningMinimum()
    {
        // Given: 5, 4, 3, 3.5 (rise 0.5), 2, 4.5 (rise 2.5), 1
        var curve = new[] { 5.0, 4, 3, 3.5, 2, 4.5, 1 }.Select((l, i) => new CurvePoint(i + 1, l, null)).ToList();

        // When
        var (rise, tokens) = ReportRows.LargestRise(curve);

        // Then
        Assert.Equal(2.5, rise, 12);
        Assert.Equal(6, tokens);
    }
}
