using System.Numerics;
using System.Numerics.Tensors;
using ScaleLab.Engine.Parallelism;

namespace ScaleLab.Engine.Kernels;

// Causal multi-head self-attention (Vaswani et al. 2017, eq. 1) on a packed qkv buffer.
// B = batch, T = sequence, C = channels, NH = heads, hs = C/NH = head size.
// qkv[b,t,:] holds q (C), then k (C), then v (C); head h uses channels h·hs .. (h+1)·hs of each.
public static unsafe class Attention
{
    /// <summary>att[b,h,t,:] = softmax_t2≤t(q_t·k_t2/√hs) (zero for t2 > t); out[b,t,h·hs+i] = Σ_t2 att[b,h,t,t2]·v_t2[i].
    /// qkv (B,T,3C), output (B,T,C), att (B,NH,T,T) cached for the backward pass.</summary>
    public static void ForwardReference<TReal>(ReadOnlySpan<TReal> qkv, int B, int T, int C, int NH,
        Span<TReal> output, Span<TReal> att) where TReal : IFloatingPointIeee754<TReal>
    {
        var hs = C / NH;
        var scale = TReal.One / TReal.Sqrt(TReal.CreateChecked(hs));
        for (var b = 0; b < B; b++)
        {
            for (var t = 0; t < T; t++)
            {
                for (var h = 0; h < NH; h++)
                {
                    var q = (b * T + t) * 3 * C + h * hs;
                    var row = att.Slice(((b * NH + h) * T + t) * T, T);
                    var max = TReal.NegativeInfinity;
                    for (var t2 = 0; t2 <= t; t2++)
                    {
                        var k = (b * T + t2) * 3 * C + C + h * hs;
                        var dot = TReal.Zero;
                        for (var i = 0; i < hs; i++) dot += qkv[q + i] * qkv[k + i];
                        row[t2] = dot * scale;
                        max = TReal.Max(max, row[t2]);
                    }
                    var sum = TReal.Zero;
                    for (var t2 = 0; t2 <= t; t2++)
                    {
                        row[t2] = TReal.Exp(row[t2] - max);
                        sum += row[t2];
                    }
                    for (var t2 = 0; t2 < T; t2++) row[t2] = t2 <= t ? row[t2] / sum : TReal.Zero;
                    var o = (b * T + t) * C + h * hs;
                    for (var i = 0; i < hs; i++)
                    {
                        var val = TReal.Zero;
                        for (var t2 = 0; t2 <= t; t2++) val += row[t2] * qkv[(b * T + t2) * 3 * C + 2 * C + h * hs + i];
                        output[o + i] = val;
                    }
                }
            }
        }
    }

    /// <summary>Differentiates the forward lines: with p = att row and s = pre-softmax scores,
    /// dp[t2] = dout_t·v_t2, dv_t2 += p[t2]·dout_t, ds[t2] = p[t2]·(dp[t2] − Σ p·dp) (softmax Jacobian),
    /// dq_t += Σ ds[t2]·k_t2/√hs, dk_t2 += ds[t2]·q_t/√hs.
    /// dout (B,T,C), qkv (B,T,3C), att (B,NH,T,T); dqkv (B,T,3C).</summary>
    public static void BackwardReference<TReal>(ReadOnlySpan<TReal> dout, ReadOnlySpan<TReal> qkv, ReadOnlySpan<TReal> att,
        int B, int T, int C, int NH, Span<TReal> dqkv) where TReal : IFloatingPointIeee754<TReal>
    {
        var hs = C / NH;
        var scale = TReal.One / TReal.Sqrt(TReal.CreateChecked(hs));
        var dp = new TReal[T];
        for (var b = 0; b < B; b++)
        {
            for (var t = 0; t < T; t++)
            {
                for (var h = 0; h < NH; h++)
                {
                    var row = att.Slice(((b * NH + h) * T + t) * T, T);
                    var q = (b * T + t) * 3 * C + h * hs;
                    var d = (b * T + t) * C + h * hs;
                    var pdp = TReal.Zero;
                    for (var t2 = 0; t2 <= t; t2++)
                    {
                        var v = (b * T + t2) * 3 * C + 2 * C + h * hs;
                        var dot = TReal.Zero;
                        for (var i = 0; i < hs; i++)
                        {
                            dot += dout[d + i] * qkv[v + i];
                            dqkv[v + i] += row[t2] * dout[d + i];
                        }
                        dp[t2] = dot;
                        pdp += row[t2] * dot;
                    }
                    for (var t2 = 0; t2 <= t; t2++)
                    {
                        var ds = row[t2] * (dp[t2] - pdp) * scale;
                        var k = (b * T + t2) * 3 * C + C + h * hs;
                        for (var i = 0; i < hs; i++)
                        {
                            dqkv[q + i] += ds * qkv[k + i];
                            dqkv[k + i] += ds * qkv[q + i];
                        }
                    }
                }
            }
        }
    }

    /// <summary>Fast <see cref="ForwardReference{TReal}"/>: (b, h) pairs claimed by the threads one at a time; per pair the scores
    /// Q·Kᵀ (T×T) and the output P·V (T×hs) are single-threaded SGEMMs over strided views of qkv, one per block of
    /// <see cref="CausalBlock"/> rows, each only as wide as the causal mask lets that block see (the upper triangle
    /// inside a diagonal block is computed and then masked). Sums run in SGEMM order, not the reference's.</summary>
    public static void Forward(ReadOnlySpan<float> qkv, int B, int T, int C, int NH, Span<float> output, Span<float> att,
        WorkerPool? pool = null)
    {
        fixed (float* pQkv = qkv, pOut = output, pAtt = att)
        {
            var args = new Args { Qkv = pQkv, Out = pOut, Att = pAtt, B = B, T = T, C = C, NH = NH };
            WorkerPool.Run(pool, &ForwardPart, &args);
        }
    }

    /// <summary>Fast <see cref="BackwardReference{TReal}"/>: dq, dk, dv of a (b, h) pair are written only while
    /// processing that pair, so pairs are claimed by the threads one at a time without races, and results depend
    /// neither on the thread count nor on which thread took a pair.
    /// Per pair: dP = dY·Vᵀ, dV += Pᵀ·dY, dS = P ⊙ (dP − rowsum(P ⊙ dP))/√hs, dQ += dS·K, dK += dSᵀ·Q — four SGEMMs
    /// per causal row block (as in the forward pass) and a row pass, with a T×T scratch per thread. Unlike the
    /// reference, dqkv is overwritten (each of dQ, dK, dV row block is one product), not added to.</summary>
    public static void Backward(ReadOnlySpan<float> dout, ReadOnlySpan<float> qkv, ReadOnlySpan<float> att,
        int B, int T, int C, int NH, Span<float> dqkv, WorkerPool? pool = null)
    {
        fixed (float* pDout = dout, pQkv = qkv, pAtt = att, pDqkv = dqkv)
        {
            var args = new Args { Dout = pDout, Qkv = pQkv, Att = pAtt, Dqkv = pDqkv, B = B, T = T, C = C, NH = NH };
            WorkerPool.Run(pool, &BackwardPart, &args);
        }
    }

    [ThreadStatic] private static float[]? t_scratch;

    private struct Args
    {
        public float* Qkv, Out, Att, Dout, Dqkv;
        public int B, T, C, NH;
        public int NextPair;   // the next (b, h) pair to claim
    }

    /// <summary>Rows per causal block. Row block [r0, r1) of S = Q·Kᵀ, of Y = P·V, of dP and of dQ needs only the
    /// columns (or k-range) t2 &lt; r1; row block [c0, c1) of dV = Pᵀ·dY and dK = dSᵀ·Q needs only t ≥ c0. A multiple
    /// of the SGEMM microkernel's <see cref="Sgemm.MR"/>, so blocks are whole slivers. For T = 128 the blocked
    /// products do 59% of the full T×T work.</summary>
    private const int CausalBlock = 24;

    private static void ForwardPart(void* context, int part, int parts)
    {
        ref var a = ref *(Args*)context;
        int T = a.T, C = a.C, NH = a.NH, hs = C / NH, C3 = 3 * C;
        var scale = 1f / MathF.Sqrt(hs);
        // Pairs are claimed one at a time (a slowed thread does fewer); each is computed the same way by any thread.
        for (var pair = Interlocked.Increment(ref a.NextPair) - 1; pair < a.B * NH; pair = Interlocked.Increment(ref a.NextPair) - 1)
        {
            int b = pair / NH, h = pair % NH;
            var q = a.Qkv + (long)b * T * C3 + h * hs;   // Q (T,hs), row stride 3C; K at +C, V at +2C
            var p = a.Att + (long)pair * T * T;           // P (T,T)
            var o = a.Out + (long)b * T * C + h * hs;     // Y (T,hs), row stride C
            for (var r0 = 0; r0 < T; r0 += CausalBlock)
            {
                var r1 = Math.Min(T, r0 + CausalBlock);
                // S[r0..r1, 0..r1) = Q[r0..r1]·K[0..r1]ᵀ: B[k=i, n=t2] = K[t2, i]
                Sgemm.Multiply(q + (long)r0 * C3, C3, 1, q + C, 1, C3, p + (long)r0 * T, T, r1 - r0, r1, hs, null, null);
            }
            for (var t = 0; t < T; t++)
            {
                SimdMath.SoftmaxInPlace(p + (long)t * T, t + 1, scale, out _);
                new Span<float>(p + (long)t * T + t + 1, T - t - 1).Clear();
            }
            for (var r0 = 0; r0 < T; r0 += CausalBlock)
            {
                var r1 = Math.Min(T, r0 + CausalBlock);
                // Y[r0..r1] (×hs) = P[r0..r1, 0..r1)·V[0..r1]
                Sgemm.Multiply(p + (long)r0 * T, T, 1, q + 2 * C, C3, 1, o + (long)r0 * C, C, r1 - r0, hs, r1, null, null);
            }
        }
    }

    private static void BackwardPart(void* context, int part, int parts)
    {
        ref var a = ref *(Args*)context;
        int T = a.T, C = a.C, NH = a.NH, hs = C / NH, C3 = 3 * C;
        var scale = 1f / MathF.Sqrt(hs);
        if (t_scratch is null || t_scratch.Length < T * T)
        {
            t_scratch = GC.AllocateArray<float>(T * T, pinned: true);
        }
        fixed (float* ds = t_scratch)
        {
            for (var pair = Interlocked.Increment(ref a.NextPair) - 1; pair < a.B * NH; pair = Interlocked.Increment(ref a.NextPair) - 1)
            {
                int b = pair / NH, h = pair % NH;
                var q = a.Qkv + (long)b * T * C3 + h * hs;
                var dq = a.Dqkv + (long)b * T * C3 + h * hs;
                var p = a.Att + (long)pair * T * T;
                var dy = a.Dout + (long)b * T * C + h * hs;
                for (var r0 = 0; r0 < T; r0 += CausalBlock)
                {
                    var r1 = Math.Min(T, r0 + CausalBlock);
                    // dP[r0..r1, 0..r1) = dY[r0..r1]·V[0..r1]ᵀ
                    Sgemm.Multiply(dy + (long)r0 * C, C, 1, q + 2 * C, 1, C3, ds + (long)r0 * T, T, r1 - r0, r1, hs, null, null);
                    // dV[r0..r1] = P[r0..T, r0..r1)ᵀ·dY[r0..T]: A[m=t2−r0, k=t−r0] = P[t, t2]
                    Sgemm.Multiply(p + (long)r0 * T + r0, 1, T, dy + (long)r0 * C, C, 1, dq + 2 * C + (long)r0 * C3, C3,
                        r1 - r0, hs, T - r0, null, null);
                }
                for (var t = 0; t < T; t++)
                {
                    // dS[t,:] = P[t,:] ⊙ (dP[t,:] − P[t,:]·dP[t,:]) / √hs
                    var pr = p + (long)t * T;
                    var dr = ds + (long)t * T;
                    var pdp = SimdMath.Dot(pr, dr, t + 1);
                    SimdMath.SoftmaxBackwardInPlace(dr, pr, t + 1, pdp, scale);
                    // dK's diagonal block reads dS[t, t+1 .. block end): zero there, as P is.
                    var blockEnd = Math.Min(T, (t / CausalBlock + 1) * CausalBlock);
                    new Span<float>(dr + t + 1, blockEnd - t - 1).Clear();
                }
                for (var r0 = 0; r0 < T; r0 += CausalBlock)
                {
                    var r1 = Math.Min(T, r0 + CausalBlock);
                    // dQ[r0..r1] = dS[r0..r1, 0..r1)·K[0..r1]
                    Sgemm.Multiply(ds + (long)r0 * T, T, 1, q + C, C3, 1, dq + (long)r0 * C3, C3, r1 - r0, hs, r1, null, null);
                    // dK[r0..r1] = dS[r0..T, r0..r1)ᵀ·Q[r0..T]
                    Sgemm.Multiply(ds + (long)r0 * T + r0, 1, T, q + (long)r0 * C3, C3, 1, dq + C + (long)r0 * C3, C3,
                        r1 - r0, hs, T - r0, null, null);
                }
            }
        }
    }
}
