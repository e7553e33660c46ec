namespace ScaleLab.Laws.IsoFlop;

/// <summary>
/// The Approach-3 values next to Approach 2: a Chinchilla fit L = E + A/N^α + B/D^β of the same runs
/// (D = C/(6N); <see cref="LawFitter"/> with its default Huber objective and Hoffmann et al.'s start grid)
/// gives the optimal-allocation exponents a = β/(α+β) and b = α/(α+β) (Hoffmann et al. 2022, eq. 4).
/// </summary>
public sealed record Approach3Result(
    double E,
    double A,
    double B,
    double Alpha,
    double Beta,
    Estimate NExponent,
    Estimate DExponent,
    double Objective,
    int StartsAtBest,
    int StartsTotal,
    string ExitReason,
    int Points,
    int BootstrapSamples,
    int BootstrapFailed);

public static class Approach3Comparison
{
    /// <summary>
    /// Fits the chinchilla law to <paramref name="runs"/>; with <paramref name="bootstrap"/> &gt; 0 also the
    /// case-resampling bootstrap of <see cref="Bootstrap.Run"/> (seeded) for the intervals of a and b,
    /// otherwise the intervals are NaN.
    /// </summary>
    public static Approach3Result Fit(IReadOnlyList<IsoFlopRun> runs, int bootstrap, ulong seed, double level, FitOptions? fitOptions = null)
    {
        var data = new ScalingDataset(
            "isoflop runs",
            runs.Select(r => r.Loss).ToArray(),
            n: runs.Select(r => r.Params).ToArray(),
            c: runs.Select(r => r.Compute).ToArray(),
            rows: runs.Select(r => r.Line).ToArray());
        var fit = LawFitter.Fit(ChinchillaLaw.Instance, data, fitOptions);
        var a = fit["a_n"];
        var b = fit["b_d"];
        Estimate aEstimate = new(a, double.NaN, double.NaN), bEstimate = new(b, double.NaN, double.NaN);
        var failed = 0;
        if (bootstrap > 0)
        {
            var boot = Bootstrap.Run(data, fit, new BootstrapOptions { Samples = bootstrap, Seed = seed, Level = level }, fitOptions);
            var ia = boot.Derived[boot.DerivedNames.ToList().IndexOf("a_n")];
            var ib = boot.Derived[boot.DerivedNames.ToList().IndexOf("b_d")];
            aEstimate = new Estimate(a, ia.Lo, ia.Hi);
            bEstimate = new Estimate(b, ib.Lo, ib.Hi);
            failed = boot.Failed;
        }
        return new Approach3Result(fit["E"], fit["A"], fit["B"], fit["alpha"], fit["beta"], aEstimate, bEstimate,
            fit.Objective, fit.StartsAtBest, fit.StartsTotal, fit.ExitReason, fit.PointsUsed, bootstrap, failed);
    }
}
