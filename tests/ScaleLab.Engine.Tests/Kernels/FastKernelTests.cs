using ScaleLab.Engine.Kernels;
using ScaleLab.Engine.Parallelism;
using static ScaleLab.Engine.Tests.Kernels.GradCheck;

namespace ScaleLab.Engine.Tests.Kernels;

/// <summary>Every fast float kernel against its reference (run in double) over sweeps of sizes that hit each SIMD
/// remainder, at 1, 2 and 3 threads; the thread counts must agree bit for bit.</summary>
public sealed class FastKernelTests : IDisposable
{
    private readonly WorkerPool _two = new(2);
    private readonly WorkerPool _three = new(3);

    public void Dispose()
    {
        _two.Dispose();
        _three.Dispose();
    }

    /// <summary>Runs <paramref name="kernel"/> (which returns its outputs) with no pool, 2 and 3 threads; asserts identical outputs.</summary>
    private float[][] OnAllPools(Func<WorkerPool?, float[][]> kernel)
    {
        var one = kernel(null);
        foreach (var pool in new[] { _two, _three })
        {
            var other = kernel(pool);
            for (var i = 0; i < one.Length; i++) Assert.Equal(one[i], other[i]);
        }
        return one;
    }

    public static TheoryData<int> Lengths1To67() => [.. Enumerable.Range(1, 67)];

    [Theory]
    [MemberData(nameof(Lengths1To67))]
    public void Encoder_ChannelSweep_BitIdenticalToFloatReference(int C)
    {
        // Given
        int B = 2, T = 3, V = 4;
        var rng = new Rng((ulong)C);
        var inp = new[] { 0, 3, 3, 1, 0, 3 };
        var wte = ToFloat(Gaussian(rng, V * C));
        var wpe = ToFloat(Gaussian(rng, T * C));
        var dout = ToFloat(Gaussian(rng, B * T * C));
        var refOut = new float[B * T * C];
        var refDwte = new float[V * C];
        var refDwpe = new float[T * C];
        Encoder.ForwardReference<float>(inp, wte, wpe, B, T, C, refOut);
        Encoder.BackwardReference<float>(dout, inp, B, T, C, refDwte, refDwpe);

        // When
        var fast = OnAllPools(pool =>
        {
            var o = new float[B * T * C];
            var dwte = new float[V * C];
            var dwpe = new float[T * C];
            Encoder.Forward(inp, wte, wpe, B, T, C, o, pool);
            Encoder.Backward(dout, inp, B, T, C, dwte, dwpe, pool);
            return [o, dwte, dwpe];
        });

        // Then: same additions in the same order.
        Assert.Equal(refOut, fast[0]);
        Assert.Equal(refDwte, fast[1]);
        Assert.Equal(refDwpe, fast[2]);
    }

    [Theory]
    [MemberData(nameof(Lengths1To67))]
    public void LayerNorm_ChannelSweep_MatchesReference(int C)
    {
        // Given: rows with a large common offset, where a one-pass variance would lose digits.
        var N = 5;
        var rng = new Rng((ulong)C + 100);
        var inp = Gaussian(rng, N * C);
        for (var i = 0; i < inp.Length; i++) inp[i] += 10;
        var w = Gaussian(rng, C);
        var b = Gaussian(rng, C);
        var dout = Gaussian(rng, N * C);
        var (refOut, refMean, refRstd) = (new double[N * C], new double[N], new double[N]);
        LayerNorm.ForwardReference<double>(inp, w, b, N, C, refOut, refMean, refRstd);
        var (refDinp, refDw, refDb) = (new double[N * C], new double[C], new double[C]);
        LayerNorm.BackwardReference<double>(dout, inp, w, refMean, refRstd, N, C, refDinp, refDw, refDb);

        // When
        var fast = OnAllPools(pool =>
        {
            var (o, mean, rstd) = (new float[N * C], new float[N], new float[N]);
            LayerNorm.Forward(ToFloat(inp), ToFloat(w), ToFloat(b), N, C, o, mean, rstd, pool);
            var (dinp, dw, db) = (new float[N * C], new float[C], new float[C]);
            LayerNorm.Backward(ToFloat(dout), ToFloat(inp), ToFloat(w), mean, rstd, N, C, dinp, dw, db, pool);
            return [o, mean, rstd, dinp, dw, db];
        });

        // Then: x̂ = (x − μ)·rstd carries the rounding of x (~1e-6 at |x| ≈ 10) amplified by rstd ≈ 1.
        AssertClose("out", fast[0], refOut, 1e-4, 1e-5);
        AssertClose("mean", fast[1], refMean, 1e-5, 1e-6);
        AssertClose("rstd", fast[2], refRstd, 1e-4, 1e-4);
        var scale = refDinp.Max(Math.Abs) + 1;
        AssertClose("dinp", fast[3], refDinp, 2e-4 * scale, 1e-4);
        AssertClose("dweight", fast[4], refDw, 2e-4 * N, 1e-4);
        AssertClose("dbias", fast[5], refDb, 1e-5 * N, 1e-5);
    }

    public static TheoryData<int, int, int> MatmulShapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (var k in Enumerable.Range(1, 67)) data.Add(7, k, 19);
        foreach (var oc in Enumerable.Range(1, 67)) data.Add(5, 13, oc);
        foreach (var n in Enumerable.Range(1, 67)) data.Add(n, 9, 17);
        data.Add(150, 300, 40);   // M > MC and K > KC: several row and K blocks
        data.Add(3, 5, 4100);     // N > NC: two column blocks, and more columns than rows
        data.Add(130, 513, 33);
        return data;
    }

    [Theory]
    [MemberData(nameof(MatmulShapes))]
    public void Matmul_Shapes_WithinFloatSummationBound(int N, int C, int OC)
    {
        // Given
        var rng = new Rng((ulong)(N * 10007 + C * 101 + OC));
        var inp = Gaussian(rng, N * C);
        var w = Gaussian(rng, OC * C);
        var b = Gaussian(rng, OC);
        var dout = Gaussian(rng, N * OC);
        var refOut = new double[N * OC];
        Matmul.ForwardReference<double>(inp, w, b, N, C, OC, refOut);
        var (refDinp, refDw, refDb) = (new double[N * C], new double[OC * C], new double[OC]);
        Matmul.BackwardReference<double>(dout, inp, w, N, C, OC, refDinp, refDw, refDb);
        // Any summation order of K float products errs by at most about K·u·Σ|a·b| (u = 2⁻²⁴, Higham 2002 §3.1);
        // the same products of absolute values give Σ|a·b| per output.
        double[] Abs(double[] x) => Array.ConvertAll(x, Math.Abs);
        var boundOut = new double[N * OC];
        Matmul.ForwardReference<double>(Abs(inp), Abs(w), Abs(b), N, C, OC, boundOut);
        var (boundDinp, boundDw, boundDb) = (new double[N * C], new double[OC * C], new double[OC]);
        Matmul.BackwardReference<double>(Abs(dout), Abs(inp), Abs(w), N, C, OC, boundDinp, boundDw, boundDb);

        // When
        var fast = OnAllPools(pool =>
        {
            var o = new float[N * OC];
            Matmul.Forward(ToFloat(inp), ToFloat(w), ToFloat(b), N, C, OC, o, pool);
            var (dinp, dw, db) = (new float[N * C], new float[OC * C], new float[OC]);
            Matmul.Backward(ToFloat(dout), ToFloat(inp), ToFloat(w), N, C, OC, dinp, dw, db, pool);
            return [o, dinp, dw, db];
        });

        // Then
        AssertWithin("out", fast[0], refOut, boundOut, C + 1);
        AssertWithin("dinp", fast[1], refDinp, boundDinp, OC);
        AssertWithin("dweight", fast[2], refDw, boundDw, N);
        AssertWithin("dbias", fast[3], refDb, boundDb, N);
    }

    private static void AssertWithin(string name, float[] fast, double[] reference, double[] absSum, int terms)
    {
        // Inputs are themselves rounded to float (relative 2⁻²⁴ each), which adds 2u·Σ|a·b|.
        const double u = 1.0 / (1 << 24);
        for (var i = 0; i < fast.Length; i++)
        {
            var bound = (terms + 3) * u * absSum[i] + 1e-30;
            Assert.True(Math.Abs(fast[i] - reference[i]) <= bound, $"{name}[{i}]: {fast[i]:G9} vs {reference[i]:G9} (bound {bound:G3})");
        }
    }

    [Fact]
    public unsafe void SgemmScalarFallback_OddShape_MatchesAccelerated()
    {
        // Given: the path taken on machines without AVX2 + FMA.
        int M = 13, N = 21, K = 37;
        var rng = new Rng(9);
        var a = ToFloat(Gaussian(rng, M * K));
        var b = ToFloat(Gaussian(rng, K * N));
        var scalar = new float[M * N];
        var simd = new float[M * N];

        // When
        fixed (float* pa = a, pb = b, ps = scalar, pv = simd)
        {
            Sgemm.AccumulateScalar(pa, K, 1, pb, N, 1, ps, N, M, N, K);
            Sgemm.Accumulate(pa, K, 1, pb, N, 1, pv, N, M, N, K, null);
        }

        // Then
        for (var i = 0; i < scalar.Length; i++) Assert.Equal(scalar[i], simd[i], 1e-4f);
    }

    [Theory]
    [InlineData(13, 21, 37)]      // edge slivers and panels
    [InlineData(72, 48, 300)]     // two K-blocks: the second adds to what the first stored
    [InlineData(5, 3, 1)]
    [InlineData(150, 130, 513)]   // three K-blocks, several row blocks per thread
    public unsafe void SgemmMultiply_WithAndWithoutBias_BitIdenticalToFillThenAccumulate(int M, int N, int K)
    {
        // Given: C holding garbage (Multiply must not read it), and the same product the old way.
        var rng = new Rng((ulong)(M * 1000 + N * 10 + K));
        var a = ToFloat(Gaussian(rng, M * K));
        var b = ToFloat(Gaussian(rng, K * N));
        var bias = ToFloat(Gaussian(rng, N));
        foreach (var withBias in new[] { false, true })
        {
            var expected = new float[M * N];
            for (var m = 0; m < M; m++)
            {
                if (withBias) bias.CopyTo(expected.AsSpan(m * N, N));
            }
            fixed (float* pa = a, pb = b, pe = expected)
            {
                Sgemm.Accumulate(pa, K, 1, pb, N, 1, pe, N, M, N, K, null);
            }

            // When
            var fast = OnAllPools(pool =>
            {
                var c = new float[M * N];
                c.AsSpan().Fill(float.NaN);
                fixed (float* pa = a, pb = b, pc = c, pBias = bias)
                {
                    Sgemm.Multiply(pa, K, 1, pb, N, 1, pc, N, M, N, K, withBias ? pBias : null, pool);
                }
                return [c];
            });

            // Then
            Assert.Equal(expected, fast[0]);
        }
    }

    [Theory]
    [InlineData(13, 21, 37)]      // a partial last sliver (packed) after two read in place
    [InlineData(150, 40, 513)]    // three K-blocks, several row blocks
    [InlineData(6, 16, 1)]
    public unsafe void Sgemm_AReadInPlaceOrPacked_BitIdentical(int M, int N, int K)
    {
        // Given: the same A stored three ways. Rows contiguous (read in place by the microkernel), rows contiguous with a
        // row stride of 1024 floats (packed, to keep the six rows out of one L1 set), and column-major (packed).
        var rng = new Rng((ulong)(M * 7 + N * 3 + K));
        var a = ToFloat(Gaussian(rng, M * K));
        var b = ToFloat(Gaussian(rng, K * N));
        var wide = new float[M * 1024 * ((K + 1023) / 1024)];
        var columnMajor = new float[M * K];
        var lda = 1024 * ((K + 1023) / 1024);
        for (var m = 0; m < M; m++)
        {
            for (var k = 0; k < K; k++)
            {
                wide[m * lda + k] = a[m * K + k];
                columnMajor[k * M + m] = a[m * K + k];
            }
        }

        // When
        var fast = OnAllPools(pool =>
        {
            var (inPlace, packedRows, packedColumns) = (new float[M * N], new float[M * N], new float[M * N]);
            fixed (float* pa = a, pw = wide, pcm = columnMajor, pb = b, c1 = inPlace, c2 = packedRows, c3 = packedColumns)
            {
                Sgemm.Multiply(pa, K, 1, pb, N, 1, c1, N, M, N, K, null, pool);
                Sgemm.Multiply(pw, lda, 1, pb, N, 1, c2, N, M, N, K, null, pool);
                Sgemm.Multiply(pcm, 1, M, pb, N, 1, c3, N, M, N, K, null, pool);
            }
            return [inPlace, packedRows, packedColumns];
        });

        // Then
        Assert.Equal(fast[0], fast[1]);
        Assert.Equal(fast[0], fast[2]);
        var scalar = new float[M * N];
        fixed (float* pa = a, pb = b, ps = scalar)
        {
            Sgemm.AccumulateScalar(pa, K, 1, pb, N, 1, ps, N, M, N, K);
        }
        for (var i = 0; i < scalar.Length; i++) Assert.Equal(scalar[i], fast[0][i], 1e-3f);
    }

    [Fact]
    public unsafe void Sgemm_RowUnitsClaimedInAnyOrder_BitIdenticalRepeatedly()
    {
        // Given: many row units and three K-blocks, so threads race for units and a unit's K-blocks may be taken by
        // different threads (each must wait for the previous block of its rows).
        int M = 1000, N = 40, K = 600;
        var rng = new Rng(21);
        var a = ToFloat(Gaussian(rng, M * K));
        var b = ToFloat(Gaussian(rng, K * N));
        float[] Product(WorkerPool? pool)
        {
            var c = new float[M * N];
            fixed (float* pa = a, pb = b, pc = c)
            {
                Sgemm.Accumulate(pa, K, 1, pb, N, 1, pc, N, M, N, K, pool);
            }
            return c;
        }
        var one = Product(null);

        // When / Then
        for (var repeat = 0; repeat < 5; repeat++)
        {
            Assert.Equal(one, Product(_two));
            Assert.Equal(one, Product(_three));
        }
    }

    public static TheoryData<int, int, int, int> AttentionShapes()
    {
        var data = new TheoryData<int, int, int, int>();
        foreach (var t in Enumerable.Range(1, 20)) data.Add(2, t, 12, 3);                   // hs = 4
        foreach (var (c, nh) in new[] { (6, 2), (10, 2), (17, 1), (34, 2), (24, 1), (64, 4), (9, 3), (40, 5) })
        {
            data.Add(2, 7, c, nh);                                                          // hs = 3, 5, 17, 17, 24, 16, 3, 8
        }
        data.Add(1, 33, 48, 2);
        data.Add(1, 61, 16, 2);                                                             // last sliver (6 rows) and panel (16 keys) partial
        data.Add(1, 130, 8, 1);
        return data;
    }

    [Theory]
    [MemberData(nameof(AttentionShapes))]
    public void Attention_Shapes_MatchesReference(int B, int T, int C, int NH)
    {
        // Given
        var rng = new Rng((ulong)(B * 1000 + T * 100 + C + NH));
        var qkv = Gaussian(rng, B * T * 3 * C);
        var dout = Gaussian(rng, B * T * C);
        var (refOut, refAtt) = (new double[B * T * C], new double[B * NH * T * T]);
        Attention.ForwardReference<double>(qkv, B, T, C, NH, refOut, refAtt);
        var refDqkv = new double[B * T * 3 * C];
        Attention.BackwardReference<double>(dout, qkv, refAtt, B, T, C, NH, refDqkv);

        // When
        var fast = OnAllPools(pool =>
        {
            var (o, att) = (new float[B * T * C], new float[B * NH * T * T]);
            Attention.Forward(ToFloat(qkv), B, T, C, NH, o, att, pool);
            var dqkv = new float[B * T * 3 * C];
            Attention.Backward(ToFloat(dout), ToFloat(qkv), att, B, T, C, NH, dqkv, pool);
            return [o, att, dqkv];
        });

        // Then: scores of size ~√hs pass through exp, so relative errors of a few 1e-6 are expected.
        AssertClose("out", fast[0], refOut, 2e-5, 1e-4);
        AssertClose("att", fast[1], refAtt, 1e-6, 1e-4);
        AssertClose("dqkv", fast[2], refDqkv, 5e-5 * Math.Sqrt(T), 1e-4);
    }

    public static TheoryData<int> Lengths0To257() => [.. Enumerable.Range(0, 258)];

    [Theory]
    [MemberData(nameof(Lengths0To257))]
    public void GeluAndResidual_LengthSweep_MatchReference(int N)
    {
        // Given
        var rng = new Rng((ulong)N + 500);
        var x = Gaussian(rng, N, 3.0);
        var y = Gaussian(rng, N);
        var dout = Gaussian(rng, N);
        var refGelu = new double[N];
        Gelu.ForwardReference<double>(x, N, refGelu);
        var refDx = new double[N];
        Gelu.BackwardReference<double>(dout, x, N, refDx);
        var refSum = new float[N];
        Residual.ForwardReference<float>(ToFloat(x), ToFloat(y), N, refSum);

        // When
        var fast = OnAllPools(pool =>
        {
            var (g, dx, sum, d1, d2) = (new float[N], new float[N], new float[N], new float[N], new float[N]);
            Gelu.Forward(ToFloat(x), N, g, pool);
            Gelu.Backward(ToFloat(dout), ToFloat(x), N, dx, pool);
            Residual.Forward(ToFloat(x), ToFloat(y), N, sum, pool);
            Residual.Backward(ToFloat(dout), N, d1, d2, pool);
            return [g, dx, sum, d1, d2];
        });

        // Then
        AssertClose("gelu", fast[0], refGelu, 1e-6, 1e-5);
        AssertClose("dgelu", fast[1], refDx, 1e-6, 1e-5);
        Assert.Equal(refSum, fast[2]);
        Assert.Equal(ToFloat(dout), fast[3]);
        Assert.Equal(ToFloat(dout), fast[4]);
    }

    [Theory]
    [MemberData(nameof(Lengths1To67))]
    public void CrossEntropy_VocabSweep_MatchesReference(int V)
    {
        // Given
        var N = 6;
        var rng = new Rng((ulong)V + 900);
        var logits = Gaussian(rng, N * V, 4.0);
        var targets = Tokens(rng, N, V);
        var dlosses = Gaussian(rng, N);
        var (refProbs, refLosses) = (new double[N * V], new double[N]);
        CrossEntropy.ForwardReference<double>(logits, targets, N, V, refProbs, refLosses);
        var refD = new double[N * V];
        CrossEntropy.BackwardReference<double>(refProbs, targets, dlosses, N, V, refD);

        // When
        var fast = OnAllPools(pool =>
        {
            var (probs, losses) = (new float[N * V], new float[N]);
            CrossEntropy.Forward(ToFloat(logits), targets, N, V, probs, losses, pool);
            var d = new float[N * V];
            CrossEntropy.Backward(probs, targets, ToFloat(dlosses), N, V, d, pool);
            return [probs, losses, d];
        });

        // Then
        AssertClose("probs", fast[0], refProbs, 1e-7, 1e-5);
        AssertClose("losses", fast[1], refLosses, 1e-5, 1e-5);
        AssertClose("dlogits", fast[2], refD, 1e-6, 1e-5);
    }

    [Theory]
    [InlineData("dispatch")]
    [InlineData("portable")]
    [InlineData("avx2")]
    public void SimdExp_WholeRange_WithinFourUlpOfDoubleExp(string path)
    {
        // Given: 20001 points over the clamp range [−87, 88] plus small arguments near 0, through Exp as dispatched
        // on this machine and through each implementation it can dispatch to.
        if (path == "avx2" && !(System.Runtime.Intrinsics.X86.Fma.IsSupported && System.Runtime.Intrinsics.X86.Avx2.IsSupported))
        {
            return;
        }
        Func<System.Runtime.Intrinsics.Vector256<float>, System.Runtime.Intrinsics.Vector256<float>> exp = path switch
        {
            "portable" => SimdMath.ExpPortable,
            "avx2" => SimdMath.ExpAvx2,
            _ => SimdMath.Exp,
        };
        var xs = Enumerable.Range(0, 20001).Select(i => -87f + 175f * i / 20000f).Concat([0f, 1e-7f, -1e-7f, 0.5f]).ToArray();

        // When / Then: relative error within 4·2⁻²⁴ of the exactly rounded value.
        foreach (var x in xs)
        {
            var y = System.Runtime.Intrinsics.Vector256.ToScalar(exp(System.Runtime.Intrinsics.Vector256.Create(x)));
            var exact = Math.Exp(x);
            Assert.True(Math.Abs(y - exact) <= 4 * exact / (1 << 24), $"exp({x}) = {y} vs {exact}");
        }
    }
}
