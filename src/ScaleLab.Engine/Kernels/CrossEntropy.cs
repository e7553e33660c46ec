using System.Numerics;
using System.Numerics.Tensors;
using ScaleLab.Engine.Parallelism;

namespace ScaleLab.Engine.Kernels;

// Softmax over the vocabulary fused with the cross-entropy loss of the target token.
// N = rows (B·T flattened), V = vocab.
public static unsafe class CrossEntropy
{
    /// <summary>probs[n,:] = softmax(logits[n,:]); losses[n] = −log probs[n, targets[n]], computed as
    /// log Σ exp(l − max) − (l_target − max) so a tiny probability does not underflow to log 0.
    /// logits (N,V), targets (N), probs (N,V), losses (N).</summary>
    public static void ForwardReference<TReal>(ReadOnlySpan<TReal> logits, ReadOnlySpan<int> targets, int N, int V,
        Span<TReal> probs, Span<TReal> losses) where TReal : IFloatingPointIeee754<TReal>
    {
        for (var n = 0; n < N; n++)
        {
            var row = logits.Slice(n * V, V);
            var p = probs.Slice(n * V, V);
            var max = TReal.NegativeInfinity;
            for (var v = 0; v < V; v++) max = TReal.Max(max, row[v]);
            var sum = TReal.Zero;
            for (var v = 0; v < V; v++)
            {
                p[v] = TReal.Exp(row[v] - max);
                sum += p[v];
            }
            for (var v = 0; v < V; v++) p[v] /= sum;
            losses[n] = TReal.Log(sum) - (row[targets[n]] - max);
        }
    }

    /// <summary>Differentiates Σ_n dlosses[n]·losses[n] with respect to the logits:
    /// dlogits[n,v] += (probs[n,v] − [v = targets[n]])·dlosses[n]. probs (N,V), targets (N), dlosses (N), dlogits (N,V).</summary>
    public static void BackwardReference<TReal>(ReadOnlySpan<TReal> probs, ReadOnlySpan<int> targets, ReadOnlySpan<TReal> dlosses,
        int N, int V, Span<TReal> dlogits) where TReal : IFloatingPointIeee754<TReal>
    {
        for (var n = 0; n < N; n++)
        {
            for (var v = 0; v < V; v++)
            {
                var indicator = v == targets[n] ? TReal.One : TReal.Zero;
                dlogits[n * V + v] += (probs[n * V + v] - indicator) * dlosses[n];
            }
        }
    }

    /// <summary>Fast <see cref="ForwardReference{TReal}"/>: rows split across threads, vectorised along V
    /// (the row sum is taken in vector lanes; e^x by SimdMath.Exp).</summary>
    public static void Forward(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int N, int V,
        Span<float> probs, Span<float> losses, WorkerPool? pool = null)
    {
        fixed (float* pLogits = logits, pProbs = probs, pLosses = losses)
        fixed (int* pTargets = targets)
        {
            var args = new Args { Logits = pLogits, Targets = pTargets, Probs = pProbs, Losses = pLosses, N = N, V = V };
            WorkerPool.Run(pool, &ForwardPart, &args);
        }
    }

    /// <summary>Fast <see cref="BackwardReference{TReal}"/>: rows split across threads; adds p·d to each entry and then
    /// subtracts d at the target, where the reference adds (p − 1)·d. Adds into dlogits (<see cref="BackwardContract"/>).</summary>
    public static void Backward(ReadOnlySpan<float> probs, ReadOnlySpan<int> targets, ReadOnlySpan<float> dlosses,
        int N, int V, Span<float> dlogits, WorkerPool? pool = null)
    {
        fixed (float* pProbs = probs, pDlosses = dlosses, pDlogits = dlogits)
        fixed (int* pTargets = targets)
        {
            var args = new Args { Probs = pProbs, Targets = pTargets, Losses = pDlosses, Logits = pDlogits, N = N, V = V };
            WorkerPool.Run(pool, &BackwardPart, &args);
        }
    }

    private struct Args
    {
        public float* Logits, Probs, Losses;
        public int* Targets;
        public int N, V;
        public int Next;   // next chunk to claim
    }

    private static void ForwardPart(void* context, int part, int parts)
    {
        ref var a = ref *(Args*)context;
        var V = a.V;
        // Chunks are claimed one at a time, so a thread slowed by other work on its core does fewer;
        // every item is computed the same way by whichever thread takes it.
        while (WorkerPool.TryClaim(ref a.Next, a.N, 16, out var start, out var end))
        {
            for (var n = start; n < end; n++)
            {
                var row = a.Logits + (long)n * V;
                var p = a.Probs + (long)n * V;
                new ReadOnlySpan<float>(row, V).CopyTo(new Span<float>(p, V));
                var sum = SimdMath.SoftmaxInPlace(p, V, 1f, out var max);
                a.Losses[n] = MathF.Log(sum) - (row[a.Targets[n]] - max);
            }
        }
    }

    private static void BackwardPart(void* context, int part, int parts)
    {
        // Here Logits holds dlogits and Losses holds dlosses.
        ref var a = ref *(Args*)context;
        var V = a.V;
        // Chunks are claimed one at a time, so a thread slowed by other work on its core does fewer;
        // every item is computed the same way by whichever thread takes it.
        while (WorkerPool.TryClaim(ref a.Next, a.N, 16, out var start, out var end))
        {
            for (var n = start; n < end; n++)
            {
                var d = new Span<float>(a.Logits + (long)n * V, V);
                var dl = a.Losses[n];
                // d += p·dl, rounded as p·dl then added (not fused), so into zeros it stores p·dl exactly.
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(a.Probs + (long)n * V, V), dl, d, d);
                d[a.Targets[n]] -= dl;
            }
        }
    }
}
