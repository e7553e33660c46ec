using ScaleLab.Engine.Sampling;

namespace ScaleLab.Engine.Tests.Sampling;

/// <summary><c>--gamma auto</c>: γ maximising E(α, γ)/(γc + v(γ)) with the verify cost v measured and interpolated.</summary>
public sealed class VerifyCostCurveTests
{
    /// <summary>The issue's formula written out here, not through the library: (1 − α^(γ+1)) / ((1 − α)(γc + v)).</summary>
    private static double Speedup(double alpha, int gamma, double c, double v) =>
        (alpha == 1 ? gamma + 1 : (1 - Math.Pow(alpha, gamma + 1)) / (1 - alpha)) / (gamma * c + v);

    private static int Argmax(double alpha, double c, int maxGamma, Func<int, double> v)
    {
        var best = 1;
        for (var g = 2; g <= maxGamma; g++)
        {
            if (Speedup(alpha, g, c, v(g)) > Speedup(alpha, best, c, v(best))) best = g;
        }
        return best;
    }

    [Theory]
    [InlineData(0.01, 0.05)]
    [InlineData(0.02, 0.01)]
    [InlineData(0.05, 0.2)]
    [InlineData(0.001, 0.005)]
    public void OptimalGamma_AlphaOneQuadraticVerifyCost_IsTheClosedFormArgmax(double c, double b)
    {
        // Given α = 1 (E = γ + 1) and v(γ) = 1 + bγ²: S(γ) = (γ + 1)/(1 + cγ + bγ²), whose derivative's sign is that of
        // 1 − c − 2bγ − bγ² (decreasing in γ > 0), so S is unimodal with its peak at γ* = −1 + √(1 + (1 − c)/b) and the
        // integer argmax is ⌊γ*⌋ or ⌈γ*⌉, whichever S is larger at
        double V(int g) => 1 + b * g * g;
        var star = -1 + Math.Sqrt(1 + (1 - c) / b);
        int lo = (int)Math.Floor(star), hi = (int)Math.Ceiling(star);
        double S(int g) => (g + 1) / (1 + c * g + b * g * g);
        var expected = lo < 1 ? hi : S(lo) >= S(hi) ? lo : hi;
        Assert.InRange(expected, 1, 15);

        // When
        var gamma = SpeculativeStatistics.OptimalGamma(1.0, c, 16, V);

        // Then the closed form's γ; and the issue's rule (v ≡ 1), a deliberately wrong cost model here, misses it:
        // with α = 1 and c < 1 it always takes the longest draft
        Assert.Equal(expected, gamma);
        var issue = SpeculativeStatistics.OptimalGamma(1.0, c, 16);
        Assert.Equal(16, issue);
        Assert.NotEqual(expected, issue);
    }

    [Theory]
    [InlineData(6, 0.5, 0.3, 6)]   // vertex 6 − 0.3 = 5.7
    [InlineData(6, 0.25, 0.7, 5)]  // vertex 6 − 1.4 = 4.6
    [InlineData(10, 0.1, 0.4, 8)]  // vertex 10 − 2 = 8
    public void OptimalGamma_AlphaZeroQuadraticVerifyCost_IsTheIntegerNearestTheVertex(int m, double b, double c, int expected)
    {
        // Given α = 0 (E = 1): S(γ) = 1/(cγ + v(γ)) with v(γ) = 1 + b(γ − m)², maximal where the convex quadratic
        // cγ + b(γ − m)² is least, at γ* = m − c/(2b); the integer argmin is the integer nearest γ* (none of the cases is a
        // half-integer, where two integers would tie)
        double V(int g) => 1 + b * (g - m) * (g - m);
        var star = m - c / (2 * b);

        // When
        var gamma = SpeculativeStatistics.OptimalGamma(0.0, c, 16, V);

        // Then
        Assert.True(Math.Abs(gamma - star) <= 0.5, $"γ = {gamma}, vertex {star}");
        Assert.Equal(Argmax(0.0, c, 16, V), gamma);
        Assert.Equal(expected, gamma);
        // the issue's rule (v ≡ 1) at α = 0: every extra draft token only costs, so γ = 1
        Assert.Equal(1, SpeculativeStatistics.OptimalGamma(0.0, c, 16));
    }

    [Fact]
    public void OptimalGamma_UnitVerifyCost_ReducesToTheIssuesFormula()
    {
        // Given a grid of α and c
        foreach (var alpha in new[] { 0.0, 0.2, 0.5, 0.7, 0.87, 0.95, 0.99, 1.0 })
        {
            foreach (var c in new[] { 0.0, 0.005, 0.01, 0.05, 0.2, 0.5, 1.0 })
            {
                // When v ≡ 1
                var withCost = SpeculativeStatistics.OptimalGamma(alpha, c, 16, _ => 1.0);

                // Then the argmax and the speedup are the issue's (1 − α^(γ+1))/((1 − α)(γc + 1)), written out here
                Assert.Equal(Argmax(alpha, c, 16, _ => 1.0), withCost);
                Assert.Equal(SpeculativeStatistics.OptimalGamma(alpha, c, 16), withCost);
                for (var g = 1; g <= 16; g++)
                {
                    Assert.Equal(Speedup(alpha, g, c, 1), SpeculativeStatistics.TheoreticalSpeedup(alpha, g, c, 1), 12);
                    Assert.Equal(SpeculativeStatistics.TheoreticalSpeedup(alpha, g, c), SpeculativeStatistics.TheoreticalSpeedup(alpha, g, c, 1), 12);
                }
            }
        }
    }

    [Fact]
    public void OptimalGamma_RandomMeasuredCurves_IsTheBruteForceArgmaxOfTheInterpolatedCurve()
    {
        // Given random increasing verify costs at 1, 2, 4, 8, 16 (seeded), random α and c
        var rng = new Random(14);
        for (var trial = 0; trial < 200; trial++)
        {
            var grid = VerifyCostCurve.Grid(16);
            var v = 0.5 + rng.NextDouble();
            var costs = grid.Select(_ => v += rng.NextDouble() * 1.5).ToArray();
            var curve = new VerifyCostCurve(grid, costs);
            double alpha = rng.NextDouble(), c = rng.NextDouble() * 0.1;

            // When
            var gamma = SpeculativeStatistics.OptimalGamma(alpha, c, 16, curve.At);

            // Then
            Assert.Equal(Argmax(alpha, c, 16, curve.At), gamma);
        }
    }

    [Fact]
    public void At_LinearCost_IsExactEverywhereAndTheMeasurementsAtTheNodes()
    {
        // Given a verify cost linear in γ (what a CPU's arithmetic-bound pass would give), measured at 1, 2, 4, 8, 16
        double Line(int g) => 0.3 + 0.35 * g;
        var grid = VerifyCostCurve.Grid(16);
        var curve = new VerifyCostCurve(grid, grid.Select(Line).ToArray());

        // When / Then: linear interpolation reproduces a line at every γ
        for (var g = 1; g <= 16; g++) Assert.Equal(Line(g), curve.At(g), 12);

        // and between unequal slopes it is the chord: nodes (2, 1.0), (4, 3.0) give 2.0 at γ = 3
        var kinked = new VerifyCostCurve([1, 2, 4], [0.9, 1.0, 3.0]);
        Assert.Equal(0.9, kinked.At(1));
        Assert.Equal(2.0, kinked.At(3), 12);
    }

    [Fact]
    public void At_OutsideTheMeasuredRange_Refuses()
    {
        // Given / When / Then: no extrapolation
        var curve = new VerifyCostCurve([2, 4], [1.5, 2.5]);
        Assert.Throws<ArgumentOutOfRangeException>(() => curve.At(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => curve.At(5));
    }

    [Fact]
    public void Constructor_BadMeasurements_Throws()
    {
        // Given / When / Then
        Assert.Throws<ArgumentException>(() => new VerifyCostCurve([], []));
        Assert.Throws<ArgumentException>(() => new VerifyCostCurve([1, 2], [1.0]));
        Assert.Throws<ArgumentException>(() => new VerifyCostCurve([2, 1], [1.0, 1.0]));
        Assert.Throws<ArgumentException>(() => new VerifyCostCurve([0, 1], [1.0, 1.0]));
        Assert.Throws<ArgumentException>(() => new VerifyCostCurve([1, 2], [1.0, 0.0]));
        Assert.Throws<ArgumentException>(() => new VerifyCostCurve([1, 2], [1.0, double.NaN]));
    }

    [Theory]
    [InlineData(16, new[] { 1, 2, 4, 8, 16 })]
    [InlineData(5, new[] { 1, 2, 4, 5 })]
    [InlineData(1, new[] { 1 })]
    [InlineData(9, new[] { 1, 2, 4, 8, 9 })]
    public void Grid_AnyMax_PowersOfTwoAndTheMax(int maxGamma, int[] expected)
    {
        // Given / When / Then
        Assert.Equal(expected, VerifyCostCurve.Grid(maxGamma));
    }

    [Fact]
    public void Choose_CpuLikeCost_PicksTheMeasuredOptimumAndSaysWhatTheIssuesFormulaWouldPick()
    {
        // Given figures like the note's run 3 (α̂ 0.87, c 0.01) and a verify cost growing like 0.75 + 0.25γ (1 at γ = 1, 4.75 at 16)
        var grid = VerifyCostCurve.Grid(16);
        var curve = new VerifyCostCurve(grid, grid.Select(g => 0.75 + 0.25 * g).ToArray());

        // When
        var choice = AutoGammaChoice.Choose(0.87, 0.01, curve, 16);

        // Then the argmax at the measured cost, not the issue's γ = 16, which the measured cost predicts slower
        Assert.Equal(Argmax(0.87, 0.01, 16, g => 0.75 + 0.25 * g), choice.Gamma);
        Assert.InRange(choice.Gamma, 2, 6);
        Assert.Equal(16, choice.IssueGamma);
        Assert.Equal(Speedup(0.87, choice.Gamma, 0.01, 0.75 + 0.25 * choice.Gamma), choice.PredictedSpeedup, 12);
        Assert.Equal(Speedup(0.87, 16, 0.01, 1), choice.IssueGammaStatedSpeedup, 12);
        Assert.Equal(Speedup(0.87, 16, 0.01, 0.75 + 0.25 * 16), choice.IssueGammaPredictedSpeedup, 12);
        Assert.True(choice.PredictedSpeedup > choice.IssueGammaPredictedSpeedup);
        Assert.Contains("would pick γ = 16", choice.Explain(), StringComparison.Ordinal);
    }
}
