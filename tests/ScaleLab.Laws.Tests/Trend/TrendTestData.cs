namespace ScaleLab.Laws.Tests.Trend;

/// <summary>Paths to ../shared/data (found from the folder holding ScaleLab.slnx) and synthetic trend data.</summary>
internal static class TrendTestData
{
    public static string SharedData(string file)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ScaleLab.slnx")))
        {
            dir = dir.Parent;
        }
        Assert.NotNull(dir);
        var path = Path.GetFullPath(Path.Combine(dir!.FullName, "..", "shared", "data", file));
        Assert.True(File.Exists(path), $"missing shared data file {path}");
        return path;
    }

    public static string EpochCsv => SharedData("epoch_ai_models_compute_subset.csv");

    /// <summary>
    /// n models with years uniform on [from, to) and log10 value = a + b·year + σ·ε, ε ~ N(0, 1), from a
    /// seeded generator (System.Random's seeded algorithm is fixed across runtimes).
    /// </summary>
    public static List<ScaleLab.Laws.Trend.TrendPoint> Synthetic(int n, double from, double to, double intercept, double slope, double sigma, int seed)
    {
        var rng = new Random(seed);
        var points = new List<ScaleLab.Laws.Trend.TrendPoint>(n);
        for (var i = 0; i < n; i++)
        {
            var year = from + (to - from) * rng.NextDouble();
            var u1 = 1.0 - rng.NextDouble();
            var u2 = rng.NextDouble();
            var eps = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
            var value = Math.Pow(10, intercept + slope * year + sigma * eps);
            var date = new DateOnly((int)year, 1, 1).AddDays((int)((year - (int)year) * 365));
            points.Add(new ScaleLab.Laws.Trend.TrendPoint($"m{i}", date, year, value, i + 2));
        }
        return points;
    }
}
