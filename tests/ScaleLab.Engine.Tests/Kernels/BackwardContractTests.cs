using ScaleLab.Engine.Kernels;
using ScaleLab.Engine.Parallelism;
using static ScaleLab.Engine.Tests.Kernels.GradCheck;

namespace ScaleLab.Engine.Tests.Kernels;

/// <summary><see cref="BackwardContract"/>: every backward kernel, reference and fast, adds into every gradient it writes.
/// Each case runs a kernel once into zeros (F) and once into buffers prefilled with N(0,1) values (P), and checks the
/// result is P + F. A kernel that stored over its input gradient (as the fast kernels once did) leaves F and fails by |P|.</summary>
public sealed class BackwardContractTests : IDisposable
{
    private readonly WorkerPool _two = new(2);

    public void Dispose() => _two.Dispose();

    /// <summary>A kernel's backward pass: fills the gradient buffers it is given (sizes fixed per case).</summary>
    private sealed record Case(int[] Sizes, Action<float[][], WorkerPool?> Fast, Action<double[][]> Reference);

    private static Case Build(string kernel)
    {
        const int N = 7, B = 2, T = 5, C = 12, NH = 3, V = 13, OC = 9;
        var rng = new Rng((ulong)kernel.Length * 31 + kernel[0]);
        var x = Gaussian(rng, B * T * 3 * C);
        var w = Gaussian(rng, OC * C);
        var dout = Gaussian(rng, B * T * 4 * C);
        var tokens = Tokens(rng, B * T, V);
        switch (kernel)
        {
            case "Encoder":
                return new([V * C, T * C],
                    (g, pool) => Encoder.Backward(ToFloat(dout).AsSpan(0, B * T * C), tokens, B, T, C, g[0], g[1], pool),
                    g => Encoder.BackwardReference<double>(dout.AsSpan(0, B * T * C), tokens, B, T, C, g[0], g[1]));
            case "LayerNorm":
            {
                var (o, mean, rstd) = (new double[N * C], new double[N], new double[N]);
                LayerNorm.ForwardReference<double>(x.AsSpan(0, N * C), w.AsSpan(0, C), w.AsSpan(C, C), N, C, o, mean, rstd);
                return new([N * C, C, C],
                    (g, pool) => LayerNorm.Backward(ToFloat(dout).AsSpan(0, N * C), ToFloat(x).AsSpan(0, N * C), ToFloat(w).AsSpan(0, C), ToFloat(mean), ToFloat(rstd), N, C, g[0], g[1], g[2], pool),
                    g => LayerNorm.BackwardReference<double>(dout.AsSpan(0, N * C), x.AsSpan(0, N * C), w.AsSpan(0, C), mean, rstd, N, C, g[0], g[1], g[2]));
            }
            case "Matmul":
                return new([N * C, OC * C, OC],
                    (g, pool) => Matmul.Backward(ToFloat(dout).AsSpan(0, N * OC), ToFloat(x).AsSpan(0, N * C), ToFloat(w), N, C, OC, g[0], g[1], g[2], pool),
                    g => Matmul.BackwardReference<double>(dout.AsSpan(0, N * OC), x.AsSpan(0, N * C), w, N, C, OC, g[0], g[1], g[2]));
            case "Attention":
            {
                var (o, att) = (new double[B * T * C], new double[B * NH * T * T]);
                Attention.ForwardReference<double>(x, B, T, C, NH, o, att);
                return new([B * T * 3 * C],
                    (g, pool) => Attention.Backward(ToFloat(dout).AsSpan(0, B * T * C), ToFloat(x), ToFloat(att), B, T, C, NH, g[0], pool),
                    g => Attention.BackwardReference<double>(dout.AsSpan(0, B * T * C), x, att, B, T, C, NH, g[0]));
            }
            case "Gelu":
                return new([N * C],
                    (g, pool) => Gelu.Backward(ToFloat(dout).AsSpan(0, N * C), ToFloat(x).AsSpan(0, N * C), N * C, g[0], pool),
                    g => Gelu.BackwardReference<double>(dout.AsSpan(0, N * C), x.AsSpan(0, N * C), N * C, g[0]));
            case "Residual":
                return new([N * C, N * C],
                    (g, pool) => Residual.Backward(ToFloat(dout).AsSpan(0, N * C), N * C, g[0], g[1], pool),
                    g => Residual.BackwardReference<double>(dout.AsSpan(0, N * C), N * C, g[0], g[1]));
            case "CrossEntropy":
            {
                var (probs, losses) = (new double[N * V], new double[N]);
                var targets = Tokens(rng, N, V);
                CrossEntropy.ForwardReference<double>(x.AsSpan(0, N * V), targets, N, V, probs, losses);
                return new([N * V],
                    (g, pool) => CrossEntropy.Backward(ToFloat(probs), targets, ToFloat(dout).AsSpan(0, N), N, V, g[0], pool),
                    g => CrossEntropy.BackwardReference<double>(probs, targets, dout.AsSpan(0, N), N, V, g[0]));
            }
            case "Distillation":
            {
                var cache = new double[N * V];
                var targets = Tokens(rng, N, V);
                Distillation.ForwardReference<double>(x.AsSpan(0, N * V), Gaussian(rng, N * V), targets, N, V, 2.0, 0.5,
                    new double[N], new double[N], new double[N], cache);
                return new([N * V],
                    (g, pool) => Distillation.Backward(ToFloat(cache), ToFloat(dout).AsSpan(0, N), N, V, g[0], pool),
                    g => Distillation.BackwardReference<double>(cache, dout.AsSpan(0, N), N, V, g[0]));
            }
            default:
                throw new ArgumentException(kernel);
        }
    }

    public static TheoryData<string> Kernels() => ["Encoder", "LayerNorm", "Matmul", "Attention", "Gelu", "Residual", "CrossEntropy", "Distillation"];

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Backward_PrefilledGradients_AddsOntoThem(string kernel)
    {
        // Given: the kernel's gradients into zeros, and a prefill P.
        var c = Build(kernel);
        var rng = new Rng(99);
        var prefill = c.Sizes.Select(n => Gaussian(rng, n)).ToArray();
        var fresh = c.Sizes.Select(n => new float[n]).ToArray();
        c.Fast(fresh, null);
        var freshReference = c.Sizes.Select(n => new double[n]).ToArray();
        c.Reference(freshReference);

        foreach (var pool in new[] { null, _two })
        {
            // When
            var fast = prefill.Select(ToFloat).ToArray();
            c.Fast(fast, pool);
            var reference = prefill.Select(p => (double[])p.Clone()).ToArray();
            c.Reference(reference);

            // Then: P + F, to float rounding of the two terms for the fast kernel and exactly up to double rounding for the reference.
            for (var t = 0; t < c.Sizes.Length; t++)
            {
                for (var i = 0; i < c.Sizes[t]; i++)
                {
                    var expected = prefill[t][i] + fresh[t][i];
                    var tolerance = 1e-5 * (Math.Abs(prefill[t][i]) + Math.Abs(fresh[t][i])) + 1e-6;
                    Assert.True(Math.Abs(fast[t][i] - expected) <= tolerance, $"{kernel} fast gradient {t}[{i}]: {fast[t][i]} vs P + F = {expected}");
                    var expectedReference = prefill[t][i] + freshReference[t][i];
                    Assert.True(Math.Abs(reference[t][i] - expectedReference) <= 1e-12 * (1 + Math.Abs(expectedReference)),
                        $"{kernel} reference gradient {t}[{i}]: {reference[t][i]} vs P + F = {expectedReference}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Backward_IntoZeros_MatchesReference(string kernel)
    {
        // Given / When: the same gradient both ways, so the prefill test above compares like with like.
        var c = Build(kernel);
        var fast = c.Sizes.Select(n => new float[n]).ToArray();
        c.Fast(fast, null);
        var reference = c.Sizes.Select(n => new double[n]).ToArray();
        c.Reference(reference);

        // Then: every gradient carries signal and agrees to float rounding.
        for (var t = 0; t < c.Sizes.Length; t++)
        {
            Assert.True(reference[t].Max(Math.Abs) > 1e-3, $"{kernel} gradient {t} is all zero: the case tests nothing");
            AssertClose($"{kernel} gradient {t}", fast[t], reference[t], 1e-4, 1e-4);
        }
    }
}
