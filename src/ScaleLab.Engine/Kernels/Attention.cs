using System.Numerics;
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

    /// <summary>Fast <see cref="ForwardReference{TReal}"/>: (b, h) pairs split across threads, each pair's rows written
    /// by one thread; dot products and sums vectorised over the head size (lane-wise sums round differently from the reference).</summary>
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
    /// A scratch row of T floats lives on each thread's stack.</summary>
    public static void Backward(ReadOnlySpan<float> dout, ReadOnlySpan<float> qkv, ReadOnlySpan<float> att,
        int B, int T, int C, int NH, Span<float> dqkv, WorkerPool? pool = null)
    {
        fixed (float* pDout = dout, pQkv = qkv, pAtt = att, pDqkv = dqkv)
        {
            var args = new Args { Dout = pDout, Qkv = pQkv, Att = pAtt, Dqkv = pDqkv, B = B, T = T, C = C, NH = NH };
            WorkerPool.Run(pool, &BackwardPart, &args);
        }
    }

    private struct Args
    {
        public float* Qkv, Out, Att, Dout, Dqkv;
        public int B, T, C, NH;
    }

    private static void ForwardPart(void* context, int part, int parts)
    {
        ref var a = ref *(Args*)context;
        int T = a.T, C = a.C, NH = a.NH, hs = C / NH;
        var scale = 1f / MathF.Sqrt(hs);
        var (p0, p1) = WorkerPool.Partition(a.B * NH, part, parts);
        for (var pair = p0; pair < p1; pair++)
        {
            int b = pair / NH, h = pair % NH;
            var baseQkv = a.Qkv + (long)b * T * 3 * C + h * hs;
            for (var t = 0; t < T; t++)
            {
                var q = baseQkv + (long)t * 3 * C;
                var row = a.Att + ((long)pair * T + t) * T;
                var max = float.NegativeInfinity;
                for (var t2 = 0; t2 <= t; t2++)
                {
                    var s = SimdMath.Dot(q, baseQkv + (long)t2 * 3 * C + C, hs) * scale;
                    row[t2] = s;
                    max = MathF.Max(max, s);
                }
                var live = new Span<float>(row, t + 1);
                System.Numerics.Tensors.TensorPrimitives.Subtract(live, max, live);
                System.Numerics.Tensors.TensorPrimitives.Exp(live, live);
                var sum = System.Numerics.Tensors.TensorPrimitives.Sum(live);
                System.Numerics.Tensors.TensorPrimitives.Multiply(live, 1f / sum, live);
                new Span<float>(row + t + 1, T - t - 1).Clear();
                var o = a.Out + ((long)b * T + t) * C + h * hs;
                new Span<float>(o, hs).Clear();
                for (var t2 = 0; t2 <= t; t2++)
                {
                    SimdMath.Axpy(row[t2], baseQkv + (long)t2 * 3 * C + 2 * C, o, hs);
                }
            }
        }
    }

    private static void BackwardPart(void* context, int part, int parts)
    {
        ref var a = ref *(Args*)context;
        int T = a.T, C = a.C, NH = a.NH, hs = C / NH;
        var scale = 1f / MathF.Sqrt(hs);
        var dp = stackalloc float[T];
        var (p0, p1) = WorkerPool.Partition(a.B * NH, part, parts);
        for (var pair = p0; pair < p1; pair++)
        {
            int b = pair / NH, h = pair % NH;
            var baseQkv = a.Qkv + (long)b * T * 3 * C + h * hs;
            var baseD = a.Dqkv + (long)b * T * 3 * C + h * hs;
            for (var t = 0; t < T; t++)
            {
                var row = a.Att + ((long)pair * T + t) * T;
                var d = a.Dout + ((long)b * T + t) * C + h * hs;
                var pdp = 0f;
                for (var t2 = 0; t2 <= t; t2++)
                {
                    var dot = SimdMath.Dot(d, baseQkv + (long)t2 * 3 * C + 2 * C, hs);
                    SimdMath.Axpy(row[t2], d, baseD + (long)t2 * 3 * C + 2 * C, hs);
                    dp[t2] = dot;
                    pdp += row[t2] * dot;
                }
                var q = baseQkv + (long)t * 3 * C;
                var dq = baseD + (long)t * 3 * C;
                for (var t2 = 0; t2 <= t; t2++)
                {
                    var ds = row[t2] * (dp[t2] - pdp) * scale;
                    SimdMath.Axpy(ds, baseQkv + (long)t2 * 3 * C + C, dq, hs);
                    SimdMath.Axpy(ds, q, baseD + (long)t2 * 3 * C + C, hs);
                }
            }
        }
    }
}
