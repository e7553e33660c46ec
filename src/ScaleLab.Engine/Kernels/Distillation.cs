using System.Numerics;
using System.Runtime.Intrinsics;
using ScaleLab.Engine.Parallelism;

namespace ScaleLab.Engine.Kernels;

// The knowledge-distillation loss (Hinton, Vinyals & Dean 2015, "Distilling the Knowledge in a Neural Network", Sec. 2)
// fused over the vocabulary. N = rows (B·T flattened), V = vocab; zs = student logits, zt = teacher logits, y = target.
//
//   loss = (1 − λ)·CE(y, softmax(zs)) + λ·T²·KL(softmax(zt/T) ‖ softmax(zs/T))
//
// With p = softmax(zs), qs = softmax(zs/T), qt = softmax(zt/T):
//   d loss / d zs = (1 − λ)·(p − onehot(y)) + λ·T·(qs − qt)
// since d(−Σ qt·log qs)/d zs = (qs − qt)/T. The T² factor undoes the 1/T² shrinkage of the soft gradient at large T
// (for T ≫ |z|, qs − qt ≈ (zs − zt − mean)/(T·V)), so the KL term's gradient norm stays comparable across T (Hinton
// et al. 2015, end of Sec. 2.1); its direction then approaches the centred logit difference zs − zt.
//
// The forward pass stores that per-row gradient as its cache g (N,V); the backward pass is dlogits += dloss·g, the
// same shape as CrossEntropy's. A teacher logit of −∞ (a token the teacher rules out, or one cut by a top-k cache) is
// allowed: its qt is 0 and it adds nothing to the KL (0·log 0 = 0).
public static unsafe class Distillation
{
    /// <summary>Per row n: ce[n] = −log softmax(zs)[y]; kl[n] = KL(softmax(zt/T) ‖ softmax(zs/T)); losses[n] =
    /// (1 − λ)·ce + λ·T²·kl; cache[n,:] = d losses[n] / d zs[n,:]. Log-softmax is formed as (z − max) − log Σ e^{z − max}.
    /// studentLogits (N,V), teacherLogits (N,V), targets (N), losses (N), ce (N), kl (N), cache (N,V).</summary>
    public static void ForwardReference<TReal>(ReadOnlySpan<TReal> studentLogits, ReadOnlySpan<TReal> teacherLogits, ReadOnlySpan<int> targets,
        int N, int V, TReal temperature, TReal lambda, Span<TReal> losses, Span<TReal> ce, Span<TReal> kl, Span<TReal> cache)
        where TReal : IFloatingPointIeee754<TReal>
    {
        CheckArguments(studentLogits.Length, teacherLogits.Length, targets, N, V, double.CreateChecked(temperature), double.CreateChecked(lambda), losses.Length, ce.Length, kl.Length, cache.Length);
        var invT = TReal.One / temperature;
        for (var n = 0; n < N; n++)
        {
            var zs = studentLogits.Slice(n * V, V);
            var zt = teacherLogits.Slice(n * V, V);
            var g = cache.Slice(n * V, V);
            // log-sum-exp of zs, zs/T and zt/T about each row's max
            TReal maxS = TReal.NegativeInfinity, maxT = TReal.NegativeInfinity;
            for (var v = 0; v < V; v++)
            {
                maxS = TReal.Max(maxS, zs[v]);
                maxT = TReal.Max(maxT, zt[v]);
            }
            TReal sumP = TReal.Zero, sumQs = TReal.Zero, sumQt = TReal.Zero;
            for (var v = 0; v < V; v++)
            {
                sumP += TReal.Exp(zs[v] - maxS);
                sumQs += TReal.Exp((zs[v] - maxS) * invT);
                sumQt += TReal.Exp((zt[v] - maxT) * invT);
            }
            TReal logSumP = TReal.Log(sumP), logSumQs = TReal.Log(sumQs), logSumQt = TReal.Log(sumQt);
            var klRow = TReal.Zero;
            for (var v = 0; v < V; v++)
            {
                var logQs = (zs[v] - maxS) * invT - logSumQs;
                var logQt = (zt[v] - maxT) * invT - logSumQt;
                var qt = TReal.Exp(logQt);
                var qs = TReal.Exp(logQs);
                if (qt > TReal.Zero) klRow += qt * (logQt - logQs);
                var p = TReal.Exp(zs[v] - maxS - logSumP);
                g[v] = (TReal.One - lambda) * p + lambda * temperature * (qs - qt);
            }
            g[targets[n]] -= TReal.One - lambda;
            ce[n] = logSumP - (zs[targets[n]] - maxS);
            kl[n] = klRow;
            losses[n] = (TReal.One - lambda) * ce[n] + lambda * temperature * temperature * klRow;
        }
    }

    /// <summary>Differentiates Σ_n dlosses[n]·losses[n] with respect to the student logits, given the forward cache:
    /// dlogits[n,v] += dlosses[n]·cache[n,v]. cache (N,V), dlosses (N), dlogits (N,V).</summary>
    public static void BackwardReference<TReal>(ReadOnlySpan<TReal> cache, ReadOnlySpan<TReal> dlosses, int N, int V, Span<TReal> dlogits)
        where TReal : IFloatingPointIeee754<TReal>
    {
        for (var n = 0; n < N; n++)
        {
            for (var v = 0; v < V; v++) dlogits[n * V + v] += dlosses[n] * cache[n * V + v];
        }
    }

    /// <summary>Fast <see cref="ForwardReference{TReal}"/>: rows split across threads (each row is computed the same way
    /// by whichever thread takes it, so results do not depend on the thread count), softmaxes vectorised along V by
    /// <see cref="SimdMath.SoftmaxInPlace"/> (its row sums are taken in vector lanes and terms below 2^-64 of the row's
    /// largest are flushed to 0, so a flushed teacher term drops out of the KL), the KL's dot product in vector lanes.</summary>
    public static void Forward(ReadOnlySpan<float> studentLogits, ReadOnlySpan<float> teacherLogits, ReadOnlySpan<int> targets,
        int N, int V, float temperature, float lambda, Span<float> losses, Span<float> ce, Span<float> kl, Span<float> cache, WorkerPool? pool = null)
    {
        CheckArguments(studentLogits.Length, teacherLogits.Length, targets, N, V, temperature, lambda, losses.Length, ce.Length, kl.Length, cache.Length);
        fixed (float* pS = studentLogits, pT = teacherLogits, pL = losses, pCe = ce, pKl = kl, pG = cache)
        fixed (int* pY = targets)
        {
            var args = new Args
            {
                Student = pS, Teacher = pT, Targets = pY, Losses = pL, Ce = pCe, Kl = pKl, Cache = pG,
                N = N, V = V, Temperature = temperature, Lambda = lambda,
            };
            WorkerPool.Run(pool, &ForwardPart, &args);
        }
    }

    /// <summary>Fast <see cref="BackwardReference{TReal}"/>: dlogits[n,:] += dlosses[n]·cache[n,:], rows split across
    /// threads; adds into dlogits (<see cref="BackwardContract"/>).</summary>
    public static void Backward(ReadOnlySpan<float> cache, ReadOnlySpan<float> dlosses, int N, int V, Span<float> dlogits, WorkerPool? pool = null)
    {
        if (cache.Length < (long)N * V || dlogits.Length < (long)N * V || dlosses.Length < N)
        {
            throw new ArgumentException($"distillation backward needs cache and dlogits of N·V = {(long)N * V} and dlosses of N = {N} values");
        }
        fixed (float* pG = cache, pD = dlosses, pOut = dlogits)
        {
            var args = new Args { Cache = pG, Losses = pD, Student = pOut, N = N, V = V };
            WorkerPool.Run(pool, &BackwardPart, &args);
        }
    }

    private static void CheckArguments(int student, int teacher, ReadOnlySpan<int> targets, int N, int V, double temperature, double lambda,
        int losses, int ce, int kl, int cache)
    {
        if (N < 0 || V < 1) throw new ArgumentException($"distillation needs N ≥ 0 rows and V ≥ 1 tokens, got N = {N}, V = {V}");
        if (!(temperature > 0) || !double.IsFinite(temperature)) throw new ArgumentException($"temperature must be positive and finite, got {temperature}");
        if (!(lambda is >= 0 and <= 1)) throw new ArgumentException($"lambda must be in [0, 1], got {lambda}");
        var nv = (long)N * V;
        if (student < nv || teacher < nv || cache < nv) throw new ArgumentException($"student logits, teacher logits and cache need N·V = {nv} values");
        if (targets.Length < N || losses < N || ce < N || kl < N) throw new ArgumentException($"targets, losses, ce and kl need N = {N} values");
        for (var n = 0; n < N; n++)
        {
            if ((uint)targets[n] >= (uint)V) throw new ArgumentException($"target {targets[n]} at row {n} is outside the vocabulary 0..{V - 1}");
        }
    }

    private struct Args
    {
        public float* Student, Teacher, Losses, Ce, Kl, Cache;
        public int* Targets;
        public int N, V;
        public float Temperature, Lambda;
        public int Next;   // next chunk to claim
    }

    private static void ForwardPart(void* context, int part, int parts)
    {
        ref var a = ref *(Args*)context;
        var V = a.V;
        // Two rows of scratch per thread: p = softmax(zs) and qt = softmax(zt/T); the cache row holds qs, then g.
        var scratch = V <= 4096 ? stackalloc float[2 * V] : new float[2 * V];
        fixed (float* p = scratch)
        {
            var qt = p + V;
            float T = a.Temperature, invT = 1f / T, lambda = a.Lambda, soft = lambda * T;
            while (WorkerPool.TryClaim(ref a.Next, a.N, 16, out var start, out var end))
            {
                for (var n = start; n < end; n++)
                {
                    var zs = a.Student + (long)n * V;
                    var zt = a.Teacher + (long)n * V;
                    var g = a.Cache + (long)n * V;
                    new ReadOnlySpan<float>(zs, V).CopyTo(new Span<float>(p, V));
                    var sumP = SimdMath.SoftmaxInPlace(p, V, 1f, out var maxS);
                    new ReadOnlySpan<float>(zt, V).CopyTo(new Span<float>(qt, V));
                    var sumQt = SimdMath.SoftmaxInPlace(qt, V, invT, out var maxT);
                    new ReadOnlySpan<float>(zs, V).CopyTo(new Span<float>(g, V));
                    var sumQs = SimdMath.SoftmaxInPlace(g, V, invT, out _);
                    // KL = Σ qt·(log qt − log qs) = Σ qt·((zt − maxT) − (zs − maxS))/T + log Σqs − log Σqt, using Σ qt = 1;
                    // entries with qt = 0 are skipped (their zt may be −∞).
                    var klRow = invT * MaskedDot(qt, zt, maxT, zs, maxS, V) + (MathF.Log(sumQs) - MathF.Log(sumQt));
                    // g = (1 − λ)·p + λT·(qs − qt), then − (1 − λ) at the target
                    Mix(g, p, qt, 1f - lambda, soft, V);
                    var y = a.Targets[n];
                    g[y] -= 1f - lambda;
                    var ceRow = MathF.Log(sumP) - (zs[y] - maxS);
                    a.Ce[n] = ceRow;
                    a.Kl[n] = klRow;
                    a.Losses[n] = (1f - lambda) * ceRow + lambda * T * T * klRow;
                }
            }
        }
    }

    /// <summary>Σ_v qt[v]·(zt[v] − zs[v] − (maxT − maxS)) over the entries with qt[v] ≠ 0, in eight vector lanes
    /// and then the scalar tail (so the order differs from the reference's left-to-right sum by rounding only).</summary>
    private static float MaskedDot(float* qt, float* zt, float maxT, float* zs, float maxS, int n)
    {
        var i = 0;
        var sum = 0f;
        if (Vector256.IsHardwareAccelerated)
        {
            var acc = Vector256<float>.Zero;
            var shift = Vector256.Create(maxT - maxS);
            for (; i + 8 <= n; i += 8)
            {
                var q = Vector256.Load(qt + i);
                var d = Vector256.Load(zt + i) - Vector256.Load(zs + i) - shift;
                acc += Vector256.ConditionalSelect(Vector256.Equals(q, Vector256<float>.Zero), Vector256<float>.Zero, q * d);
            }
            sum = Vector256.Sum(acc);
        }
        for (; i < n; i++)
        {
            if (qt[i] != 0f) sum += qt[i] * (zt[i] - zs[i] - (maxT - maxS));
        }
        return sum;
    }

    /// <summary>g[v] ← a·p[v] + b·(g[v] − qt[v]) over n items, eight lanes at a time (each item rounded as in the scalar
    /// tail: products and sums unfused).</summary>
    private static void Mix(float* g, float* p, float* qt, float a, float b, int n)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a);
            var vb = Vector256.Create(b);
            for (; i + 8 <= n; i += 8)
            {
                Vector256.Store(va * Vector256.Load(p + i) + vb * (Vector256.Load(g + i) - Vector256.Load(qt + i)), g + i);
            }
        }
        for (; i < n; i++) g[i] = a * p[i] + b * (g[i] - qt[i]);
    }

    private static void BackwardPart(void* context, int part, int parts)
    {
        // Here Student holds dlogits and Losses holds dlosses.
        ref var a = ref *(Args*)context;
        var V = a.V;
        while (WorkerPool.TryClaim(ref a.Next, a.N, 16, out var start, out var end))
        {
            for (var n = start; n < end; n++) SimdMath.Axpy(a.Losses[n], a.Cache + (long)n * V, a.Student + (long)n * V, V);
        }
    }
}
