using ScaleLab.Laws.Ratings;
using Xunit.Abstractions;
using static ScaleLab.Laws.Tests.Ratings.PlantedTournament;

namespace ScaleLab.Laws.Tests.Ratings;

public sealed class BradleyTerryTests(ITestOutputHelper output)
{
    private static readonly double[] Thirty = Ladder(30, -2000);

    [Fact]
    public void Fit_ThirtyPlantedAgents512GamesPerPair_RecoversRatingsWithinRmse25Elo()
    {
        // Given: 30 agents from 0 to −2000 Elo, 512 games per pair (256 each colour), first-move advantage +150 Elo.
        var results = RoundRobin(Thirty, 512, 150, seed: 1);

        // When
        var fit = BradleyTerry.Fit(results, new RatingOptions { Anchor = Name(0) });

        // Then
        double rmse = Rmse(fit, Thirty);
        output.WriteLine($"RMSE {rmse:F2} Elo, h = {fit.FirstMoveAdvantage!.Estimate}, {fit.Iterations} iterations, {fit.ExitReason}");
        Assert.True(rmse < 25, $"RMSE {rmse:F1} Elo");
        Assert.Equal(0, fit.Elo(Name(0)));
        Assert.True(fit.FirstMoveAdvantage.Interval.Contains(150) || Math.Abs(fit.Advantage - 150) < 4 * fit.FirstMoveAdvantage.StdError);
        Assert.Equal(30 * 29 / 2 * 512, fit.Games);
    }

    [Fact]
    public void Fit_FortyPlantedTournaments_WaldIntervalsCoverNearNominal()
    {
        // Given: 40 independent tournaments from the same planted ratings.
        int covered = 0, total = 0, hCovered = 0;
        const int replications = 40;
        for (int rep = 0; rep < replications; rep++)
        {
            var fit = BradleyTerry.Fit(RoundRobin(Thirty, 512, 150, seed: 100 + (ulong)rep), new RatingOptions { Anchor = Name(0) });

            // When: every non-anchor rating's 95% interval is checked against its planted value.
            for (int i = 1; i < Thirty.Length; i++)
            {
                covered += fit.Agents[fit.IndexOf(Name(i))].Interval.Contains(Thirty[i]) ? 1 : 0;
                total++;
            }
            hCovered += fit.FirstMoveAdvantage!.Interval.Contains(150) ? 1 : 0;
        }

        // Then: coverage within about 3 binomial standard errors of 0.95 (ratings of one tournament are correlated,
        // so the band is wider than 1160 independent checks would need).
        double coverage = (double)covered / total;
        output.WriteLine($"rating coverage {coverage:P1} of {total}; h coverage {hCovered}/{replications}");
        Assert.InRange(coverage, 0.92, 0.975);
        Assert.InRange(hCovered, 33, 40);
    }

    [Fact]
    public void Fit_IgnoringColourOnColourBiasedSchedule_FailsWhereTheColourModelPasses()
    {
        // Given: a strong first-move advantage (+300 Elo) and a biased schedule: the stronger agent of each pair
        // opens 7 of every 8 games.
        var results = RoundRobin(Thirty, 512, 300, seed: 7, firstShare: 7.0 / 8);

        // When
        var withColour = BradleyTerry.Fit(results, new RatingOptions { Anchor = Name(0) });
        var without = BradleyTerry.Fit(results, new RatingOptions { Anchor = Name(0), ColourAdvantage = false });

        // Then: the colour model recovers the ratings; the negative control, blind to colour, credits the strong
        // agents with their colour advantage and misses by far more than the 25 Elo bar.
        double good = Rmse(withColour, Thirty), bad = Rmse(without, Thirty);
        int coveredBad = Enumerable.Range(1, 29).Count(i => without.Agents[without.IndexOf(Name(i))].Interval.Contains(Thirty[i]));
        output.WriteLine($"RMSE with colour {good:F1}, without {bad:F1} Elo; no-colour intervals cover {coveredBad}/29");
        Assert.True(good < 25, $"with colour: RMSE {good:F1}");
        Assert.True(bad > 25, $"without colour: RMSE {bad:F1}");
        Assert.True(coveredBad < 20, $"without colour: {coveredBad}/29 intervals cover");
        Assert.Null(without.FirstMoveAdvantage);
    }

    [Fact]
    public void Objective_Gradient_MatchesCentralDifferences()
    {
        // Given: a small tournament and an arbitrary point.
        var results = RoundRobin(Ladder(5, -600), 40, 80, seed: 3);
        var data = RatingData.Build(results, new RatingOptions { VirtualDraws = 1 });
        var objective = new BradleyTerry.Objective(data, 0, colour: true, virtualDraws: 1);
        double[] theta = [-120, -310, -450, -590, 60];

        // When
        var g = new double[theta.Length];
        objective.Evaluate(theta, g);

        // Then
        for (int k = 0; k < theta.Length; k++)
        {
            double step = 1e-3;
            var up = (double[])theta.Clone();
            var down = (double[])theta.Clone();
            up[k] += step;
            down[k] -= step;
            double fd = (objective.Evaluate(up, new double[5]) - objective.Evaluate(down, new double[5])) / (2 * step);
            Assert.True(Math.Abs(fd - g[k]) < 1e-6 * Math.Max(1, Math.Abs(g[k])), $"coordinate {k}: analytic {g[k]}, central {fd}");
        }
    }

    [Fact]
    public void Objective_Covariance_IsTheInverseOfTheFiniteDifferenceHessian()
    {
        // Given
        var results = RoundRobin(Ladder(4, -500), 60, 100, seed: 4);
        var data = RatingData.Build(results, new RatingOptions());
        var objective = new BradleyTerry.Objective(data, 0, colour: true, virtualDraws: 0);
        double[] theta = [-150, -330, -480, 90];

        // When: the Hessian by central differences of the analytic gradient, times the reported covariance.
        var cov = objective.Covariance(theta);
        int p = theta.Length;
        var hessian = new double[p, p];
        for (int k = 0; k < p; k++)
        {
            var up = (double[])theta.Clone();
            var down = (double[])theta.Clone();
            up[k] += 1e-2;
            down[k] -= 1e-2;
            var gu = new double[p];
            var gd = new double[p];
            objective.Evaluate(up, gu);
            objective.Evaluate(down, gd);
            for (int j = 0; j < p; j++)
            {
                hessian[j, k] = (gu[j] - gd[j]) / 2e-2;
            }
        }

        // Then: H·Σ = I on the free coordinates (agents 1..3, then h at covariance index 4).
        int[] map = [1, 2, 3, 4];
        for (int i = 0; i < p; i++)
        {
            for (int j = 0; j < p; j++)
            {
                double sum = 0;
                for (int m = 0; m < p; m++)
                {
                    sum += hessian[i, m] * cov[map[m]][map[j]];
                }
                Assert.True(Math.Abs(sum - (i == j ? 1 : 0)) < 1e-5, $"(HΣ)[{i},{j}] = {sum}");
            }
        }
    }

    [Fact]
    public void Fit_NoAnchorNamed_AnchorsTheStrongestAndKeepsDifferenceVariances()
    {
        // Given
        var ratings = Ladder(6, -800);
        var results = RoundRobin(ratings, 200, 50, seed: 5);

        // When
        var strongest = BradleyTerry.Fit(results);
        var named = BradleyTerry.Fit(results, new RatingOptions { Anchor = Name(3) });

        // Then: the top agent is 0, every other is below; differences and their variances do not depend on the anchor.
        Assert.Equal(0, strongest.Agents.Max(a => a.Elo));
        Assert.Equal(0, strongest.Agents.Single(a => a.Agent == strongest.Anchor).StdError);
        Assert.Equal(0, named.Elo(Name(3)));
        for (int i = 0; i < 6; i++)
        {
            for (int j = 0; j < 6; j++)
            {
                Assert.Equal(strongest.Elo(Name(i)) - strongest.Elo(Name(j)), named.Elo(Name(i)) - named.Elo(Name(j)), 1e-4);
                Assert.Equal(strongest.DifferenceVariance(Name(i), Name(j)), named.DifferenceVariance(Name(i), Name(j)), 1e-3);
            }
        }
        Assert.Equal(strongest.Advantage, named.Advantage, 1e-4);
    }

    [Fact]
    public void Fit_Draws_RefusedWithOneLine()
    {
        // Given
        ColouredResult[] results = [new("a", "b", 3, 2, Draws: 1), new("b", "a", 2, 3)];

        // When
        var e = Assert.Throws<InvalidDataException>(() => BradleyTerry.Fit(results));

        // Then
        Assert.Contains("draws", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Fit_TwoGroupsThatNeverMet_Refused()
    {
        // Given
        ColouredResult[] results = [new("a", "b", 3, 2), new("b", "a", 2, 3), new("c", "d", 3, 2), new("d", "c", 1, 4)];

        // When
        var e = Assert.Throws<InvalidDataException>(() => BradleyTerry.Fit(results));

        // Then
        Assert.Contains("2 groups", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_AgentWonEveryGame_RefusedUnlessVirtualDraws()
    {
        // Given: a perfect player that never loses.
        ColouredResult[] results = [new("perfect", "x", 10, 0), new("x", "perfect", 0, 10), new("x", "y", 6, 4), new("y", "x", 5, 5)];

        // When
        var e = Assert.Throws<InvalidDataException>(() => BradleyTerry.Fit(results, new RatingOptions { Anchor = "perfect" }));
        var prior = BradleyTerry.Fit(results, new RatingOptions { Anchor = "perfect", VirtualDraws = 1 });

        // Then: refused by name; with the prior every rating is finite, below the anchor, and the method says so.
        Assert.Contains("perfect won every game", e.Message, StringComparison.Ordinal);
        Assert.All(prior.Agents, a => Assert.True(double.IsFinite(a.Elo) && a.Elo <= 0 && double.IsFinite(a.StdError)));
        Assert.True(prior.Elo("x") < -200, $"x at {prior.Elo("x")}");
        Assert.Contains("virtual draws", prior.IntervalMethod, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_UnknownAnchor_Refused()
    {
        ColouredResult[] results = [new("a", "b", 3, 2), new("b", "a", 2, 3)];
        var e = Assert.Throws<InvalidDataException>(() => BradleyTerry.Fit(results, new RatingOptions { Anchor = "solver" }));
        Assert.Contains("'solver' played no game", e.Message, StringComparison.Ordinal);
    }
}
