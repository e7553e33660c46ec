namespace ScaleLab.Lab.Tests.GradientNoise;

/// <summary>
/// Logistic regression on a finite seeded dataset with the parameters held fixed, so every per-example
/// gradient is exact: loss_i = softplus(w·x_i) − y_i·(w·x_i), g_i = (σ(w·x_i) − y_i)·x_i, shape (n, d).
/// The labels come from a different weight vector than the one the gradients are taken at, so G ≠ 0.
/// </summary>
internal sealed class LogisticProblem
{
    private LogisticProblem(double[] gradients, int count, int dim)
    {
        Gradients = gradients;
        Count = count;
        Dim = dim;
    }

    /// <summary>Per-example gradients, row-major (n, d).</summary>
    public double[] Gradients { get; }

    public int Count { get; }

    public int Dim { get; }

    public ReadOnlySpan<double> Row(int i) => Gradients.AsSpan(i * Dim, Dim);

    public static LogisticProblem Create(int count, int dim, int seed, double lossScale = 1.0)
    {
        var rng = new Random(seed);
        var wTrue = new double[dim];
        var w = new double[dim];
        for (var j = 0; j < dim; j++)
        {
            wTrue[j] = Gaussian(rng);
            w[j] = 0.5 * wTrue[j] + 0.3 * Gaussian(rng);
        }
        var grads = new double[count * dim];
        var x = new double[dim];
        for (var i = 0; i < count; i++)
        {
            double zTrue = 0, z = 0;
            for (var j = 0; j < dim; j++)
            {
                x[j] = Gaussian(rng);
                zTrue += wTrue[j] * x[j];
                z += w[j] * x[j];
            }
            var y = rng.NextDouble() < Sigmoid(zTrue) ? 1.0 : 0.0;
            var r = lossScale * (Sigmoid(z) - y);
            for (var j = 0; j < dim; j++)
            {
                grads[i * dim + j] = r * x[j];
            }
        }
        return new LogisticProblem(grads, count, dim);
    }

    /// <summary>The same dataset with every example appearing <paramref name="copies"/> times.</summary>
    public LogisticProblem Duplicate(int copies)
    {
        var grads = new double[Gradients.Length * copies];
        for (var c = 0; c < copies; c++)
        {
            Gradients.CopyTo(grads, c * Gradients.Length);
        }
        return new LogisticProblem(grads, Count * copies, Dim);
    }

    /// <summary>Draws <paramref name="batch"/> example indices uniformly with replacement into <paramref name="rows"/>.</summary>
    public void Sample(Random rng, int batch, Span<int> rows)
    {
        for (var i = 0; i < batch; i++)
        {
            rows[i] = rng.Next(Count);
        }
    }

    /// <summary>|mean of g over rows[from..from+len)|², using <paramref name="scratch"/> of length d.</summary>
    public double MeanNormSq(ReadOnlySpan<int> rows, Span<double> scratch)
    {
        scratch.Clear();
        foreach (var r in rows)
        {
            var g = Row(r);
            for (var j = 0; j < Dim; j++)
            {
                scratch[j] += g[j];
            }
        }
        var s = 0.0;
        for (var j = 0; j < Dim; j++)
        {
            var m = scratch[j] / rows.Length;
            s += m * m;
        }
        return s;
    }

    /// <summary>Copies the gradients of <paramref name="rows"/> into a row-major (B, d) matrix.</summary>
    public double[] Gather(ReadOnlySpan<int> rows)
    {
        var m = new double[rows.Length * Dim];
        for (var i = 0; i < rows.Length; i++)
        {
            Row(rows[i]).CopyTo(m.AsSpan(i * Dim, Dim));
        }
        return m;
    }

    private static double Sigmoid(double z) => 1.0 / (1.0 + Math.Exp(-z));

    private static double Gaussian(Random rng)
    {
        var u1 = 1.0 - rng.NextDouble();
        var u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}

/// <summary>Mean of Monte-Carlo draws with its standard error and its distance from a target in SEs.</summary>
internal readonly record struct MonteCarloCheck(double Mean, double StdError, double Target)
{
    /// <summary>(mean − target)/SE.</summary>
    public double Z => (Mean - Target) / StdError;

    public double Bias => Mean - Target;

    public static MonteCarloCheck Of(ReadOnlySpan<double> draws, double target)
    {
        var mean = 0.0;
        foreach (var v in draws)
        {
            mean += v;
        }
        mean /= draws.Length;
        var ss = 0.0;
        foreach (var v in draws)
        {
            ss += (v - mean) * (v - mean);
        }
        var sd = Math.Sqrt(ss / (draws.Length - 1));
        return new MonteCarloCheck(mean, sd / Math.Sqrt(draws.Length), target);
    }

    /// <summary>
    /// The unbiasedness criterion every estimator in these tests is held to: the Monte-Carlo mean lies within
    /// <paramref name="zMax"/> standard errors of the exact value (a false alarm has probability ≈ 6e-5 at 4 SE).
    /// </summary>
    public bool IsConsistentWithTarget(double zMax = 4.0) => Math.Abs(Z) <= zMax;

    public override string ToString() => $"mean={Mean:G6} target={Target:G6} bias={Bias:G4} SE={StdError:G4} z={Z:F2}";
}
