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

    /// <summary>Fast <see cref="ForwardReference{TReal}"/>: (b, h) pairs claimed by the threads one at a time. Per pair, Q and
    /// V are packed once into the SGEMM's MR-row slivers and NR-column panels and Kᵀ once into panels; the scores
    /// S = Q·Kᵀ are then computed tile by tile only up to the diagonal (the part of a diagonal tile above it is
    /// computed and then masked), and Y = P·V sliver by sliver with each sliver's sum running only over the keys
    /// its rows can see. Every sum runs in k order, as one SGEMM K-block would; not in the reference's order.</summary>
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
    /// Per pair: dP = dY·Vᵀ, dV = Pᵀ·dY, dS = P ⊙ (dP − rowsum(P ⊙ dP))/√hs, dQ = dS·K, dK = dSᵀ·Q — four products
    /// over operands packed once per pair (as in the forward pass, each causal: a sliver's sum runs only over the
    /// rows or columns the mask leaves non-zero) and a row pass, with a T×T scratch per thread. Adds into dqkv
    /// (<see cref="BackwardContract"/>).</summary>
    public static void Backward(ReadOnlySpan<float> dout, ReadOnlySpan<float> qkv, ReadOnlySpan<float> att,
        int B, int T, int C, int NH, Span<float> dqkv, WorkerPool? pool = null)
    {
        fixed (float* pDout = dout, pQkv = qkv, pAtt = att, pDqkv = dqkv)
        {
            var args = new Args { Dout = pDout, Qkv = pQkv, Att = pAtt, Dqkv = pDqkv, B = B, T = T, C = C, NH = NH };
            WorkerPool.Run(pool, &BackwardPart, &args);
        }
    }

    private const int MR = Sgemm.MR;
    private const int NR = Sgemm.NR;

    [ThreadStatic] private static float[]? t_scratch;

    private struct Args
    {
        public float* Qkv, Out, Att, Dout, Dqkv;
        public int B, T, C, NH;
        public int NextPair;   // the next (b, h) pair to claim
    }

    /// <summary>The calling thread's scratch, at least <paramref name="floats"/> long and 64-byte aligned.</summary>
    private static float[] Scratch(long floats)
    {
        if (t_scratch is null || t_scratch.LongLength < floats + 16)
        {
            t_scratch = GC.AllocateArray<float>((int)(floats + 16), pinned: true);
        }
        return t_scratch;
    }

    private static int RoundUp(int x, int unit) => (x + unit - 1) / unit * unit;

    /// <summary>Floats of a pack of a rows×cols matrix into MR-row slivers (rows padded to MR), rounded to a cache line.</summary>
    private static int SliverFloats(int rows, int cols) => RoundUp(RoundUp(rows, MR) * cols, 16);

    /// <summary>Floats of a pack of a rows×cols matrix into NR-column panels (columns padded to NR).</summary>
    private static int PanelFloats(int rows, int cols) => RoundUp(rows * RoundUp(cols, NR), 16);

    /// <summary>C[r, c] = X[r, ·]·Y[c, ·] for every tile of rows r and columns c with a column at or left of the diagonal
    /// (c ≤ r for some row of the tile): xs = X packed in slivers (T×hs), yt = Yᵀ packed in panels (hs×T); C row stride ldc.</summary>
    private static void CausalScores(float* xs, float* yt, float* c, int ldc, int T, int hs, float* tile)
    {
        for (var r0 = 0; r0 < T; r0 += MR)
        {
            var rows = Math.Min(MR, T - r0);
            var last = r0 + rows - 1;
            for (var c0 = 0; c0 <= last; c0 += NR)
            {
                Sgemm.StoreTile(hs, xs + (long)r0 * hs, yt + (long)c0 * hs, c + (long)r0 * ldc + c0, ldc, rows, Math.Min(NR, T - c0), tile);
            }
        }
    }

    /// <summary>Out[r, ·] = Σ_{t ≤ end of r's sliver} M[r, t]·Y[t, ·] for a lower-triangular T×T matrix M (row stride T, zero above
    /// the diagonal up to each sliver's end): each MR-row sliver of M is packed (only the columns it can have non-zero) and
    /// multiplied by yp = Y packed in panels (T×hs). Out row stride ldo; stored, or added to Out with <paramref name="accumulate"/>.</summary>
    private static void LowerTimes(float* m, float* yp, float* o, int ldo, int T, int hs, float* sliver, float* tile, bool accumulate)
    {
        for (var r0 = 0; r0 < T; r0 += MR)
        {
            var rows = Math.Min(MR, T - r0);
            var kc = r0 + rows;
            Sgemm.PackA(m + (long)r0 * T, T, 1, rows, kc, sliver);
            for (var c0 = 0; c0 < hs; c0 += NR)
            {
                Sgemm.StoreTile(kc, sliver, yp + (long)c0 * T, o + (long)r0 * ldo + c0, ldo, rows, Math.Min(NR, hs - c0), tile, accumulate);
            }
        }
    }

    /// <summary>Out[r, ·] = Σ_{t ≥ start of r's sliver} M[t, r]·Y[t, ·]: Mᵀ·Y for the same lower-triangular M, each MR-column
    /// sliver of M read from its sliver's first row down (the rows above it are zero in those columns).</summary>
    private static void LowerTransposedTimes(float* m, float* yp, float* o, int ldo, int T, int hs, float* sliver, float* tile, bool accumulate)
    {
        for (var r0 = 0; r0 < T; r0 += MR)
        {
            var rows = Math.Min(MR, T - r0);
            var kc = T - r0;
            Sgemm.PackA(m + (long)r0 * T + r0, 1, T, rows, kc, sliver);
            for (var c0 = 0; c0 < hs; c0 += NR)
            {
                Sgemm.StoreTile(kc, sliver, yp + (long)c0 * T + (long)r0 * NR, o + (long)r0 * ldo + c0, ldo, rows, Math.Min(NR, hs - c0), tile, accumulate);
            }
        }
    }

    private static void ForwardPart(void* context, int part, int parts)
    {
        ref var a = ref *(Args*)context;
        int T = a.T, C = a.C, NH = a.NH, hs = C / NH, C3 = 3 * C;
        var scale = 1f / MathF.Sqrt(hs);
        int qsLen = SliverFloats(T, hs), ktLen = PanelFloats(hs, T), vpLen = PanelFloats(T, hs), slLen = SliverFloats(MR, T);
        fixed (float* raw = Scratch((long)qsLen + ktLen + vpLen + slLen + MR * NR))
        {
            var qs = Sgemm.AlignTo64(raw);   // Q in slivers
            var kt = qs + qsLen;             // Kᵀ in panels
            var vp = kt + ktLen;             // V in panels
            var sliver = vp + vpLen;         // one sliver of P
            var tile = sliver + slLen;
            // Pairs are claimed one at a time (a slowed thread does fewer); each is computed the same way by any thread.
            for (var pair = Interlocked.Increment(ref a.NextPair) - 1; pair < a.B * NH; pair = Interlocked.Increment(ref a.NextPair) - 1)
            {
                int b = pair / NH, h = pair % NH;
                var q = a.Qkv + (long)b * T * C3 + h * hs;   // Q (T,hs), row stride 3C; K at +C, V at +2C
                var p = a.Att + (long)pair * T * T;           // P (T,T)
                var o = a.Out + (long)b * T * C + h * hs;     // Y (T,hs), row stride C
                Sgemm.PackA(q, C3, 1, T, hs, qs);
                Sgemm.PackB(q + C, 1, C3, hs, T, kt);
                CausalScores(qs, kt, p, T, T, hs, tile);
                for (var t = 0; t < T; t++)
                {
                    SimdMath.SoftmaxInPlace(p + (long)t * T, t + 1, scale, out _);
                    new Span<float>(p + (long)t * T + t + 1, T - t - 1).Clear();
                }
                Sgemm.PackB(q + 2 * C, C3, 1, T, hs, vp);
                LowerTimes(p, vp, o, C, T, hs, sliver, tile, accumulate: false);
            }
        }
    }

    private static void BackwardPart(void* context, int part, int parts)
    {
        ref var a = ref *(Args*)context;
        int T = a.T, C = a.C, NH = a.NH, hs = C / NH, C3 = 3 * C;
        var scale = 1f / MathF.Sqrt(hs);
        int dsLen = RoundUp(T * T, 16), sLen = SliverFloats(T, hs), tLen = PanelFloats(hs, T), pLen = PanelFloats(T, hs), slLen = SliverFloats(MR, T);
        fixed (float* raw = Scratch((long)dsLen + sLen + tLen + 2L * pLen + slLen + MR * NR))
        {
            var ds = Sgemm.AlignTo64(raw);   // dP, then dS (T,T)
            var xs = ds + dsLen;             // dY in slivers
            var xt = xs + sLen;              // Vᵀ in panels
            var yp = xt + tLen;              // dY, then K, in panels
            var zp = yp + pLen;              // Q in panels
            var sliver = zp + pLen;
            var tile = sliver + slLen;
            for (var pair = Interlocked.Increment(ref a.NextPair) - 1; pair < a.B * NH; pair = Interlocked.Increment(ref a.NextPair) - 1)
            {
                int b = pair / NH, h = pair % NH;
                var q = a.Qkv + (long)b * T * C3 + h * hs;
                var dq = a.Dqkv + (long)b * T * C3 + h * hs;
                var p = a.Att + (long)pair * T * T;
                var dy = a.Dout + (long)b * T * C + h * hs;
                // dP = dY·Vᵀ (up to the diagonal)
                Sgemm.PackA(dy, C, 1, T, hs, xs);
                Sgemm.PackB(q + 2 * C, 1, C3, hs, T, xt);
                CausalScores(xs, xt, ds, T, T, hs, tile);
                // dV += Pᵀ·dY
                Sgemm.PackB(dy, C, 1, T, hs, yp);
                LowerTransposedTimes(p, yp, dq + 2 * C, C3, T, hs, sliver, tile, accumulate: true);
                for (var t = 0; t < T; t++)
                {
                    // dS[t,:] = P[t,:] ⊙ (dP[t,:] − P[t,:]·dP[t,:]) / √hs
                    var pr = p + (long)t * T;
                    var dr = ds + (long)t * T;
                    var pdp = SimdMath.Dot(pr, dr, t + 1);
                    SimdMath.SoftmaxBackwardInPlace(dr, pr, t + 1, pdp, scale);
                    // The products below read dS[t, t+1 .. end of t's sliver): zero there, as P is.
                    var sliverEnd = Math.Min(T, (t / MR + 1) * MR);
                    new Span<float>(dr + t + 1, sliverEnd - t - 1).Clear();
                }
                // dQ += dS·K, dK += dSᵀ·Q
                Sgemm.PackB(q + C, C3, 1, T, hs, yp);
                Sgemm.PackB(q, C3, 1, T, hs, zp);
                LowerTimes(ds, yp, dq, C3, T, hs, sliver, tile, accumulate: true);
                LowerTransposedTimes(ds, zp, dq + C, C3, T, hs, sliver, tile, accumulate: true);
            }
        }
    }
}
