using System.Runtime.Intrinsics.X86;
using ScaleLab.Engine.Kernels;
using ScaleLab.Engine.Parallelism;
using static ScaleLab.Engine.Tests.Kernels.GradCheck;

namespace ScaleLab.Engine.Tests.Kernels;

/// <summary>The portable Vector256 and Vector128 microkernels (what runs off x86), forced on this machine through the
/// internal kernel argument: against the double reference within the float summation bound for every remainder of the
/// 6×16 tile and of the K-block, with A and B in the strides of all three products of a linear layer; bit-identical
/// across thread counts; and, on x86 with FMA, bit-identical to the AVX2 kernel.</summary>
public sealed class SgemmPortableTests : IDisposable
{
    private readonly WorkerPool _two = new(2);
    private readonly WorkerPool _three = new(3);

    public void Dispose()
    {
        _two.Dispose();
        _three.Dispose();
    }

    /// <summary>C = bias + A·B with A (M×K) stored row-major or column-major and B (K×N) row-major or column-major, by
    /// Multiply (with or without the bias) and by Accumulate onto a prefilled C.</summary>
    internal static unsafe float[] Product(float[] a, bool aColumns, float[] b, bool bColumns, float[] bias, float[] prefill,
        int M, int N, int K, WorkerPool? pool, SgemmKernel kernel, bool accumulate)
    {
        var c = accumulate ? (float[])prefill.Clone() : Enumerable.Repeat(float.NaN, M * N).ToArray();
        int ars = aColumns ? 1 : K, acs = aColumns ? M : 1, brs = bColumns ? 1 : N, bcs = bColumns ? K : 1;
        fixed (float* pa = a, pb = b, pc = c, pBias = bias)
        {
            if (accumulate) Sgemm.Accumulate(pa, ars, acs, pb, brs, bcs, pc, N, M, N, K, pool, kernel);
            else Sgemm.Multiply(pa, ars, acs, pb, brs, bcs, pc, N, M, N, K, pBias, pool, kernel);
        }
        return c;
    }

    public static TheoryData<string, int> KernelsAndK()
    {
        var data = new TheoryData<string, int>();
        foreach (var kernel in new[] { "Vector256", "Vector128" })
        {
            foreach (var k in new[] { 1, 7, 256, 300 }) data.Add(kernel, k);   // one K-block, a full one, and two
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(KernelsAndK))]
    public void PortableKernel_EveryTileRemainder_WithinFloatBoundAndBitIdenticalToAvx2(string name, int K)
    {
        var kernel = Enum.Parse<SgemmKernel>(name);
        // Given: M = 1..13 (every remainder of the 6-row sliver, twice) and N = 1..33 (of the 16-column panel), the
        // layouts of inp·Wᵀ, dout·W and doutᵀ·inp taking turns.
        var avx2 = Fma.IsSupported && Avx2.IsSupported;
        for (var M = 1; M <= 13; M++)
        {
            for (var N = 1; N <= 33; N++)
            {
                var layout = (M + N) % 4;
                bool aColumns = layout is 1 or 3, bColumns = layout is 2 or 3;
                var rng = new Rng((ulong)(M * 1000 + N * 10 + K));
                var (a, b, bias, prefill) = (Gaussian(rng, M * K), Gaussian(rng, K * N), Gaussian(rng, N), Gaussian(rng, M * N));
                var (fa, fb, fbias, fprefill) = (ToFloat(a), ToFloat(b), ToFloat(bias), ToFloat(prefill));
                foreach (var accumulate in new[] { false, true })
                {
                    // When
                    var c = Product(fa, aColumns, fb, bColumns, fbias, fprefill, M, N, K, accumulate ? null : _two, kernel, accumulate);

                    // Then: |c − exact| ≤ (K + 3)·u·Σ|terms| for the float sum of K + 1 terms (Higham 2002 §3.1).
                    var (at, ratio) = WorstOverBound(c, fa, aColumns, fb, bColumns, accumulate ? fprefill : null, fbias, M, N, K);
                    Assert.True(ratio <= 1, $"{kernel} M={M} N={N} K={K} layout={layout} accumulate={accumulate} [{at / N},{at % N}]: {ratio:G3} × the bound");
                    if (avx2)
                    {
                        Assert.Equal(Product(fa, aColumns, fb, bColumns, fbias, fprefill, M, N, K, null, SgemmKernel.Avx2Fma, accumulate), c);
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData("Vector256", 150, 130, 513)]    // several row blocks and three K-blocks
    [InlineData("Vector128", 150, 130, 513)]
    [InlineData("Vector128", 1000, 40, 600)]    // many row units claimed by racing threads
    [InlineData("Vector128", 3, 4100, 5)]       // more than NC columns, split by columns
    public void PortableKernel_Threads_BitIdenticalToOneThreadAndToAvx2(string name, int M, int N, int K)
    {
        var kernel = Enum.Parse<SgemmKernel>(name);
        // Given
        var rng = new Rng((ulong)(M + N + K));
        var (a, b, bias) = (ToFloat(Gaussian(rng, M * K)), ToFloat(Gaussian(rng, K * N)), ToFloat(Gaussian(rng, N)));

        // When
        var one = Product(a, false, b, false, bias, [], M, N, K, null, kernel, accumulate: false);
        var two = Product(a, false, b, false, bias, [], M, N, K, _two, kernel, accumulate: false);
        var three = Product(a, false, b, false, bias, [], M, N, K, _three, kernel, accumulate: false);

        // Then
        Assert.Equal(one, two);
        Assert.Equal(one, three);
        if (Fma.IsSupported && Avx2.IsSupported)
        {
            Assert.Equal(Product(a, false, b, false, bias, [], M, N, K, _two, SgemmKernel.Avx2Fma, accumulate: false), one);
        }
        var reference = new double[M * N];
        Matmul.ForwardReference<double>(ToDouble(a), Transpose(ToDouble(b), K, N), ToDouble(bias), M, K, N, reference);
        AssertClose("product", one, reference, 1e-3, 1e-4);
    }

    /// <summary>The element of c farthest from the double-precision product (prefill + A·B, or bias[n] + A·B without a
    /// prefill; A, B as <see cref="Product"/> lays them out) relative to (K + 3)·u·Σ|terms|, and that ratio (NaN: infinite).</summary>
    internal static (int At, double Ratio) WorstOverBound(float[] c, float[] a, bool aColumns, float[] b, bool bColumns, float[]? prefill,
        float[] bias, int M, int N, int K)
    {
        const double u = 1.0 / (1 << 24);
        var (at, worst) = (0, 0.0);
        for (var m = 0; m < M; m++)
        {
            for (var n = 0; n < N; n++)
            {
                var exact = prefill is not null ? (double)prefill[m * N + n] : bias[n];
                var absSum = Math.Abs(exact);
                for (var k = 0; k < K; k++)
                {
                    var term = (double)a[aColumns ? k * M + m : m * K + k] * b[bColumns ? n * K + k : k * N + n];
                    exact += term;
                    absSum += Math.Abs(term);
                }
                var ratio = Math.Abs(c[m * N + n] - exact) / ((K + 3) * u * absSum + 1e-30);
                if (double.IsNaN(ratio)) ratio = double.PositiveInfinity;
                if (ratio > worst) (at, worst) = (m * N + n, ratio);
            }
        }
        return (at, worst);
    }

    private static double[] Transpose(double[] x, int rows, int cols)
    {
        var t = new double[x.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++) t[c * rows + r] = x[r * cols + c];
        }
        return t;
    }
}
