using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ScaleLab.Engine.Parallelism;

namespace ScaleLab.Engine.Kernels;

/// <summary>
/// A linear layer's weights W (OC,C) packed for products with a few rows: output (k,OC) = x (k,C) · Wᵀ + bias, k = 1
/// for a decode step and γ+1 ≤ 17 for a speculative verify pass. W is copied once into panels of
/// <see cref="Width"/> outputs: panel p holds, for c = 0..C-1 in turn, the 32 weights W[32p .. 32p+31, c] (zeros past
/// OC), so a panel is one contiguous stream and a register tile reads each of its weights once for up to 12 token rows
/// (AVX-512: 12 rows × 2 vectors of 16 = 24 accumulators; AVX2: 3 rows × 4 vectors of 8) — the outer-product form of
/// a GEMM microkernel, which runs near the CPU's peak, where dot products along C (one row of W at a time) need a
/// horizontal sum per output and cannot.
/// Summation order: every output element is its own chain, bias[o] + w[o,0]·x[0] + w[o,1]·x[1] + ... in c order, one
/// fused multiply-add per term. That order does not depend on k, on the tile or the vector width a row lands in, or on
/// the thread that computes its panel, so a block of k rows equals k single rows bit for bit on any CPU (a verify pass
/// scores exactly what k decode steps would), and a machine without AVX2 gets the same bits from scalar fused
/// multiply-adds.
/// The pack is a copy: it holds the weights as they were when it was made (about as many bytes as W).
/// </summary>
public sealed unsafe class PackedLinear
{
    /// <summary>Outputs per panel: two 512-bit vectors.</summary>
    public const int Width = 32;

    /// <summary>Most token rows one AVX-512 tile takes (24 accumulators, 2 weight vectors and a broadcast of the 32
    /// registers), so a verify pass of γ ≤ 11 reads each weight once (a tile of 5 rows and one of 4, each rereading the
    /// panel, made the 9-row pass of the 4x512 target 2.32 ms against 1.96). From 4 rows up the independent chains
    /// cover the 2 FMA pipes × 4 cycles of latency.</summary>
    private const int WideRows = 12;

    /// <summary>Most token rows one AVX2 tile takes (3 rows × 4 vectors = 12 of the 16 registers).</summary>
    private const int NarrowRows = 3;

    /// <summary>How far ahead of its loads a tile prefetches a panel (floats: 128 values of c, 16 KB): far enough that
    /// the next weights arrive from memory while this tile computes, so a verify pass costs about the larger of reading
    /// the weights and computing, not their sum (4x512 model, 9 rows, one thread: 1.26 ms per pass against 1.74 ms
    /// without; 64 or 256 ahead measured between the two).</summary>
    private const int Ahead = 128 * Width;

    /// <summary>Panels per thread, claimed in turn (see <see cref="WorkerPool.RunClaimed"/>).</summary>
    private const int ChunksPerThread = 4;

    private readonly float[] _storage;   // pinned; panels from a 64-byte aligned offset, then the padded bias
    private readonly int _offset;
    private readonly int _panels;

    /// <summary>Packs <paramref name="weight"/> (OC,C) row-major and <paramref name="bias"/> (OC, or empty for none).</summary>
    public PackedLinear(ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int C, int OC)
    {
        if (C < 1 || OC < 1) throw new ArgumentOutOfRangeException(nameof(C), $"need C >= 1 and OC >= 1 (got C {C}, OC {OC})");
        if (weight.Length < (long)OC * C) throw new ArgumentException($"weight holds {weight.Length} floats, needs OC·C = {(long)OC * C}", nameof(weight));
        if (!bias.IsEmpty && bias.Length < OC) throw new ArgumentException($"bias holds {bias.Length} floats, needs OC = {OC}", nameof(bias));
        this.C = C;
        this.OC = OC;
        _panels = (OC + Width - 1) / Width;
        var panelFloats = (long)_panels * C * Width;
        var padded = _panels * Width;
        _storage = GC.AllocateArray<float>(checked((int)(panelFloats + padded + 16)), pinned: true);
        fixed (float* raw = _storage)
        {
            _offset = (int)(Sgemm.AlignTo64(raw) - raw);
        }
        // Panel by panel, each written front to back: for every c, the 32 weights W[32p + j, c] from 32 rows read side
        // by side (32 cache lines, each used for 16 values of c before it is left).
        fixed (float* w = weight, storage = _storage)
        {
            var dst = storage + _offset;
            for (var p = 0; p < _panels; p++)
            {
                var o0 = p * Width;
                var lanes = Math.Min(Width, OC - o0);
                for (var c = 0; c < C; c++, dst += Width)
                {
                    var src = w + (long)o0 * C + c;
                    for (var j = 0; j < lanes; j++) dst[j] = src[(long)j * C];
                }
            }
        }
        if (!bias.IsEmpty) bias[..OC].CopyTo(_storage.AsSpan(_offset + (int)panelFloats, OC));
    }

    /// <summary>Inputs per row.</summary>
    public int C { get; }

    /// <summary>Outputs per row.</summary>
    public int OC { get; }

    /// <summary>Bytes the pack holds.</summary>
    public long Bytes => 4L * _storage.Length;

    /// <summary>The definition in the kernel's order, one scalar fused multiply-add at a time: what <see cref="Forward"/>
    /// must equal bit for bit. weight (OC,C), bias (OC) or empty, x (k,C), output (k,OC).</summary>
    public static void ForwardReference(ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, ReadOnlySpan<float> x, int k, int C, int OC, Span<float> output)
    {
        for (var i = 0; i < k; i++)
        {
            for (var o = 0; o < OC; o++)
            {
                var s = bias.IsEmpty ? 0f : bias[o];
                for (var c = 0; c < C; c++) s = MathF.FusedMultiplyAdd(weight[o * C + c], x[i * C + c], s);
                output[i * OC + o] = s;
            }
        }
    }

    /// <summary>output[i·OC + o] = bias[o] + Σ_c W[o,c]·x[i·C + c] for the k rows of x (k,C) into output (k,OC). With a
    /// <paramref name="pool"/> of more than one thread the panels are split into chunks the threads claim in turn;
    /// each element is still one thread's chain in c order, so the bits do not depend on the thread count.</summary>
    public void Forward(ReadOnlySpan<float> x, int k, Span<float> output, WorkerPool? pool = null) =>
        Forward(x, k, output, Path.Best, pool);

    /// <summary>The vector widths a product can take (tests force each; all give the same bits).</summary>
    internal enum Path { Best, Avx2, Scalar }

    internal void Forward(ReadOnlySpan<float> x, int k, Span<float> output, Path path, WorkerPool? pool = null)
    {
        if (k < 0) throw new ArgumentOutOfRangeException(nameof(k), k, "need k >= 0");
        if (x.Length < (long)k * C) throw new ArgumentException($"x holds {x.Length} floats, needs k·C = {(long)k * C}", nameof(x));
        if (output.Length < (long)k * OC) throw new ArgumentException($"output holds {output.Length} floats, needs k·OC = {(long)k * OC}", nameof(output));
        if (k == 0) return;
        var tiles = path == Path.Best && Avx512F.IsSupported && Vector512.IsHardwareAccelerated ? Path.Best
            : path != Path.Scalar && Fma.IsSupported && Vector256.IsHardwareAccelerated ? Path.Avx2
            : Path.Scalar;
        fixed (float* storage = _storage, px = x, po = output)
        {
            var args = new Args
            {
                Panels = storage + _offset,
                Bias = storage + _offset + (long)_panels * C * Width,
                X = px, Output = po, K = k, C = C, OC = OC, PanelCount = _panels,
                Tiles = tiles,
            };
            if (pool is null || pool.Threads == 1 || _panels < 2)
            {
                Panels(&args, 0, _panels);
            }
            else
            {
                args.Chunk = Math.Max(1, _panels / (ChunksPerThread * pool.Threads));
                WorkerPool.RunClaimed(pool, &Part, &args);
            }
        }
    }

    private struct Args
    {
        public float* Panels, Bias, X, Output;
        public int K, C, OC, PanelCount, Chunk;
        public Path Tiles;   // the path this CPU runs: Best = the AVX-512 tiles
        public int Next;   // next chunk of panels to claim
    }

    private static void Part(void* context, int part, int parts)
    {
        var a = (Args*)context;
        while (WorkerPool.TryClaim(ref a->Next, a->PanelCount, a->Chunk, out var from, out var to)) Panels(a, from, to);
    }

    /// <summary>Panels from ≤ p &lt; to, all k rows: the rows in tiles of nearly equal height (17 rows on AVX-512: 9 and
    /// 8), the first tile streaming the panel in, the other reading it again from the cache.</summary>
    private static void Panels(Args* a, int from, int to)
    {
        int k = a->K, C = a->C, OC = a->OC;
        var most = a->Tiles == Path.Best ? WideRows : a->Tiles == Path.Avx2 ? NarrowRows : 1;
        var tiles = (k + most - 1) / most;
        var tile = stackalloc float[WideRows * Width];
        for (var p = from; p < to; p++)
        {
            var panel = a->Panels + (long)p * C * Width;
            var bias = a->Bias + p * Width;
            var o0 = p * Width;
            var cols = Math.Min(Width, OC - o0);
            var i0 = 0;
            for (var t = 0; t < tiles; t++)
            {
                var rows = k / tiles + (t < k % tiles ? 1 : 0);
                var x = a->X + (long)i0 * C;
                // A whole panel is stored straight into the output; the last, partial one goes through the stack.
                var full = cols == Width;
                var dst = full ? a->Output + (long)i0 * OC + o0 : tile;
                var stride = full ? OC : Width;
                switch (a->Tiles)
                {
                    case Path.Best: Wide(rows, panel, bias, x, C, dst, stride); break;
                    case Path.Avx2: Narrow(rows, panel, bias, x, C, dst, stride); break;
                    default: Scalar(rows, panel, bias, x, C, dst, stride); break;
                }
                if (!full)
                {
                    for (var i = 0; i < rows; i++) new Span<float>(tile + i * Width, cols).CopyTo(new Span<float>(a->Output + (long)(i0 + i) * OC + o0, cols));
                }
                i0 += rows;
            }
        }
    }

    private static void Wide(int rows, float* panel, float* bias, float* x, int C, float* dst, int stride)
    {
        switch (rows)
        {
            case 1: WideTile<R1>(panel, bias, x, C, dst, stride); break;
            case 2: WideTile<R2>(panel, bias, x, C, dst, stride); break;
            case 3: WideTile<R3>(panel, bias, x, C, dst, stride); break;
            case 4: WideTile<R4>(panel, bias, x, C, dst, stride); break;
            case 5: WideTile<R5>(panel, bias, x, C, dst, stride); break;
            case 6: WideTile<R6>(panel, bias, x, C, dst, stride); break;
            case 7: WideTile<R7>(panel, bias, x, C, dst, stride); break;
            case 8: WideTile<R8>(panel, bias, x, C, dst, stride); break;
            case 9: WideTile<R9>(panel, bias, x, C, dst, stride); break;
            case 10: WideTile<R10>(panel, bias, x, C, dst, stride); break;
            case 11: WideTile<R11>(panel, bias, x, C, dst, stride); break;
            default: WideTile<R12>(panel, bias, x, C, dst, stride); break;
        }
    }

    private static void Narrow(int rows, float* panel, float* bias, float* x, int C, float* dst, int stride)
    {
        switch (rows)
        {
            case 1: NarrowTile<R1>(panel, bias, x, C, dst, stride); break;
            case 2: NarrowTile<R2>(panel, bias, x, C, dst, stride); break;
            default: NarrowTile<R3>(panel, bias, x, C, dst, stride); break;
        }
    }

    /// <summary>A tile's height as a type, so the JIT compiles one tile per height with the unused rows removed.</summary>
    private interface IRows { static abstract int Count { get; } }
    private struct R1 : IRows { public static int Count => 1; }
    private struct R2 : IRows { public static int Count => 2; }
    private struct R3 : IRows { public static int Count => 3; }
    private struct R4 : IRows { public static int Count => 4; }
    private struct R5 : IRows { public static int Count => 5; }
    private struct R6 : IRows { public static int Count => 6; }
    private struct R7 : IRows { public static int Count => 7; }
    private struct R8 : IRows { public static int Count => 8; }
    private struct R9 : IRows { public static int Count => 9; }
    private struct R10 : IRows { public static int Count => 10; }
    private struct R11 : IRows { public static int Count => 11; }
    private struct R12 : IRows { public static int Count => 12; }

    /// <summary>TRows rows × 32 outputs in 512-bit registers: per c, two weight vectors, one broadcast per row.</summary>
    private static void WideTile<TRows>(float* panel, float* bias, float* x, int C, float* dst, int stride) where TRows : struct, IRows
    {
        var n = TRows.Count;
        var b0 = Vector512.Load(bias);
        var b1 = Vector512.Load(bias + 16);
        Vector512<float> a0_0 = b0, a0_1 = b1;
        Vector512<float> a1_0 = b0, a1_1 = b1;
        Vector512<float> a2_0 = b0, a2_1 = b1;
        Vector512<float> a3_0 = b0, a3_1 = b1;
        Vector512<float> a4_0 = b0, a4_1 = b1;
        Vector512<float> a5_0 = b0, a5_1 = b1;
        Vector512<float> a6_0 = b0, a6_1 = b1;
        Vector512<float> a7_0 = b0, a7_1 = b1;
        Vector512<float> a8_0 = b0, a8_1 = b1;
        Vector512<float> a9_0 = b0, a9_1 = b1;
        Vector512<float> a10_0 = b0, a10_1 = b1;
        Vector512<float> a11_0 = b0, a11_1 = b1;
        var w = panel;
        for (var c = 0; c < C; c++, w += Width)
        {
            if (Sse.IsSupported)
            {
                Sse.Prefetch0(w + Ahead);
                Sse.Prefetch0(w + Ahead + 16);
            }
            var w0 = Vector512.Load(w);
            var w1 = Vector512.Load(w + 16);
            var xc = x + c;
            var v = Vector512.Create(xc[0]);
            a0_0 = Vector512.FusedMultiplyAdd(w0, v, a0_0);
            a0_1 = Vector512.FusedMultiplyAdd(w1, v, a0_1);
            if (n > 1)
            {
                v = Vector512.Create(xc[1 * C]);
                a1_0 = Vector512.FusedMultiplyAdd(w0, v, a1_0);
                a1_1 = Vector512.FusedMultiplyAdd(w1, v, a1_1);
            }
            if (n > 2)
            {
                v = Vector512.Create(xc[2 * C]);
                a2_0 = Vector512.FusedMultiplyAdd(w0, v, a2_0);
                a2_1 = Vector512.FusedMultiplyAdd(w1, v, a2_1);
            }
            if (n > 3)
            {
                v = Vector512.Create(xc[3 * C]);
                a3_0 = Vector512.FusedMultiplyAdd(w0, v, a3_0);
                a3_1 = Vector512.FusedMultiplyAdd(w1, v, a3_1);
            }
            if (n > 4)
            {
                v = Vector512.Create(xc[4 * C]);
                a4_0 = Vector512.FusedMultiplyAdd(w0, v, a4_0);
                a4_1 = Vector512.FusedMultiplyAdd(w1, v, a4_1);
            }
            if (n > 5)
            {
                v = Vector512.Create(xc[5 * C]);
                a5_0 = Vector512.FusedMultiplyAdd(w0, v, a5_0);
                a5_1 = Vector512.FusedMultiplyAdd(w1, v, a5_1);
            }
            if (n > 6)
            {
                v = Vector512.Create(xc[6 * C]);
                a6_0 = Vector512.FusedMultiplyAdd(w0, v, a6_0);
                a6_1 = Vector512.FusedMultiplyAdd(w1, v, a6_1);
            }
            if (n > 7)
            {
                v = Vector512.Create(xc[7 * C]);
                a7_0 = Vector512.FusedMultiplyAdd(w0, v, a7_0);
                a7_1 = Vector512.FusedMultiplyAdd(w1, v, a7_1);
            }
            if (n > 8)
            {
                v = Vector512.Create(xc[8 * C]);
                a8_0 = Vector512.FusedMultiplyAdd(w0, v, a8_0);
                a8_1 = Vector512.FusedMultiplyAdd(w1, v, a8_1);
            }
            if (n > 9)
            {
                v = Vector512.Create(xc[9 * C]);
                a9_0 = Vector512.FusedMultiplyAdd(w0, v, a9_0);
                a9_1 = Vector512.FusedMultiplyAdd(w1, v, a9_1);
            }
            if (n > 10)
            {
                v = Vector512.Create(xc[10 * C]);
                a10_0 = Vector512.FusedMultiplyAdd(w0, v, a10_0);
                a10_1 = Vector512.FusedMultiplyAdd(w1, v, a10_1);
            }
            if (n > 11)
            {
                v = Vector512.Create(xc[11 * C]);
                a11_0 = Vector512.FusedMultiplyAdd(w0, v, a11_0);
                a11_1 = Vector512.FusedMultiplyAdd(w1, v, a11_1);
            }
        }
        a0_0.Store(dst);
        a0_1.Store(dst + 16);
        if (n > 1) { a1_0.Store(dst + 1 * stride); a1_1.Store(dst + 1 * stride + 16); }
        if (n > 2) { a2_0.Store(dst + 2 * stride); a2_1.Store(dst + 2 * stride + 16); }
        if (n > 3) { a3_0.Store(dst + 3 * stride); a3_1.Store(dst + 3 * stride + 16); }
        if (n > 4) { a4_0.Store(dst + 4 * stride); a4_1.Store(dst + 4 * stride + 16); }
        if (n > 5) { a5_0.Store(dst + 5 * stride); a5_1.Store(dst + 5 * stride + 16); }
        if (n > 6) { a6_0.Store(dst + 6 * stride); a6_1.Store(dst + 6 * stride + 16); }
        if (n > 7) { a7_0.Store(dst + 7 * stride); a7_1.Store(dst + 7 * stride + 16); }
        if (n > 8) { a8_0.Store(dst + 8 * stride); a8_1.Store(dst + 8 * stride + 16); }
        if (n > 9) { a9_0.Store(dst + 9 * stride); a9_1.Store(dst + 9 * stride + 16); }
        if (n > 10) { a10_0.Store(dst + 10 * stride); a10_1.Store(dst + 10 * stride + 16); }
        if (n > 11) { a11_0.Store(dst + 11 * stride); a11_1.Store(dst + 11 * stride + 16); }
    }

    /// <summary>TRows rows × 32 outputs in 256-bit registers (machines without AVX-512): the same chains as
    /// <see cref="WideTile{TRows}"/>, so the same bits.</summary>
    private static void NarrowTile<TRows>(float* panel, float* bias, float* x, int C, float* dst, int stride) where TRows : struct, IRows
    {
        var n = TRows.Count;
        Vector256<float> b0 = Vector256.Load(bias), b1 = Vector256.Load(bias + 8), b2 = Vector256.Load(bias + 16), b3 = Vector256.Load(bias + 24);
        Vector256<float> a00 = b0, a01 = b1, a02 = b2, a03 = b3;
        Vector256<float> a10 = b0, a11 = b1, a12 = b2, a13 = b3;
        Vector256<float> a20 = b0, a21 = b1, a22 = b2, a23 = b3;
        float* x0 = x, x1 = x + C, x2 = x + 2 * C;
        var w = panel;
        for (var c = 0; c < C; c++, w += Width)
        {
            if (Sse.IsSupported)
            {
                Sse.Prefetch0(w + Ahead);
                Sse.Prefetch0(w + Ahead + 16);
            }
            var w0 = Vector256.Load(w);
            var w1 = Vector256.Load(w + 8);
            var w2 = Vector256.Load(w + 16);
            var w3 = Vector256.Load(w + 24);
            var v = Vector256.Create(x0[c]);
            a00 = Vector256.FusedMultiplyAdd(w0, v, a00);
            a01 = Vector256.FusedMultiplyAdd(w1, v, a01);
            a02 = Vector256.FusedMultiplyAdd(w2, v, a02);
            a03 = Vector256.FusedMultiplyAdd(w3, v, a03);
            if (n >= 2)
            {
                v = Vector256.Create(x1[c]);
                a10 = Vector256.FusedMultiplyAdd(w0, v, a10);
                a11 = Vector256.FusedMultiplyAdd(w1, v, a11);
                a12 = Vector256.FusedMultiplyAdd(w2, v, a12);
                a13 = Vector256.FusedMultiplyAdd(w3, v, a13);
            }
            if (n >= 3)
            {
                v = Vector256.Create(x2[c]);
                a20 = Vector256.FusedMultiplyAdd(w0, v, a20);
                a21 = Vector256.FusedMultiplyAdd(w1, v, a21);
                a22 = Vector256.FusedMultiplyAdd(w2, v, a22);
                a23 = Vector256.FusedMultiplyAdd(w3, v, a23);
            }
        }
        a00.Store(dst); a01.Store(dst + 8); a02.Store(dst + 16); a03.Store(dst + 24);
        if (n >= 2) { var r = dst + stride; a10.Store(r); a11.Store(r + 8); a12.Store(r + 16); a13.Store(r + 24); }
        if (n >= 3) { var r = dst + 2 * stride; a20.Store(r); a21.Store(r + 8); a22.Store(r + 16); a23.Store(r + 24); }
    }

    /// <summary>One row at a time with scalar fused multiply-adds (machines without AVX2 + FMA): the same chains.</summary>
    private static void Scalar(int rows, float* panel, float* bias, float* x, int C, float* dst, int stride)
    {
        for (var i = 0; i < rows; i++)
        {
            var xi = x + (long)i * C;
            for (var j = 0; j < Width; j++)
            {
                var s = bias[j];
                for (var c = 0; c < C; c++) s = MathF.FusedMultiplyAdd(panel[(long)c * Width + j], xi[c], s);
                dst[(long)i * stride + j] = s;
            }
        }
    }
}
