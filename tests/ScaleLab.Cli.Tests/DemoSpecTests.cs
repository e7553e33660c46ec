using ScaleLab.Cli.Commands;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Cli.Tests;

/// <summary>The demo's sweep is designed to identify what it reports (issue 10: an isoFLOP design).</summary>
public sealed class DemoSpecTests
{
    [Fact]
    public void Toml_FullStudy_IsoFlopDesignWithFourBudgetsOverTwoDecadesAndFiveSizesEach()
    {
        // Given
        var spec = SweepSpec.Parse(DemoSpec.Toml(quick: false));

        // When
        var runs = spec.Expand();
        var budgets = runs.GroupBy(r => Math.Round(Math.Log10(6.0 * r.Model.NonEmbeddingParameterCount * r.Tokens), 1)).ToList();

        // Then: ≥ 4 budgets spanning ≥ 2 decades, ≥ 5 sizes at each, every run ≥ 120 steps with a 20% warmup.
        Assert.True(budgets.Count >= 4, $"{budgets.Count} budgets");
        Assert.True(budgets.Max(b => b.Key) - budgets.Min(b => b.Key) >= 1.99, "span under 2 decades");
        Assert.All(budgets, b => Assert.True(b.Select(r => r.DModel).Distinct().Count() >= 5, $"budget 1e{b.Key}: {b.Select(r => r.DModel).Distinct().Count()} sizes"));
        Assert.All(runs, r => Assert.True(r.Steps >= 120, $"{r.Layers}x{r.DModel}: {r.Steps} steps"));
        Assert.All(runs, r => Assert.Equal((int)Math.Round(DemoSpec.WarmupFraction * r.Steps), r.WarmupSteps));
    }

    [Fact]
    public void Toml_FullStudy_RateRuleCheckedAtHalfAndTwiceAtTwoBudgets()
    {
        // Given
        var runs = SweepSpec.Parse(DemoSpec.Toml(quick: false)).Expand();

        // When: the configurations run at more than one rate
        var checkedConfigs = runs.GroupBy(r => (r.DModel, r.Steps)).Where(g => g.Count() > 1).ToList();

        // Then: each at half, the rule and twice the rule's rate, on at least 6 configurations and 2 budgets.
        Assert.True(checkedConfigs.Count >= 6, $"{checkedConfigs.Count} configurations with a rate check");
        Assert.All(checkedConfigs, g =>
        {
            var rule = DemoSpec.LearningRate(g.Key.DModel);
            Assert.Equal([rule / 2, rule, rule * 2], g.Select(r => r.LearningRate).Order().ToArray(), (a, b) => Math.Abs(a - b) < 1e-4 * b);
        });
        Assert.True(checkedConfigs.Select(g => Math.Round(Math.Log10(6.0 * g.First().Model.NonEmbeddingParameterCount * g.First().Tokens), 1)).Distinct().Count() >= 2);
    }
}
