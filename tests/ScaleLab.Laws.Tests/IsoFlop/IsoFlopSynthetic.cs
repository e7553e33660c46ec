using ScaleLab.Laws.IsoFlop;

namespace ScaleLab.Laws.Tests.IsoFlop;

/// <summary>
/// Runs on isoFLOP grids from a known Chinchilla law L(N, D) = E + A/N^α + B/D^β with D = C/(6N)
/// (Hoffmann et al. 2022, eq. 2; parameters from their Approach-3 fit, E 1.69, A 406.4, B 410.7,
/// α 0.34, β 0.28). Along C = 6ND the exact optimum is N_opt = G·(C/6)^a, G = (αA/(βB))^(1/(α+β)),
/// a = β/(α+β) ≈ 0.4516 and D_opt ∝ C^b, b = α/(α+β) ≈ 0.5484 (their eq. 4).
/// </summary>
internal static class IsoFlopSynthetic
{
    public const double E = 1.69, A = 406.4, B = 410.7, Alpha = 0.34, Beta = 0.28;
    public static double TrueA => Beta / (Alpha + Beta);
    public static double TrueB => Alpha / (Alpha + Beta);

    public static double Loss(double n, double d) => E + A / Math.Pow(n, Alpha) + B / Math.Pow(d, Beta);

    /// <summary>
    /// Nine budgets C = 10^18, 10^18.5, …, 10^22; model sizes on a fixed absolute grid log10 N = 6, 6 + step, …
    /// kept when tokens per parameter D/N lies in [2, 2000] (so the grid is not centred on the truth);
    /// Gaussian loss noise σ from a seeded generator.
    /// </summary>
    public static List<IsoFlopRun> Grid(double step, double sigma, int seed, double[]? logBudgets = null)
    {
        var rng = new Random(seed);
        var runs = new List<IsoFlopRun>();
        logBudgets ??= Enumerable.Range(0, 9).Select(i => 18 + 0.5 * i).ToArray();
        foreach (var logC in logBudgets)
        {
            var c = Math.Pow(10, logC);
            for (var logN = 6.0; logN <= 13; logN += step)
            {
                var n = Math.Pow(10, logN);
                var d = c / (6 * n);
                if (d / n < 2 || d / n > 2000)
                {
                    continue;
                }
                var u1 = 1.0 - rng.NextDouble();
                var u2 = rng.NextDouble();
                var eps = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
                runs.Add(new IsoFlopRun(c, n, Loss(n, d) + sigma * eps));
            }
        }
        return runs;
    }
}
