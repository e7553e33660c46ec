using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ScaleLab.Engine.Kernels;

// Packing of Sgemm's operands: A's blocks into MR-row slivers (PackA), B's into NR-wide panels (PackB).
public static unsafe partial class Sgemm
{
    private static int RoundUp(int x, int unit) => (x + unit - 1) / unit * unit;

    /// <summary>Packs A's mc×kc block into MR-row slivers, k-major inside a sliver: pa[(s·kc + k)·MR + i] = A[s·MR + i, k];
    /// rows past mc are zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackA(float* a, int ars, int acs, int mc, int kc, float* pa)
    {
        var first = 0;
        if (ars == 1 && acs != 1)
        {
            // Columns contiguous (A is a transpose): walk k once, reading each column's mc floats in one run and
            // moving six at a time (four plus two) into every full sliver, so each line of A is fetched once.
            first = mc / MR;
            for (var k = 0; k < kc; k++)
            {
                var col = a + (long)k * acs;
                var dst = pa + k * MR;
                for (var s = 0; s < first; s++, col += MR, dst += MR * kc)
                {
                    Vector128.Store(Vector128.Load(col), dst);
                    *(ulong*)(dst + 4) = *(ulong*)(col + 4);
                }
            }
        }
        for (var s = first; s * MR < mc; s++)
        {
            var dst = pa + s * MR * kc;
            var rows = Math.Min(MR, mc - s * MR);
            var src = a + (long)s * MR * ars;
            if (rows < MR)
            {
                for (var k = 0; k < kc; k++)
                {
                    for (var i = 0; i < MR; i++) dst[k * MR + i] = i < rows ? src[(long)i * ars + (long)k * acs] : 0f;
                }
            }
            else if (acs == 1)
            {
                // Rows contiguous in k: six read streams, one sequential write stream.
                float* r0 = src, r1 = src + ars, r2 = src + 2L * ars, r3 = src + 3L * ars, r4 = src + 4L * ars, r5 = src + 5L * ars;
                for (var k = 0; k < kc; k++, dst += MR)
                {
                    dst[0] = r0[k];
                    dst[1] = r1[k];
                    dst[2] = r2[k];
                    dst[3] = r3[k];
                    dst[4] = r4[k];
                    dst[5] = r5[k];
                }
            }
            else
            {
                for (var k = 0; k < kc; k++, dst += MR)
                {
                    var col = src + (long)k * acs;
                    dst[0] = col[0];
                    dst[1] = col[ars];
                    dst[2] = col[2L * ars];
                    dst[3] = col[3L * ars];
                    dst[4] = col[4L * ars];
                    dst[5] = col[5L * ars];
                }
            }
        }
    }

    /// <summary>Packs B's kc×nc block into NR-column panels, k-major inside a panel: pb[(p·kc + k)·NR + j] = B[k, p·NR + j];
    /// columns past nc are zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackB(float* b, int brs, int bcs, int kc, int nc, float* pb)
    {
        var first = 0;
        if (bcs == 1)
        {
            // Rows contiguous: walk k once, reading each row's full panels in one sequential run.
            first = nc / NR;
            for (var k = 0; k < kc; k++)
            {
                var src = b + (long)k * brs;
                var dst = pb + k * NR;
                for (var p = 0; p < first; p++, src += NR, dst += NR * kc)
                {
                    if (Vector256.IsHardwareAccelerated)
                    {
                        Vector256.Store(Vector256.Load(src), dst);
                        Vector256.Store(Vector256.Load(src + 8), dst + 8);
                    }
                    else
                    {
                        Vector128.Store(Vector128.Load(src), dst);
                        Vector128.Store(Vector128.Load(src + 4), dst + 4);
                        Vector128.Store(Vector128.Load(src + 8), dst + 8);
                        Vector128.Store(Vector128.Load(src + 12), dst + 12);
                    }
                }
            }
        }
        for (var p = first; p * NR < nc; p++)
        {
            var dst = pb + p * NR * kc;
            var cols = Math.Min(NR, nc - p * NR);
            if (brs == 1 && cols == NR && Avx.IsSupported)
            {
                // Columns contiguous (B is a transpose): 8×8 blocks transposed in registers, the k remainder one by one.
                var k8 = kc / 8 * 8;
                for (var j = 0; j < NR; j += 8)
                {
                    var src = b + (long)(p * NR + j) * bcs;
                    for (var k = 0; k < k8; k += 8)
                    {
                        Transpose8x8(src + k, bcs, dst + k * NR + j, NR);
                    }
                    for (var jj = j; jj < j + 8; jj++)
                    {
                        var col = b + (long)(p * NR + jj) * bcs;
                        for (var k = k8; k < kc; k++) dst[k * NR + jj] = col[k];
                    }
                }
            }
            else if (brs == 1)
            {
                for (var j = 0; j < NR; j++)
                {
                    if (j < cols)
                    {
                        var src = b + (long)(p * NR + j) * bcs;
                        for (var k = 0; k < kc; k++) dst[k * NR + j] = src[k];
                    }
                    else
                    {
                        for (var k = 0; k < kc; k++) dst[k * NR + j] = 0f;
                    }
                }
            }
            else
            {
                for (var k = 0; k < kc; k++)
                {
                    var src = b + (long)k * brs + (long)p * NR * bcs;
                    for (var j = 0; j < NR; j++) dst[k * NR + j] = j < cols ? src[(long)j * bcs] : 0f;
                }
            }
        }
    }

    /// <summary>dst[i·lddst + r] = src[r·ldsrc + i] for r, i &lt; 8: eight rows of eight floats transposed in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, int ldsrc, float* dst, int lddst)
    {
        var r0 = Vector256.Load(src);
        var r1 = Vector256.Load(src + ldsrc);
        var r2 = Vector256.Load(src + 2L * ldsrc);
        var r3 = Vector256.Load(src + 3L * ldsrc);
        var r4 = Vector256.Load(src + 4L * ldsrc);
        var r5 = Vector256.Load(src + 5L * ldsrc);
        var r6 = Vector256.Load(src + 6L * ldsrc);
        var r7 = Vector256.Load(src + 7L * ldsrc);
        // Pairs of rows interleaved, then pairs of pairs, then the 128-bit halves swapped into place.
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Vector256.Store(Avx.Permute2x128(u0, u4, 0x20), dst);
        Vector256.Store(Avx.Permute2x128(u1, u5, 0x20), dst + lddst);
        Vector256.Store(Avx.Permute2x128(u2, u6, 0x20), dst + 2L * lddst);
        Vector256.Store(Avx.Permute2x128(u3, u7, 0x20), dst + 3L * lddst);
        Vector256.Store(Avx.Permute2x128(u0, u4, 0x31), dst + 4L * lddst);
        Vector256.Store(Avx.Permute2x128(u1, u5, 0x31), dst + 5L * lddst);
        Vector256.Store(Avx.Permute2x128(u2, u6, 0x31), dst + 6L * lddst);
        Vector256.Store(Avx.Permute2x128(u3, u7, 0x31), dst + 7L * lddst);
    }
}
