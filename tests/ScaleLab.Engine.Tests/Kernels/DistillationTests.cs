using ScaleLab.Engine.Kernels;
using ScaleLab.Engine.Parallelism;
using static ScaleLab.Engine.Tests.Kernels.GradCheck;

namespace ScaleLab.Engine.Tests.Kernels;

/// <summary>The fused distillation loss (1 − λ)·CE + λ·T²·KL(softmax(zt/T) ‖ softmax(zs/T)): gradients against central
/// differences in double, the fast float path against the reference, and the properties Hinton et al. (2015) state.</summary>
public sealed class DistillationTests : IDisposable
{
    private readonly WorkerPool _two = new(2);
    private readonly WorkerPool _three = new(3);

    public void Dispose()
    {
        _two.Dispose();
        _three.Dispose();
    }

    [Theory]
    [InlineData(1.0, 0.0)]
    [InlineData(1.0, 0.3)]
    [InlineData(2.5, 0.7)]
    [InlineData(4.0, 1.0)]
    public void Backward_WeightedRows_MatchesCentralDifferences(double temperature, double lambda)
    {
        // Given: loss = Σ_n w_n·losses[n] with random row weights, student and teacher logits of scale 2.
        int N = 4, V = 7;
        var rng = new Rng(11);
        var zs = Gaussian(rng, N * V, 2.0);
        var zt = Gaussian(rng, N * V, 2.0);
        var targets = Tokens(rng, N, V);
        var weights = Gaussian(rng, N);
        double Loss()
        {
            var losses = new double[N];
            Distillation.ForwardReference<double>(zs, zt, targets, N, V, temperature, lambda, losses, new double[N], new double[N], new double[N * V]);
            return Dot(losses, weights);
        }

        // When
        var cache = new double[N * V];
        Distillation.ForwardReference<double>(zs, zt, targets, N, V, temperature, lambda, new double[N], new double[N], new double[N], cache);
        var dlogits = new double[N * V];
        Distillation.BackwardReference<double>(cache, weights, N, V, dlogits);

        // Then
        AssertGradient("dlogits", Loss, zs, dlogits);
    }

    [Fact]
    public void ForwardReference_LambdaZero_EqualsCrossEntropy()
    {
        // Given
        int N = 5, V = 9;
        var rng = new Rng(12);
        var zs = Gaussian(rng, N * V, 3.0);
        var zt = Gaussian(rng, N * V, 3.0);
        var targets = Tokens(rng, N, V);

        // When
        var (losses, cache) = (new double[N], new double[N * V]);
        Distillation.ForwardReference<double>(zs, zt, targets, N, V, 2.0, 0.0, losses, new double[N], new double[N], cache);
        var (probs, ceLosses) = (new double[N * V], new double[N]);
        CrossEntropy.ForwardReference<double>(zs, targets, N, V, probs, ceLosses);
        var ceGrad = new double[N * V];
        CrossEntropy.BackwardReference<double>(probs, targets, Enumerable.Repeat(1.0, N).ToArray(), N, V, ceGrad);

        // Then: the teacher plays no part.
        for (var n = 0; n < N; n++) Assert.Equal(ceLosses[n], losses[n], 12);
        for (var i = 0; i < N * V; i++) Assert.Equal(ceGrad[i], cache[i], 12);
    }

    public static TheoryData<int, float> VocabSweep()
    {
        var data = new TheoryData<int, float>();
        foreach (var v in Enumerable.Range(1, 67)) data.Add(v, v % 3 == 0 ? 1f : v % 3 == 1 ? 2f : 5f);
        data.Add(256, 4f);
        return data;
    }

    [Theory]
    [MemberData(nameof(VocabSweep))]
    public void Forward_VocabSweep_MatchesReferenceOnEveryPool(int V, float temperature)
    {
        // Given: logits of scale 3, one teacher logit of −∞ per row where V > 1 (a token the teacher rules out).
        var N = 6;
        var lambda = 0.4f;
        var rng = new Rng((ulong)V + 1700);
        var zs = Gaussian(rng, N * V, 3.0);
        var zt = Gaussian(rng, N * V, 3.0);
        if (V > 1)
        {
            for (var n = 0; n < N; n++) zt[n * V + (n % V)] = double.NegativeInfinity;
        }
        var targets = Tokens(rng, N, V);
        var dlosses = Gaussian(rng, N);
        var (rl, rce, rkl, rg) = (new double[N], new double[N], new double[N], new double[N * V]);
        Distillation.ForwardReference<double>(zs, zt, targets, N, V, temperature, lambda, rl, rce, rkl, rg);
        var rd = new double[N * V];
        Distillation.BackwardReference<double>(rg, dlosses, N, V, rd);

        // When
        float[][] Run(WorkerPool? pool)
        {
            var (l, ce, kl, g) = (new float[N], new float[N], new float[N], new float[N * V]);
            Distillation.Forward(ToFloat(zs), ToFloat(zt), targets, N, V, temperature, lambda, l, ce, kl, g, pool);
            var d = new float[N * V];
            Distillation.Backward(g, ToFloat(dlosses), N, V, d, pool);
            return [l, ce, kl, g, d];
        }
        var fast = Run(null);

        // Then: every thread count gives the same bits, and the float path is within rounding of the reference.
        foreach (var pool in new[] { _two, _three })
        {
            var other = Run(pool);
            for (var i = 0; i < fast.Length; i++) Assert.Equal(fast[i], other[i]);
        }
        AssertClose("losses", fast[0], rl, 1e-5, 1e-5);
        AssertClose("ce", fast[1], rce, 1e-5, 1e-5);
        AssertClose("kl", fast[2], rkl, 1e-5, 1e-4);
        AssertClose("cache", fast[3], rg, 1e-6, 1e-5);
        AssertClose("dlogits", fast[4], rd, 1e-6, 1e-5);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(3.0)]
    public void Forward_StudentAgreesWithTeacher_KlIsZero(double temperature)
    {
        // Given: teacher logits = student logits + a per-row constant (the same distributions at every T).
        int N = 4, V = 31;
        var rng = new Rng(13);
        var zs = Gaussian(rng, N * V, 3.0);
        var zt = new double[N * V];
        for (var i = 0; i < zt.Length; i++) zt[i] = zs[i] + 5.0 * (i / V);
        var targets = Tokens(rng, N, V);

        // When
        var (kl, g) = (new float[N], new float[N * V]);
        Distillation.Forward(ToFloat(zs), ToFloat(zt), targets, N, V, (float)temperature, 1f, new float[N], new float[N], kl, g);
        var klControl = new float[N];
        var nudged = ToFloat(zt);
        for (var v = 0; v < V; v++) nudged[v] += v % 2 == 0 ? 0.5f : -0.5f;
        Distillation.Forward(ToFloat(zs), nudged, targets, N, V, (float)temperature, 1f, new float[N], new float[N], klControl, new float[N * V]);

        // Then: KL and its gradient vanish; a teacher whose first row is nudged by ±0.5 gives a KL clearly above rounding.
        foreach (var k in kl) Assert.InRange(k, -1e-6f, 1e-6f);
        foreach (var x in g) Assert.InRange(x, -1e-6f, 1e-6f);
        Assert.True(klControl[0] > 1e-4f, $"negative control: KL {klControl[0]} for a nudged teacher");
    }

    /// <summary>Norm of d(λ·T^power·KL)/dzs for λ = 1, summed over rows: power 2 is Hinton's scaling, power 0 the
    /// unscaled KL (the kernel's gradient divided by T²).</summary>
    private static double[] KlGradientNorms(double[] zs, double[] zt, int N, int V, double[] temperatures, int power)
    {
        var targets = new int[N];
        return temperatures.Select(t =>
        {
            var g = new double[N * V];
            Distillation.ForwardReference<double>(zs, zt, targets, N, V, t, 1.0, new double[N], new double[N], new double[N], g);
            return Math.Sqrt(g.Sum(x => x * x)) * Math.Pow(t, power - 2);
        }).ToArray();
    }

    [Fact]
    public void Backward_TemperatureSquared_KeepsGradientNormsComparable()
    {
        // Given: student and teacher logits of scale 1 over 64 tokens.
        int N = 8, V = 64;
        var rng = new Rng(14);
        var zs = Gaussian(rng, N * V);
        var zt = Gaussian(rng, N * V);
        double[] temperatures = [1, 2, 4, 8];

        // When
        var scaled = KlGradientNorms(zs, zt, N, V, temperatures, power: 2);
        var unscaled = KlGradientNorms(zs, zt, N, V, temperatures, power: 0);

        // Then: with T² the norms stay within a factor 1.5 of each other; without it (the negative control) they fall
        // roughly as 1/T², far more than that.
        Assert.True(scaled.Max() / scaled.Min() < 1.5, $"with T²: norms {string.Join(", ", scaled.Select(x => x.ToString("G4")))}");
        Assert.True(unscaled.Max() / unscaled.Min() > 10, $"without T²: norms {string.Join(", ", unscaled.Select(x => x.ToString("G4")))}");
    }

    private static double Cosine(double[] a, double[] b) => Dot(a, b) / Math.Sqrt(Dot(a, a) * Dot(b, b));

    /// <summary>Cosine between the KL gradient (λ = 1) and the logit difference zs − zt, both per row centred.</summary>
    private static double CosineToLogitDifference(double scale, double temperature)
    {
        int N = 6, V = 40;
        var rng = new Rng(15);
        var zs = Gaussian(rng, N * V, scale);
        var zt = Gaussian(rng, N * V, scale);
        foreach (var z in new[] { zs, zt })
        {
            for (var n = 0; n < N; n++)
            {
                var row = z.AsSpan(n * V, V);
                var mean = 0.0;
                foreach (var x in row) mean += x / V;
                for (var v = 0; v < V; v++) row[v] -= mean;
            }
        }
        var g = new double[N * V];
        Distillation.ForwardReference<double>(zs, zt, new int[N], N, V, temperature, 1.0, new double[N], new double[N], new double[N], g);
        var diff = zs.Zip(zt, (a, b) => a - b).ToArray();
        return Cosine(g, diff);
    }

    [Fact]
    public void Backward_LargeTemperature_DirectionApproachesLogitDifference()
    {
        // Given / When: logits of scale 3, centred per row, at T = 50 and (the control) T = 1.
        var hot = CosineToLogitDifference(3.0, 50.0);
        var cold = CosineToLogitDifference(3.0, 1.0);

        // Then: at large T the gradient points along zs − zt (Hinton et al. 2015, Sec. 2.1); at T = 1 it does not,
        // so the assertion is not true of any gradient.
        Assert.True(hot > 0.99, $"cosine at T = 50: {hot}");
        Assert.True(cold < 0.9, $"cosine at T = 1 (control): {cold}");
    }

    [Fact]
    public void Forward_BadArguments_ThrowOneLine()
    {
        // Given
        var z = new float[4];
        var t = new int[2];
        var (l, c, k, g) = (new float[2], new float[2], new float[2], new float[4]);

        // When / Then
        Assert.Contains("temperature", Assert.Throws<ArgumentException>(() => Distillation.Forward(z, z, t, 2, 2, 0f, 0.5f, l, c, k, g)).Message);
        Assert.Contains("lambda", Assert.Throws<ArgumentException>(() => Distillation.Forward(z, z, t, 2, 2, 1f, 1.5f, l, c, k, g)).Message);
        Assert.Contains("outside", Assert.Throws<ArgumentException>(() => Distillation.Forward(z, z, [0, 2], 2, 2, 1f, 0.5f, l, c, k, g)).Message);
    }
}
