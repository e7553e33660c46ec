using MathNet.Numerics;

namespace ScaleLab.Engine.Tests.Sampling;

/// <summary>Pearson's chi-square test of counts against known probabilities, and the one-sample Kolmogorov–Smirnov
/// test of p-values against the uniform distribution.</summary>
internal static class GoodnessOfFit
{
    /// <summary>
    /// P(χ²_df ≥ X²) for X² = Σ (O − E)²/E. Cells with E &lt; 5 are pooled into one cell (Cochran's rule) so the χ²
    /// approximation holds; a count in a cell of probability 0 is impossible under the hypothesis, so p = 0. With
    /// a single cell left there is no statistic: NaN (not 1, whose repetition across seeds would look non-uniform).
    /// </summary>
    public static double ChiSquarePValue(long[] counts, double[] probabilities)
    {
        long n = counts.Sum();
        double stat = 0, pooledE = 0;
        long pooledO = 0;
        var cells = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            var e = n * probabilities[i];
            if (probabilities[i] <= 0)
            {
                if (counts[i] > 0) return 0;
                continue;
            }
            if (e < 5)
            {
                pooledE += e;
                pooledO += counts[i];
                continue;
            }
            stat += (counts[i] - e) * (counts[i] - e) / e;
            cells++;
        }
        if (pooledE > 0)
        {
            stat += (pooledO - pooledE) * (pooledO - pooledE) / pooledE;
            cells++;
        }
        if (cells < 2) return double.NaN; // one cell (a deterministic token): only the support could be tested, and it passed
        return SpecialFunctions.GammaUpperRegularized((cells - 1) / 2.0, stat / 2);
    }

    /// <summary>
    /// P(D_n ≥ d) for the KS statistic of <paramref name="pValues"/> against U(0, 1), by the Kolmogorov limit
    /// Q(λ) = 2 Σ_k (−1)^(k−1) e^(−2k²λ²) at λ = (√n + 0.12 + 0.11/√n)·d (Stephens 1970; Numerical Recipes §14.3).
    /// NaN p-values (no test possible) are left out; NaN when none is left.
    /// </summary>
    public static double KsUniformPValue(IReadOnlyList<double> pValues)
    {
        var x = pValues.Where(p => !double.IsNaN(p)).Order().ToArray();
        if (x.Length == 0) return double.NaN;
        var n = x.Length;
        var d = 0.0;
        for (var i = 0; i < n; i++)
        {
            d = Math.Max(d, Math.Max((i + 1.0) / n - x[i], x[i] - (double)i / n));
        }
        var sqrtN = Math.Sqrt(n);
        var lambda = (sqrtN + 0.12 + 0.11 / sqrtN) * d;
        if (lambda < 0.2) return 1;
        double sum = 0, sign = 1;
        for (var k = 1; k <= 100; k++)
        {
            var term = sign * Math.Exp(-2.0 * k * k * lambda * lambda);
            sum += term;
            if (Math.Abs(term) < 1e-300) break;
            sign = -sign;
        }
        return Math.Clamp(2 * sum, 0, 1);
    }
}
