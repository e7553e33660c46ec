using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ScaleLab.Engine.Kernels;

// Sgemm's AVX-512 microkernel (SgemmKernel.Avx512): a 6×32 tile over two adjacent 16-column panels of packed B, 12
// accumulators of 16 floats (6 rows × one 512-bit register per panel), so on a core with full-width 512-bit FMA units
// each broadcast of A feeds twice the columns of the 6×16 AVX2 tile. Per k: two aligned 64-byte loads of B and 6
// broadcasts of A for 12 multiply-adds. Block hands it every full 6-row sliver against a pair of full panels; edge tiles
// and an odd last panel stay on the 6×16 kernel. Each element's sum is the 6×16 kernel's term by term (fused, in k order
// from zero), then the same bias + Σ or C + Σ, so the two kernels give the same bits.
public static unsafe partial class Sgemm
{
    /// <summary>C[0..6, 0..32] (row stride ldc) += Σ_k A[i, k] · B[k, j], columns 0-15 from panel pb0 and 16-31 from pb1 (both
    /// pb[k·16 + j]), A laid out as <typeparamref name="TLayout"/> says; with <paramref name="store"/>, C = bias[j] + Σ (or
    /// C = Σ when <paramref name="bias"/> is null) instead, as <see cref="Kernel6x16{TLayout}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x32<TLayout>(int kc, float* pa, nint lda, float* pb0, float* pb1, float* c, int ldc, bool store, float* bias)
        where TLayout : struct, ISliverLayout
    {
        // Each tile row of C is 32 floats, two cache lines (three when unaligned): ask for its ends and middle.
        for (var i = 0; i < MR; i++)
        {
            Sse.Prefetch0(c + i * ldc);
            Sse.Prefetch0(c + i * ldc + NR);
            Sse.Prefetch0(c + i * ldc + 2 * NR - 1);
        }
        var rs = TLayout.RowStride(lda);
        var ks = TLayout.KStride(lda);
        float* a0 = pa, a1 = pa + rs, a2 = pa + 2 * rs, a3 = pa + 3 * rs, a4 = pa + 4 * rs, a5 = pa + 5 * rs;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (nint k = 0, ka = 0; k < kc; k++, ka += ks)
        {
            var b0 = Vector512.Load(pb0);
            var b1 = Vector512.Load(pb1);
            var a = Vector512.Create(a0[ka]);
            c00 = Avx512F.FusedMultiplyAdd(a, b0, c00);
            c01 = Avx512F.FusedMultiplyAdd(a, b1, c01);
            a = Vector512.Create(a1[ka]);
            c10 = Avx512F.FusedMultiplyAdd(a, b0, c10);
            c11 = Avx512F.FusedMultiplyAdd(a, b1, c11);
            a = Vector512.Create(a2[ka]);
            c20 = Avx512F.FusedMultiplyAdd(a, b0, c20);
            c21 = Avx512F.FusedMultiplyAdd(a, b1, c21);
            a = Vector512.Create(a3[ka]);
            c30 = Avx512F.FusedMultiplyAdd(a, b0, c30);
            c31 = Avx512F.FusedMultiplyAdd(a, b1, c31);
            a = Vector512.Create(a4[ka]);
            c40 = Avx512F.FusedMultiplyAdd(a, b0, c40);
            c41 = Avx512F.FusedMultiplyAdd(a, b1, c41);
            a = Vector512.Create(a5[ka]);
            c50 = Avx512F.FusedMultiplyAdd(a, b0, c50);
            c51 = Avx512F.FusedMultiplyAdd(a, b1, c51);
            pb0 += NR;
            pb1 += NR;
        }
        if (store)
        {
            var b0 = bias is null ? Vector512<float>.Zero : Vector512.Load(bias);
            var b1 = bias is null ? Vector512<float>.Zero : Vector512.Load(bias + NR);
            StoreRow(c, b0 + c00, b1 + c01);
            StoreRow(c + ldc, b0 + c10, b1 + c11);
            StoreRow(c + 2 * ldc, b0 + c20, b1 + c21);
            StoreRow(c + 3 * ldc, b0 + c30, b1 + c31);
            StoreRow(c + 4 * ldc, b0 + c40, b1 + c41);
            StoreRow(c + 5 * ldc, b0 + c50, b1 + c51);
            return;
        }
        AddRow(c, c00, c01);
        AddRow(c + ldc, c10, c11);
        AddRow(c + 2 * ldc, c20, c21);
        AddRow(c + 3 * ldc, c30, c31);
        AddRow(c + 4 * ldc, c40, c41);
        AddRow(c + 5 * ldc, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRow(float* row, Vector512<float> lo, Vector512<float> hi)
    {
        Vector512.Store(Vector512.Load(row) + lo, row);
        Vector512.Store(Vector512.Load(row + NR) + hi, row + NR);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* row, Vector512<float> lo, Vector512<float> hi)
    {
        Vector512.Store(lo, row);
        Vector512.Store(hi, row + NR);
    }
}
