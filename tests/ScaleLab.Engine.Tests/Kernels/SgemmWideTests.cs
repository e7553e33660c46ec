using ScaleLab.Engine.Kernels;
using ScaleLab.Engine.Parallelism;
using static ScaleLab.Engine.Tests.Kernels.GradCheck;
using static ScaleLab.Engine.Tests.Kernels.SgemmPortableTests;

namespace ScaleLab.Engine.Tests.Kernels;

/// <summary>The AVX-512 6×32 microkernel (<see cref="SgemmKernel.Avx512"/>), forced: against the double reference within the
/// float summation bound for every remainder of the 6-row sliver and of the 32-column panel pair, in the strides of all three
/// products of a linear layer; bit-identical to the AVX2 kernel and across thread counts; and a negative control, a k loop
/// one step short, which the same bound catches. Where the machine lacks AVX-512 the forced kernel runs as AVX2, and the
/// bit-identity checks hold trivially.</summary>
public sealed class SgemmWideTests : IDisposable
{
    private readonly WorkerPool _two = new(2);
    private readonly WorkerPool _three = new(3);

    public void Dispose()
    {
        _two.Dispose();
        _three.Dispose();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(256)]   // one full K-block
    [InlineData(300)]   // two
    public void WideKernel_EveryTileRemainder_WithinFloatBoundAndBitIdenticalToAvx2(int K)
    {
        // Given: M = 1..13 (every remainder of the 6-row sliver, twice), N = 1..65 (of the 32-column pair, twice, and an
        // odd 16-column panel after pairs), the layouts of inp·Wᵀ, dout·W and doutᵀ·inp taking turns
        for (var M = 1; M <= 13; M++)
        {
            for (var N = 1; N <= 65; N++)
            {
                var layout = (M + N) % 4;
                bool aColumns = layout is 1 or 3, bColumns = layout is 2 or 3;
                var rng = new Rng((ulong)(M * 1000 + N * 10 + K));
                var (a, b, bias, prefill) = (ToFloat(Gaussian(rng, M * K)), ToFloat(Gaussian(rng, K * N)), ToFloat(Gaussian(rng, N)), ToFloat(Gaussian(rng, M * N)));
                foreach (var accumulate in new[] { false, true })
                {
                    // When
                    var c = Product(a, aColumns, b, bColumns, bias, prefill, M, N, K, accumulate ? null : _two, SgemmKernel.Avx512, accumulate);

                    // Then within the bound, and the AVX2 kernel's bits
                    var (at, ratio) = WorstOverBound(c, a, aColumns, b, bColumns, accumulate ? prefill : null, bias, M, N, K);
                    Assert.True(ratio <= 1, $"M={M} N={N} K={K} layout={layout} accumulate={accumulate} [{at / N},{at % N}]: {ratio:G3} × the bound");
                    Assert.Equal(Product(a, aColumns, b, bColumns, bias, prefill, M, N, K, null, SgemmKernel.Avx2Fma, accumulate), c);
                }
            }
        }
    }

    [Theory]
    [InlineData(150, 130, 513)]    // several row blocks, three K-blocks, an odd panel and a partial one after 4 pairs
    [InlineData(1000, 40, 600)]    // many row units claimed by racing threads
    [InlineData(3, 4100, 5)]       // more than NC = 4080 columns (255 panels: an odd one per column block), split by columns
    [InlineData(256, 256, 256)]    // all pairs, A read in place
    [InlineData(64, 128, 1024)]    // a 4 KB row stride: A packed
    public void WideKernel_Threads_BitIdenticalToOneThreadAndToAvx2(int M, int N, int K)
    {
        // Given
        var rng = new Rng((ulong)(M + N + K));
        var (a, b, bias) = (ToFloat(Gaussian(rng, M * K)), ToFloat(Gaussian(rng, K * N)), ToFloat(Gaussian(rng, N)));

        // When
        var one = Product(a, false, b, false, bias, [], M, N, K, null, SgemmKernel.Avx512, accumulate: false);
        var two = Product(a, false, b, false, bias, [], M, N, K, _two, SgemmKernel.Avx512, accumulate: false);
        var three = Product(a, false, b, false, bias, [], M, N, K, _three, SgemmKernel.Avx512, accumulate: false);

        // Then
        Assert.Equal(one, two);
        Assert.Equal(one, three);
        Assert.Equal(Product(a, false, b, false, bias, [], M, N, K, _two, SgemmKernel.Avx2Fma, accumulate: false), one);
        var (at, ratio) = WorstOverBound(one, a, false, b, false, null, bias, M, N, K);
        Assert.True(ratio <= 1, $"[{at / N},{at % N}]: {ratio:G3} × the bound");
    }

    [Theory]
    [InlineData(12, 64, 40)]
    [InlineData(72, 96, 300)]
    public void WideKernel_KLoopOneShort_FailsTheBound(int M, int N, int K)
    {
        // Given A (M×K), B (K×N) and a bias
        var rng = new Rng((ulong)(M * N + K));
        var (a, b, bias) = (ToFloat(Gaussian(rng, M * K)), ToFloat(Gaussian(rng, K * N)), ToFloat(Gaussian(rng, N)));

        // When a deliberately wrong variant runs: the 512-bit kernel over K − 1 terms (A's last column and B's last row dropped)
        var shortA = new float[M * (K - 1)];
        for (var m = 0; m < M; m++) Array.Copy(a, m * K, shortA, m * (K - 1), K - 1);
        var wrong = Product(shortA, false, b.AsSpan(0, (K - 1) * N).ToArray(), false, bias, [], M, N, K - 1, null, SgemmKernel.Avx512, accumulate: false);

        // Then the bound the real kernels meet catches it: some element misses by more than 10× the bound
        var (_, ratio) = WorstOverBound(wrong, a, false, b, false, null, bias, M, N, K);
        Assert.True(ratio > 10, $"a k loop one step short stays within {ratio:G3} × the bound");
    }
}
