namespace ScaleLab.Engine.Tests.Kernels;

/// <summary>Central-difference gradient checks in double and helpers for seeded test data.</summary>
internal static class GradCheck
{
    /// <summary>Asserts every analytic partial derivative of <paramref name="loss"/> with respect to <paramref name="x"/>
    /// matches the central difference (f(x + h) − f(x − h)) / 2h, whose truncation error is O(h²·f‴) and whose rounding
    /// error is O(ε·|f|/h) — about 1e-10 each at h = 1e-5 in double — within atol + rtol·max(|numeric|, |analytic|).</summary>
    public static void AssertGradient(string name, Func<double> loss, double[] x, ReadOnlySpan<double> analytic,
        double h = 1e-5, double atol = 1e-8, double rtol = 1e-6)
    {
        Assert.Equal(x.Length, analytic.Length);
        for (var i = 0; i < x.Length; i++)
        {
            var saved = x[i];
            x[i] = saved + h;
            var plus = loss();
            x[i] = saved - h;
            var minus = loss();
            x[i] = saved;
            var numeric = (plus - minus) / (2 * h);
            var tolerance = atol + rtol * Math.Max(Math.Abs(numeric), Math.Abs(analytic[i]));
            Assert.True(Math.Abs(numeric - analytic[i]) <= tolerance,
                $"{name}[{i}]: analytic {analytic[i]:G10} vs numeric {numeric:G10} (tolerance {tolerance:G3})");
        }
    }

    public static double[] Gaussian(Rng rng, int n, double scale = 1.0)
    {
        var a = new double[n];
        for (var i = 0; i < n; i++) a[i] = scale * rng.NextGaussian();
        return a;
    }

    public static float[] ToFloat(double[] a) => Array.ConvertAll(a, v => (float)v);

    public static double[] ToDouble(float[] a) => Array.ConvertAll(a, v => (double)v);

    /// <summary>Σ a ⊙ b: the scalar loss whose gradient with respect to a kernel's output is b.</summary>
    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var s = 0.0;
        for (var i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    public static int[] Tokens(Rng rng, int n, int vocab)
    {
        var t = new int[n];
        for (var i = 0; i < n; i++) t[i] = rng.NextInt(vocab);
        return t;
    }

    /// <summary>Asserts |fast − reference| ≤ atol + rtol·|reference| elementwise.</summary>
    public static void AssertClose(string name, ReadOnlySpan<float> fast, ReadOnlySpan<double> reference, double atol, double rtol)
    {
        Assert.Equal(reference.Length, fast.Length);
        for (var i = 0; i < fast.Length; i++)
        {
            var tolerance = atol + rtol * Math.Abs(reference[i]);
            Assert.True(Math.Abs(fast[i] - reference[i]) <= tolerance,
                $"{name}[{i}]: fast {fast[i]:G9} vs reference {reference[i]:G9} (tolerance {tolerance:G3})");
        }
    }
}
