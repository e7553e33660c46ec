namespace ScaleLab.Engine.Data;

/// <summary>The random draws behind the source: Dirichlet and Gamma variates for building the tree, cumulative tables for sampling symbols.</summary>
public sealed partial class MarkovSource
{
    private static double[] Cumulative(double[] p)
    {
        var cdf = new double[p.Length];
        var acc = 0.0;
        for (var i = 0; i < p.Length; i++)
        {
            acc += p[i];
            cdf[i] = acc;
        }
        cdf[^1] = double.PositiveInfinity; // rounding can leave acc just below 1; u < ∞ always lands
        return cdf;
    }

    private static int SampleIndex(double[] cdf, double u)
    {
        if (cdf.Length <= 64)
        {
            var i = 0;
            while (u >= cdf[i])
            {
                i++;
            }
            return i;
        }
        var index = Array.BinarySearch(cdf, u);
        // Exact hit on a boundary belongs to the next bucket (cdf[i] is exclusive); a miss gives ~insertion point.
        return index >= 0 ? index + 1 : ~index;
    }

    /// <summary>Dirichlet(concentration·mean) by normalized Gamma draws.</summary>
    private static double[] Dirichlet(double[] mean, double concentration, Rng rng)
    {
        var g = new double[mean.Length];
        var sum = 0.0;
        for (var i = 0; i < g.Length; i++)
        {
            g[i] = Gamma(concentration * mean[i], rng);
            sum += g[i];
        }
        if (sum <= 0)
        {
            Array.Fill(g, 1.0 / g.Length);
            return g;
        }
        for (var i = 0; i < g.Length; i++)
        {
            g[i] /= sum;
        }
        return g;
    }

    /// <summary>
    /// Gamma(shape, 1): Marsaglia &amp; Tsang (2000), "A simple method for generating gamma variables", for
    /// shape ≥ 1; for shape &lt; 1 the boost Gamma(a) = Gamma(a+1)·U^{1/a} (their Sec. 6).
    /// </summary>
    private static double Gamma(double shape, Rng rng)
    {
        if (shape < 1)
        {
            var u = rng.NextDouble();
            return Gamma(shape + 1, rng) * Math.Pow(u, 1 / shape);
        }
        var d = shape - 1.0 / 3;
        var c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = rng.NextGaussian();
                v = 1 + c * x;
            }
            while (v <= 0);
            v = v * v * v;
            var u = rng.NextDouble();
            if (u < 1 - 0.0331 * x * x * x * x || Math.Log(u) < 0.5 * x * x + d * (1 - v + Math.Log(v)))
            {
                return d * v;
            }
        }
    }
}
