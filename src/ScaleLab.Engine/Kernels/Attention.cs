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

    /// <summary>Fast <see cref="ForwardReference{TReal}"/>: (b, h) pairs split across threads; per pair the scores
    /// Q·Kᵀ (T×T) and the output P·V (T×hs) are single-threaded SGEMMs over strided views of qkv. The full T×T
    /// product is formed and its upper triangle then masked: twice the causal FLOPs, but at matrix-multiply speed.
    /// Sums run in SGEMM order, not the reference's.</summary>
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
    /// processing that pair, so pairs split across threads without races and results do not depend on the thread count.
    /// Per pair: dP = dY·Vᵀ, dV += Pᵀ·dY, dS = P ⊙ (dP − rowsum(P ⊙ dP))/√hs, dQ += dS·K, dK += dSᵀ·Q — four SGEMMs
    /// and a row pass, with a T×T scratch per thread.</summary>
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
    }

    private static void ForwardPart(void* context, int part, int parts)
    {
        ref var a = ref *(Args*)context;
        int T = a.T, C = a.C, NH = a.NH, hs = C / NH, C3 = 3 * C;
        var scale = 1f / MathF.Sqrt(hs);
        var (p0, p1) = WorkerPool.Partition(a.B * NH, part, parts);
        for (var pair = p0; pair < p1; pair++)
        {
            int b = pair / NH, h = pair % NH;
            var q = a.Qkv + (long)b * T * C3 + h * hs;   // Q (T,hs), row stride 3C; K at +C, V at +2C
            var p = a.Att + (long)pair * T * T;           // P (T,T)
            var o = a.Out + (long)b * T * C + h * hs;     // Y (T,hs), row stride C
            new Span<float>(p, T * T).Clear();
            // S (T×T) = Q·Kᵀ: B[k=i, n=t2] = K[t2, i]
            Sgemm.Accumulate(q, C3, 1, q + C, 1, C3, p, T, T, T, hs, null);
            for (var t = 0; t < T; t++)
            {
                SimdMath.SoftmaxInPlace(p + (long)t * T, t + 1, scale, out _);
                new Span<float>(p + (long)t * T + t + 1, T - t - 1).Clear();
            }
            for (var t = 0; t < T; t++) new Span<float>(o + (long)t * C, hs).Clear();
            // Y (T×hs) = P·V
            Sgemm.Accumulate(p, T, 1, q + 2 * C, C3, 1, o, C, T, hs, T, null);
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
        var (p0, p1) = WorkerPool.Partition(a.B * NH, part, parts);
        fixed (float* ds = t_scratch)
        {
            for (var pair = p0; pair < p1; pair++)
            {
                int b = pair / NH, h = pair % NH;
                var q = a.Qkv + (long)b * T * C3 + h * hs;
                var dq = a.Dqkv + (long)b * T * C3 + h * hs;
                var p = a.Att + (long)pair * T * T;
                var dy = a.Dout + (long)b * T * C + h * hs;
                new Span<float>(ds, T * T).Clear();
                // dP (T×T) = dY·Vᵀ
                Sgemm.Accumulate(dy, C, 1, q + 2 * C, 1, C3, ds, T, T, T, hs, null);
                // dV (T×hs) += Pᵀ·dY: A[m=t2, k=t] = P[t, t2]
                Sgemm.Accumulate(p, 1, T, dy, C, 1, dq + 2 * C, C3, T, hs, T, null);
                for (var t = 0; t < T; t++)
                {
                    // dS[t,:] = P[t,:] ⊙ (dP[t,:] − P[t,:]·dP[t,:]) / √hs
                    var pr = p + (long)t * T;
                    var dr = ds + (long)t * T;
                    var pdp = SimdMath.Dot(pr, dr, t + 1);
                    for (var t2 = 0; t2 <= t; t2++) dr[t2] = (dr[t2] - pdp) * pr[t2] * scale;
                    new Span<float>(ds + (long)t * T + t + 1, T - t - 1).Clear();
                }
                // dQ (T×hs) += dS·K
                Sgemm.Accumulate(ds, T, 1, q + C, C3, 1, dq, C3, T, hs, T, null);
                // dK (T×hs) += dSᵀ·Q
                Sgemm.Accumulate(ds, 1, T, q, C3, 1, dq + C, C3, T, hs, T, null);
            }
        }
    }
}
