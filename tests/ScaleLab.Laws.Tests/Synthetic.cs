namespace ScaleLab.Laws.Tests;

/// <summary>Seeded synthetic data sets from known laws, with multiplicative log-normal noise.</summary>
internal static class Synthetic
{
    public static readonly double[] ChinchillaTruth = [1.8, 480, 2100, 0.35, 0.37]; // E, A, B, alpha, beta

    public static double Gaussian(Random rng)
    {
        // Box–Muller.
        double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    public static double[] LogSpace(double lo, double hi, int count) =>
        Enumerable.Range(0, count).Select(i => lo * Math.Pow(hi / lo, count == 1 ? 0 : i / (double)(count - 1))).ToArray();

    /// <summary>y = law(symbols; point)·exp(σ·z) at every point.</summary>
    public static ScalingDataset FromLaw(IScalingLaw law, double[] symbols, IReadOnlyList<LawPoint> points, double sigma, int seed)
    {
        var rng = new Random(seed);
        var y = points.Select(p => law.Predict(symbols, p) * Math.Exp(sigma * Gaussian(rng))).ToArray();
        double[]? Col(Func<LawPoint, double> f) => points.All(p => double.IsNaN(f(p))) ? null : points.Select(f).ToArray();
        return new ScalingDataset("synthetic", y, Col(p => p.N), Col(p => p.D), Col(p => p.C), Col(p => p.T));
    }

    /// <summary>A grid of (N, D) pairs, N in [1e7, 1e10], D in [1e9, 1e12], C = 6ND.</summary>
    public static List<LawPoint> NdGrid(int perAxis)
    {
        var list = new List<LawPoint>();
        foreach (var n in LogSpace(1e7, 1e10, perAxis))
        {
            foreach (var d in LogSpace(1e9, 1e12, perAxis))
            {
                list.Add(new LawPoint(n, d, 6 * n * d));
            }
        }
        return list;
    }

    /// <summary>A small chinchilla start grid (32 starts) for fast tests on synthetic data.</summary>
    public static IReadOnlyList<double[]> SmallChinchillaGrid()
    {
        var g = new List<double[]>();
        foreach (var alpha in new[] { 0.2, 0.5 })
        {
            foreach (var beta in new[] { 0.2, 0.5 })
            {
                foreach (var e in new[] { 0.0, 0.5 })
                {
                    foreach (var a in new[] { 5.0, 10.0 })
                    {
                        foreach (var b in new[] { 5.0, 10.0 })
                        {
                            g.Add([a, b, e, alpha, beta]);
                        }
                    }
                }
            }
        }
        return g;
    }
}
