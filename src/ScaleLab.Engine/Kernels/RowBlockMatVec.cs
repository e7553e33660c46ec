using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ScaleLab.Engine.Parallelism;

namespace ScaleLab.Engine.Kernels;

/// <summary>
/// output (k,OC) = x (k,C) · Wᵀ + bias for a few rows k (1 for a decode step, γ+1 ≤ 17 for a speculative verify pass),
/// W (OC,C) read in place, register-tiled. One token row (a decode step) uses 8 weight rows at a time (8 independent
/// sums hide the FMA latency; the step is bound by reading W). A block of k ≥ 4 rows on a CPU with AVX-512 takes the
/// paired path (RowBlockMatVec.Dual.cs): two token rows per 512-bit register, up to 10 rows per sweep over each group of
/// 4 weight rows, so a verify pass reads W once and costs about the larger of reading and computing. Otherwise 2 token
/// rows × 4 weight rows (8 running sums, 6 vector loads per 8 FMAs; an odd count ends with 3 × 4), each group of 4
/// weight rows read once per tile of token rows, the first tile prefetching the next group. (For k = 2 and 3 these
/// tiles measured as fast as or faster than the paired ones, 4x512 model, one thread.)
/// Every output element output[i,o] = bias[o] + dot(W[o,:], x[i,:]) is summed in one fixed order, whatever k, path
/// and tile it lands in: one 8-lane fused multiply-add accumulator over the C/8 whole chunks, then
/// <see cref="Vector256.Sum{T}"/>, then the C mod 8 tail left to right, then the bias. So a block of k rows equals
/// k single rows bit for bit (a verify pass scores exactly what k decode steps would), on any CPU.
/// </summary>
internal static unsafe partial class RowBlockMatVec
{
    /// <summary>Blocks of at least this many rows take the paired AVX-512 path where the CPU has it.</summary>
    internal const int DualFrom = 4;

    /// <summary>Threads split the output elements o (rows of W) into chunks of whole multiples of this many: the widest
    /// tile (8 weight rows for one token row, two groups of 4 for a block), so a chunk starts on a tile.</summary>
    internal const int SplitUnit = 8;

    /// <summary>Chunks per thread: each thread claims the next chunk when it is done with one, so a thread that the
    /// machine's other work slows down does fewer (a fixed half each would make the other wait for it).</summary>
    private const int ChunksPerThread = 4;

    /// <summary>output[i·OC + o] = bias[o] + W[o,:]·x[i,:]. weight (OC,C) row-major, bias (OC) or empty, x (k,C), output (k,OC).
    /// With a <paramref name="pool"/> of more than one thread the output elements o are split into contiguous chunks of
    /// whole multiples of <see cref="SplitUnit"/>, which the threads claim in turn (<see cref="WorkerPool.TryClaim"/>);
    /// each element is still one thread's sum in the fixed order, so the bits do not depend on the thread count or on
    /// which thread took which chunk.</summary>
    public static void Forward(ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, ReadOnlySpan<float> x, int k, int C, int OC, Span<float> output, WorkerPool? pool = null) =>
        Forward(weight, bias, x, k, C, OC, output, allowDual: true, pool);

    /// <summary><see cref="Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, Span{float}, WorkerPool)"/>;
    /// <paramref name="allowDual"/> false keeps a block on the 256-bit tiles (tests compare the two paths).</summary>
    internal static void Forward(ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, ReadOnlySpan<float> x, int k, int C, int OC, Span<float> output, bool allowDual, WorkerPool? pool = null)
    {
        if (k < 0 || C < 1 || OC < 0) throw new ArgumentOutOfRangeException(nameof(k), $"need k >= 0, C >= 1, OC >= 0 (got k {k}, C {C}, OC {OC})");
        if (weight.Length < (long)OC * C) throw new ArgumentException($"weight holds {weight.Length} floats, needs OC·C = {(long)OC * C}", nameof(weight));
        if (!bias.IsEmpty && bias.Length < OC) throw new ArgumentException($"bias holds {bias.Length} floats, needs OC = {OC}", nameof(bias));
        if (x.Length < (long)k * C) throw new ArgumentException($"x holds {x.Length} floats, needs k·C = {(long)k * C}", nameof(x));
        if (output.Length < (long)k * OC) throw new ArgumentException($"output holds {output.Length} floats, needs k·OC = {(long)k * OC}", nameof(output));
        if (k == 0 || OC == 0) return;
        fixed (float* w = weight, pb = bias, px = x, po = output)
        {
            var args = new Args { W = w, Bias = bias.IsEmpty ? null : pb, X = px, Output = po, K = k, C = C, OC = OC, Dual = UsesDual(k, allowDual) };
            if (args.Dual) args.Pairs = Interleave(px, k, C);
            if (pool is null || pool.Threads == 1 || OC < 2 * SplitUnit)
            {
                Columns(&args, 0, OC);
            }
            else
            {
                var units = (OC + SplitUnit - 1) / SplitUnit;
                args.Chunk = Math.Max(1, units / (ChunksPerThread * pool.Threads)) * SplitUnit;
                WorkerPool.RunClaimed(pool, &Part, &args);
            }
        }
    }

    private struct Args
    {
        public float* W, Bias, X, Output;
        public float* Pairs;   // the paired path's interleaved inputs
        public int K, C, OC, Chunk;
        public int Next;   // next chunk to claim
        public bool Dual;
    }

    private static void Part(void* context, int part, int parts)
    {
        var a = (Args*)context;
        while (WorkerPool.TryClaim(ref a->Next, a->OC, a->Chunk, out var from, out var to)) Columns(a, from, to);
    }

    /// <summary>Output elements from ≤ o &lt; to of all k rows (rows of output keep the stride OC).</summary>
    private static void Columns(Args* a, int from, int to)
    {
        float* w = a->W, b = a->Bias, px = a->X, po = a->Output;
        int k = a->K, C = a->C, OC = a->OC;
        if (k == 1)
        {
            var o = from;
            for (; o + 8 <= to; o += 8) Tile1x8(w, b, px, C, o, po);
            for (; o < to; o++) po[o] = Finish(b, o, Vector256.Sum(Accumulate(w + (long)o * C, px, C)), w + (long)o * C, px, C);
            return;
        }
        if (a->Dual)
        {
            DualColumns(w, b, px, a->Pairs, k, C, OC, po, from, to);
            return;
        }
        var oc = from;
        for (; oc + 4 <= to; oc += 4)
        {
            // Pairs of token rows; an odd count ends with three rows at once (a lone row's 4 sums would wait on
            // the FMA latency).
            // The first tile of a group also prefetches the next group's 4 weight rows (4·C contiguous floats, 2
            // cache lines per 8-float chunk): on a model larger than the cache the rows then arrive while this
            // group's other tiles compute, and a pass costs about the larger of reading and computing, not their sum.
            var next = Sse.IsSupported && oc + 8 <= to ? w + (long)(oc + 4) * C : null;
            var i = 0;
            var pairsEnd = k % 2 == 1 && k >= 3 ? k - 3 : k - k % 2;
            for (; i < pairsEnd; i += 2) Tile2x4(w, b, px, C, OC, i, oc, po, i == 0 ? next : null);
            if (k - i == 3) Tile3x4(w, b, px, C, OC, i, oc, po, i == 0 ? next : null);
            else if (k - i == 1) Tile1x4(w, b, px, C, OC, i, oc, po);
        }
        Remainder(w, b, px, k, C, OC, po, oc, to);
    }

    /// <summary>Output elements from ≤ o &lt; to one at a time (what is left past the last whole tile).</summary>
    private static void Remainder(float* w, float* b, float* x, int k, int C, int OC, float* po, int from, int to)
    {
        for (var oc = from; oc < to; oc++)
        {
            var wo = w + (long)oc * C;
            for (var i = 0; i < k; i++)
            {
                var xi = x + (long)i * C;
                po[(long)i * OC + oc] = Finish(b, oc, Vector256.Sum(Accumulate(wo, xi, C)), wo, xi, C);
            }
        }
    }

    /// <summary>Σ over the whole 8-float chunks of a·b in one fused accumulator (the order every tile uses).</summary>
    private static Vector256<float> Accumulate(float* a, float* b, int n)
    {
        var acc = Vector256<float>.Zero;
        for (var c = 0; c + 8 <= n; c += 8)
        {
            acc = Vector256.FusedMultiplyAdd(Vector256.Load(a + c), Vector256.Load(b + c), acc);
        }
        return acc;
    }

    /// <summary>The lane sum plus the n mod 8 tail, left to right, plus the bias: the last steps of every output element.</summary>
    private static float Finish(float* bias, int o, float laneSum, float* w, float* x, int n)
    {
        var s = laneSum;
        for (var c = n & ~7; c < n; c++) s += w[c] * x[c];
        return bias is null ? s : bias[o] + s;
    }

    private static void Tile1x8(float* w, float* bias, float* x, int C, int o, float* output)
    {
        var w0 = w + (long)o * C;
        float* w1 = w0 + C, w2 = w1 + C, w3 = w2 + C, w4 = w3 + C, w5 = w4 + C, w6 = w5 + C, w7 = w6 + C;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (var c = 0; c + 8 <= C; c += 8)
        {
            var xv = Vector256.Load(x + c);
            a0 = Vector256.FusedMultiplyAdd(Vector256.Load(w0 + c), xv, a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.Load(w1 + c), xv, a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.Load(w2 + c), xv, a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.Load(w3 + c), xv, a3);
            a4 = Vector256.FusedMultiplyAdd(Vector256.Load(w4 + c), xv, a4);
            a5 = Vector256.FusedMultiplyAdd(Vector256.Load(w5 + c), xv, a5);
            a6 = Vector256.FusedMultiplyAdd(Vector256.Load(w6 + c), xv, a6);
            a7 = Vector256.FusedMultiplyAdd(Vector256.Load(w7 + c), xv, a7);
        }
        output[o] = Finish(bias, o, Vector256.Sum(a0), w0, x, C);
        output[o + 1] = Finish(bias, o + 1, Vector256.Sum(a1), w1, x, C);
        output[o + 2] = Finish(bias, o + 2, Vector256.Sum(a2), w2, x, C);
        output[o + 3] = Finish(bias, o + 3, Vector256.Sum(a3), w3, x, C);
        output[o + 4] = Finish(bias, o + 4, Vector256.Sum(a4), w4, x, C);
        output[o + 5] = Finish(bias, o + 5, Vector256.Sum(a5), w5, x, C);
        output[o + 6] = Finish(bias, o + 6, Vector256.Sum(a6), w6, x, C);
        output[o + 7] = Finish(bias, o + 7, Vector256.Sum(a7), w7, x, C);
    }

    private static void Tile2x4(float* w, float* bias, float* x, int C, int OC, int i, int o, float* output, float* prefetch)
    {
        var w0 = w + (long)o * C;
        float* w1 = w0 + C, w2 = w1 + C, w3 = w2 + C;
        var x0 = x + (long)i * C;
        var x1 = x0 + C;
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        for (var c = 0; c + 8 <= C; c += 8)
        {
            if (prefetch != null)
            {
                Sse.Prefetch0(prefetch + 4 * c);
                Sse.Prefetch0(prefetch + 4 * c + 16);
            }
            var u = Vector256.Load(x0 + c);
            var v = Vector256.Load(x1 + c);
            var wv = Vector256.Load(w0 + c);
            a00 = Vector256.FusedMultiplyAdd(wv, u, a00);
            a10 = Vector256.FusedMultiplyAdd(wv, v, a10);
            wv = Vector256.Load(w1 + c);
            a01 = Vector256.FusedMultiplyAdd(wv, u, a01);
            a11 = Vector256.FusedMultiplyAdd(wv, v, a11);
            wv = Vector256.Load(w2 + c);
            a02 = Vector256.FusedMultiplyAdd(wv, u, a02);
            a12 = Vector256.FusedMultiplyAdd(wv, v, a12);
            wv = Vector256.Load(w3 + c);
            a03 = Vector256.FusedMultiplyAdd(wv, u, a03);
            a13 = Vector256.FusedMultiplyAdd(wv, v, a13);
        }
        var r0 = output + (long)i * OC + o;
        var r1 = r0 + OC;
        r0[0] = Finish(bias, o, Vector256.Sum(a00), w0, x0, C);
        r0[1] = Finish(bias, o + 1, Vector256.Sum(a01), w1, x0, C);
        r0[2] = Finish(bias, o + 2, Vector256.Sum(a02), w2, x0, C);
        r0[3] = Finish(bias, o + 3, Vector256.Sum(a03), w3, x0, C);
        r1[0] = Finish(bias, o, Vector256.Sum(a10), w0, x1, C);
        r1[1] = Finish(bias, o + 1, Vector256.Sum(a11), w1, x1, C);
        r1[2] = Finish(bias, o + 2, Vector256.Sum(a12), w2, x1, C);
        r1[3] = Finish(bias, o + 3, Vector256.Sum(a13), w3, x1, C);
    }

    private static void Tile3x4(float* w, float* bias, float* x, int C, int OC, int i, int o, float* output, float* prefetch)
    {
        var w0 = w + (long)o * C;
        float* w1 = w0 + C, w2 = w1 + C, w3 = w2 + C;
        var x0 = x + (long)i * C;
        float* x1 = x0 + C, x2 = x1 + C;
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default;
        for (var c = 0; c + 8 <= C; c += 8)
        {
            if (prefetch != null)
            {
                Sse.Prefetch0(prefetch + 4 * c);
                Sse.Prefetch0(prefetch + 4 * c + 16);
            }
            var u = Vector256.Load(x0 + c);
            var v = Vector256.Load(x1 + c);
            var z = Vector256.Load(x2 + c);
            var wv = Vector256.Load(w0 + c);
            a00 = Vector256.FusedMultiplyAdd(wv, u, a00);
            a10 = Vector256.FusedMultiplyAdd(wv, v, a10);
            a20 = Vector256.FusedMultiplyAdd(wv, z, a20);
            wv = Vector256.Load(w1 + c);
            a01 = Vector256.FusedMultiplyAdd(wv, u, a01);
            a11 = Vector256.FusedMultiplyAdd(wv, v, a11);
            a21 = Vector256.FusedMultiplyAdd(wv, z, a21);
            wv = Vector256.Load(w2 + c);
            a02 = Vector256.FusedMultiplyAdd(wv, u, a02);
            a12 = Vector256.FusedMultiplyAdd(wv, v, a12);
            a22 = Vector256.FusedMultiplyAdd(wv, z, a22);
            wv = Vector256.Load(w3 + c);
            a03 = Vector256.FusedMultiplyAdd(wv, u, a03);
            a13 = Vector256.FusedMultiplyAdd(wv, v, a13);
            a23 = Vector256.FusedMultiplyAdd(wv, z, a23);
        }
        var r0 = output + (long)i * OC + o;
        float* r1 = r0 + OC, r2 = r1 + OC;
        r0[0] = Finish(bias, o, Vector256.Sum(a00), w0, x0, C);
        r0[1] = Finish(bias, o + 1, Vector256.Sum(a01), w1, x0, C);
        r0[2] = Finish(bias, o + 2, Vector256.Sum(a02), w2, x0, C);
        r0[3] = Finish(bias, o + 3, Vector256.Sum(a03), w3, x0, C);
        r1[0] = Finish(bias, o, Vector256.Sum(a10), w0, x1, C);
        r1[1] = Finish(bias, o + 1, Vector256.Sum(a11), w1, x1, C);
        r1[2] = Finish(bias, o + 2, Vector256.Sum(a12), w2, x1, C);
        r1[3] = Finish(bias, o + 3, Vector256.Sum(a13), w3, x1, C);
        r2[0] = Finish(bias, o, Vector256.Sum(a20), w0, x2, C);
        r2[1] = Finish(bias, o + 1, Vector256.Sum(a21), w1, x2, C);
        r2[2] = Finish(bias, o + 2, Vector256.Sum(a22), w2, x2, C);
        r2[3] = Finish(bias, o + 3, Vector256.Sum(a23), w3, x2, C);
    }

    private static void Tile1x4(float* w, float* bias, float* x, int C, int OC, int i, int o, float* output)
    {
        var w0 = w + (long)o * C;
        float* w1 = w0 + C, w2 = w1 + C, w3 = w2 + C;
        var x0 = x + (long)i * C;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (var c = 0; c + 8 <= C; c += 8)
        {
            var u = Vector256.Load(x0 + c);
            a0 = Vector256.FusedMultiplyAdd(Vector256.Load(w0 + c), u, a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.Load(w1 + c), u, a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.Load(w2 + c), u, a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.Load(w3 + c), u, a3);
        }
        var r0 = output + (long)i * OC + o;
        r0[0] = Finish(bias, o, Vector256.Sum(a0), w0, x0, C);
        r0[1] = Finish(bias, o + 1, Vector256.Sum(a1), w1, x0, C);
        r0[2] = Finish(bias, o + 2, Vector256.Sum(a2), w2, x0, C);
        r0[3] = Finish(bias, o + 3, Vector256.Sum(a3), w3, x0, C);
    }
}
