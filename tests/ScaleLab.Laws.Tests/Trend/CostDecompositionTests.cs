using ScaleLab.Laws.Trend;

namespace ScaleLab.Laws.Tests.Trend;

public sealed class CostDecompositionTests
{
    /// <summary>
    /// Planted world: compute grows b_C per year with a model-size scatter σ_C that the model's cost shares (cost =
    /// compute / (P·u) with its own small scatter σ_cost), P grows b_P over chips with scatter σ_P, and u grows b_u.
    /// </summary>
    private static (List<CostedModel> Models, List<TrendPoint> Chips) World(double bC, double bP, double bU, int seed)
    {
        var rng = SplitMix64.Stream((ulong)seed, 0);
        var models = new List<CostedModel>();
        for (var i = 0; i < 60; i++)
        {
            var t = 2014 + 10 * rng.NextDouble();
            var logC = 20 + bC * (t - 2014) + 0.5 * rng.NextGaussian();
            var logCost = logC - (12 + bP * (t - 2014)) - (-0.5 + bU * (t - 2014)) + 0.2 * rng.NextGaussian();
            models.Add(new CostedModel($"m{i}", t, Math.Pow(10, logCost), Math.Pow(10, logC), i + 2));
        }
        var chips = new List<TrendPoint>();
        for (var i = 0; i < 60; i++)
        {
            var t = 2014 + 10 * rng.NextDouble();
            var logP = 7 + bP * (t - 2014) + 0.5 * rng.NextGaussian();
            chips.Add(new TrendPoint($"c{i}", new DateOnly((int)t, 1, 1), t, Math.Pow(10, logP), i + 2));
        }
        return (models, chips);
    }

    [Fact]
    public void Fit_PlantedTrends_RecoversUtilisationWithNearNominalCoverage_AndExactHardwareControlFails()
    {
        // Given 200 worlds: compute 0.6 OOM/yr, price-performance 0.15, utilisation −0.05 (so cost 0.5)
        const int worlds = 200;
        const double bC = 0.6, bP = 0.15, bU = -0.05;
        int covers = 0, costCovers = 0, controlCovers = 0;
        double meanU = 0;

        // When each is decomposed, and again by the deliberately wrong variant that treats the chips' trend as exact
        for (var s = 0; s < worlds; s++)
        {
            var (models, chips) = World(bC, bP, bU, 100 + s);
            var options = new DecompositionOptions { Bootstrap = 300, Seed = (ulong)s };
            var result = CostDecomposition.Fit(models, chips, options);
            var control = CostDecomposition.Fit(models, chips, options, resampleChips: false);
            covers += result.Utilisation.Slope.Covers(bU) ? 1 : 0;
            costCovers += result.Cost.Slope.Covers(bC - bP - bU) ? 1 : 0;
            controlCovers += control.Utilisation.Slope.Covers(bU) ? 1 : 0;
            meanU += result.Utilisation.Slope.Value / worlds;
        }

        // Then b_u is unbiased (se of the mean ≈ 0.024/√200) and covered near 95% (binomial sd ≈ 1.5%); the cost slope
        // too; ignoring the hardware's sampling error (about 90% of b_u's variance here) covers far less
        Assert.InRange(meanU, bU - 0.006, bU + 0.006);
        Assert.InRange(covers / (double)worlds, 0.90, 0.99);
        Assert.InRange(costCovers / (double)worlds, 0.90, 0.99);
        Assert.True(controlCovers / (double)worlds < 0.7, $"control covered {controlCovers}/{worlds}");
    }

    [Fact]
    public void Fit_Slopes_AreTheOlsSlopesAndTheIdentityHolds()
    {
        // Given one world
        var (models, chips) = World(0.6, 0.15, -0.05, 1);

        // When
        var r = CostDecomposition.Fit(models, chips, new DecompositionOptions { Bootstrap = 50 });

        // Then each measured slope is the OLS slope of its own data, and the derived ones obey b_u = b_C − b_P − b_cost
        Assert.Equal(LinearFit.Ols(models.OrderBy(m => m.Year).Select(m => m.Year).ToArray(), models.OrderBy(m => m.Year).Select(m => Math.Log10(m.Cost)).ToArray()).Slope, r.Cost.Slope.Value, 12);
        Assert.Equal(LinearFit.Ols(chips.OrderBy(c => c.Year).Select(c => c.Year).ToArray(), chips.OrderBy(c => c.Year).Select(c => Math.Log10(c.Value)).ToArray()).Slope, r.PricePerformance.Slope.Value, 12);
        Assert.Equal(r.Compute.Slope.Value - r.PricePerformance.Slope.Value - r.Cost.Slope.Value, r.Utilisation.Slope.Value, 12);
        Assert.Equal(r.Compute.Slope.Value - r.PricePerformance.Slope.Value, r.PredictedCost.Slope.Value, 12);
        Assert.Equal(Math.Pow(10, r.Cost.Slope.Value), r.Cost.Growth.Value, 12);
    }

    [Fact]
    public void Fit_ConstantUtilisation_SaysTheTrendsAgree_ChangingUtilisationSaysTheyDisagree()
    {
        // Given a world where utilisation does not change and one where it falls 0.3 OOM/yr
        var (flatModels, flatChips) = World(0.6, 0.15, 0.0, 3);
        var (fallModels, fallChips) = World(0.6, 0.15, -0.3, 3);

        // When
        var flat = CostDecomposition.Fit(flatModels, flatChips, new DecompositionOptions { Bootstrap = 400, Seed = 1 });
        var fall = CostDecomposition.Fit(fallModels, fallChips, new DecompositionOptions { Bootstrap = 400, Seed = 1 });

        // Then
        Assert.StartsWith("cost and compute / price-performance agree", flat.Findings[0]);
        Assert.StartsWith("cost and compute / price-performance disagree", fall.Findings[0]);
        Assert.Contains("fell", fall.Findings[0]);
    }

    [Fact]
    public void Fit_TooFewChipsInWindow_IsAnError()
    {
        // Given chips only before the window
        var (models, chips) = World(0.6, 0.15, 0, 5);
        var early = chips.Select(c => c with { Year = c.Year - 20 }).ToList();

        // When / Then
        var ex = Assert.Throws<InvalidDataException>(() => CostDecomposition.Fit(models, early, new DecompositionOptions { From = 2014, Bootstrap = 10 }));
        Assert.Contains("0 chips in the window", ex.Message);
    }

    [Fact]
    public void Pair_EpochCostsAndCompute_KeepsEveryModelWithBoth()
    {
        // Given the cost file joined twice with the model database: its cost column and the compute column
        var costs = TrendTestData.SharedData("epoch_model_costs.csv");
        TrendColumns Of(string value) => new() { Value = value, JoinPath = TrendTestData.EpochCsv, On = "Model" };

        // When
        var cloud = CostDecomposition.Pair(TrendData.Load(costs, Of("Cloud_Cost")), TrendData.Load(costs, Of(TrendData.ComputeColumn)));

        // Then the 35 models with a cloud cost (provenance), each with its compute from the database
        Assert.Equal(35, cloud.Count);
        Assert.All(cloud, m => Assert.True(m.Compute > 1e20 && m.Cost > 0));
    }
}
