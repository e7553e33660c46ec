namespace ScaleLab.Laws.Tests;

/// <summary>Degenerate inputs end with an error or a warning, never with zero-width intervals read as a result.</summary>
public sealed class DegenerateInputTests
{
    private static readonly PowerLaw Law = new(LawInputs.C);

    [Fact]
    public void Fit_IdenticalRows_ThrowsOneLineError()
    {
        // Given ten copies of one run
        var data = new ScalingDataset("same.csv", Enumerable.Repeat(2.5, 10).ToArray(), c: Enumerable.Repeat(1e18, 10).ToArray());

        // When / Then
        var ex = Assert.Throws<InvalidDataException>(() => LawFitter.Fit(Law, data));
        Assert.Contains("all 10 points have the same inputs", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Fit_AllRunsAtOneComputeLawInC_ThrowsNamingTheCompute()
    {
        // Given eight runs of different sizes, all at C = 1e18
        var data = new ScalingDataset("one.csv", [3.1, 2.9, 2.8, 2.75, 2.8, 2.9, 3.0, 3.2], c: Enumerable.Repeat(1e18, 8).ToArray());

        // When / Then
        var ex = Assert.Throws<InvalidDataException>(() => LawFitter.Fit(Law, data));
        Assert.Contains("all 8 runs are at one compute (C = 1e+18)", ex.Message);
    }

    [Fact]
    public void Fit_TwoDistinctPointsRepeated_ThrowsForTooFewDistinctPoints()
    {
        var c = Enumerable.Range(0, 12).Select(i => i % 2 == 0 ? 1e18 : 1e19).ToArray();
        var data = new ScalingDataset("two.csv", c.Select(x => x == 1e18 ? 2.5 : 2.3).ToArray(), c: c);
        var ex = Assert.Throws<InvalidDataException>(() => LawFitter.Fit(Law, data));
        Assert.Contains("only 2 distinct input points", ex.Message);
    }

    [Fact]
    public void Fit_AllRunsAtOneCompute_ChinchillaWarnsAndIsNotIdentified()
    {
        // Given eight sizes on one isoFLOP line
        double c = 1e18;
        var points = Synthetic.LogSpace(1e6, 1e8, 8).Select(n => new LawPoint(n, c / (6 * n), c)).ToList();
        var data = Synthetic.FromLaw(ChinchillaLaw.Instance, Synthetic.ChinchillaTruth, points, 0.01, 1);

        // When
        var fit = LawFitter.Fit(ChinchillaLaw.Instance, data, new FitOptions { Starts = Synthetic.SmallChinchillaGrid() })
            .WithBootstrap(data, new BootstrapOptions { Samples = 40, Seed = 1, GridStarts = 0 });

        // Then
        Assert.Contains(fit.Diagnostics!.Warnings, w => w.Contains("share one compute budget"));
        Assert.False(fit.Identification().AllIdentified);
    }

    [Fact]
    public void Fit_SingleExtremePoint_WarnsOfItsLeverage()
    {
        // Given nine runs within one decade and one run three decades beyond
        var cs = Synthetic.LogSpace(1e17, 1e18, 9).Append(1e21).ToArray();
        var data = Synthetic.FromLaw(Law, [1.7, 30, 0.07], cs.Select(c => new LawPoint(C: c)).ToList(), 0.01, 2);

        // When
        var fit = LawFitter.Fit(Law, data);

        // Then the extreme run (row 10) is named as pinning the fit
        Assert.True(fit.Diagnostics!.Leverage[9] > FitDiagnostics.HighLeverage, $"leverage {fit.Diagnostics.Leverage[9]}");
        Assert.Contains(fit.Diagnostics.Warnings, w => w.StartsWith("data row 10 has leverage", StringComparison.Ordinal));
    }

    [Fact]
    public void Identify_NoiseFreeData_ZeroWidthBootstrapIntervalIsNotAResult()
    {
        // Given exact losses: every resample refits the same curve, so the bootstrap intervals have zero width
        var points = Synthetic.LogSpace(1e15, 1e21, 8).Select(c => new LawPoint(C: c)).ToList();
        var data = Synthetic.FromLaw(Law, [1.7, 30, 0.07], points, 0, 1);

        // When
        var fit = LawFitter.Fit(Law, data).WithBootstrap(data, new BootstrapOptions { Samples = 30, Seed = 1 });
        var report = fit.Identification();

        // Then no parameter counts as identified on a zero-width interval
        Assert.False(report.AllIdentified);
        Assert.All(report.Parameters, p => Assert.Contains("zero width", p.Statement));
    }

    [Fact]
    public void Identify_NoiseFreeDataNegativeControl_NoisyDataIsIdentified()
    {
        // The same design with 1% noise passes, so the zero-width verdict above is about the degenerate input
        var points = Synthetic.LogSpace(1e15, 1e21, 8).Select(c => new LawPoint(C: c)).ToList();
        var data = Synthetic.FromLaw(Law, [1.7, 30, 0.07], points, 0.002, 1);
        var fit = LawFitter.Fit(Law, data).WithBootstrap(data, new BootstrapOptions { Samples = 60, Seed = 1 });
        Assert.DoesNotContain(fit.Identification().Parameters, p => p.Statement.Contains("zero width"));
    }
}
