using System.Text.Json;
using ScaleLab.Lab.Registry;
using static ScaleLab.Cli.Tests.TrendCommandTests;

namespace ScaleLab.Cli.Tests;

public sealed class CompareCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("compare-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// A finished study whose frontier follows log10 L = a + b·log10 C: at each budget 10^12 … 10^17.5 (12 budgets, or
    /// <paramref name="budgets"/>) one run at D = 20·N on the law (1% noise) and one mis-sized run (N/8) 10% worse,
    /// which the frontier must leave out. Runs are finished through the registry like a sweep's.
    /// </summary>
    private static void Study(string db, string name, double a, double b, int seed, int budgets = 12)
    {
        using var store = new SqliteRunStore(db);
        store.EnsureSchema();
        store.CreateStudy(name, null);
        var runs = new List<NewRun>();
        var losses = new Dictionary<string, double>();
        var rng = new Random(seed);
        for (var k = 0; k < budgets; k++)
        {
            var c = Math.Pow(10, 12 + 0.5 * k);
            var n = (long)Math.Round(Math.Sqrt(c / 120));
            var law = Math.Pow(10, a + b * Math.Log10(6.0 * n * 20 * n)) * (1 + 0.01 * (rng.NextDouble() - 0.5));
            foreach (var (size, loss, tag) in new[] { (n, law, "opt"), (n / 8, law * 1.1, "small") })
            {
                var d = (long)Math.Round(c / (6.0 * size));
                if (tag == "opt")
                {
                    d = 20 * n;
                }
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

    private string Registry(out string db)
    {
        db = Path.Combine(_dir, "runs.db");
        return "sqlite:" + db;
    }

    [Fact]
    public void Compare_StudiesThreeTimesApart_JsonGainNearThreeAtEveryTarget()
    {
        // Given study "new" reaching every loss of "old" with a third of the compute (a_new = a_old + b·log10 3)
        var registry = Registry(out var db);
        Study(db, "old", 1.0, -0.05, 1);
        Study(db, "new", 1.0 - 0.05 * Math.Log10(3), -0.05, 2);

        // When
        var (code, stdout, _) = Run("compare", "--study", "old", "--study", "new", "--registry", registry, "--bootstrap", "400", "--json");

        // Then 12 frontier runs per study (the mis-sized runs left out), five targets, each gain's interval holds 3
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal(12, root.GetProperty("a").GetProperty("frontier_runs").GetInt32());
        var gains = root.GetProperty("gains").EnumerateArray().ToList();
        Assert.Equal(5, gains.Count);
        foreach (var g in gains)
        {
            var gain = g.GetProperty("gain");
            Assert.InRange(3.0, gain.GetProperty("lo").GetDouble(), gain.GetProperty("hi").GetDouble());
            Assert.InRange(gain.GetProperty("value").GetDouble(), 2.5, 3.6);
            Assert.Equal(g.GetProperty("compute_a").GetDouble() / g.GetProperty("compute_b").GetDouble(), gain.GetProperty("value").GetDouble(), 6);
        }
        var exponent = root.GetProperty("gain_exponent");
        Assert.InRange(0.0, exponent.GetProperty("lo").GetDouble(), exponent.GetProperty("hi").GetDouble());
    }

    [Fact]
    public void Compare_HumanOutput_TableAndTrendSentence()
    {
        // Given
        var registry = Registry(out var db);
        Study(db, "old", 1.0, -0.05, 1);
        Study(db, "new", 1.0 - 0.05 * Math.Log10(3), -0.05, 2);

        // When
        var (code, stdout, _) = Run("compare", "--study", "old", "--study", "new", "--registry", registry, "--target-loss", "1.8", "--bootstrap", "200");

        // Then
        Assert.Equal(0, code);
        Assert.Contains("gain of new", stdout);
        Assert.Contains("1.8", stdout);
        Assert.Contains("no detectable change", stdout);
    }

    [Fact]
    public void Compare_BadInputs_ExitTwoWithOneLine()
    {
        // Given a full study and one with three budgets
        var registry = Registry(out var db);
        Study(db, "old", 1.0, -0.05, 1);
        Study(db, "tiny", 1.0, -0.05, 2, budgets: 3);

        // When / Then
        AssertUsageError(Run("compare", "--study", "old", "--registry", registry), "give --study twice");
        AssertUsageError(Run("compare", "--study", "old", "--study", "old", "--registry", registry), "given twice");
        AssertUsageError(Run("compare", "--study", "old", "--study", "tiny", "--registry", registry), "study 'tiny' has 3 runs on its compute-efficient frontier");
        AssertUsageError(Run("compare", "--study", "old", "--study", "ghost", "--registry", registry), "study 'ghost' has no runs");
        AssertUsageError(Run("compare", "--study", "old", "--study", "tiny", "--registry", "sqlite:" + Path.Combine(_dir, "none.db")), "no such registry file");
        Study(db, "new", 1.0, -0.05, 3);
        AssertUsageError(Run("compare", "--study", "old", "--study", "new", "--registry", registry, "--target-loss", "0.5"), "no run reaches it");
        AssertUsageError(Run("compare", "--study", "old", "--study", "new", "--registry", registry, "--target-loss", "-1"), "--target-loss");
    }
}
