using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ScaleLab.Engine.Kernels;

/// <summary>
/// The AVX-512 path of <see cref="RowBlockMatVec"/> for blocks of k ≥ <see cref="DualFrom"/> rows, in the same summation order as the
/// 256-bit tiles, so its bits equal a one-row step's. Each 512-bit register holds the 8-lane accumulators of two token
/// rows for one weight row: the two rows' inputs are interleaved chunk by chunk into a scratch copy xp (pair p, chunk
/// c/8: 8 floats of row 2p, then 8 of row 2p+1; an odd last row is paired with zeros, whose lanes are dropped), each
/// 8-float chunk of a weight row is broadcast to both halves, and one fused multiply-add then advances both rows'
/// accumulators exactly as the 256-bit tile would advance each. Lanes 0-7 and 8-15 are summed with
/// <see cref="Vector256.Sum{T}"/> separately and finished by <see cref="Finish"/>, as everywhere else.
/// A tile takes P pairs of rows × 4 weight rows (4·P accumulators, P ≤ 5, so up to 10 token rows read each weight row
/// once: a verify pass of γ ≤ 9 goes through W in one sweep); 11-16 rows take two tiles per group of 4 weight rows.
/// The first tile of each group prefetches the next group (the second tile half of it when there are two), one cache
/// line per weight row per 16 floats, so the next rows stream in while these compute.
/// </summary>
internal static unsafe partial class RowBlockMatVec
{
    /// <summary>Most pairs of token rows one tile takes (4·5 accumulators + 4 weight vectors + 1 input of 32 registers).</summary>
    private const int DualPairs = 5;

    [ThreadStatic] private static float[]? t_pairs;

    /// <summary>Whether a block of k rows takes the paired AVX-512 path.</summary>
    private static bool UsesDual(int k, bool allowDual) => k >= DualFrom && allowDual && Avx512DQ.IsSupported && Vector512.IsHardwareAccelerated;

    /// <summary>The k rows of x interleaved pairwise into this thread's pinned, 64-byte aligned scratch (see the type's
    /// summary): done once per product by the calling thread, and read by every thread that takes a chunk of it.</summary>
    private static float* Interleave(float* x, int k, int C)
    {
        var c8 = C & ~7;
        var pairs = (k + 1) / 2;
        var need = pairs * 2 * c8 + 16;
        var scratch = t_pairs;
        if (scratch is null || scratch.Length < need) t_pairs = scratch = GC.AllocateArray<float>(Math.Max(need, 16 * 2 * 1024 + 16), pinned: true);
        // Pinned, so the address stays valid after the fixed block.
        fixed (float* raw = scratch)
        {
            // 64-byte aligned start, so every 16-float load of xp is one cache line.
            var xp = Sgemm.AlignTo64(raw);
            for (var p = 0; p < pairs; p++)
            {
                var r0 = x + (long)2 * p * C;
                var r1 = 2 * p + 1 < k ? r0 + C : null;
                var dst = xp + (long)p * 2 * c8;
                for (var c = 0; c < c8; c += 8)
                {
                    Vector256.Store(Vector256.Load(r0 + c), dst + 2 * c);
                    Vector256.Store(r1 is null ? Vector256<float>.Zero : Vector256.Load(r1 + c), dst + 2 * c + 8);
                }
            }
            return xp;
        }
    }

    /// <summary>Output elements from ≤ o &lt; to of all k rows on the paired path, the inputs already interleaved in xp.</summary>
    private static void DualColumns(float* w, float* b, float* x, float* xp, int k, int C, int OC, float* po, int from, int to)
    {
        var pairs = (k + 1) / 2;
        var tiles = (pairs + DualPairs - 1) / DualPairs;
        var oc = from;
        for (; oc + 4 <= to; oc += 4)
        {
            var next = oc + 8 <= to ? w + (long)(oc + 4) * C : null;
            var p0 = 0;
            for (var t = 0; t < tiles; t++)
            {
                var n = pairs / tiles + (t < pairs % tiles ? 1 : 0);
                var mask = tiles == 1 ? 0b1111 : t == 0 ? 0b0011 : 0b1100;
                switch (n)
                {
                    case 1: Dual1x4(w, b, x, xp, C, OC, k, p0, oc, po, next, mask); break;
                    case 2: Dual2x4(w, b, x, xp, C, OC, k, p0, oc, po, next, mask); break;
                    case 3: Dual3x4(w, b, x, xp, C, OC, k, p0, oc, po, next, mask); break;
                    case 4: Dual4x4(w, b, x, xp, C, OC, k, p0, oc, po, next, mask); break;
                    default: Dual5x4(w, b, x, xp, C, OC, k, p0, oc, po, next, mask); break;
                }
                p0 += n;
            }
        }
        Remainder(w, b, x, k, C, OC, po, oc, to);
    }

    /// <summary>Rows i and i+1 (if i+1 &lt; k) of output elements o..o+3 from their paired accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* bias, float* x, int C, int OC, int k, int i, int o, float* output, float* w0,
        Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3)
    {
        float* w1 = w0 + C, w2 = w1 + C, w3 = w2 + C;
        var x0 = x + (long)i * C;
        var r0 = output + (long)i * OC + o;
        r0[0] = Finish(bias, o, Vector256.Sum(a0.GetLower()), w0, x0, C);
        r0[1] = Finish(bias, o + 1, Vector256.Sum(a1.GetLower()), w1, x0, C);
        r0[2] = Finish(bias, o + 2, Vector256.Sum(a2.GetLower()), w2, x0, C);
        r0[3] = Finish(bias, o + 3, Vector256.Sum(a3.GetLower()), w3, x0, C);
        if (i + 1 >= k) return;
        var x1 = x0 + C;
        var r1 = r0 + OC;
        r1[0] = Finish(bias, o, Vector256.Sum(a0.GetUpper()), w0, x1, C);
        r1[1] = Finish(bias, o + 1, Vector256.Sum(a1.GetUpper()), w1, x1, C);
        r1[2] = Finish(bias, o + 2, Vector256.Sum(a2.GetUpper()), w2, x1, C);
        r1[3] = Finish(bias, o + 3, Vector256.Sum(a3.GetUpper()), w3, x1, C);
    }

    private static void Dual1x4(float* w, float* bias, float* x, float* xp, int C, int OC, int k, int p0, int o, float* output, float* prefetch, int rowMask)
    {
        var w0 = w + (long)o * C;
        float* w1 = w0 + C, w2 = w1 + C, w3 = w2 + C;
        var stride = 2L * (C & ~7);
        var u0 = xp + p0 * stride;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        for (var c = 0; c + 8 <= C; c += 8)
        {
            if (prefetch != null && (c & 8) == 0)
            {
                if ((rowMask & 1) != 0) Sse.Prefetch0(prefetch + 0L * C + c);
                if ((rowMask & 2) != 0) Sse.Prefetch0(prefetch + 1L * C + c);
                if ((rowMask & 4) != 0) Sse.Prefetch0(prefetch + 2L * C + c);
                if ((rowMask & 8) != 0) Sse.Prefetch0(prefetch + 3L * C + c);
            }
            var v0 = Avx512DQ.BroadcastVector256ToVector512(w0 + c); var v1 = Avx512DQ.BroadcastVector256ToVector512(w1 + c); var v2 = Avx512DQ.BroadcastVector256ToVector512(w2 + c); var v3 = Avx512DQ.BroadcastVector256ToVector512(w3 + c);
            var u = Vector512.Load(u0 + 2 * c);
            a00 = Vector512.FusedMultiplyAdd(v0, u, a00); a01 = Vector512.FusedMultiplyAdd(v1, u, a01); a02 = Vector512.FusedMultiplyAdd(v2, u, a02); a03 = Vector512.FusedMultiplyAdd(v3, u, a03);
        }
        Store(bias, x, C, OC, k, 2 * p0, o, output, w0, a00, a01, a02, a03);
    }

    private static void Dual2x4(float* w, float* bias, float* x, float* xp, int C, int OC, int k, int p0, int o, float* output, float* prefetch, int rowMask)
    {
        var w0 = w + (long)o * C;
        float* w1 = w0 + C, w2 = w1 + C, w3 = w2 + C;
        var stride = 2L * (C & ~7);
        var u0 = xp + p0 * stride;
        float* u1 = u0 + stride;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default;
        for (var c = 0; c + 8 <= C; c += 8)
        {
            if (prefetch != null && (c & 8) == 0)
            {
                if ((rowMask & 1) != 0) Sse.Prefetch0(prefetch + 0L * C + c);
                if ((rowMask & 2) != 0) Sse.Prefetch0(prefetch + 1L * C + c);
                if ((rowMask & 4) != 0) Sse.Prefetch0(prefetch + 2L * C + c);
                if ((rowMask & 8) != 0) Sse.Prefetch0(prefetch + 3L * C + c);
            }
            var v0 = Avx512DQ.BroadcastVector256ToVector512(w0 + c); var v1 = Avx512DQ.BroadcastVector256ToVector512(w1 + c); var v2 = Avx512DQ.BroadcastVector256ToVector512(w2 + c); var v3 = Avx512DQ.BroadcastVector256ToVector512(w3 + c);
            var u = Vector512.Load(u0 + 2 * c);
            a00 = Vector512.FusedMultiplyAdd(v0, u, a00); a01 = Vector512.FusedMultiplyAdd(v1, u, a01); a02 = Vector512.FusedMultiplyAdd(v2, u, a02); a03 = Vector512.FusedMultiplyAdd(v3, u, a03);
            u = Vector512.Load(u1 + 2 * c);
            a10 = Vector512.FusedMultiplyAdd(v0, u, a10); a11 = Vector512.FusedMultiplyAdd(v1, u, a11); a12 = Vector512.FusedMultiplyAdd(v2, u, a12); a13 = Vector512.FusedMultiplyAdd(v3, u, a13);
        }
        Store(bias, x, C, OC, k, 2 * p0, o, output, w0, a00, a01, a02, a03);
        Store(bias, x, C, OC, k, 2 * (p0 + 1), o, output, w0, a10, a11, a12, a13);
    }

    private static void Dual3x4(float* w, float* bias, float* x, float* xp, int C, int OC, int k, int p0, int o, float* output, float* prefetch, int rowMask)
    {
        var w0 = w + (long)o * C;
        float* w1 = w0 + C, w2 = w1 + C, w3 = w2 + C;
        var stride = 2L * (C & ~7);
        var u0 = xp + p0 * stride;
        float* u1 = u0 + stride, u2 = u1 + stride;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default, a20 = default, a21 = default, a22 = default, a23 = default;
        for (var c = 0; c + 8 <= C; c += 8)
        {
            if (prefetch != null && (c & 8) == 0)
            {
                if ((rowMask & 1) != 0) Sse.Prefetch0(prefetch + 0L * C + c);
                if ((rowMask & 2) != 0) Sse.Prefetch0(prefetch + 1L * C + c);
                if ((rowMask & 4) != 0) Sse.Prefetch0(prefetch + 2L * C + c);
                if ((rowMask & 8) != 0) Sse.Prefetch0(prefetch + 3L * C + c);
            }
            var v0 = Avx512DQ.BroadcastVector256ToVector512(w0 + c); var v1 = Avx512DQ.BroadcastVector256ToVector512(w1 + c); var v2 = Avx512DQ.BroadcastVector256ToVector512(w2 + c); var v3 = Avx512DQ.BroadcastVector256ToVector512(w3 + c);
            var u = Vector512.Load(u0 + 2 * c);
            a00 = Vector512.FusedMultiplyAdd(v0, u, a00); a01 = Vector512.FusedMultiplyAdd(v1, u, a01); a02 = Vector512.FusedMultiplyAdd(v2, u, a02); a03 = Vector512.FusedMultiplyAdd(v3, u, a03);
            u = Vector512.Load(u1 + 2 * c);
            a10 = Vector512.FusedMultiplyAdd(v0, u, a10); a11 = Vector512.FusedMultiplyAdd(v1, u, a11); a12 = Vector512.FusedMultiplyAdd(v2, u, a12); a13 = Vector512.FusedMultiplyAdd(v3, u, a13);
            u = Vector512.Load(u2 + 2 * c);
            a20 = Vector512.FusedMultiplyAdd(v0, u, a20); a21 = Vector512.FusedMultiplyAdd(v1, u, a21); a22 = Vector512.FusedMultiplyAdd(v2, u, a22); a23 = Vector512.FusedMultiplyAdd(v3, u, a23);
        }
        Store(bias, x, C, OC, k, 2 * p0, o, output, w0, a00, a01, a02, a03);
        Store(bias, x, C, OC, k, 2 * (p0 + 1), o, output, w0, a10, a11, a12, a13);
        Store(bias, x, C, OC, k, 2 * (p0 + 2), o, output, w0, a20, a21, a22, a23);
    }

    private static void Dual4x4(float* w, float* bias, float* x, float* xp, int C, int OC, int k, int p0, int o, float* output, float* prefetch, int rowMask)
    {
        var w0 = w + (long)o * C;
        float* w1 = w0 + C, w2 = w1 + C, w3 = w2 + C;
        var stride = 2L * (C & ~7);
        var u0 = xp + p0 * stride;
        float* u1 = u0 + stride, u2 = u1 + stride, u3 = u2 + stride;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default, a20 = default, a21 = default, a22 = default, a23 = default, a30 = default, a31 = default, a32 = default, a33 = default;
        for (var c = 0; c + 8 <= C; c += 8)
        {
            if (prefetch != null && (c & 8) == 0)
            {
                if ((rowMask & 1) != 0) Sse.Prefetch0(prefetch + 0L * C + c);
                if ((rowMask & 2) != 0) Sse.Prefetch0(prefetch + 1L * C + c);
                if ((rowMask & 4) != 0) Sse.Prefetch0(prefetch + 2L * C + c);
                if ((rowMask & 8) != 0) Sse.Prefetch0(prefetch + 3L * C + c);
            }
            var v0 = Avx512DQ.BroadcastVector256ToVector512(w0 + c); var v1 = Avx512DQ.BroadcastVector256ToVector512(w1 + c); var v2 = Avx512DQ.BroadcastVector256ToVector512(w2 + c); var v3 = Avx512DQ.BroadcastVector256ToVector512(w3 + c);
            var u = Vector512.Load(u0 + 2 * c);
            a00 = Vector512.FusedMultiplyAdd(v0, u, a00); a01 = Vector512.FusedMultiplyAdd(v1, u, a01); a02 = Vector512.FusedMultiplyAdd(v2, u, a02); a03 = Vector512.FusedMultiplyAdd(v3, u, a03);
            u = Vector512.Load(u1 + 2 * c);
            a10 = Vector512.FusedMultiplyAdd(v0, u, a10); a11 = Vector512.FusedMultiplyAdd(v1, u, a11); a12 = Vector512.FusedMultiplyAdd(v2, u, a12); a13 = Vector512.FusedMultiplyAdd(v3, u, a13);
            u = Vector512.Load(u2 + 2 * c);
            a20 = Vector512.FusedMultiplyAdd(v0, u, a20); a21 = Vector512.FusedMultiplyAdd(v1, u, a21); a22 = Vector512.FusedMultiplyAdd(v2, u, a22); a23 = Vector512.FusedMultiplyAdd(v3, u, a23);
            u = Vector512.Load(u3 + 2 * c);
            a30 = Vector512.FusedMultiplyAdd(v0, u, a30); a31 = Vector512.FusedMultiplyAdd(v1, u, a31); a32 = Vector512.FusedMultiplyAdd(v2, u, a32); a33 = Vector512.FusedMultiplyAdd(v3, u, a33);
        }
        Store(bias, x, C, OC, k, 2 * p0, o, output, w0, a00, a01, a02, a03);
        Store(bias, x, C, OC, k, 2 * (p0 + 1), o, output, w0, a10, a11, a12, a13);
        Store(bias, x, C, OC, k, 2 * (p0 + 2), o, output, w0, a20, a21, a22, a23);
        Store(bias, x, C, OC, k, 2 * (p0 + 3), o, output, w0, a30, a31, a32, a33);
    }

    private static void Dual5x4(float* w, float* bias, float* x, float* xp, int C, int OC, int k, int p0, int o, float* output, float* prefetch, int rowMask)
    {
        var w0 = w + (long)o * C;
        float* w1 = w0 + C, w2 = w1 + C, w3 = w2 + C;
        var stride = 2L * (C & ~7);
        var u0 = xp + p0 * stride;
        float* u1 = u0 + stride, u2 = u1 + stride, u3 = u2 + stride, u4 = u3 + stride;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default, a20 = default, a21 = default, a22 = default, a23 = default, a30 = default, a31 = default, a32 = default, a33 = default, a40 = default, a41 = default, a42 = default, a43 = default;
        for (var c = 0; c + 8 <= C; c += 8)
        {
            if (prefetch != null && (c & 8) == 0)
            {
                if ((rowMask & 1) != 0) Sse.Prefetch0(prefetch + 0L * C + c);
                if ((rowMask & 2) != 0) Sse.Prefetch0(prefetch + 1L * C + c);
                if ((rowMask & 4) != 0) Sse.Prefetch0(prefetch + 2L * C + c);
                if ((rowMask & 8) != 0) Sse.Prefetch0(prefetch + 3L * C + c);
            }
            var v0 = Avx512DQ.BroadcastVector256ToVector512(w0 + c); var v1 = Avx512DQ.BroadcastVector256ToVector512(w1 + c); var v2 = Avx512DQ.BroadcastVector256ToVector512(w2 + c); var v3 = Avx512DQ.BroadcastVector256ToVector512(w3 + c);
            var u = Vector512.Load(u0 + 2 * c);
            a00 = Vector512.FusedMultiplyAdd(v0, u, a00); a01 = Vector512.FusedMultiplyAdd(v1, u, a01); a02 = Vector512.FusedMultiplyAdd(v2, u, a02); a03 = Vector512.FusedMultiplyAdd(v3, u, a03);
            u = Vector512.Load(u1 + 2 * c);
            a10 = Vector512.FusedMultiplyAdd(v0, u, a10); a11 = Vector512.FusedMultiplyAdd(v1, u, a11); a12 = Vector512.FusedMultiplyAdd(v2, u, a12); a13 = Vector512.FusedMultiplyAdd(v3, u, a13);
            u = Vector512.Load(u2 + 2 * c);
            a20 = Vector512.FusedMultiplyAdd(v0, u, a20); a21 = Vector512.FusedMultiplyAdd(v1, u, a21); a22 = Vector512.FusedMultiplyAdd(v2, u, a22); a23 = Vector512.FusedMultiplyAdd(v3, u, a23);
            u = Vector512.Load(u3 + 2 * c);
            a30 = Vector512.FusedMultiplyAdd(v0, u, a30); a31 = Vector512.FusedMultiplyAdd(v1, u, a31); a32 = Vector512.FusedMultiplyAdd(v2, u, a32); a33 = Vector512.FusedMultiplyAdd(v3, u, a33);
            u = Vector512.Load(u4 + 2 * c);
            a40 = Vector512.FusedMultiplyAdd(v0, u, a40); a41 = Vector512.FusedMultiplyAdd(v1, u, a41); a42 = Vector512.FusedMultiplyAdd(v2, u, a42); a43 = Vector512.FusedMultiplyAdd(v3, u, a43);
        }
        Store(bias, x, C, OC, k, 2 * p0, o, output, w0, a00, a01, a02, a03);
        Store(bias, x, C, OC, k, 2 * (p0 + 1), o, output, w0, a10, a11, a12, a13);
        Store(bias, x, C, OC, k, 2 * (p0 + 2), o, output, w0, a20, a21, a22, a23);
        Store(bias, x, C, OC, k, 2 * (p0 + 3), o, output, w0, a30, a31, a32, a33);
        Store(bias, x, C, OC, k, 2 * (p0 + 4), o, output, w0, a40, a41, a42, a43);
    }
}
