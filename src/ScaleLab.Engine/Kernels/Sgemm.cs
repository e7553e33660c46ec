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
/// Where AVX-512 runs at full width, full slivers against two adjacent full panels take a 6×32 tile of 512-bit
/// accumulators instead (Sgemm.Wide.cs), with the same bits.
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

    /// <summary>True when 512-bit tiles run: AVX-512F, and the runtime treats 512-bit vectors as accelerated (by default it
    /// does not on Intel cores that lower their clock for 512-bit code).</summary>
    public static bool IsAccelerated512 => IsAccelerated && Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

    /// <summary>The microkernel this machine runs: AVX-512 at full width, else AVX2 + FMA, else the portable Vector256 one where 256-bit vectors are
    /// accelerated, else the portable Vector128 one (Arm64 NEON, x86 SSE), else the scalar triple loop.</summary>
    internal static SgemmKernel DefaultKernel { get; } =
        IsAccelerated512 ? SgemmKernel.Avx512
        : IsAccelerated ? SgemmKernel.Avx2Fma
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
        var args = new Args { A = a, Ars = ars, Acs = acs, B = b, Brs = brs, Bcs = bcs, C = c, Ldc = ldc, M = M, N = N, K = K, Kernel = Runnable(kernel) };
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
        var args = new Args { A = a, Ars = ars, Acs = acs, B = b, Brs = brs, Bcs = bcs, C = c, Ldc = ldc, M = M, N = N, K = K, Overwrite = true, Bias = bias, Kernel = Runnable(kernel) };
        Launch(ref args, pool);
    }

    /// <summary>The 512-bit kernel where it runs, else the AVX2 one (the same bits), so a forced choice works on any x86 with FMA.</summary>
    internal static SgemmKernel Runnable(SgemmKernel kernel) => kernel == SgemmKernel.Avx512 && !IsAccelerated512 ? SgemmKernel.Avx2Fma : kernel;

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
        for (var jr = 0; jr < nc;)
        {
            // Two full panels side by side take the 512-bit 6×32 tile where it runs (Sgemm.Wide.cs).
            var pair = g.Kernel == SgemmKernel.Avx512 && nc - jr >= 2 * NR;
            for (var ir = 0; ir < mc; ir += MR)
            {
                var mr = Math.Min(MR, mc - ir);
                var cp = g.C + (long)(ic + ir) * g.Ldc + jc + jr;
                var bias = store && g.Bias is not null ? g.Bias + jc + jr : null;
                var panel = pb + jr * kc;
                if (pair && mr == MR)
                {
                    if (ir < full) Kernel6x32<RowsInPlace>(kc, a + (long)ir * g.Ars, g.Ars, panel, panel + NR * kc, cp, g.Ldc, store, bias);
                    else Kernel6x32<PackedSliver>(kc, pa + ir * kc, MR, panel, panel + NR * kc, cp, g.Ldc, store, bias);
                    continue;
                }
                for (var q = 0; q < (pair ? 2 : 1); q++)
                {
                    var nr = Math.Min(NR, nc - jr - q * NR);
                    Tile(ref g, ir < full ? a + (long)ir * g.Ars : null, pa + ir * kc, kc, panel + q * NR * kc, mr, nr,
                        cp + q * NR, store, bias is null ? null : bias + q * NR, tile);
                }
            }
            jr += pair ? 2 * NR : NR;
        }
    }

    /// <summary>One 6×16 tile of <see cref="Block"/>: A's rows in place (<paramref name="rows"/>, row stride g.Ars) or its
    /// packed sliver; a full tile goes straight to C, an edge tile (the packs are zero-padded) is computed whole into
    /// scratch and its live part added or stored.</summary>
    private static void Tile(ref Args g, float* rows, float* sliver, int kc, float* panel, int mr, int nr, float* cp, bool store, float* bias, float* tile)
    {
        if (rows is not null)
        {
            if (nr == NR)
            {
                Micro<RowsInPlace>(g.Kernel, kc, rows, g.Ars, panel, cp, g.Ldc, store, bias);
                return;
            }
            Micro<RowsInPlace>(g.Kernel, kc, rows, g.Ars, panel, tile, NR, store: true, bias: null);
        }
        else if (mr == MR && nr == NR)
        {
            Micro<PackedSliver>(g.Kernel, kc, sliver, MR, panel, cp, g.Ldc, store, bias);
            return;
        }
        else
        {
            Micro<PackedSliver>(g.Kernel, kc, sliver, MR, panel, tile, NR, store: true, bias: null);
        }
        AddOrStoreTile(tile, cp, g.Ldc, mr, nr, store, bias);
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
}
