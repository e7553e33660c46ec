using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ScaleLab.Engine.Kernels;

// Fully connected layer on feature-major activations (one column per example), with its activation fused:
//   out[o, n] = residual[o, n] + act(bias[o] + Σ_c W[o, c]·X[c, n]),   act = relu or identity.
// N = examples (columns), C = input features, OC = output features. weight (OC, C) as torch.nn.Linear stores it,
// bias (OC) or empty, residual (OC, N) or empty, out (OC, N); X is read through strides, X[c, n] = x[c·xcs + n·xns],
// so a batch-major input (N, C) is read as (xcs = 1, xns = C) and a feature-major one (C, N) as (xcs = N, xns = 1).
/// <summary>
/// The inference path of small residual MLPs (the Hex policy/value net): a batch of B examples through layers of
/// width W ≈ 32–512. In this layout the weight is the GEMM's left operand, read in place with its rows contiguous
/// in c, and the activations are the right operand: nothing derived from the weights is packed (so no pack goes
/// stale when an optimizer updates them in place), and each layer's output is the next layer's input as it lies.
/// The activations are packed once per call into 16-column panels (C·N floats, 1/OC of the multiply-adds); a 6×16
/// register tile (12 AVX2 accumulators, the engine's <see cref="Sgemm"/> shape) sweeps W's six-row slivers over each
/// panel, and the bias, relu and residual are applied as the tile is stored, so no extra pass over the output runs.
/// Where AVX-512 runs at full width (<see cref="Sgemm.IsAccelerated512"/>), two full panels side by side take a 6×32 tile
/// of 12 512-bit accumulators instead (FeatureMajorLinear.Wide.cs); edge tiles and a last odd panel stay on the 6×16 one.
/// Summation order: each output is bias + the K-blocks' sums (KC = 256 inputs per block, each summed in c order),
/// then relu, then + residual; the order does not depend on N or on a column's position in the batch, so one
/// example gives the same bits alone or in any batch, and the 512-bit and 256-bit tiles give the same bits. Without AVX2 + FMA the engine's SGEMM runs on its portable
/// kernel, the bias, relu and residual in a second pass.
/// </summary>
public static unsafe partial class FeatureMajorLinear
{
    private const int MR = Sgemm.MR, NR = Sgemm.NR, KC = Sgemm.KC, MC = Sgemm.MC;

    [ThreadStatic] private static float[]? t_packX;
    [ThreadStatic] private static float[]? t_packW;

    /// <summary>The definition, summing each output left to right from the bias.</summary>
    public static void ForwardReference<TReal>(ReadOnlySpan<TReal> x, int xcs, int xns, ReadOnlySpan<TReal> weight, ReadOnlySpan<TReal> bias,
        ReadOnlySpan<TReal> residual, bool relu, int N, int C, int OC, Span<TReal> output) where TReal : IFloatingPointIeee754<TReal>
    {
        Check(x.Length, xcs, xns, weight.Length, bias.Length, residual.Length, N, C, OC, output.Length);
        for (var o = 0; o < OC; o++)
        {
            for (var n = 0; n < N; n++)
            {
                var val = bias.IsEmpty ? TReal.Zero : bias[o];
                for (var c = 0; c < C; c++) val += weight[o * C + c] * x[c * xcs + n * xns];
                if (relu && !(val > TReal.Zero)) val = TReal.Zero;
                output[o * N + n] = residual.IsEmpty ? val : residual[o * N + n] + val;
            }
        }
    }

    /// <summary>Fast <see cref="ForwardReference{TReal}"/>, one thread. The output must not overlap x or the residual.</summary>
    public static void Forward(ReadOnlySpan<float> x, int xcs, int xns, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        ReadOnlySpan<float> residual, bool relu, int N, int C, int OC, Span<float> output) =>
        Forward(x, xcs, xns, weight, bias, residual, relu, N, C, OC, output, Sgemm.DefaultKernel);

    /// <summary><see cref="Forward(ReadOnlySpan{float}, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, bool, int, int, int, Span{float})"/>
    /// on a chosen microkernel: the fused AVX2 + FMA tile, with <see cref="SgemmKernel.Avx512"/> its 512-bit 6×32 tile too
    /// (each falls back to the next narrower where the hardware lacks it), or for any other (machines without AVX2 + FMA;
    /// tests on x86) the engine's <see cref="Sgemm"/> on that kernel, W·X with X through its strides, then bias, relu and
    /// residual in one pass.</summary>
    internal static void Forward(ReadOnlySpan<float> x, int xcs, int xns, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        ReadOnlySpan<float> residual, bool relu, int N, int C, int OC, Span<float> output, SgemmKernel kernel)
    {
        Check(x.Length, xcs, xns, weight.Length, bias.Length, residual.Length, N, C, OC, output.Length);
        if (N == 0 || OC == 0) return;
        kernel = Sgemm.Runnable(kernel);
        if (kernel == SgemmKernel.Avx2Fma && !Sgemm.IsAccelerated) kernel = Sgemm.DefaultKernel;
        if ((kernel != SgemmKernel.Avx2Fma && kernel != SgemmKernel.Avx512) || C == 0)
        {
            Portable(x, xcs, xns, weight, bias, residual, relu, N, C, OC, output, kernel);
            return;
        }
        var panels = (N + NR - 1) / NR;
        var needX = panels * C * NR + 16;
        if (t_packX is null || t_packX.Length < needX) t_packX = GC.AllocateArray<float>(needX, pinned: true);
        var packW = t_packW ??= GC.AllocateArray<float>(MC * KC + 16, pinned: true);
        var wide = kernel == SgemmKernel.Avx512;
        var tile = stackalloc float[MR * NR];
        fixed (float* px = x, pw = weight, pBias = bias, pRes = residual, pOut = output, rawX = t_packX, rawW = packW)
        {
            float* pb = Sgemm.AlignTo64(rawX), pa = Sgemm.AlignTo64(rawW);
            PackColumns(px, xcs, xns, C, N, pb);
            // Six rows of W are read in place unless the row stride is a multiple of 4 KB (all six in the same L1 sets).
            var inPlace = C % 1024 != 0;
            for (var pc = 0; pc < C; pc += KC)
            {
                var kc = Math.Min(KC, C - pc);
                bool first = pc == 0, last = pc + kc == C;
                for (var ic = 0; ic < OC; ic += MC)
                {
                    var mc = Math.Min(MC, OC - ic);
                    var a = pw + (long)ic * C + pc;
                    var full = inPlace ? mc / MR * MR : 0;
                    if (full < mc) Sgemm.PackA(a + (long)full * C, C, 1, mc - full, kc, pa + full * kc);
                    for (var p = 0; p < panels;)
                    {
                        var n0 = p * NR;
                        // Two full panels side by side take the 512-bit 6×32 tile where it runs (FeatureMajorLinear.Wide.cs).
                        var pair = wide && N - n0 >= 2 * NR;
                        var panel = pb + ((long)p * C + pc) * NR;
                        for (var ir = 0; ir < mc; ir += MR)
                        {
                            var o0 = ic + ir;
                            var rows = Math.Min(MR, mc - ir);
                            var bias0 = first && pBias is not null ? pBias + o0 : null;
                            var res0 = last && pRes is not null ? pRes + (long)o0 * N + n0 : null;
                            var c0 = pOut + (long)o0 * N + n0;
                            if (pair && rows == MR)
                            {
                                if (ir < full) Kernel6x32<Sgemm.RowsInPlace>(kc, a + (long)ir * C, C, panel, panel + (long)C * NR, c0, N, bias0, res0, first, last, relu);
                                else Kernel6x32<Sgemm.PackedSliver>(kc, pa + ir * kc, 0, panel, panel + (long)C * NR, c0, N, bias0, res0, first, last, relu);
                                continue;
                            }
                            for (var q = 0; q < (pair ? 2 : 1); q++)
                            {
                                var cols = Math.Min(NR, N - n0 - q * NR);
                                var sliver = ir < full ? a + (long)ir * C : pa + ir * kc;
                                Tile(ir < full, kc, sliver, C, panel + (long)q * C * NR, rows, cols, c0 + q * NR, N, bias0,
                                    res0 is null ? null : res0 + q * NR, first, last, relu, tile);
                            }
                        }
                        p += pair ? 2 : 1;
                    }
                }
            }
        }
    }

    /// <summary>One 6×16 tile on the AVX2 kernel: W's sliver read in place (<paramref name="inPlace"/>, row stride lda) or packed;
    /// a full tile is finished in registers, an edge tile (rows &lt; 6 or cols &lt; 16) sums the full 6×16 into scratch (the
    /// packs are zero-padded) and its live part is finished in scalar.</summary>
    private static void Tile(bool inPlace, int kc, float* sliver, int lda, float* panel, int rows, int cols, float* c, int ldc,
        float* bias, float* res, bool first, bool last, bool relu, float* tile)
    {
        if (rows == MR && cols == NR)
        {
            if (inPlace) Kernel6x16<Sgemm.RowsInPlace>(kc, sliver, lda, panel, c, ldc, bias, res, first, last, relu);
            else Kernel6x16<Sgemm.PackedSliver>(kc, sliver, 0, panel, c, ldc, bias, res, first, last, relu);
            return;
        }
        if (inPlace) Kernel6x16<Sgemm.RowsInPlace>(kc, sliver, lda, panel, tile, NR, null, null, true, false, false);
        else Kernel6x16<Sgemm.PackedSliver>(kc, sliver, 0, panel, tile, NR, null, null, true, false, false);
        FinishEdge(tile, rows, cols, c, ldc, bias, res, first, last, relu);
    }

    /// <summary>out = W (OC×C) · X (C×N) on the SGEMM (K = 0 stores zeros), then out[o, n] = residual + relu(out + bias[o]).
    /// Summation order: Σ first, then the bias (the reference starts from the bias).</summary>
    private static void Portable(ReadOnlySpan<float> x, int xcs, int xns, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        ReadOnlySpan<float> residual, bool relu, int N, int C, int OC, Span<float> output, SgemmKernel kernel)
    {
        fixed (float* px = x, pw = weight, pOut = output)
        {
            Sgemm.Multiply(pw, C, 1, px, xcs, xns, pOut, N, OC, N, C, null, null, kernel);
        }
        for (var o = 0; o < OC; o++)
        {
            var b = bias.IsEmpty ? 0f : bias[o];
            var row = output.Slice(o * N, N);
            for (var n = 0; n < N; n++)
            {
                var v = row[n] + b;
                if (relu && !(v > 0f)) v = 0f;
                row[n] = residual.IsEmpty ? v : residual[o * N + n] + v;
            }
        }
    }

    private static void Check(int x, int xcs, int xns, int weight, int bias, int residual, int N, int C, int OC, int output)
    {
        if (N < 0 || C < 0 || OC < 0 || xcs < 0 || xns < 0) throw new ArgumentException($"negative size or stride: N {N}, C {C}, OC {OC}, strides {xcs}, {xns}");
        var xNeed = N == 0 || C == 0 ? 0 : (long)(C - 1) * xcs + (long)(N - 1) * xns + 1;
        if (x < xNeed || weight < (long)OC * C || (bias != 0 && bias < OC) || (residual != 0 && residual < (long)OC * N) || output < (long)OC * N)
        {
            throw new ArgumentException($"buffers too small for N {N}, C {C}, OC {OC}: x {x} (needs {xNeed}), weight {weight}, bias {bias}, residual {residual}, output {output}");
        }
    }

    /// <summary>X into 16-column panels, c-major inside a panel: pb[(p·C + c)·16 + j] = X[c, 16p + j]; columns past N are zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackColumns(float* x, int xcs, int xns, int C, int N, float* pb)
    {
        for (var n0 = 0; n0 < N; n0 += NR)
        {
            var dst = pb + (long)n0 * C;
            var cols = Math.Min(NR, N - n0);
            if (xns == 1 && cols == NR)
            {
                // Feature-major: each c's 16 columns are one 64-byte run.
                for (var c = 0; c < C; c++, dst += NR)
                {
                    var src = x + (long)c * xcs + n0;
                    Vector256.Store(Vector256.Load(src), dst);
                    Vector256.Store(Vector256.Load(src + 8), dst + 8);
                }
                continue;
            }
            // Batch-major (or a partial panel): column by column, reading each example's C features in order.
            if (cols < NR) new Span<float>(dst, C * NR).Clear();
            for (var j = 0; j < cols; j++)
            {
                var src = x + (long)(n0 + j) * xns;
                for (var c = 0; c < C; c++) dst[c * NR + j] = src[(long)c * xcs];
            }
        }
    }

    /// <summary>The live rows × cols of an edge tile's raw sums, finished as <see cref="Finish"/> does (same operations, same order).</summary>
    private static void FinishEdge(float* tile, int rows, int cols, float* c, int ldc, float* bias, float* res, bool first, bool last, bool relu)
    {
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < cols; j++)
            {
                ref var cij = ref c[(long)i * ldc + j];
                var v = (first ? (bias is null ? 0f : bias[i]) : cij) + tile[i * NR + j];
                if (last && relu) v = v > 0f ? v : 0f;
                if (last && res is not null) v += res[(long)i * ldc + j];
                cij = v;
            }
        }
    }

    /// <summary>The 6×16 tile C[i, j] of Σ_k W[i, k]·pb[k·16 + j], finished by <see cref="Finish"/>: with first, bias[i] (or 0)
    /// + Σ is stored, else Σ is added to C; with last, relu and then + res[i, j] (row stride ldc) follow.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16<TLayout>(int kc, float* pa, nint lda, float* pb, float* c, int ldc, float* bias, float* res,
        bool first, bool last, bool relu) where TLayout : struct, Sgemm.ISliverLayout
    {
        // The tile's rows of C (and of the residual) are touched once, at the end: ask for their lines now so they
        // arrive while the k loop runs, as Sgemm's kernel does.
        for (var i = 0; i < MR; i++)
        {
            Sse.Prefetch0(c + i * ldc);
            if (res is not null) Sse.Prefetch0(res + i * ldc);
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
            var w = Vector256.Create(a0[ka]);
            c00 = Fma.MultiplyAdd(w, b0, c00);
            c01 = Fma.MultiplyAdd(w, b1, c01);
            w = Vector256.Create(a1[ka]);
            c10 = Fma.MultiplyAdd(w, b0, c10);
            c11 = Fma.MultiplyAdd(w, b1, c11);
            w = Vector256.Create(a2[ka]);
            c20 = Fma.MultiplyAdd(w, b0, c20);
            c21 = Fma.MultiplyAdd(w, b1, c21);
            w = Vector256.Create(a3[ka]);
            c30 = Fma.MultiplyAdd(w, b0, c30);
            c31 = Fma.MultiplyAdd(w, b1, c31);
            w = Vector256.Create(a4[ka]);
            c40 = Fma.MultiplyAdd(w, b0, c40);
            c41 = Fma.MultiplyAdd(w, b1, c41);
            w = Vector256.Create(a5[ka]);
            c50 = Fma.MultiplyAdd(w, b0, c50);
            c51 = Fma.MultiplyAdd(w, b1, c51);
            pb += NR;
        }
        Finish(c, res, bias, 0, first, last, relu, c00, c01);
        Finish(c + ldc, res is null ? null : res + ldc, bias, 1, first, last, relu, c10, c11);
        Finish(c + 2 * ldc, res is null ? null : res + 2 * ldc, bias, 2, first, last, relu, c20, c21);
        Finish(c + 3 * ldc, res is null ? null : res + 3 * ldc, bias, 3, first, last, relu, c30, c31);
        Finish(c + 4 * ldc, res is null ? null : res + 4 * ldc, bias, 4, first, last, relu, c40, c41);
        Finish(c + 5 * ldc, res is null ? null : res + 5 * ldc, bias, 5, first, last, relu, c50, c51);
    }

    /// <summary>One 16-float row of a tile: v = (first ? bias[i] or 0 : row) + Σ; when last, v = max(v, 0) if relu, then + res.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(float* row, float* res, float* bias, int i, bool first, bool last, bool relu, Vector256<float> lo, Vector256<float> hi)
    {
        if (first)
        {
            var b = bias is null ? Vector256<float>.Zero : Vector256.Create(bias[i]);
            lo = b + lo;
            hi = b + hi;
        }
        else
        {
            lo = Vector256.Load(row) + lo;
            hi = Vector256.Load(row + 8) + hi;
        }
        if (last && relu)
        {
            // vmaxps returns its second operand when either is NaN or both are zero: NaN and −0 become +0, as v > 0 ? v : 0 does.
            lo = Avx.Max(lo, Vector256<float>.Zero);
            hi = Avx.Max(hi, Vector256<float>.Zero);
        }
        if (last && res is not null)
        {
            lo += Vector256.Load(res);
            hi += Vector256.Load(res + 8);
        }
        Vector256.Store(lo, row);
        Vector256.Store(hi, row + 8);
    }
}
