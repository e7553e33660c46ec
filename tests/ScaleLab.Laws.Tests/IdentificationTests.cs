namespace ScaleLab.Laws.Tests;

/// <summary>Gauss–Newton diagnostics, identification verdicts and the remedies (fix, tie) on synthetic data.</summary>
public sealed class IdentificationTests
{
    /// <summary>A 3 × 3 sweep (N 3e3…3e5, D 1e6…1e7) with 2% noise: too little to pin five chinchilla parameters.</summary>
    internal static ScalingDataset SmallSweep(int seed = 5)
    {
        var pts = new List<LawPoint>();
        foreach (var n in new[] { 3e3, 3e4, 3e5 })
        {
            foreach (var d in new[] { 1e6, 3e6, 1e7 })
            {
                pts.Add(new LawPoint(n, d, 6 * n * d));
            }
        }
        return Synthetic.FromLaw(ChinchillaLaw.Instance, [1.5406, 30, 80, 0.3, 0.3], pts, 0.02, seed);
    }

    private static LawFit FitSmall(FitConstraints? constraints = null)
    {
        var data = SmallSweep();
        return LawFitter.Fit(ChinchillaLaw.Instance, data, new FitOptions { Starts = Synthetic.SmallChinchillaGrid(), Constraints = constraints })
            .WithBootstrap(data, new BootstrapOptions { Samples = 80, Seed = 2, GridStarts = 0 });
    }

    [Fact]
    public void Diagnostics_MseFit_CovarianceMatchesFiniteDifferenceHessian()
    {
        // Given an MSE powerlaw fit (the Gauss–Newton J'J equals the Hessian of ½Σr² up to the Σ r·∇²r term)
        var points = Synthetic.LogSpace(1e15, 1e21, 12).Select(c => new LawPoint(C: c)).ToList();
        var law = new PowerLaw(LawInputs.C);
        var data = Synthetic.FromLaw(law, [1.7, 30, 0.07], points, 0.002, 1);
        var fit = LawFitter.Fit(law, data, new FitOptions { Loss = LossKind.Mse });
        var (features, logY) = LogResidualObjective.Prepare(law, data);
        var objective = new LogResidualObjective(law, features, logY, LossKind.Mse, 1);

        // When the full Hessian is taken by central differences of the analytic gradient
        int p = fit.Theta.Length;
        var h = new double[p, p];
        var gp = new double[p];
        var gm = new double[p];
        for (int k = 0; k < p; k++)
        {
            double step = 1e-5 * Math.Max(1, Math.Abs(fit.Theta[k]));
            var t = (double[])fit.Theta.Clone();
            t[k] += step;
            objective.Evaluate(t, gp);
            t[k] -= 2 * step;
            objective.Evaluate(t, gm);
            for (int j = 0; j < p; j++)
            {
                h[j, k] = (gp[j] - gm[j]) / (2 * step);
            }
        }
        var inv = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(h).Inverse();
        double s2 = 2 * fit.Objective / (data.Count - p);

        // Then the standard errors agree within 2%
        for (int k = 0; k < p; k++)
        {
            double reference = Math.Sqrt(s2 * inv[k, k]);
            Assert.InRange(fit.Diagnostics!.StandardErrors[k], 0.98 * reference, 1.02 * reference);
        }
    }

    [Fact]
    public void Diagnostics_ExponentialLaw_EqualsOlsStandardErrors()
    {
        // Given log10 y linear in t, fitted by MSE (the Gauss–Newton covariance is then exact OLS)
        var t = Enumerable.Range(0, 15).Select(i => 2000.0 + i).ToArray();
        var rng = new Random(3);
        var y = t.Select(x => Math.Pow(10, 1 + 0.3 * (x - 2000) + 0.05 * Synthetic.Gaussian(rng))).ToArray();
        var data = new ScalingDataset("trend", y, t: t);

        // When
        var fit = LawFitter.Fit(ExponentialLaw.Instance, data);

        // Then se(slope) = s/√Sxx in log10 units
        double mt = t.Average();
        double sxx = t.Sum(x => (x - mt) * (x - mt));
        var r = y.Select((v, i) => Math.Log10(v) - (fit.Values[0] + fit.Values[1] * t[i])).ToArray();
        double s = Math.Sqrt(r.Sum(v => v * v) / (t.Length - 2));
        Assert.Equal(s / Math.Sqrt(sxx), fit.Diagnostics!.StandardErrors[1], 1e-6);
    }

    [Fact]
    public void Identify_WellDesignedGrid_EveryParameterIdentified()
    {
        // Given 36 runs on a 6 × 6 (N, D) grid over three decades each
        var data = Synthetic.FromLaw(ChinchillaLaw.Instance, Synthetic.ChinchillaTruth, Synthetic.NdGrid(6), 0.01, 3);

        // When
        var fit = LawFitter.Fit(ChinchillaLaw.Instance, data, new FitOptions { Starts = Synthetic.SmallChinchillaGrid() })
            .WithBootstrap(data, new BootstrapOptions { Samples = 60, Seed = 2, GridStarts = 0 });
        var report = fit.Identification();

        // Then
        Assert.True(report.AllIdentified, string.Join(" | ", report.Statements));
        Assert.NotNull(report.BootstrapCorrelation);
        Assert.Equal(5, fit.Diagnostics!.Correlation.Length);
    }

    [Fact]
    public void Identify_ThreeByThreeSweep_SaysUnidentifiedInWordsWithoutTheValue()
    {
        // When
        var fit = FitSmall();
        var report = fit.Identification();

        // Then the exponents are not identified, and no sentence quotes the point value as a result
        Assert.False(report.AllIdentified);
        Assert.Contains("alpha", report.Unidentified);
        var alpha = report.Parameters.Single(p => p.Symbol == "alpha");
        Assert.StartsWith("alpha is not identified by these data", alpha.Statement);
        Assert.Contains("interval spans [", alpha.Statement);
        Assert.DoesNotContain(fit["alpha"].ToString("G4", System.Globalization.CultureInfo.InvariantCulture), alpha.Statement);
    }

    [Fact]
    public void Identify_FixEAndTieExponents_IdentifiesTheSameSweep()
    {
        // When the remedies are applied to the sweep that could not identify its parameters
        var fit = FitSmall(FitConstraints.Parse(["E=1.5406"], ["beta=alpha"]));
        var report = fit.Identification();

        // Then every remaining parameter is identified; E is exactly the given value; beta equals alpha
        Assert.True(report.AllIdentified, string.Join(" | ", report.Statements));
        Assert.Equal(1.5406, fit["E"]);
        Assert.Equal(fit["alpha"], fit["beta"]);
        Assert.Equal(ParameterStatus.Fixed, report.Parameters.Single(p => p.Symbol == "E").Status);
        Assert.Equal(3, fit.Theta.Length);
        Assert.All(fit.Bootstrap!.Draws, d => Assert.Equal(1.5406, d[0]));
    }

    [Fact]
    public void ConstrainedLaw_Gradient_MatchesCentralDifferences()
    {
        // Given chinchilla with E fixed and beta tied to alpha
        var law = new ConstrainedLaw(ChinchillaLaw.Instance, FitConstraints.Parse(["E=1.7"], ["beta=alpha"]));
        double[] theta = [6.1, 7.4, 0.33];
        double[] features = [Math.Log(3e8), Math.Log(2e10)];
        var g = new double[3];

        // When
        law.LogPredict(theta, features, g);

        // Then
        for (int k = 0; k < 3; k++)
        {
            var tp = (double[])theta.Clone();
            var tm = (double[])theta.Clone();
            tp[k] += 1e-6;
            tm[k] -= 1e-6;
            double fd = (law.LogPredict(tp, features, []) - law.LogPredict(tm, features, [])) / 2e-6;
            Assert.Equal(fd, g[k], 1e-7);
        }
        Assert.Equal(["a", "b", "alpha"], law.Coordinates);
        Assert.Same(ChinchillaLaw.Instance, law.Unconstrained());
        Assert.Equal("chinchilla", law.Name);
    }

    [Theory]
    [InlineData("X=1", "", "has no parameter 'X'")]
    [InlineData("E=-1", "", "must be positive")]
    [InlineData("", "beta=A", "not of the same kind")]
    public void ConstrainedLaw_InvalidConstraint_ThrowsArgumentException(string fix, string tie, string expected)
    {
        var constraints = FitConstraints.Parse(fix.Length > 0 ? [fix] : [], tie.Length > 0 ? [tie] : []);
        var ex = Assert.Throws<ArgumentException>(() => new ConstrainedLaw(ChinchillaLaw.Instance, constraints));
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Compare_ChinchillaDataAgainstPowerLawInC_PrefersChinchilla()
    {
        // Given runs from a chinchilla law, fitted by chinchilla and by a power law in C
        var data = Synthetic.FromLaw(ChinchillaLaw.Instance, Synthetic.ChinchillaTruth, Synthetic.NdGrid(5), 0.005, 4);
        var chinchilla = LawFitter.Fit(ChinchillaLaw.Instance, data, new FitOptions { Starts = Synthetic.SmallChinchillaGrid() });
        var power = LawFitter.Fit(new PowerLaw(LawInputs.C), data);

        // When
        var rows = LawComparison.Compare([power, chinchilla]);

        // Then chinchilla comes first with nearly all the Akaike weight
        Assert.Equal("chinchilla", rows[0].Law);
        Assert.True(rows[0].AkaikeWeight > 0.99, $"weight {rows[0].AkaikeWeight}");
        Assert.Equal(0, rows[0].DeltaAic);
        Assert.True(rows[1].DeltaBic > 10);
        var info = chinchilla.Diagnostics!.Information;
        Assert.Equal(2 * 6 - 2 * info.LogLikelihood, info.Aic, 1e-9);
        Assert.Equal(6 * Math.Log(25) - 2 * info.LogLikelihood, info.Bic, 1e-9);
    }

    [Fact]
    public void Compare_FitsOfDifferentData_Throws()
    {
        var law = new PowerLaw(LawInputs.C);
        var points = Synthetic.LogSpace(1e15, 1e21, 10).Select(c => new LawPoint(C: c)).ToList();
        var a = LawFitter.Fit(law, Synthetic.FromLaw(law, [1.7, 30, 0.07], points, 0.01, 1));
        var b = LawFitter.Fit(law, Synthetic.FromLaw(law, [1.7, 30, 0.07], points, 0.01, 2));
        Assert.Throws<ArgumentException>(() => LawComparison.Compare([a, b]));
    }
}
