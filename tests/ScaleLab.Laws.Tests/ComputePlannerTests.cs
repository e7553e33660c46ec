namespace ScaleLab.Laws.Tests;

public sealed class ComputePlannerTests
{
    [Theory]
    [InlineData(1e21)]
    [InlineData(5.76e23)]
    public void Optimal_AnyBudget_SpendsExactlyTheBudget(double compute)
    {
        // When
        var (n, d) = ComputePlanner.Optimal(482.01, 2085.43, 0.3478, 0.3658, compute);

        // Then: 6·N·D = C.
        Assert.Equal(compute, 6 * n * d, 1e-9 * compute);
    }

    [Fact]
    public void Optimal_EqualExponents_ScalesNAndDAsSquareRootOfCompute()
    {
        // Given: alpha = beta, so a = b = 1/2.
        var plan = ComputePlanner.Plan(new Dictionary<string, double> { ["E"] = 1.7, ["A"] = 400, ["B"] = 900, ["alpha"] = 0.3, ["beta"] = 0.3 }, 1e22);

        // When
        var (n1, d1) = ComputePlanner.Optimal(400, 900, 0.3, 0.3, 1e22);
        var (n2, d2) = ComputePlanner.Optimal(400, 900, 0.3, 0.3, 1e24);

        // Then
        Assert.Equal(0.5, plan.AExponent, 1e-15);
        Assert.Equal(0.5, plan.BExponent, 1e-15);
        Assert.Equal(10, n2 / n1, 1e-9);
        Assert.Equal(10, d2 / d1, 1e-9);
    }

    [Fact]
    public void Optimal_MatchesNumericalMinimumAlongTheBudget()
    {
        // Given: L(N, C/(6N)) along the budget, minimised over ln N by golden-section search.
        double e = 1.82, a = 482.01, b = 2085.43, alpha = 0.3478, beta = 0.3658, c = 1e23;
        double Loss(double lnN)
        {
            double n = Math.Exp(lnN), d = c / (6 * n);
            return e + a / Math.Pow(n, alpha) + b / Math.Pow(d, beta);
        }
        double lo = Math.Log(1e6), hi = Math.Log(1e14), g = (Math.Sqrt(5) - 1) / 2;
        for (int i = 0; i < 200; i++)
        {
            double x1 = hi - g * (hi - lo), x2 = lo + g * (hi - lo);
            if (Loss(x1) < Loss(x2))
            {
                hi = x2;
            }
            else
            {
                lo = x1;
            }
        }

        // When
        var (n, _) = ComputePlanner.Optimal(a, b, alpha, beta, c);

        // Then
        Assert.Equal(Math.Log(n), 0.5 * (lo + hi), 1e-6);
    }

    [Fact]
    public void Plan_WithBootstrapDraws_GivesIntervalsAroundThePointEstimate()
    {
        // Given: a chinchilla fit with a bootstrap on synthetic data.
        var data = Synthetic.FromLaw(ChinchillaLaw.Instance, Synthetic.ChinchillaTruth, Synthetic.NdGrid(6), 0.01, 3);
        var fit = LawFitter.Fit(ChinchillaLaw.Instance, data, new FitOptions { Starts = Synthetic.SmallChinchillaGrid() })
            .WithBootstrap(data, new BootstrapOptions { Samples = 100, Seed = 2, GridStarts = 0 });

        // When
        var plan = ComputePlanner.Plan(fit, 1e24);

        // Then
        Assert.Equal(100 - fit.Bootstrap!.Failed, plan.Samples);
        Assert.True(plan.NInterval!.Lo < plan.NInterval.Hi && plan.LossInterval!.Lo < plan.LossInterval.Hi);
        Assert.Equal(plan.D / plan.N, plan.TokensPerParameter, 1e-9 * plan.TokensPerParameter);
        Assert.Equal(1e24, 6 * plan.N * plan.D, 1e15);
    }
}
