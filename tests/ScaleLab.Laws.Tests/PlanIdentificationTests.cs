using Xunit.Abstractions;

namespace ScaleLab.Laws.Tests;

/// <summary>Plans say how far they extrapolate, are labelled or refused when unidentified, and their N_opt intervals cover the truth.</summary>
public sealed class PlanIdentificationTests(ITestOutputHelper output)
{
    private static readonly double[] Truth = Synthetic.ChinchillaTruth; // E, A, B, alpha, beta

    [Fact]
    public void Plan_UnidentifiedFit_RefusedOrLabelledWhenForced()
    {
        // Given the 3 × 3 sweep whose exponents are not identified
        var data = IdentificationTests.SmallSweep();
        var fit = LawFitter.Fit(ChinchillaLaw.Instance, data, new FitOptions { Starts = Synthetic.SmallChinchillaGrid() })
            .WithBootstrap(data, new BootstrapOptions { Samples = 60, Seed = 2, GridStarts = 0 });

        // When / Then: refused on request, labelled otherwise
        var ex = Assert.Throws<UnidentifiedPlanException>(() => ComputePlanner.Plan(fit, 1e15, new PlanOptions { RefuseUnidentified = true }));
        Assert.StartsWith("plan not made:", ex.Message);
        var forced = ComputePlanner.Plan(fit, 1e15);
        Assert.Equal(PlanStatus.Unidentified, forced.Status);
        Assert.True(forced.Forced);
        Assert.StartsWith("UNIDENTIFIED", forced.Label);
    }

    [Fact]
    public void Plan_BudgetBeyondData_StatesDecadesBeyond()
    {
        // Given a fit to a grid whose largest compute is 6e22
        var data = Synthetic.FromLaw(ChinchillaLaw.Instance, Truth, Synthetic.NdGrid(5), 0.01, 1);
        var fit = LawFitter.Fit(ChinchillaLaw.Instance, data, new FitOptions { Starts = Synthetic.SmallChinchillaGrid() });

        // When
        var plan = ComputePlanner.Plan(fit, 6e24);

        // Then
        Assert.Equal(2.0, plan.DecadesBeyondData!.Value, 1e-9);
        Assert.Contains(plan.Statements, s => s.Contains("2 decades beyond the largest fitted compute"));
        Assert.Equal(PlanStatus.NoIntervals, plan.Status);
    }

    [Fact]
    public void Plan_DocumentRoundTrip_KeepsIdentificationAndRange()
    {
        var data = IdentificationTests.SmallSweep();
        var fit = LawFitter.Fit(ChinchillaLaw.Instance, data, new FitOptions { Starts = Synthetic.SmallChinchillaGrid() })
            .WithBootstrap(data, new BootstrapOptions { Samples = 40, Seed = 2, GridStarts = 0 });
        var doc = LawFitDocument.Parse(LawFitDocument.From(fit).ToJson(), "fit.json");

        Assert.False(doc.Identification!.AllIdentified);
        Assert.Equal(fit.Diagnostics!.Range.CMax, doc.Data!.CMax);
        Assert.Throws<UnidentifiedPlanException>(() => ComputePlanner.Plan(doc, 1e15, new PlanOptions { RefuseUnidentified = true }));
        Assert.Equal(PlanStatus.Unidentified, ComputePlanner.Plan(doc, 1e15, new PlanOptions()).Status);
    }

    /// <summary>
    /// Synthetic studies from the known law (a 5 × 5 (N, D) grid, 2% log-normal noise, Huber fit, case bootstrap),
    /// each planned at 10× its largest compute; counts how often the 95% N_opt interval covers the true N_opt.
    /// </summary>
    internal static (int Covered, int Studies) Coverage(int studies, int samples, Func<double[], double[]> truthSeenByFit, FitConstraints? constraints = null)
    {
        int covered = 0;
        for (int s = 0; s < studies; s++)
        {
            var data = Synthetic.FromLaw(ChinchillaLaw.Instance, truthSeenByFit(Truth), Synthetic.NdGrid(5), 0.02, 100 + s);
            var fit = LawFitter.Fit(ChinchillaLaw.Instance, data, new FitOptions { Starts = Synthetic.SmallChinchillaGrid(), Constraints = constraints })
                .WithBootstrap(data, new BootstrapOptions { Samples = samples, Seed = (ulong)s, GridStarts = 0 });
            double compute = 10 * data.C!.Max();
            var plan = ComputePlanner.Plan(fit, compute);
            var (trueN, _) = ComputePlanner.Optimal(Truth[1], Truth[2], Truth[3], Truth[4], compute);
            covered += plan.NInterval!.Contains(trueN) ? 1 : 0;
        }
        return (covered, studies);
    }

    [Fact]
    public void Plan_SyntheticStudies_NOptIntervalCoversTruthNearNominal()
    {
        // When 12 studies × 30 resamples (360 refits) are planned
        var (covered, studies) = Coverage(12, 30, t => t);

        // Then at least 9 of 12 cover (P(≤ 8 | p = 0.95) ≈ 0.2%)
        output.WriteLine($"{covered}/{studies} covered");
        Assert.True(covered >= 9, $"{covered}/{studies} covered");
    }

    [Fact]
    public void Plan_SyntheticStudiesWrongFloorNegativeControl_CoverageCollapses()
    {
        // When the same studies are fitted with no floor (E fixed at 1e-6: the pure power law L = A/N^alpha + B/D^beta)
        var (covered, studies) = Coverage(12, 30, t => t, FitConstraints.Parse(["E=1e-6"], []));

        // Then the intervals are confidently wrong: at most 4 of 12 cover
        output.WriteLine($"{covered}/{studies} covered");
        Assert.True(covered <= 4, $"{covered}/{studies} covered with a wrong floor");
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void Plan_ManySyntheticStudies_NOptCoverageWithinBinomialBand()
    {
        // 60 studies × 100 resamples: coverage of the nominal 95% interval within [0.85, 1]
        var (covered, studies) = Coverage(60, 100, t => t);
        output.WriteLine($"{covered}/{studies} covered");
        Assert.InRange(covered / (double)studies, 0.85, 1.0);
    }
}
