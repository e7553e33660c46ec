using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ScaleLab.Engine.Kernels;

/// <summary>The microkernels <see cref="Sgemm"/> can run; <see cref="Sgemm.DefaultKernel"/> picks the first the machine has.</summary>
internal enum SgemmKernel
{
    /// <summary>x86 AVX2 + FMA intrinsics, with prefetches of the C tile.</summary>
    Avx2Fma,

    /// <summary>x86 AVX-512F at full width (<see cref="Sgemm.IsAccelerated512"/>): 6×32 tiles of 512-bit registers over two
    /// 16-column panels (Sgemm's and <see cref="FeatureMajorLinear"/>'s), with the same bits as <see cref="Avx2Fma"/>, whose
    /// 6×16 tile takes the edges; forced where the hardware lacks it, it runs as Avx2Fma.</summary>
    Avx512,

    /// <summary>Portable: the generic Vector256 API, two vectors per tile row (x86 with AVX and no FMA, or any machine
    /// with accelerated 256-bit vectors).</summary>
    Vector256,

    /// <summary>Portable: the generic Vector128 API, four vectors per tile row (Arm64 NEON: 24 accumulators fit its 32
    /// registers).</summary>
    Vector128,

    /// <summary>No vector hardware: the unblocked single-threaded triple loop.</summary>
    Scalar,
}

// The portable 6×16 microkernels: the same contract as Kernel6x16 and the same per-element arithmetic (for each k in
// order, acc = a·b + acc, fused where the hardware fuses: MultiplyAddEstimate is one FMA instruction on Arm64 and on
// x86 with FMA), then C = bias + acc or C += acc. Everything around them (packing, blocking, threading) is shared.
public static unsafe partial class Sgemm
{
    /// <summary>Runs the <paramref name="kernel"/> microkernel on one tile (see <see cref="Kernel6x16{TLayout}"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Micro<TLayout>(SgemmKernel kernel, int kc, float* pa, nint lda, float* pb, float* c, int ldc, bool store, float* bias)
        where TLayout : struct, ISliverLayout
    {
        switch (kernel)
        {
            case SgemmKernel.Avx2Fma:
            case SgemmKernel.Avx512:
                Kernel6x16<TLayout>(kc, pa, lda, pb, c, ldc, store, bias);
                break;
            case SgemmKernel.Vector256:
                Kernel6x16Vector256<TLayout>(kc, pa, lda, pb, c, ldc, store, bias);
                break;
            default:
                Kernel6x16Vector128<TLayout>(kc, pa, lda, pb, c, ldc, store, bias);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16Vector256<TLayout>(int kc, float* pa, nint lda, float* pb, float* c, int ldc, bool store, float* bias)
        where TLayout : struct, ISliverLayout
    {
        var rs = TLayout.RowStride(lda);
        var ks = TLayout.KStride(lda);
        float* a0 = pa, a1 = pa + rs, a2 = pa + 2 * rs, a3 = pa + 3 * rs, a4 = pa + 4 * rs, a5 = pa + 5 * rs;
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (nint k = 0, ka = 0; k < kc; k++, ka += ks)
        {
            var b0 = Vector256.Load(pb);
            var b1 = Vector256.Load(pb + 8);
            var a = Vector256.Create(a0[ka]);
            c00 = Vector256.MultiplyAddEstimate(a, b0, c00);
            c01 = Vector256.MultiplyAddEstimate(a, b1, c01);
            a = Vector256.Create(a1[ka]);
            c10 = Vector256.MultiplyAddEstimate(a, b0, c10);
            c11 = Vector256.MultiplyAddEstimate(a, b1, c11);
            a = Vector256.Create(a2[ka]);
            c20 = Vector256.MultiplyAddEstimate(a, b0, c20);
            c21 = Vector256.MultiplyAddEstimate(a, b1, c21);
            a = Vector256.Create(a3[ka]);
            c30 = Vector256.MultiplyAddEstimate(a, b0, c30);
            c31 = Vector256.MultiplyAddEstimate(a, b1, c31);
            a = Vector256.Create(a4[ka]);
            c40 = Vector256.MultiplyAddEstimate(a, b0, c40);
            c41 = Vector256.MultiplyAddEstimate(a, b1, c41);
            a = Vector256.Create(a5[ka]);
            c50 = Vector256.MultiplyAddEstimate(a, b0, c50);
            c51 = Vector256.MultiplyAddEstimate(a, b1, c51);
            pb += NR;
        }
        Finish256(c, store, bias, c00, c01);
        Finish256(c + ldc, store, bias, c10, c11);
        Finish256(c + 2 * ldc, store, bias, c20, c21);
        Finish256(c + 3 * ldc, store, bias, c30, c31);
        Finish256(c + 4 * ldc, store, bias, c40, c41);
        Finish256(c + 5 * ldc, store, bias, c50, c51);
    }

    /// <summary>One tile row: C = bias + acc (bias null: 0 + acc) when storing, else C += acc.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish256(float* row, bool store, float* bias, Vector256<float> lo, Vector256<float> hi)
    {
        if (store)
        {
            var b0 = bias is null ? Vector256<float>.Zero : Vector256.Load(bias);
            var b1 = bias is null ? Vector256<float>.Zero : Vector256.Load(bias + 8);
            Vector256.Store(b0 + lo, row);
            Vector256.Store(b1 + hi, row + 8);
            return;
        }
        Vector256.Store(Vector256.Load(row) + lo, row);
        Vector256.Store(Vector256.Load(row + 8) + hi, row + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16Vector128<TLayout>(int kc, float* pa, nint lda, float* pb, float* c, int ldc, bool store, float* bias)
        where TLayout : struct, ISliverLayout
    {
        var rs = TLayout.RowStride(lda);
        var ks = TLayout.KStride(lda);
        float* a0 = pa, a1 = pa + rs, a2 = pa + 2 * rs, a3 = pa + 3 * rs, a4 = pa + 4 * rs, a5 = pa + 5 * rs;
        Vector128<float> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
        Vector128<float> c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
        Vector128<float> c40 = default, c41 = default, c42 = default, c43 = default, c50 = default, c51 = default, c52 = default, c53 = default;
        for (nint k = 0, ka = 0; k < kc; k++, ka += ks)
        {
            var b0 = Vector128.Load(pb);
            var b1 = Vector128.Load(pb + 4);
            var b2 = Vector128.Load(pb + 8);
            var b3 = Vector128.Load(pb + 12);
            var a = Vector128.Create(a0[ka]);
            c00 = Vector128.MultiplyAddEstimate(a, b0, c00);
            c01 = Vector128.MultiplyAddEstimate(a, b1, c01);
            c02 = Vector128.MultiplyAddEstimate(a, b2, c02);
            c03 = Vector128.MultiplyAddEstimate(a, b3, c03);
            a = Vector128.Create(a1[ka]);
            c10 = Vector128.MultiplyAddEstimate(a, b0, c10);
            c11 = Vector128.MultiplyAddEstimate(a, b1, c11);
            c12 = Vector128.MultiplyAddEstimate(a, b2, c12);
            c13 = Vector128.MultiplyAddEstimate(a, b3, c13);
            a = Vector128.Create(a2[ka]);
            c20 = Vector128.MultiplyAddEstimate(a, b0, c20);
            c21 = Vector128.MultiplyAddEstimate(a, b1, c21);
            c22 = Vector128.MultiplyAddEstimate(a, b2, c22);
            c23 = Vector128.MultiplyAddEstimate(a, b3, c23);
            a = Vector128.Create(a3[ka]);
            c30 = Vector128.MultiplyAddEstimate(a, b0, c30);
            c31 = Vector128.MultiplyAddEstimate(a, b1, c31);
            c32 = Vector128.MultiplyAddEstimate(a, b2, c32);
            c33 = Vector128.MultiplyAddEstimate(a, b3, c33);
            a = Vector128.Create(a4[ka]);
            c40 = Vector128.MultiplyAddEstimate(a, b0, c40);
            c41 = Vector128.MultiplyAddEstimate(a, b1, c41);
            c42 = Vector128.MultiplyAddEstimate(a, b2, c42);
            c43 = Vector128.MultiplyAddEstimate(a, b3, c43);
            a = Vector128.Create(a5[ka]);
            c50 = Vector128.MultiplyAddEstimate(a, b0, c50);
            c51 = Vector128.MultiplyAddEstimate(a, b1, c51);
            c52 = Vector128.MultiplyAddEstimate(a, b2, c52);
            c53 = Vector128.MultiplyAddEstimate(a, b3, c53);
            pb += NR;
        }
        Finish128(c, store, bias, c00, c01, c02, c03);
        Finish128(c + ldc, store, bias, c10, c11, c12, c13);
        Finish128(c + 2 * ldc, store, bias, c20, c21, c22, c23);
        Finish128(c + 3 * ldc, store, bias, c30, c31, c32, c33);
        Finish128(c + 4 * ldc, store, bias, c40, c41, c42, c43);
        Finish128(c + 5 * ldc, store, bias, c50, c51, c52, c53);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish128(float* row, bool store, float* bias, Vector128<float> v0, Vector128<float> v1, Vector128<float> v2, Vector128<float> v3)
    {
        if (store)
        {
            Vector128.Store((bias is null ? Vector128<float>.Zero : Vector128.Load(bias)) + v0, row);
            Vector128.Store((bias is null ? Vector128<float>.Zero : Vector128.Load(bias + 4)) + v1, row + 4);
            Vector128.Store((bias is null ? Vector128<float>.Zero : Vector128.Load(bias + 8)) + v2, row + 8);
            Vector128.Store((bias is null ? Vector128<float>.Zero : Vector128.Load(bias + 12)) + v3, row + 12);
            return;
        }
        Vector128.Store(Vector128.Load(row) + v0, row);
        Vector128.Store(Vector128.Load(row + 4) + v1, row + 4);
        Vector128.Store(Vector128.Load(row + 8) + v2, row + 8);
        Vector128.Store(Vector128.Load(row + 12) + v3, row + 12);
    }
}
