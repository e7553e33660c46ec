namespace ScaleLab.Laws.Tests;

public sealed class SyntheticRecoveryTests
{
    private static void AssertClose(LawFit fit, double[] truth, double[] relTol)
    {
        for (int k = 0; k < truth.Length; k++)
        {
            double rel = Math.Abs(fit.Values[k] - truth[k]) / Math.Abs(truth[k]);
            Assert.True(rel <= relTol[k], $"{fit.Law} {fit.Symbols[k]} = {fit.Values[k]:G6}, truth {truth[k]:G6} (rel {rel:G3} > {relTol[k]})");
        }
    }

    [Fact]
    public void Fit_PowerLawOnNoisyData_RecoversParameters()
    {
        // Given: L = 1.7 + 30·C^-0.07 (a compute law), 40 points over 6 decades, 0.5% noise.
        var law = new PowerLaw(LawInputs.C);
        double[] truth = [1.7, 30, 0.07];
        var points = Synthetic.LogSpace(1e17, 1e23, 40).Select(c => new LawPoint(C: c)).ToList();
        var data = Synthetic.FromLaw(law, truth, points, 0.005, 11);

        // When
        var fit = LawFitter.Fit(law, data);

        // Then
        AssertClose(fit, truth, [0.03, 0.5, 0.1]);
        Assert.True(fit.StartsAtBest >= 1);
    }

    [Fact]
    public void Fit_ChinchillaOnNoisyData_RecoversParameters()
    {
        // Given: 100 (N, D) points from E=1.8, A=480, B=2100, alpha=0.35, beta=0.37 with 0.5% noise.
        var law = ChinchillaLaw.Instance;
        var data = Synthetic.FromLaw(law, Synthetic.ChinchillaTruth, Synthetic.NdGrid(10), 0.005, 5);

        // When
        var fit = LawFitter.Fit(law, data, new FitOptions { Starts = Synthetic.SmallChinchillaGrid() });

        // Then: exponents tightly, scales A and B (exponentially sensitive to the exponents) loosely.
        AssertClose(fit, Synthetic.ChinchillaTruth, [0.02, 0.3, 0.3, 0.05, 0.05]);
    }

    [Fact]
    public void Fit_KaplanOnNoisyData_RecoversParameters()
    {
        // Given: L = [(N_c/N)^(alpha_N/alpha_D) + D_c/D]^alpha_D with N_c = 1e9, D_c = 1e10, alpha_N = 0.3, alpha_D = 0.4.
        var law = KaplanLaw.Instance;
        double[] truth = [1e9, 1e10, 0.3, 0.4];
        var data = Synthetic.FromLaw(law, truth, Synthetic.NdGrid(8), 0.003, 8);

        // When
        var fit = LawFitter.Fit(law, data);

        // Then
        AssertClose(fit, truth, [0.5, 0.5, 0.05, 0.05]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Fit_BrokenPowerLawOnNoisyData_RecoversParameters(int breaks)
    {
        // Given: one or two sharp-ish breaks inside a 7-decade compute range, 0.2% noise.
        var law = new BrokenPowerLaw(LawInputs.C, breaks);
        double[] truth = breaks == 1 ? [1.5, 20, 0.05, 0.15, 1e19, 0.5] : [1.5, 20, 0.05, 0.15, 1e18, 0.5, 0.15, 1e21, 0.5];
        var points = Synthetic.LogSpace(1e15, 1e22, 60).Select(c => new LawPoint(C: c)).ToList();
        var data = Synthetic.FromLaw(law, truth, points, 0.002, 21 + breaks);

        // When
        var fit = LawFitter.Fit(law, data);

        // Then: the floor and the exponents; break positions within a factor 3.
        AssertClose(fit, [truth[0], truth[1], truth[2], truth[3]], [0.05, 0.5, 0.3, 0.2]);
        Assert.InRange(fit.Values[4] / truth[4], 1 / 3.0, 3);
        if (breaks == 2)
        {
            Assert.InRange(fit.Values[7] / truth[7], 1 / 3.0, 3);
        }
    }

    [Fact]
    public void Fit_ExponentialTrend_RecoversSlopeAndDoublingTime()
    {
        // Given: log10 y = -1000 + 0.5·t over 2000–2020 (doubling every 0.602 years = 7.2 months), noise 0.2 dex.
        var law = ExponentialLaw.Instance;
        double[] truth = [-1000, 0.5];
        var points = Enumerable.Range(0, 80).Select(i => new LawPoint(T: 2000 + i * 0.25)).ToList();
        var data = Synthetic.FromLaw(law, truth, points, 0.2 * Math.Log(10), 4);

        // When
        var fit = LawFitter.Fit(law, data);

        // Then
        Assert.Equal(0.5, fit["b"], 0.03);
        Assert.Equal(12 * Math.Log10(2) / 0.5, fit["doubling_months"], 0.5);
    }

    [Fact]
    public void Fit_TenPercentGrossOutliers_HuberRecoversWhileLeastSquaresDoesNot()
    {
        // Given: chinchilla data with 10% of the points' losses raised by 25% (log +0.22).
        var law = ChinchillaLaw.Instance;
        var data = Synthetic.FromLaw(law, Synthetic.ChinchillaTruth, Synthetic.NdGrid(10), 0.003, 9);
        var rng = new Random(10);
        var y = (double[])data.Y.Clone();
        foreach (var i in Enumerable.Range(0, y.Length).OrderBy(_ => rng.Next()).Take(y.Length / 10))
        {
            y[i] *= 1.25;
        }
        var dirty = new ScalingDataset("outliers", y, data.N, data.D);
        var starts = Synthetic.SmallChinchillaGrid();

        // When
        var huber = LawFitter.Fit(law, dirty, new FitOptions { Loss = LossKind.Huber, Starts = starts });
        var mse = LawFitter.Fit(law, dirty, new FitOptions { Loss = LossKind.Mse, Starts = starts });

        // Then: Huber stays within the clean-data tolerances; least squares is measurably off (E by > 3%).
        AssertClose(huber, Synthetic.ChinchillaTruth, [0.02, 0.3, 0.3, 0.05, 0.05]);
        double mseError = Math.Abs(mse["E"] - 1.8) / 1.8;
        double exponentError = Math.Max(Math.Abs(mse["alpha"] - 0.35) / 0.35, Math.Abs(mse["beta"] - 0.37) / 0.37);
        Assert.True(mseError > 0.03 || exponentError > 0.1, $"MSE E = {mse["E"]:G5}, alpha = {mse["alpha"]:G4}, beta = {mse["beta"]:G4}");
    }
}
