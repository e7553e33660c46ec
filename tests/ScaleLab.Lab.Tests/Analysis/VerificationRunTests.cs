using ScaleLab.Lab.Analysis;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Lab.Tests.Analysis;

public sealed class VerificationRunTests
{
    private static readonly RunSpec Template = new("demo", 3, "synthetic", null, 2, 16, 2, 32, 256, 16, 1000, 1e-2, 100, 0.1, 0, 1, 100, 32, 7);

    [Fact]
    public void Plan_PlannedN_NearestFamilyShapeTrainedOnComputeOver6NWithTheStudySettings()
    {
        // Given: N* = 20,000 and a budget of 1e12 FLOP
        // When
        var v = VerificationRun.Plan(Template, 20_000, 1e12, shape => 5e-3);

        // Then: the family shape nearest in log N, D = C/(6N) rounded up to whole steps, 10% warmup, everything else copied.
        var nearest = ShapeFamily.Shapes.MinBy(s => Math.Abs(Math.Log(ShapeFamily.NonEmbedding(s, 32) / 20_000.0)))!;
        Assert.Equal((nearest.Layers, nearest.DModel, nearest.Heads), (v.Run.Layers, v.Run.DModel, v.Run.Heads));
        Assert.InRange(6.0 * v.N * v.D, 1e12, 1e12 + (6.0 * v.N * 512));
        Assert.Equal((int)Math.Round(0.1 * v.Run.Steps), v.Run.WarmupSteps);
        Assert.Equal(5e-3, v.Run.LearningRate);
        Assert.Equal(Math.Max(Template.EvalInterval, v.Run.Steps / 20), v.Run.EvalInterval);
        Assert.Equal("demo.verify", v.Run.Study);
        Assert.Equal((Template.Corpus, Template.SeqLen, Template.BatchSize, Template.EvalBatches, Template.Seed, Template.MinLrFraction),
            (v.Run.Corpus, v.Run.SeqLen, v.Run.BatchSize, v.Run.EvalBatches, v.Run.Seed, v.Run.MinLrFraction));
    }

    [Fact]
    public void Plan_BudgetTooSmallForTheModel_RefusedWithTheStepCount()
    {
        var ex = Assert.Throws<ArgumentException>(() => VerificationRun.Plan(Template, 100_000, 1e9, _ => 1e-2));
        Assert.Contains("steps", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ShapeFamily_Sizes_IncreaseWithNeighboursUnder1Point8Apart()
    {
        var sizes = ShapeFamily.Shapes.Select(s => ShapeFamily.NonEmbedding(s, 32)).ToList();
        Assert.Equal(sizes.Order(), sizes);
        Assert.All(sizes.Zip(sizes.Skip(1)), p => Assert.True(p.Second < 1.8 * p.First, $"{p.First} -> {p.Second}"));
        Assert.All(ShapeFamily.Shapes, s => Assert.Equal(0, s.DModel % s.Heads));
    }
}
