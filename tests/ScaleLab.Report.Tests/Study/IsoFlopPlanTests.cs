using ScaleLab.Laws.IsoFlop;
using ScaleLab.Report.Study;

namespace ScaleLab.Report.Tests.Study;

public sealed class IsoFlopPlanTests
{
    /// <summary>isoFLOP profiles of L = E + A/N^α + B/D^β on 4 budgets over 2 decades, 9 sizes each around the optimum.</summary>
    private static List<IsoFlopRun> Grid(double e, double a, double b, double alpha, double beta, double noise, Random rng)
    {
        var runs = new List<IsoFlopRun>();
        foreach (var c in new[] { 1e10, 4.64e10, 2.15e11, 1e12 })
        {
            var g = Math.Pow(alpha * a / (beta * b), 1 / (alpha + beta));
            var nOpt = g * Math.Pow(c / 6, beta / (alpha + beta));
            for (var k = -4; k <= 4; k++)
            {
                var n = nOpt * Math.Pow(10, k * 0.15);
                var loss = e + (a / Math.Pow(n, alpha)) + (b / Math.Pow(c / (6 * n), beta));
                runs.Add(new IsoFlopRun(c, n, loss * (1 + (noise * ((rng.NextDouble() * 2) - 1)))));
            }
        }
        return runs;
    }

    [Fact]
    public void From_KnownLaw_IntervalCoversTheTrueOptimumTenTimesBeyond()
    {
        // Given: alpha = beta, so N_opt ∝ C^0.5 exactly
        const double e = 1.5, a = 400, b = 400, alpha = 0.35, beta = 0.35;
        var covered = 0;
        const int trials = 40;
        for (var t = 0; t < trials; t++)
        {
            var iso = IsoFlopAnalysis.Fit(Grid(e, a, b, alpha, beta, 0.002, new Random(t)), new IsoFlopOptions { Bootstrap = 0 });

            // When
            var plan = IsoFlopPlan.From(iso, 1e13)!;

            // Then
            var truth = Math.Pow(1e13 / 6, 0.5);
            covered += plan.Lo <= truth && truth <= plan.Hi ? 1 : 0;
            Assert.True(plan.Lo < plan.N && plan.N < plan.Hi);
        }
        // Near-nominal coverage of a 95% interval over 40 noisy studies (binomial: ≥ 33 of 40 has probability > 0.99).
        Assert.True(covered >= 33, $"{covered}/{trials} covered");
    }

    [Fact]
    public void From_AnyStudy_EqualsTheLineFormulaWrittenOut()
    {
        // Given a noisy study, and the prediction interval written out from the accepted budgets (the formula
        // IsoFlopPlan computed inline before it moved to LinearFit.MeanInterval)
        var iso = IsoFlopAnalysis.Fit(Grid(1.5, 400, 900, 0.34, 0.28, 0.003, new Random(7)), new IsoFlopOptions { Bootstrap = 0 });
        var x = iso.Accepted.Select(b => Math.Log10(b.Compute)).ToArray();
        var n = x.Length;
        var mean = x.Average();
        var sxx = x.Sum(v => (v - mean) * (v - mean));
        var x0 = Math.Log10(3e13);
        var y0 = iso.NFit.Predict(x0);
        var se = iso.NFit.ResidualStdError * Math.Sqrt((1.0 / n) + ((x0 - mean) * (x0 - mean) / sxx));
        var t = MathNet.Numerics.Distributions.StudentT.InvCDF(0, 1, n - 2, 0.5 + (0.95 / 2));

        // When
        var plan = IsoFlopPlan.From(iso, 3e13)!;

        // Then bit for bit
        Assert.Equal(Math.Pow(10, y0), plan.N);
        Assert.Equal(Math.Pow(10, y0 - (t * se)), plan.Lo);
        Assert.Equal(Math.Pow(10, y0 + (t * se)), plan.Hi);
        Assert.Equal(n, plan.Budgets);
    }

    [Fact]
    public void From_NegativeControl_ZeroWidthIntervalUnderCovers()
    {
        // Given: the same studies, but the interval of a deliberately wrong variant that ignores the line's
        // uncertainty (the point prediction alone) must fail the coverage test above.
        const double e = 1.5, a = 400, b = 400, alpha = 0.35, beta = 0.35;
        var covered = 0;
        for (var t = 0; t < 40; t++)
        {
            var iso = IsoFlopAnalysis.Fit(Grid(e, a, b, alpha, beta, 0.002, new Random(t)), new IsoFlopOptions { Bootstrap = 0 });
            var plan = IsoFlopPlan.From(iso, 1e13)!;
            var truth = Math.Pow(1e13 / 6, 0.5);
            covered += Math.Abs(Math.Log(plan.N / truth)) < 1e-9 ? 1 : 0;
        }
        Assert.True(covered < 33, $"{covered}/40");
    }
}
