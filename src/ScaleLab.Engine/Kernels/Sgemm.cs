using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ScaleLab.Engine.Parallelism;

namespace ScaleLab.Engine.Kernels;

/// <summary>
/// Single-precision matrix product C (M×N, row stride ldc) += A (M×K) · B (K×N), with A and B addressed through
/// strides so one routine serves all three products of a linear layer (inp·Wᵀ, dout·W, doutᵀ·inp) without
/// transposing copies: A[m,k] = a[m·ars + k·acs], B[k,n] = b[k·brs + n·bcs].
/// </summary>
/// <remarks>
/// Goto and van de Geijn's blocking ("Anatomy of high-performance matrix multiplication", TOMS 2008) as in BLIS:
/// a KC×NC block of B is packed into NR-wide panels, an MC×KC block of A into MR-tall slivers, and a 6×16
/// microkernel keeps its 12 accumulators (6 rows × two 8-float AVX2 registers) in registers while it streams one
/// A sliver (L2) against one B panel (L1), one FMA per accumulator per k. Block sizes are BLIS's for AMD Zen.
/// Departures: an A whose rows are contiguous is read in place rather than packed (see <see cref="Block"/>), and
/// both packs walk k once with sequential reads of the source, transposing in 8×8 register blocks where needed.
/// Summation order: each output adds the K-blocks' sums (each summed in k order) to C in block order. That
/// order does not depend on how the work is split, so results are bit-identical for every thread count;
/// it differs from the reference's single left-to-right sum. The loops are marked AggressiveOptimization so they
/// are compiled fully optimised at first call rather than after tiered compilation notices them.
/// Off x86 (or without AVX2 + FMA) the same blocking and threading run a portable microkernel written with the generic
/// Vector256 or Vector128 API (<see cref="SgemmKernel"/>): two 8-float or four 4-float vectors per row of the 6×16 tile,
/// one multiply-add per accumulator per k, fused wherever the hardware fuses (Arm64 NEON, x86 FMA). On an x86 machine
/// with FMA every kernel therefore computes the same bits; without any vector hardware a scalar triple loop runs.
/// </remarks>
public static unsafe partial class Sgemm
{
    public const int MR = 6;
    public const int NR = 16;
    public const int KC = 256;
    public const int MC = 72;
    public const int NC = 4080;

    [ThreadStatic] private static float[]? t_packA;
    [ThreadStatic] private static float[]? t_packB;

    /// <summary>True when the AVX2 + FMA microkernel runs.</summary>
    public static bool IsAccelerated => Fma.IsSupported && Vector256.IsHardwareAccelerated;

    /// <summary>The microkernel this machine runs: AVX2 + FMA, else the portable Vector256 one where 256-bit vectors are
    /// accelerated, else the portable Vector128 one (Arm64 NEON, x86 SSE), else the scalar triple loop.</summary>
    internal static SgemmKernel DefaultKernel { get; } =
        IsAccelerated ? SgemmKernel.Avx2Fma
        : Vector256.IsHardwareAccelerated ? SgemmKernel.Vector256
        : Vector128.IsHardwareAccelerated ? SgemmKernel.Vector128
        : SgemmKernel.Scalar;

    public static void Accumulate(float* a, int ars, int acs, float* b, int brs, int bcs, float* c, int ldc,
        int M, int N, int K, WorkerPool? pool) => Accumulate(a, ars, acs, b, brs, bcs, c, ldc, M, N, K, pool, DefaultKernel);

    /// <summary><see cref="Accumulate(float*, int, int, float*, int, int, float*, int, int, int, int, WorkerPool?)"/> on a
    /// chosen microkernel (tests run the portable ones on x86 this way; a kernel the hardware lacks runs emulated).</summary>
    internal static void Accumulate(float* a, int ars, int acs, float* b, int brs, int bcs, float* c, int ldc,
        int M, int N, int K, WorkerPool? pool, SgemmKernel kernel)
    {
        if (M == 0 || N == 0 || K == 0)
        {
            return;
        }
        if (kernel == SgemmKernel.Scalar)
        {
            AccumulateScalar(a, ars, acs, b, brs, bcs, c, ldc, M, N, K);
            return;
        }
        var args = new Args { A = a, Ars = ars, Acs = acs, B = b, Brs = brs, Bcs = bcs, C = c, Ldc = ldc, M = M, N = N, K = K, Kernel = kernel };
        Launch(ref args, pool);
    }

    /// <summary>C = bias + A·B: as <see cref="Accumulate"/>, but the first K-block's sums are stored (added to
    /// <paramref name="bias"/>[n] of each column when it is not null) instead of added to C, so C need not be cleared
    /// or filled with the bias first — one pass over C fewer, and that pass was single-threaded. Bit-identical to
    /// filling C with the bias (or zeros) and calling <see cref="Accumulate"/>.</summary>
    public static void Multiply(float* a, int ars, int acs, float* b, int brs, int bcs, float* c, int ldc,
        int M, int N, int K, float* bias, WorkerPool? pool) => Multiply(a, ars, acs, b, brs, bcs, c, ldc, M, N, K, bias, pool, DefaultKernel);

    /// <summary><see cref="Multiply(float*, int, int, float*, int, int, float*, int, int, int, int, float*, WorkerPool?)"/> on a chosen microkernel.</summary>
    internal static void Multiply(float* a, int ars, int acs, float* b, int brs, int bcs, float* c, int ldc,
        int M, int N, int K, float* bias, WorkerPool? pool, SgemmKernel kernel)
    {
        if (M == 0 || N == 0)
        {
            return;
        }
        if (K == 0 || kernel == SgemmKernel.Scalar)
        {
            for (var m = 0; m < M; m++)
            {
                var row = new Span<float>(c + (long)m * ldc, N);
                if (bias is null) row.Clear();
                else new ReadOnlySpan<float>(bias, N).CopyTo(row);
            }
            AccumulateScalar(a, ars, acs, b, brs, bcs, c, ldc, M, N, K);
            return;
        }
        var args = new Args { A = a, Ars = ars, Acs = acs, B = b, Brs = brs, Bcs = bcs, C = c, Ldc = ldc, M = M, N = N, K = K, Overwrite = true, Bias = bias, Kernel = kernel };
        Launch(ref args, pool);
    }

    /// <summary>Runs <see cref="Part"/> on the pool. When rows are split (<see cref="SplitsRows"/>), the row blocks
    /// ("units") are not dealt out in fixed shares but claimed one at a time from a counter per (column block, K-block)
    /// phase, so a thread slowed by other work on its core does less of the product instead of holding the other
    /// back. A unit's phase p may start only once its phase p − 1 is done (its rows of C take the K-blocks in
    /// order), which a per-unit flag enforces; every element of C still sees the same sums in the same order, so
    /// results stay bit-identical for every thread count and every claim order.</summary>
    private static void Launch(ref Args args, WorkerPool? pool)
    {
        var parts = pool?.Threads ?? 1;
        if (!SplitsRows(args.M, args.N, parts))
        {
            fixed (Args* p = &args)
            {
                WorkerPool.Run(pool, &Part, p);
            }
            return;
        }
        // Units of MC rows, or smaller (whole slivers) so that every thread can claim about four.
        var unitRows = args.M >= MC * parts * 4 ? MC : Math.Max(MR, RoundUp((args.M + parts * 4 - 1) / (parts * 4), MR));
        var units = (args.M + unitRows - 1) / unitRows;
        var phases = ((args.N + NC - 1) / NC) * ((args.K + KC - 1) / KC);
        var size = phases + units;
        var heap = size > 1024 ? GC.AllocateArray<int>(size, pinned: true) : null;
        var stack = stackalloc int[heap is null ? size : 0];
        fixed (int* pinned = heap)
        {
            var sync = heap is null ? stack : pinned;
            new Span<int>(sync, phases).Clear();                  // next unit to claim, per phase
            new Span<int>(sync + phases, units).Fill(-1);         // last phase each unit has finished
            args.UnitRows = unitRows;
            args.Units = units;
            args.NextUnit = sync;
            args.UnitPhaseDone = sync + phases;
            fixed (Args* p = &args)
            {
                WorkerPool.Run(pool, &Part, p);
            }
        }
    }

    /// <summary>Rows are split when there are enough for every thread to get several slivers (or at least as many
    /// rows as columns); otherwise columns are, in fixed shares.</summary>
    private static bool SplitsRows(int M, int N, int parts) => parts == 1 || M >= parts * MR * 4 || M >= N;

    /// <summary>Plain triple loop: the fallback without vector hardware, summing each output left to right.</summary>
    public static void AccumulateScalar(float* a, int ars, int acs, float* b, int brs, int bcs, float* c, int ldc,
        int M, int N, int K)
    {
        for (var m = 0; m < M; m++)
        {
            for (var n = 0; n < N; n++)
            {
                var sum = 0f;
                for (var k = 0; k < K; k++)
                {
                    sum += a[(long)m * ars + (long)k * acs] * b[(long)k * brs + (long)n * bcs];
                }
                c[(long)m * ldc + n] += sum;
            }
        }
    }

    private struct Args
    {
        public float* A, B, C, Bias;
        public int Ars, Acs, Brs, Bcs, Ldc, M, N, K;
        public bool Overwrite;
        public SgemmKernel Kernel;
        // Row split only: units of UnitRows rows claimed through NextUnit[phase]; UnitPhaseDone[unit] = last phase done.
        public int UnitRows, Units;
        public int* NextUnit, UnitPhaseDone;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Part(void* context, int part, int parts)
    {
        ref var g = ref *(Args*)context;
        var rows = g.NextUnit is not null;
        // Columns, when split, are split in fixed shares; rows are claimed unit by unit below.
        var (n0, n1) = rows ? (0, g.N) : WorkerPool.Partition(g.N, part, parts, NR);
        if (n0 >= n1)
        {
            return;
        }

        // Packed panels are read with 32-byte loads; align them to a 64-byte cache line so no load splits a line
        // (a pinned array is only 8-byte aligned, hence the 16 spare floats).
        var packA = t_packA ??= GC.AllocateArray<float>(MC * KC + 16, pinned: true);
        var needB = Math.Min(KC, g.K) * RoundUp(Math.Min(NC, n1 - n0), NR) + 16;
        if (t_packB is null || t_packB.Length < needB)
        {
            t_packB = GC.AllocateArray<float>(needB, pinned: true);
        }
        var packB = t_packB;
        var tile = stackalloc float[MR * NR];
        fixed (float* rawA = packA, rawB = packB)
        {
            var pa = AlignTo64(rawA);
            var pb = AlignTo64(rawB);
            var phase = 0;
            for (var jc = n0; jc < n1; jc += NC)
            {
                var nc = Math.Min(NC, n1 - jc);
                for (var pc = 0; pc < g.K; pc += KC, phase++)
                {
                    var kc = Math.Min(KC, g.K - pc);
                    // The first K-block stores into C (plus the bias) when overwriting; later blocks add.
                    var store = g.Overwrite && pc == 0;
                    if (!rows)
                    {
                        PackB(g.B + (long)pc * g.Brs + (long)jc * g.Bcs, g.Brs, g.Bcs, kc, nc, pb);
                        for (var ic = 0; ic < g.M; ic += MC)
                        {
                            Block(ref g, ic, Math.Min(MC, g.M - ic), jc, nc, pc, kc, store, pa, pb, tile);
                        }
                        continue;
                    }
                    var packed = false;
                    for (var unit = Interlocked.Increment(ref g.NextUnit[phase]) - 1; unit < g.Units;
                         unit = Interlocked.Increment(ref g.NextUnit[phase]) - 1)
                    {
                        if (!packed)
                        {
                            // Packed once per phase by each thread that claims work in it (none if the others took it all).
                            PackB(g.B + (long)pc * g.Brs + (long)jc * g.Bcs, g.Brs, g.Bcs, kc, nc, pb);
                            packed = true;
                        }
                        // This unit's rows must have taken the previous K-block (or column block) first.
                        var spin = new SpinWait();
                        while (Volatile.Read(ref g.UnitPhaseDone[unit]) < phase - 1)
                        {
                            spin.SpinOnce(sleep1Threshold: -1);
                        }
                        var r0 = unit * g.UnitRows;
                        var r1 = Math.Min(g.M, r0 + g.UnitRows);
                        for (var ic = r0; ic < r1; ic += MC)
                        {
                            Block(ref g, ic, Math.Min(MC, r1 - ic), jc, nc, pc, kc, store, pa, pb, tile);
                        }
                        Volatile.Write(ref g.UnitPhaseDone[unit], phase);
                    }
                }
            }
        }
    }

    /// <summary>C[ic..ic+mc, jc..jc+nc] (+)= A[ic.., pc..pc+kc]·B (packed in <paramref name="pb"/>), sliver by sliver within
    /// each B panel. When A's rows are contiguous in k (acs = 1) its full slivers are read in place, six row streams, since
    /// packing them would cost about as much as the products when N is small; otherwise (and for a partial last sliver) the
    /// A block is packed first. Both read the same values in the same k order, so the sums are bit-identical.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block(ref Args g, int ic, int mc, int jc, int nc, int pc, int kc, bool store, float* pa, float* pb, float* tile)
    {
        var a = g.A + (long)ic * g.Ars + (long)pc * g.Acs;
        var direct = ReadsRowsInPlace(g.Acs, g.Ars);
        var full = direct ? mc / MR * MR : 0;        // rows read in place
        if (full < mc)
        {
            PackA(a + (long)full * g.Ars, g.Ars, g.Acs, mc - full, kc, pa + full * kc);
        }
        for (var jr = 0; jr < nc; jr += NR)
        {
            var nr = Math.Min(NR, nc - jr);
            for (var ir = 0; ir < mc; ir += MR)
            {
                var mr = Math.Min(MR, mc - ir);
                var cp = g.C + (long)(ic + ir) * g.Ldc + jc + jr;
                var bias = store && g.Bias is not null ? g.Bias + jc + jr : null;
                var panel = pb + jr * kc;
                if (ir < full)
                {
                    var rows = a + (long)ir * g.Ars;
                    if (nr == NR)
                    {
                        Micro<RowsInPlace>(g.Kernel, kc, rows, g.Ars, panel, cp, g.Ldc, store, bias);
                    }
                    else
                    {
                        Micro<RowsInPlace>(g.Kernel, kc, rows, g.Ars, panel, tile, NR, store: true, bias: null);
                        AddOrStoreTile(tile, cp, g.Ldc, mr, nr, store, bias);
                    }
                }
                else if (mr == MR && nr == NR)
                {
                    Micro<PackedSliver>(g.Kernel, kc, pa + ir * kc, MR, panel, cp, g.Ldc, store, bias);
                }
                else
                {
                    // Edge tile: the packs are zero-padded, so compute a full tile into scratch and add
                    // (or store) its live part.
                    Micro<PackedSliver>(g.Kernel, kc, pa + ir * kc, MR, panel, tile, NR, store: true, bias: null);
                    AddOrStoreTile(tile, cp, g.Ldc, mr, nr, store, bias);
                }
            }
        }
    }

    /// <summary>A is read in place when its rows are contiguous in k, unless the row stride is a multiple of 4 KB: then the
    /// six rows' lines would all fall in the same L1 sets.</summary>
    private static bool ReadsRowsInPlace(int acs, int ars) => acs == 1 && ars % 1024 != 0;

    private static void AddOrStoreTile(float* tile, float* cp, int ldc, int mr, int nr, bool store, float* bias)
    {
        for (var i = 0; i < mr; i++)
        {
            for (var j = 0; j < nr; j++)
            {
                ref var cij = ref cp[(long)i * ldc + j];
                cij = (store ? (bias is null ? 0f : bias[j]) : cij) + tile[i * NR + j];
            }
        }
    }

    internal static float* AlignTo64(float* p) => (float*)(((nuint)p + 63) & ~(nuint)63);

    /// <summary>One MR×NR tile from packed operands, for callers that pack once and reuse the packs (attention):
    /// C[0..rows, 0..cols] (row stride ldc) = Σ_k pa[k·MR + i]·pb[k·NR + j], each sum taken in k order, so the same
    /// as <see cref="Multiply"/> with one K-block; with <paramref name="accumulate"/> the sums are added to C instead
    /// (as <see cref="Accumulate"/> with one K-block: into zeros, the same bits as storing). A partial tile goes
    /// through <paramref name="tile"/> (MR·NR floats). Without vector hardware, a scalar loop computes the same sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void StoreTile(int kc, float* pa, float* pb, float* c, int ldc, int rows, int cols, float* tile, bool accumulate = false)
    {
        var kernel = DefaultKernel;
        if (kernel == SgemmKernel.Scalar)
        {
            for (var i = 0; i < rows; i++)
            {
                for (var j = 0; j < cols; j++)
                {
                    var sum = 0f;
                    for (var k = 0; k < kc; k++) sum += pa[k * MR + i] * pb[k * NR + j];
                    ref var cij = ref c[(long)i * ldc + j];
                    cij = accumulate ? cij + sum : sum;
                }
            }
            return;
        }
        if (rows == MR && cols == NR)
        {
            Micro<PackedSliver>(kernel, kc, pa, MR, pb, c, ldc, store: !accumulate, bias: null);
            return;
        }
        Micro<PackedSliver>(kernel, kc, pa, MR, pb, tile, NR, store: true, bias: null);
        if (accumulate)
        {
            AddOrStoreTile(tile, c, ldc, rows, cols, store: false, bias: null);
            return;
        }
        for (var i = 0; i < rows; i++)
        {
            new ReadOnlySpan<float>(tile + i * NR, cols).CopyTo(new Span<float>(c + (long)i * ldc, cols));
        }
    }

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

    /// <summary>Where the microkernel reads A's sliver: element (i, k) at a + i·<see cref="RowStride"/> + k·<see cref="KStride"/>.
    /// A struct type argument, so the JIT compiles one specialised kernel per layout. Also <see cref="FeatureMajorLinear"/>'s.</summary>
    internal interface ISliverLayout
    {
        static abstract nint RowStride(nint lda);
        static abstract nint KStride(nint lda);
    }

    /// <summary>A packed sliver: pa[k·MR + i].</summary>
    internal struct PackedSliver : ISliverLayout
    {
        public static nint RowStride(nint lda) => 1;
        public static nint KStride(nint lda) => MR;
    }

    /// <summary>Six rows of A in place: a[i·lda + k].</summary>
    internal struct RowsInPlace : ISliverLayout
    {
        public static nint RowStride(nint lda) => lda;
        public static nint KStride(nint lda) => 1;
    }

    /// <summary>C[0..6, 0..16] (row stride ldc) += Σ_k A[i, k] · pb[k·16 + j], with A laid out as <typeparamref name="TLayout"/>
    /// says (lda: A's row stride when read in place); with <paramref name="store"/>, C = bias[j] + Σ (or C = Σ when
    /// <paramref name="bias"/> is null) instead.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16<TLayout>(int kc, float* pa, nint lda, float* pb, float* c, int ldc, bool store, float* bias)
        where TLayout : struct, ISliverLayout
    {
        // The C tile is touched once per call, at the end, and usually sits in L3 or memory: ask for its lines
        // now so they arrive while the k loop runs (as OpenBLAS's kernels do).
        for (var i = 0; i < MR; i++)
        {
            Sse.Prefetch0(c + i * ldc);
            Sse.Prefetch0(c + i * ldc + NR - 1);
        }
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
            c00 = Fma.MultiplyAdd(a, b0, c00);
            c01 = Fma.MultiplyAdd(a, b1, c01);
            a = Vector256.Create(a1[ka]);
            c10 = Fma.MultiplyAdd(a, b0, c10);
            c11 = Fma.MultiplyAdd(a, b1, c11);
            a = Vector256.Create(a2[ka]);
            c20 = Fma.MultiplyAdd(a, b0, c20);
            c21 = Fma.MultiplyAdd(a, b1, c21);
            a = Vector256.Create(a3[ka]);
            c30 = Fma.MultiplyAdd(a, b0, c30);
            c31 = Fma.MultiplyAdd(a, b1, c31);
            a = Vector256.Create(a4[ka]);
            c40 = Fma.MultiplyAdd(a, b0, c40);
            c41 = Fma.MultiplyAdd(a, b1, c41);
            a = Vector256.Create(a5[ka]);
            c50 = Fma.MultiplyAdd(a, b0, c50);
            c51 = Fma.MultiplyAdd(a, b1, c51);
            pb += NR;
        }
        if (store)
        {
            // The same sums as adding to a C that holds the bias (or zeros): bias + Σ.
            var b0 = bias is null ? Vector256<float>.Zero : Vector256.Load(bias);
            var b1 = bias is null ? Vector256<float>.Zero : Vector256.Load(bias + 8);
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
    private static void AddRow(float* row, Vector256<float> lo, Vector256<float> hi)
    {
        Vector256.Store(Vector256.Load(row) + lo, row);
        Vector256.Store(Vector256.Load(row + 8) + hi, row + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* row, Vector256<float> lo, Vector256<float> hi)
    {
        Vector256.Store(lo, row);
        Vector256.Store(hi, row + 8);
    }
}
