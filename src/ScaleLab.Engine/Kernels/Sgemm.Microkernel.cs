using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ScaleLab.Engine.Kernels;

// Sgemm's AVX2 + FMA 6×16 microkernel, the sliver layouts it reads A through, and the one-tile entry point (StoreTile) for
// callers that pack their own operands.
public static unsafe partial class Sgemm
{
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
