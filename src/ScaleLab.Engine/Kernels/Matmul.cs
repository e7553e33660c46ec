using System.Numerics;
using ScaleLab.Engine.Parallelism;

namespace ScaleLab.Engine.Kernels;

// Fully connected layer: out = inp·Wᵀ + b, the weight stored (OC,C) as torch.nn.Linear stores it.
// N = rows (B·T flattened), C = input channels, OC = output channels.
public static class Matmul
{
    /// <summary>out[n,o] = bias[o] + Σ_c inp[n,c]·weight[o,c].
    /// inp (N,C), weight (OC,C), bias (OC) or empty for none, output (N,OC).</summary>
    public static void ForwardReference<TReal>(ReadOnlySpan<TReal> inp, ReadOnlySpan<TReal> weight, ReadOnlySpan<TReal> bias,
        int N, int C, int OC, Span<TReal> output) where TReal : IFloatingPointIeee754<TReal>
    {
        for (var n = 0; n < N; n++)
        {
            for (var o = 0; o < OC; o++)
            {
                var val = bias.IsEmpty ? TReal.Zero : bias[o];
                for (var c = 0; c < C; c++)
                {
                    val += inp[n * C + c] * weight[o * C + c];
                }
                output[n * OC + o] = val;
            }
        }
    }

    /// <summary>Differentiates the forward line: dinp += dout·W, dweight += doutᵀ·inp, dbias += Σ_n dout[n,:].
    /// dout (N,OC), inp (N,C), weight (OC,C); dinp (N,C), dweight (OC,C), dbias (OC) or empty for none.</summary>
    public static void BackwardReference<TReal>(ReadOnlySpan<TReal> dout, ReadOnlySpan<TReal> inp, ReadOnlySpan<TReal> weight,
        int N, int C, int OC, Span<TReal> dinp, Span<TReal> dweight, Span<TReal> dbias) where TReal : IFloatingPointIeee754<TReal>
    {
        for (var n = 0; n < N; n++)
        {
            for (var o = 0; o < OC; o++)
            {
                var d = dout[n * OC + o];
                if (!dbias.IsEmpty) dbias[o] += d;
                for (var c = 0; c < C; c++)
                {
                    dinp[n * C + c] += weight[o * C + c] * d;
                    dweight[o * C + c] += inp[n * C + c] * d;
                }
            }
        }
    }

    /// <summary>Fast <see cref="ForwardReference{TReal}"/> on the blocked SGEMM (<see cref="Sgemm.Multiply"/>, which
    /// adds the bias as it stores the first K-block). Each output is bias + (Σ over K-blocks of the block's sum),
    /// where the reference sums left to right from the bias.</summary>
    public static unsafe void Forward(ReadOnlySpan<float> inp, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        int N, int C, int OC, Span<float> output, WorkerPool? pool = null)
    {
        fixed (float* pInp = inp, pW = weight, pOut = output, pB = bias)
        {
            // A = inp (N×C, row stride C), B[k=c, n=o] = W[o,c] (row stride 1, column stride C).
            Sgemm.Multiply(pInp, C, 1, pW, 1, C, pOut, OC, N, OC, C, bias.IsEmpty ? null : pB, pool);
        }
    }

    /// <summary>Fast <see cref="BackwardReference{TReal}"/>: two SGEMMs and a column sum, each adding into its output
    /// (<see cref="BackwardContract"/>). dweight's sum runs over the N rows; it is split across threads by output rows (OC), never by N, so each element is summed by
    /// one thread in a fixed order and results do not depend on the thread count. dbias sums rows in the reference's order.</summary>
    public static unsafe void Backward(ReadOnlySpan<float> dout, ReadOnlySpan<float> inp, ReadOnlySpan<float> weight,
        int N, int C, int OC, Span<float> dinp, Span<float> dweight, Span<float> dbias, WorkerPool? pool = null)
    {
        fixed (float* pDout = dout, pInp = inp, pW = weight, pDinp = dinp, pDw = dweight, pDb = dbias)
        {
            // dinp (N×C) += dout (N×OC) · W (OC×C).
            Sgemm.Accumulate(pDout, OC, 1, pW, C, 1, pDinp, C, N, C, OC, pool);
            // dweight (OC×C) += doutᵀ (OC×N) · inp (N×C): A[m=o, k=n] = dout[n,o].
            Sgemm.Accumulate(pDout, 1, OC, pInp, C, 1, pDw, C, OC, C, N, pool);
            if (!dbias.IsEmpty)
            {
                var args = new BiasArgs { Dout = pDout, DBias = pDb, N = N, OC = OC };
                WorkerPool.Run(pool, &BiasPart, &args);
            }
        }
    }

    private unsafe struct BiasArgs
    {
        public float* Dout, DBias;
        public int N, OC;
    }

    private static unsafe void BiasPart(void* context, int part, int parts)
    {
        ref var a = ref *(BiasArgs*)context;
        var (o0, o1) = WorkerPool.Partition(a.OC, part, parts, unit: 8);
        for (var n = 0; n < a.N; n++)
        {
            SimdMath.AddInPlace(a.Dout + (long)n * a.OC + o0, a.DBias + o0, o1 - o0);
        }
    }
}
