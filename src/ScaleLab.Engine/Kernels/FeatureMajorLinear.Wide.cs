using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ScaleLab.Engine.Kernels;

// The AVX-512 register tile of FeatureMajorLinear: 6 rows of W × 32 columns of X, two 16-column panels side by side.
// The 6×16 AVX2 tile holds 12 accumulators of 8 floats; this one holds 12 of 16 (6 rows × one 512-bit register per
// panel), so each broadcast of a weight feeds twice the columns and a core with full-width 512-bit FMA units does
// twice the work per instruction. Per k it loads one 16-float row of each panel (two aligned cache lines) and
// broadcasts 6 weights: 8 loads for 12 multiply-adds. The panels of one k-block, 2 × KC × 16 floats (32 KB), stay in
// L1 while the 12 six-row slivers of a 72-row block of W pass over them.
// Bits: every column's sum is the 256-bit tile's, term by term in k order from zero, then the same finish (bias or the
// stored partial sum first, vmaxps for relu, then the residual), so the two tiles, and hence any batch, agree exactly.
public static unsafe partial class FeatureMajorLinear
{
    /// <summary>The 6×32 tile C[i, j] of Σ_k W[i, k]·X[k, j], columns 0-15 from panel pb0 and 16-31 from pb1 (both
    /// pb[k·16 + j]), finished by <see cref="Finish"/> as <see cref="Kernel6x16{TLayout}"/> finishes its tile; c, res: row stride ldc.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x32<TLayout>(int kc, float* pa, nint lda, float* pb0, float* pb1, float* c, int ldc, float* bias, float* res,
        bool first, bool last, bool relu) where TLayout : struct, Sgemm.ISliverLayout
    {
        // Each tile row of C (and of the residual) is 32 floats, two cache lines when unaligned: ask for both ends.
        for (var i = 0; i < MR; i++)
        {
            Sse.Prefetch0(c + i * ldc);
            Sse.Prefetch0(c + i * ldc + 2 * NR - 1);
            if (res is not null)
            {
                Sse.Prefetch0(res + i * ldc);
                Sse.Prefetch0(res + i * ldc + 2 * NR - 1);
            }
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
            var w = Vector512.Create(a0[ka]);
            c00 = Avx512F.FusedMultiplyAdd(w, b0, c00);
            c01 = Avx512F.FusedMultiplyAdd(w, b1, c01);
            w = Vector512.Create(a1[ka]);
            c10 = Avx512F.FusedMultiplyAdd(w, b0, c10);
            c11 = Avx512F.FusedMultiplyAdd(w, b1, c11);
            w = Vector512.Create(a2[ka]);
            c20 = Avx512F.FusedMultiplyAdd(w, b0, c20);
            c21 = Avx512F.FusedMultiplyAdd(w, b1, c21);
            w = Vector512.Create(a3[ka]);
            c30 = Avx512F.FusedMultiplyAdd(w, b0, c30);
            c31 = Avx512F.FusedMultiplyAdd(w, b1, c31);
            w = Vector512.Create(a4[ka]);
            c40 = Avx512F.FusedMultiplyAdd(w, b0, c40);
            c41 = Avx512F.FusedMultiplyAdd(w, b1, c41);
            w = Vector512.Create(a5[ka]);
            c50 = Avx512F.FusedMultiplyAdd(w, b0, c50);
            c51 = Avx512F.FusedMultiplyAdd(w, b1, c51);
            pb0 += NR;
            pb1 += NR;
        }
        Finish(c, res, bias, 0, first, last, relu, c00, c01);
        Finish(c + ldc, res is null ? null : res + ldc, bias, 1, first, last, relu, c10, c11);
        Finish(c + 2 * ldc, res is null ? null : res + 2 * ldc, bias, 2, first, last, relu, c20, c21);
        Finish(c + 3 * ldc, res is null ? null : res + 3 * ldc, bias, 3, first, last, relu, c30, c31);
        Finish(c + 4 * ldc, res is null ? null : res + 4 * ldc, bias, 4, first, last, relu, c40, c41);
        Finish(c + 5 * ldc, res is null ? null : res + 5 * ldc, bias, 5, first, last, relu, c50, c51);
    }

    /// <summary>One 32-float row of a 6×32 tile, the same operations in the same order as the 16-float <see cref="Finish(float*, float*, float*, int, bool, bool, bool, Vector256{float}, Vector256{float})"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(float* row, float* res, float* bias, int i, bool first, bool last, bool relu, Vector512<float> lo, Vector512<float> hi)
    {
        if (first)
        {
            var b = bias is null ? Vector512<float>.Zero : Vector512.Create(bias[i]);
            lo = b + lo;
            hi = b + hi;
        }
        else
        {
            lo = Vector512.Load(row) + lo;
            hi = Vector512.Load(row + NR) + hi;
        }
        if (last && relu)
        {
            // vmaxps, as the 256-bit finish: NaN and −0 become +0.
            lo = Avx512F.Max(lo, Vector512<float>.Zero);
            hi = Avx512F.Max(hi, Vector512<float>.Zero);
        }
        if (last && res is not null)
        {
            lo += Vector512.Load(res);
            hi += Vector512.Load(res + NR);
        }
        Vector512.Store(lo, row);
        Vector512.Store(hi, row + NR);
    }
}
