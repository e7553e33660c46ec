using System.Numerics;
using System.Numerics.Tensors;
using ScaleLab.Engine.Parallelism;

namespace ScaleLab.Engine.Kernels;

// Residual connection: out = inp1 + inp2. N = number of elements.
// The model's backward pass does not call Backward: the gradient of a sum is passed through unchanged, so
// Gpt keeps one buffer for the residual stream's gradient and lets both branches read and add into it.
public static unsafe class Residual
{
    /// <summary>out = inp1 + inp2. inp1 (N), inp2 (N), output (N).</summary>
    public static void ForwardReference<TReal>(ReadOnlySpan<TReal> inp1, ReadOnlySpan<TReal> inp2, int N, Span<TReal> output)
        where TReal : IFloatingPointIeee754<TReal>
    {
        for (var i = 0; i < N; i++) output[i] = inp1[i] + inp2[i];
    }

    /// <summary>Differentiates the forward line: dinp1 += dout, dinp2 += dout. dout (N), dinp1 (N), dinp2 (N).</summary>
    public static void BackwardReference<TReal>(ReadOnlySpan<TReal> dout, int N, Span<TReal> dinp1, Span<TReal> dinp2)
        where TReal : IFloatingPointIeee754<TReal>
    {
        for (var i = 0; i < N; i++)
        {
            dinp1[i] += dout[i];
            dinp2[i] += dout[i];
        }
    }

    /// <summary>Fast <see cref="ForwardReference{TReal}"/>; elementwise, bit-identical to the reference.</summary>
    public static void Forward(ReadOnlySpan<float> inp1, ReadOnlySpan<float> inp2, int N, Span<float> output, WorkerPool? pool = null)
    {
        fixed (float* p1 = inp1, p2 = inp2, pOut = output)
        {
            var args = new Args { A = p1, B = p2, Out = pOut, N = N };
            WorkerPool.Run(pool, &ForwardPart, &args);
        }
    }

    /// <summary>Fast <see cref="BackwardReference{TReal}"/>; elementwise, bit-identical to the reference.</summary>
    public static void Backward(ReadOnlySpan<float> dout, int N, Span<float> dinp1, Span<float> dinp2, WorkerPool? pool = null)
    {
        fixed (float* pDout = dout, p1 = dinp1, p2 = dinp2)
        {
            var args = new Args { A = p1, B = p2, Out = pDout, N = N };
            WorkerPool.Run(pool, &BackwardPart, &args);
        }
    }

    private struct Args
    {
        public float* A, B, Out;
        public int N;
        public int Next;   // next chunk to claim
    }

    private static void ForwardPart(void* context, int part, int parts)
    {
        ref var a = ref *(Args*)context;
        // Chunks are claimed one at a time, so a thread slowed by other work on its core does fewer;
        // every item is computed the same way by whichever thread takes it.
        while (WorkerPool.TryClaim(ref a.Next, a.N, 4096, out var start, out var end))
        {
            TensorPrimitives.Add(new ReadOnlySpan<float>(a.A + start, end - start), new ReadOnlySpan<float>(a.B + start, end - start),
                new Span<float>(a.Out + start, end - start));
        }
    }

    private static void BackwardPart(void* context, int part, int parts)
    {
        // Here Out holds dout, A holds dinp1 and B holds dinp2.
        ref var a = ref *(Args*)context;
        // Chunks are claimed one at a time, so a thread slowed by other work on its core does fewer;
        // every item is computed the same way by whichever thread takes it.
        while (WorkerPool.TryClaim(ref a.Next, a.N, 4096, out var start, out var end))
        {
            SimdMath.AddInPlace(a.Out + start, a.A + start, end - start);
            SimdMath.AddInPlace(a.Out + start, a.B + start, end - start);
        }
    }
}
