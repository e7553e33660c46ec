using ScaleLab.Lab.Registry;
using ScaleLab.Laws;
using ScaleLab.Report.Study;

namespace ScaleLab.Report.Tests.Study;

public sealed class StudyAnalysisTests : IDisposable
{
    // The true law of the synthetic study: L = E + A/N^alpha + B/D^beta.
    private const double E = 1.6, A = 60, B = 250, Alpha = 0.4, Beta = 0.35;
    private readonly string _dir = Directory.CreateTempSubdirectory("scalelab-analysis-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Analyse_RegistryStudyFromKnownLaw_RecoversLawBacktestsAndPlans()
    {
        // Given: a 4x4 grid of finished runs whose final losses follow the law with 0.5% noise.
        using var store = new SqliteRunStore(Path.Combine(_dir, "r.db"));
        store.EnsureSchema();
        store.CreateStudy("s", null);
        var rng = new Random(3);
        var runs = new List<NewRun>();
        var ordinal = 0;
        foreach (var n in new[] { 1e4, 3e4, 1e5, 3e5 })
        {
            foreach (var d in new[] { 1e5, 4e5, 1.6e6, 6.4e6 })
            {
                runs.Add(new NewRun($"k{ordinal}", ordinal++, $$"""{"layers":1,"d_model":{{ordinal}},"heads":1}""", 1, (long)(n * 1.1), (long)n, (long)d, 6 * n * d));
            }
        }
        store.Enqueue("s", runs);
        while (store.Claim("s", "w", TimeSpan.FromMinutes(1)) is { } run)
        {
            var loss = (E + (A / Math.Pow(run.NonEmbeddingParameters, Alpha)) + (B / Math.Pow(run.Tokens, Beta))) * (1 + (0.005 * ((rng.NextDouble() * 2) - 1)));
            store.AppendMetrics(run.Key, [new MetricRow(1, run.Tokens / 2, loss + 0.5, null, 1e-3, 1), new MetricRow(2, run.Tokens, loss + 0.01, loss, 1e-3, 1)]);
            Assert.True(store.Finish(run.Key, "w", loss));
        }

        // When
        var result = StudyAnalysis.Analyse(store, "s", new StudyAnalysisOptions { Bootstrap = 100, Seed = 1, Floors = new StudyFloors(E - 0.05, E, 32, E, 128) });

        // Then: both laws fitted, Chinchilla near the truth with E fixed at the validation floor.
        var chinchilla = result.Fits.Single(f => f.Law == "chinchilla");
        Assert.Equal(2, result.Fits.Count);
        Assert.Equal(E, chinchilla["E"]);
        Assert.InRange(chinchilla["alpha"], Alpha - 0.1, Alpha + 0.1);
        Assert.InRange(chinchilla["beta"], Beta - 0.1, Beta + 0.1);
        // The back-test holds out the largest-compute runs and names them by run key.
        var bt = result.Report.Backtests.Single(b => b.Law == "chinchilla");
        var largest = runs.OrderByDescending(r => r.Flops).Take(bt.Rows.Count).Select(r => r.Key).ToHashSet();
        Assert.Equal(largest, bt.Rows.Select(r => r.Label).ToHashSet());
        Assert.True(bt.MeanAbsRelativeError < 0.02, $"back-test error {bt.MeanAbsRelativeError}");
        // Plans satisfy C = 6ND at 10x and 100x the largest run.
        var maxC = runs.Max(r => r.Flops);
        Assert.Equal([10 * maxC, 100 * maxC], result.Plans.Select(p => p.Compute));
        Assert.All(result.Plans, p => Assert.Equal(p.Compute, 6 * p.N * p.D, p.Compute * 1e-9));
        // Curves for the report: every run has its logged curve; law curves extend 100x past the data.
        Assert.All(result.Report.Runs, r => Assert.Equal(2, r.Curve.Count));
        Assert.All(result.Report.Laws, l => Assert.Equal(100 * maxC, l.Curve[^1].Compute, maxC * 1e-6));
        Assert.Contains("N* = ", result.Report.Headline, StringComparison.Ordinal);
        Assert.Contains("Back-test of L(N,D)", result.Report.Headline, StringComparison.Ordinal);
        // Model comparison: per data set the report's variant and the referee's alternatives on the same points, Akaike
        // weights summing to one; residuals of every fitted point within the 0.5% noise (plus the fit's own error).
        var groups = result.Report.Comparison.GroupBy(c => c.Data).ToDictionary(g => g.Key, g => g.ToList());
        var configs = groups["chinchilla, all configurations"];
        Assert.Equal(["E fitted (not fixed at the floor)", "E fixed at the validation floor (the report's)", "E fixed, beta tied to alpha"], configs.Select(c => c.Variant).Order(StringComparer.Ordinal));
        Assert.Single(configs, c => c.Headline);
        Assert.All(configs, c => Assert.Equal(16, c.Points));
        Assert.Equal(0, configs.Min(c => c.DeltaAic));
        Assert.Equal(2, groups["powerlaw, compute-efficient frontier"].Count);
        Assert.All(groups.Values, g => Assert.Equal(1, g.Sum(c => c.AkaikeWeight), 1e-9));
        var residuals = result.Report.Laws.Single(l => l.Law == "chinchilla").Residuals;
        Assert.Equal(16, residuals.Count);
        Assert.All(residuals, r => Assert.InRange(r.LogResidual, -0.01, 0.01));

        // A floor above the runs' losses cannot be their irreducible loss: E is fitted instead, and the notes say why.
        var impossible = StudyAnalysis.Analyse(store, "s", new StudyAnalysisOptions { Bootstrap = 20, Seed = 1, Floors = new StudyFloors(5, 5, 32, 5.0, 128) });
        Assert.Contains(impossible.Report.Notes, n => n.Contains("E is fitted, not fixed", StringComparison.Ordinal));
        Assert.NotEqual(5.0, impossible.Fits.Single(f => f.Law == "chinchilla")["E"]);
    }

    [Fact]
    public void Analyse_IsoFlopGridOfFourBudgets_AlsoBacktestsTheLargestBudgetAloneWithCalibratedIntervals()
    {
        // Given: the demo's design, 4 budgets 10^(2/3) apart with 6 sizes each, losses from the law with 0.5% noise; the
        // default split (above a tenth of the largest compute) trains on the two smallest budgets only
        using var store = new SqliteRunStore(Path.Combine(_dir, "grid.db"));
        store.EnsureSchema();
        store.CreateStudy("g", null);
        var rng = new Random(7);
        var runs = new List<NewRun>();
        var ordinal = 0;
        foreach (var c in new[] { 4e15, 1.857e16, 8.618e16, 4e17 })
        {
            var guess = 0.1 * Math.Sqrt(c / 6);
            foreach (var f in new[] { 0.25, 0.4, 0.63, 1.0, 1.6, 2.5 })
            {
                var n = guess * f;
                var d = c / (6 * n);
                runs.Add(new NewRun($"k{ordinal}", ordinal++, $$"""{"layers":1,"d_model":{{ordinal}},"heads":1}""", 1, (long)(n * 1.1), (long)n, (long)d, 6 * (long)n * (long)d));
            }
        }
        store.Enqueue("g", runs);
        while (store.Claim("g", "w", TimeSpan.FromMinutes(1)) is { } run)
        {
            var loss = (E + (A / Math.Pow(run.NonEmbeddingParameters, Alpha)) + (B / Math.Pow(run.Tokens, Beta))) * (1 + (0.005 * ((rng.NextDouble() * 2) - 1)));
            store.AppendMetrics(run.Key, [new MetricRow(1, run.Tokens, loss + 0.01, loss, 1e-3, 1)]);
            Assert.True(store.Finish(run.Key, "w", loss));
        }

        // When
        var result = StudyAnalysis.Analyse(store, "g", new StudyAnalysisOptions { Bootstrap = 50, Seed = 1, Floors = new StudyFloors(E - 0.05, E, 32, E, 128) });

        // Then: a second back-test holds out exactly the largest budget's six runs, with intervals calibrated by nested
        // back-tests on the three smaller budgets, and the headline reports it beside the default one
        var largest = result.Report.Backtests.Single(b => b.Law == StudyAnalysis.LargestBudgetHeldOut);
        Assert.Equal(runs.OrderByDescending(r => r.Flops).Take(6).Select(r => r.Key).ToHashSet(), largest.Rows.Select(r => r.Label).ToHashSet());
        Assert.Equal(18, largest.TrainPoints);
        Assert.Contains("nested back-tests", largest.IntervalMethod, StringComparison.Ordinal);
        Assert.Equal(12, result.Report.Backtests.Single(b => b.Law == "chinchilla").TrainPoints);
        Assert.Contains("Holding out only the largest budget over 0.667 decades", result.Report.Headline, StringComparison.Ordinal);
    }

    [Fact]
    public void LossAtCompute_Chinchilla_IsTheMinimumOverAllocations()
    {
        // Given
        var law = LawCatalog.Create("chinchilla");
        var symbols = law.Symbols.Select(s => s switch { "E" => E, "A" => A, "B" => B, "alpha" => Alpha, _ => Beta }).ToArray();
        const double c = 1e15;

        // When
        var frontier = StudyAnalysis.LossAtCompute(law, symbols, c);

        // Then: no allocation N on a fine grid (D = C/6N) does better, and the best is within 1e-6.
        var grid = Enumerable.Range(0, 4001).Select(i => Math.Pow(10, 3 + (i * 0.001))).Select(n => law.Predict(symbols, new LawPoint(N: n, D: c / (6 * n), C: c))).Min();
        Assert.True(frontier <= grid + 1e-12);
        Assert.Equal(grid, frontier, 1e-6);
    }

    [Fact]
    public void Analyse_TooFewRuns_ReportsWhyInsteadOfFitting()
    {
        using var store = new SqliteRunStore(Path.Combine(_dir, "few.db"));
        store.EnsureSchema();
        store.CreateStudy("s", null);
        store.Enqueue("s", [new NewRun("a", 0, "{}", 1, 10, 10, 100, 6000)]);
        var run = store.Claim("s", "w", TimeSpan.FromMinutes(1))!;
        store.Finish(run.Key, "w", 2.0);

        var result = StudyAnalysis.Analyse(store, "s", new StudyAnalysisOptions { Bootstrap = 10 });

        Assert.Empty(result.Fits);
        Assert.Contains(result.Report.Notes, n => n.Contains("at least 6", StringComparison.Ordinal));
    }
}
