using System.Numerics;
using ScaleLab.Engine.Parallelism;

namespace ScaleLab.Engine.Kernels;

// Token plus learned position embedding (the "encoder" of llm.c's train_gpt2.c).
// B = batch, T = sequence, C = channels, V = vocab.
public static unsafe class Encoder
{
    /// <summary>out[b,t,:] = wte[inp[b,t],:] + wpe[t,:].
    /// inp (B,T), wte (V,C), wpe (maxT,C), output (B,T,C).</summary>
    public static void ForwardReference<TReal>(ReadOnlySpan<int> inp, ReadOnlySpan<TReal> wte, ReadOnlySpan<TReal> wpe,
        int B, int T, int C, Span<TReal> output) where TReal : IFloatingPointIeee754<TReal>
    {
        for (var b = 0; b < B; b++)
        {
            for (var t = 0; t < T; t++)
            {
                var ix = inp[b * T + t];
                for (var c = 0; c < C; c++)
                {
                    output[(b * T + t) * C + c] = wte[ix * C + c] + wpe[t * C + c];
                }
            }
        }
    }

    /// <summary>Differentiates the forward line: dwte[inp[b,t],:] += dout[b,t,:], dwpe[t,:] += dout[b,t,:].
    /// dout (B,T,C), inp (B,T), dwte (V,C), dwpe (maxT,C).</summary>
    public static void BackwardReference<TReal>(ReadOnlySpan<TReal> dout, ReadOnlySpan<int> inp, int B, int T, int C,
        Span<TReal> dwte, Span<TReal> dwpe) where TReal : IFloatingPointIeee754<TReal>
    {
        for (var b = 0; b < B; b++)
        {
            for (var t = 0; t < T; t++)
            {
                var ix = inp[b * T + t];
                for (var c = 0; c < C; c++)
                {
                    var d = dout[(b * T + t) * C + c];
                    dwte[ix * C + c] += d;
                    dwpe[t * C + c] += d;
                }
            }
        }
    }

    /// <summary>Fast <see cref="ForwardReference{TReal}"/>: rows split across threads; bit-identical to the reference.</summary>
    public static void Forward(ReadOnlySpan<int> inp, ReadOnlySpan<float> wte, ReadOnlySpan<float> wpe,
        int B, int T, int C, Span<float> output, WorkerPool? pool = null)
    {
        fixed (int* pInp = inp)
        fixed (float* pWte = wte, pWpe = wpe, pOut = output)
        {
            var args = new Args { Inp = pInp, Wte = pWte, Wpe = pWpe, Out = pOut, B = B, T = T, C = C };
            WorkerPool.Run(pool, &ForwardPart, &args);
        }
    }

    /// <summary>Fast <see cref="BackwardReference{TReal}"/>. Several positions may hold the same token, so rows
    /// cannot be split across threads without a race; channels are split instead, and within its channels each
    /// thread adds rows in the reference's order, so the result is bit-identical to the reference for any thread count.</summary>
    public static void Backward(ReadOnlySpan<float> dout, ReadOnlySpan<int> inp, int B, int T, int C,
        Span<float> dwte, Span<float> dwpe, WorkerPool? pool = null)
    {
        fixed (int* pInp = inp)
        fixed (float* pDout = dout, pDwte = dwte, pDwpe = dwpe)
        {
            var args = new Args { Inp = pInp, Out = pDout, Wte = pDwte, Wpe = pDwpe, B = B, T = T, C = C };
            WorkerPool.Run(pool, &BackwardPart, &args);
        }
    }

    private struct Args
    {
        public int* Inp;
        public float* Wte, Wpe, Out;
        public int B, T, C;
    }

    private static void ForwardPart(void* context, int part, int parts)
    {
        ref var a = ref *(Args*)context;
        var (start, end) = WorkerPool.Partition(a.B * a.T, part, parts);
        for (var bt = start; bt < end; bt++)
        {
            var t = bt % a.T;
            var o = a.Out + (long)bt * a.C;
            System.Numerics.Tensors.TensorPrimitives.Add(
                new ReadOnlySpan<float>(a.Wte + (long)a.Inp[bt] * a.C, a.C),
                new ReadOnlySpan<float>(a.Wpe + (long)t * a.C, a.C),
                new Span<float>(o, a.C));
        }
    }

    private static void BackwardPart(void* context, int part, int parts)
    {
        // Here Out holds dout, Wte holds dwte and Wpe holds dwpe.
        ref var a = ref *(Args*)context;
        var (c0, c1) = WorkerPool.Partition(a.C, part, parts, unit: 8);
        for (var bt = 0; bt < a.B * a.T; bt++)
        {
            var t = bt % a.T;
            var d = a.Out + (long)bt * a.C + c0;
            SimdMath.AddInPlace(d, a.Wte + (long)a.Inp[bt] * a.C + c0, c1 - c0);
            SimdMath.AddInPlace(d, a.Wpe + (long)t * a.C + c0, c1 - c0);
        }
    }
}
