using ScaleLab.Engine.Sampling;

namespace ScaleLab.Engine.Tests.Sampling;

/// <summary><c>--gamma auto</c>: γ maximising E(α, γ)/(γc + v(γ)) with the verify cost v timed at a few γ and fitted by a
/// least-squares line.</summary>
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
    public void OptimalGamma_RandomMeasuredCurves_IsTheBruteForceArgmaxOfTheFittedCurve()
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
    public void At_LinearCost_IsExactEverywhere_AndOtherPointsGiveTheLeastSquaresLine()
    {
        // Given a verify cost linear in γ (what a CPU's arithmetic-bound pass would give), timed at 1, 2, 4, 8, 16
        double Line(int g) => 0.3 + 0.35 * g;
        var grid = VerifyCostCurve.Grid(16);
        var curve = new VerifyCostCurve(grid, grid.Select(Line).ToArray());

        // When / Then: the fitted line is that line at every γ, with no residual scatter
        for (var g = 1; g <= 16; g++) Assert.Equal(Line(g), curve.At(g), 12);
        Assert.Equal(0.3, curve.Intercept, 12);
        Assert.Equal(0.35, curve.Slope, 12);
        Assert.Equal(0, curve.ResidualStandardDeviation!.Value, 9);

        // and through bent points it is the least-squares line, worked by hand: (1, 0.9), (2, 1.0), (4, 3.0) have
        // γ̄ = 7/3, v̄ = 49/30, Sxx = 42/9, Sxy = 52/15, so b = 26/35, a = 49/30 − (26/35)(7/3) = −0.1,
        // residuals 0.2571, −0.3857, 0.1286 (RSS = Syy − b·Sxy = 0.2314 over 1 degree of freedom)
        var bent = new VerifyCostCurve([1, 2, 4], [0.9, 1.0, 3.0]);
        Assert.Equal(26.0 / 35, bent.Slope, 12);
        Assert.Equal(-0.1, bent.Intercept, 12);
        Assert.Equal(-0.1 + 3 * 26.0 / 35, bent.At(3), 12);
        Assert.Equal(Math.Sqrt(0.9 * 0.9 + 1.0 * 1.0 + 3.0 * 3.0 - 3 * (4.9 / 3) * (4.9 / 3) - 26.0 / 35 * (52.0 / 15)), bent.ResidualStandardDeviation!.Value, 9);
        // at γ = 1 the line (0.643) is below the cheapest timed pass (0.9), which is kept as the floor
        Assert.Equal(0.9, bent.At(1), 12);
    }

    [Fact]
    public void At_OneNoisyPoint_MovesTheFitLessThanTheInterpolationThroughIt()
    {
        // Given a line timed at 1, 2, 4, 8, 16 with the point at γ = 8 doubled (one disturbed timing)
        double Line(int g) => 1.0 + 0.1 * g;
        var grid = VerifyCostCurve.Grid(16);
        var noisy = grid.Select(g => g == 8 ? 2 * Line(g) : Line(g)).ToArray();

        // When
        var curve = new VerifyCostCurve(grid, noisy);

        // Then at the disturbed γ the fit is off by less than the disturbance, which interpolation would reproduce in full
        Assert.True(Math.Abs(curve.At(8) - Line(8)) < 0.5 * Line(8), $"fit {curve.At(8)} vs true {Line(8)}");
        Assert.True(curve.ResidualStandardDeviation > 0.3);
    }

    [Fact]
    public void StandardErrorAt_PlantedNoise_CoversTheTrueLineAtTheStatedRate_AndDroppingTheCovarianceOvercovers()
    {
        // Given a true line timed at γ = 1..8 with Gaussian noise (σ = 0.1), 2,000 seeded replicates; a 95% interval is
        // v̂ ± t(0.975, 6 dof)·SE with t = 2.4469
        double Line(int g) => 1.0 + 0.25 * g;
        int[] gammas = [1, 2, 3, 4, 5, 6, 7, 8];
        const double t95 = 2.4469;
        var rng = new Rng(714);
        int covered = 0, coveredWithoutCovariance = 0, replicates = 2000;
        for (var r = 0; r < replicates; r++)
        {
            var curve = new VerifyCostCurve(gammas, gammas.Select(g => Line(g) + 0.1 * rng.NextGaussian()).ToArray());
            var error = Math.Abs(curve.At(8) - Line(8));

            // When
            var se = curve.StandardErrorAt(8)!.Value;

            // Then (counted): the stated SE, and a deliberately wrong one without the 2γ·Cov(a, b) term (negative control)
            if (error <= t95 * se) covered++;
            var s2 = curve.ResidualStandardDeviation!.Value * curve.ResidualStandardDeviation.Value;
            var wrong = Math.Sqrt(s2 * (1.0 / 8 + 4.5 * 4.5 / 42) + 64 * s2 / 42); // Var a + γ² Var b, Sxx = 42, γ̄ = 4.5
            if (error <= t95 * wrong) coveredWithoutCovariance++;
        }

        // Then: 95% ± 3 binomial SEs (0.49 points each) for the stated SE; the wrong one covers nearly always
        var rate = (double)covered / replicates;
        Assert.InRange(rate, 0.935, 0.965);
        var wrongRate = (double)coveredWithoutCovariance / replicates;
        Assert.False(wrongRate is >= 0.935 and <= 0.965, $"the control covered at {wrongRate}");
        Assert.True(wrongRate > 0.99);
    }

    [Fact]
    public void StandardErrorAt_TwoPoints_IsNotIdentified()
    {
        // Given / When: two points, which the line passes through exactly
        var curve = new VerifyCostCurve([1, 4], [1.2, 2.1]);

        // Then
        Assert.Null(curve.StandardErrorAt(2));
        Assert.Null(curve.ResidualStandardDeviation);
        Assert.Equal(1.5, curve.At(2), 12);
        Assert.Contains("not identified", curve.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void At_OutsideTheMeasuredRange_Refuses()
    {
        // Given / When / Then: no extrapolation
        var curve = new VerifyCostCurve([2, 4], [1.5, 2.5]);
        Assert.Throws<ArgumentOutOfRangeException>(() => curve.At(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => curve.At(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => curve.StandardErrorAt(5));
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
        // an exact line has no scatter: the prediction's range at v ± 1 SE is the point itself
        Assert.Equal(choice.PredictedSpeedup, choice.PredictedSpeedupLow!.Value, 9);
        Assert.Equal(choice.PredictedSpeedup, choice.PredictedSpeedupHigh!.Value, 9);

        // and with scattered points the range brackets the prediction, at v(γ) ± SE as written out here
        var scattered = new VerifyCostCurve(grid, grid.Select((g, i) => 0.75 + 0.25 * g + (i % 2 == 0 ? 0.1 : -0.1)).ToArray());
        var wide = AutoGammaChoice.Choose(0.87, 0.01, scattered, 16);
        var se = scattered.StandardErrorAt(wide.Gamma)!.Value;
        Assert.True(se > 0);
        Assert.Equal(Speedup(0.87, wide.Gamma, 0.01, scattered.At(wide.Gamma) + se), wide.PredictedSpeedupLow!.Value, 12);
        Assert.Equal(Speedup(0.87, wide.Gamma, 0.01, scattered.At(wide.Gamma) - se), wide.PredictedSpeedupHigh!.Value, 12);
        Assert.True(wide.PredictedSpeedupLow < wide.PredictedSpeedup && wide.PredictedSpeedup < wide.PredictedSpeedupHigh);
        Assert.Contains("at v ± 1 SE of the line", wide.Explain(), StringComparison.Ordinal);
    }
}
