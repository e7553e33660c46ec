using System.Text.Json;
using ScaleLab.Cli.Commands;
using ScaleLab.Lab.Registry;
using ScaleLab.Laws;
using Spectre.Console.Testing;
using static ScaleLab.Cli.Tests.TrendCommandTests;

namespace ScaleLab.Cli.Tests;

/// <summary><c>compare --vintages</c>: the ladder read from registry studies, its JSON, its bad inputs, and (Slow) the quick study end to end.</summary>
public sealed class VintageStudyTests : IDisposable
{
    private const double A = 0.6, B = -0.04;
    private readonly string _dir = Directory.CreateTempSubdirectory("vintage-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>
    /// A finished recipe study whose frontier follows log10 L = A + B·log10(C·gain) (it reaches every loss with 1/gain of
    /// the compute), σ = 0.003 decades: at each of 6 budgets 10^(9 + 0.4k) FLOP the size on the law and two sizes 3× off
    /// it 5% worse (the budget bracketed), except that with <paramref name="edgeAtFirst"/> the largest size at the first
    /// budget is 0.1% better than the law (its best size at the edge).
    /// </summary>
    private static void Study(string db, string name, double gain, int seed, bool edgeAtFirst = false)
    {
        using var store = new SqliteRunStore(db);
        store.EnsureSchema();
        store.CreateStudy(name, null);
        var runs = new List<NewRun>();
        var losses = new Dictionary<string, double>();
        var rng = SplitMix64.Stream((ulong)seed, 0);
        for (var k = 0; k < 6; k++)
        {
            var c = Math.Pow(10, 9 + 0.4 * k);
            var n = (long)Math.Round(Math.Sqrt(c / 120));
            var law = Math.Pow(10, A + B * Math.Log10(c * gain) + 0.003 * rng.NextGaussian());
            foreach (var (size, loss, tag) in new[] { (n / 3, law * 1.05, "small"), (n, law, "opt"), (3 * n, edgeAtFirst && k == 0 ? law * 0.999 : law * 1.05, "large") })
            {
                var d = (long)Math.Round(c / (6.0 * size));
                var key = $"{name}-{k}-{tag}";
                runs.Add(new NewRun(key, runs.Count, "{}", 0, size, size, d, 6.0 * size * d));
                losses[key] = loss;
            }
        }
        store.Enqueue(name, runs);
        while (store.Claim(name, "w", TimeSpan.FromMinutes(1)) is { } run)
        {
            Assert.True(store.Finish(run.Key, "w", losses[run.Key]));
        }
    }

    /// <summary>The quick design's four studies: Adam identical to SGD (the negative control), AdamW + cosine 3× better,
    /// the rule identical to AdamW + cosine with its first budget's best size at the edge.</summary>
    private (SqliteRunStore Store, List<(Vintage, string)> Recipes) PlantedRegistry()
    {
        var db = Path.Combine(_dir, "runs.db");
        var gains = new[] { 1.0, 1.0, 3.0, 3.0 };
        var recipes = VintageSpec.Recipes.Select(r => (r, VintageSpec.Study(r, quick: true))).ToList();
        for (var i = 0; i < recipes.Count; i++)
        {
            Study(db, recipes[i].Item2, gains[i], seed: 10 + i, edgeAtFirst: i == 3);
        }
        return (new SqliteRunStore(db), recipes);
    }

    [Fact]
    public void Analyse_PlantedRegistry_LadderFindsThreeAndTheIdenticalStepsHoldOne()
    {
        // Given
        var (store, recipes) = PlantedRegistry();
        using var owned = store;

        // When
        var result = VintageStudy.Analyse(store, recipes, quick: true, new ComputeGainOptions { Bootstrap = 1000, Seed = 1 });

        // Then the identical pairs (adam over sgd, rule over cosine) hold 1 at every target, the planted 3× is found over the
        // oldest and in the middle step (and 1 is excluded there); the mis-sized runs are off the frontier; the edge budget is
        // the only one not bracketed
        var ladder = result.Ladder;
        Assert.Equal(4, result.Recipes.Count);
        Assert.All(result.Recipes, r => Assert.Equal(6, r.Frontier.Count));
        for (var t = 0; t < ladder.Targets.Count; t++)
        {
            Assert.True(ladder.VersusOldest[0].Gains[t].Gain.Covers(1), $"adam over sgd {ladder.VersusOldest[0].Gains[t].Gain}");
            Assert.True(ladder.Steps[2].Gains[t].Gain.Covers(1), $"rule over cosine {ladder.Steps[2].Gains[t].Gain}");
            foreach (var planted in new[] { ladder.VersusOldest[1], ladder.VersusOldest[2], ladder.Steps[1] })
            {
                Assert.True(planted.Gains[t].Gain.Covers(3) && !planted.Gains[t].Gain.Covers(1), $"{planted.B.Study} over {planted.A.Study}: {planted.Gains[t].Gain}");
            }
        }
        Assert.Equal(1, result.Recipes.Sum(r => r.Budgets.Count(b => !b.Bracketed)));
        Assert.False(result.Recipes[3].Budgets[0].Bracketed);
        Assert.Contains("1 of 24 recipe budgets have their best size at the edge", Report.Efficiency.VintageReport.Headline(result));
    }

    [Fact]
    public void ToJson_PlantedRegistry_FieldNamesAndConsistentGains()
    {
        // Given
        var (store, recipes) = PlantedRegistry();
        using var owned = store;
        var result = VintageStudy.Analyse(store, recipes, quick: true, new ComputeGainOptions { Bootstrap = 200 });

        // When
        using var doc = JsonDocument.Parse(JsonSerializer.Serialize(VintageStudy.ToJson(result, "sqlite:x.db", "vintages.md", "vintages.svg"), CliJson.Options));

        // Then
        var root = doc.RootElement;
        Assert.Equal("compare", root.GetProperty("command").GetString());
        Assert.Equal("vintages", root.GetProperty("mode").GetString());
        Assert.Equal("quick", root.GetProperty("design").GetString());
        Assert.Equal(3, root.GetProperty("targets").GetArrayLength());
        Assert.Equal(root.GetProperty("targets")[1].GetDouble(), root.GetProperty("headline_target").GetDouble());
        var recipesJson = root.GetProperty("recipes").EnumerateArray().ToList();
        Assert.Equal(["sgd", "adam", "adamw-cosine", "adamw-cosine-rule"], recipesJson.Select(r => r.GetProperty("name").GetString()));
        foreach (var r in recipesJson)
        {
            foreach (var field in new[] { "study", "title", "runs", "failed", "frontier_runs", "frontier", "law", "budgets", "compute_to_reach" })
            {
                Assert.True(r.TryGetProperty(field, out _), field);
            }
            Assert.Equal(18, r.GetProperty("runs").GetInt32());
            Assert.True(r.GetProperty("law").GetProperty("slope").GetDouble() < 0);
            var budget = r.GetProperty("budgets")[0];
            foreach (var field in new[] { "compute", "best_n", "smallest_n", "largest_n", "sizes", "best_loss", "bracketed" })
            {
                Assert.True(budget.TryGetProperty(field, out _), field);
            }
            var reach = r.GetProperty("compute_to_reach")[1].GetProperty("compute");
            Assert.True(reach.GetProperty("lo").GetDouble() < reach.GetProperty("value").GetDouble() && reach.GetProperty("value").GetDouble() < reach.GetProperty("hi").GetDouble());
        }
        Assert.Equal(3, root.GetProperty("gain_over_oldest").GetArrayLength());
        Assert.Equal(3, root.GetProperty("gain_steps").GetArrayLength());
        foreach (var pair in root.GetProperty("gain_over_oldest").EnumerateArray().Concat(root.GetProperty("gain_steps").EnumerateArray()))
        {
            Assert.Contains(pair.GetProperty("with_compute").GetString(), new[] { "grows", "shrinks", "no detectable change" });
            Assert.True(pair.TryGetProperty("trend", out _) && pair.GetProperty("gain_exponent").TryGetProperty("lo", out _));
            foreach (var g in pair.GetProperty("gains").EnumerateArray())
            {
                Assert.Equal(g.GetProperty("compute_over").GetDouble() / g.GetProperty("compute_recipe").GetDouble(), g.GetProperty("gain").GetProperty("value").GetDouble(), 6);
            }
        }
        Assert.Equal("vintage-quick-sgd", root.GetProperty("gain_over_oldest")[0].GetProperty("over").GetString());
        Assert.Equal("vintage-quick-adamw-cosine", root.GetProperty("gain_steps")[2].GetProperty("over").GetString());
        var best = root.GetProperty("best");
        Assert.Contains(best.GetProperty("recipe").GetString(), new[] { "vintage-quick-adamw-cosine", "vintage-quick-adamw-cosine-rule" });
        Assert.Equal("vintage-quick-sgd", best.GetProperty("over").GetString());
        Assert.Equal(200, root.GetProperty("bootstrap").GetProperty("replicates").GetInt32());
        Assert.StartsWith("At loss", root.GetProperty("headline").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_VintagesBadFlags_ExitTwoWithOneLine()
    {
        // Given / When / Then
        AssertUsageError(Run("compare", "--vintages", "--study", "a"), "drop --study");
        AssertUsageError(Run("compare", "--study", "a", "--study", "b", "--quick"), "go with --vintages");
        AssertUsageError(Run("compare", "--study", "a", "--study", "b", "--out", _dir), "go with --vintages");
        AssertUsageError(Run("compare", "--vintages", "--workers", "0"), "--workers must be at least 1");
        File.WriteAllText(Path.Combine(_dir, "file"), "");
        AssertUsageError(Run("compare", "--vintages", "--out", Path.Combine(_dir, "file"), "--dry-run"), "is a file");
    }

    [Fact]
    public void Compare_VintagesDryRun_WritesFourSpecsAndTrainsNothing()
    {
        // Given
        var outDir = Path.Combine(_dir, "dry");

        // When
        var (code, stdout, _) = Run("compare", "--vintages", "--quick", "--dry-run", "--out", outDir);

        // Then each recipe's spec is written and parses, and no registry was created
        Assert.Equal(CliApp.ExitOk, code);
        foreach (var recipe in VintageSpec.Recipes)
        {
            var path = Path.Combine(outDir, VintageSpec.Study(recipe, quick: true) + ".toml");
            Assert.Equal(VintageSpec.Study(recipe, quick: true), Lab.Sweeps.SweepSpec.Load(path).Study);
        }
        Assert.Contains("nothing enqueued or trained", stdout);
        Assert.False(File.Exists(Path.Combine(outDir, "scalelab.db")));
    }

    /// <summary>
    /// The quick design's registry with every run already finished at a planted loss, so the command trains nothing:
    /// loss = 10^(A + B·log10(C·gain)) × (1 + 0.02·|ln(N/N_c)|), the middle size of each budget best.
    /// </summary>
    private static void FinishedQuickRegistry(string outDir, double[] gains)
    {
        Directory.CreateDirectory(outDir);
        using var store = new SqliteRunStore(Path.Combine(outDir, "scalelab.db"));
        store.EnsureSchema();
        for (var i = 0; i < VintageSpec.Recipes.Count; i++)
        {
            var text = VintageSpec.Toml(VintageSpec.Recipes[i], quick: true);
            var spec = Lab.Sweeps.SweepSpec.Parse(text);
            Lab.Execution.SweepPlan.Enqueue(store, spec, text);
            var runs = spec.Expand().ToDictionary(r => r.Key);
            while (store.Claim(spec.Study, "w", TimeSpan.FromMinutes(1)) is { } run)
            {
                var r = runs[run.Key];
                var n = r.Model.NonEmbeddingParameterCount;
                var c = 6.0 * n * r.Tokens;
                var loss = Math.Pow(10, A + B * Math.Log10(c * gains[i])) * (1 + 0.02 * Math.Abs(Math.Log(n / VintageSpec.CentreN(c))));
                Assert.True(store.Finish(run.Key, "w", loss));
            }
        }
    }

    [Fact]
    public void Compare_VintagesOnFinishedRuns_TrainsNothingAndWritesTableAndFiles()
    {
        // Given every quick run finished (gains 1, 2, 2, 6 over the oldest)
        var outDir = Path.Combine(_dir, "finished");
        FinishedQuickRegistry(outDir, [1, 2, 2, 6]);

        // When
        var (code, stdout, stderr) = Run("compare", "--vintages", "--quick", "--out", outDir, "--bootstrap", "200");

        // Then nothing new is enqueued, the headline names the best recipe, the table and the files are written
        Assert.True(code == CliApp.ExitOk, stderr);
        Assert.Equal(4, stderr.Split('\n').Count(l => l.Contains("(0 new, 12 already in", StringComparison.Ordinal)));
        Assert.Contains("(oldest)", stdout);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "vintages.json")));
        Assert.Equal("vintage-quick-adamw-cosine-rule", doc.RootElement.GetProperty("best").GetProperty("recipe").GetString());
        Assert.InRange(doc.RootElement.GetProperty("best").GetProperty("gain").GetProperty("value").GetDouble(), 5.0, 7.0);
        foreach (var file in new[] { "vintages.md", "vintages.svg", "vintages.json" })
        {
            Assert.True(File.Exists(Path.Combine(outDir, file)), file);
        }
    }

    [Fact]
    public void Compare_VintagesWithNoCommonLoss_ExitOneWithOneLineAndKeepsTheRuns()
    {
        // Given finished runs whose newest recipe beats every loss of the others (a gain of 10^4 over 1.5 decades)
        var outDir = Path.Combine(_dir, "apart");
        FinishedQuickRegistry(outDir, [1, 1, 1, 1e4]);

        // When
        var (code, _, stderr) = Run("compare", "--vintages", "--quick", "--out", outDir, "--bootstrap", "50");

        // Then a failure of the run (exit 1), said in one line naming the recipes; the runs stay done in the registry
        Assert.Equal(CliApp.ExitFailure, code);
        var errors = stderr.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        Assert.Single(errors);
        Assert.Contains("no loss is reached by every recipe", errors[0]);
        Assert.Contains("runs are kept", errors[0]);
        using var store = new SqliteRunStore(Path.Combine(outDir, "scalelab.db"));
        Assert.Equal(12, store.ListRuns("vintage-quick-adamw-cosine-rule").Count(r => r.Status == RunStatus.Done));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void Compare_VintagesQuick_TrainsMeasuresAndResumesWithoutRetraining()
    {
        // Given
        var outDir = Path.Combine(_dir, "quick");
        var stderr = new StringWriter();
        var console = new TestConsole();

        // When the quick study runs end to end
        var code = CliApp.Run(["compare", "--vintages", "--quick", "--out", outDir, "--bootstrap", "200", "--json"], console, stderr);

        // Then every recipe's 12 runs are done, each frontier has the 4 budgets the line needs, the headline target is inside
        // every frontier's losses, and the report, figure and JSON are written
        Assert.True(code == CliApp.ExitOk, stderr.ToString());
        using var doc = JsonDocument.Parse(console.Output);
        var root = doc.RootElement;
        var target = root.GetProperty("headline_target").GetDouble();
        foreach (var r in root.GetProperty("recipes").EnumerateArray())
        {
            Assert.Equal(12, r.GetProperty("runs").GetInt32());
            Assert.Equal(0, r.GetProperty("failed").GetInt32());
            Assert.Equal(4, r.GetProperty("frontier_runs").GetInt32());
            var losses = r.GetProperty("frontier").EnumerateArray().Select(p => p.GetProperty("loss").GetDouble()).ToList();
            Assert.InRange(target, losses.Min(), losses.Max());
        }
        foreach (var file in new[] { "vintages.md", "vintages.svg", "vintages.json", "scalelab.db", "vintage-quick-sgd.toml" })
        {
            Assert.True(File.Exists(Path.Combine(outDir, file)), file);
        }
        Assert.StartsWith("<", File.ReadAllText(Path.Combine(outDir, "vintages.svg")).TrimStart(), StringComparison.Ordinal);

        // When it runs again into the same folder
        var again = new StringWriter();
        Assert.Equal(CliApp.ExitOk, CliApp.Run(["compare", "--vintages", "--quick", "--out", outDir, "--bootstrap", "200"], new TestConsole(), again));

        // Then nothing is trained twice
        Assert.Equal(4, again.ToString().Split('\n').Count(l => l.Contains("(0 new, 12 already in", StringComparison.Ordinal)));
        using var store = new SqliteRunStore(Path.Combine(outDir, "scalelab.db"));
        Assert.All(VintageSpec.Recipes, recipe => Assert.All(store.ListRuns(VintageSpec.Study(recipe, quick: true)), run => Assert.Equal(RunStatus.Done, run.Status)));
    }
}
