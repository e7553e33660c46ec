using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using ScaleLab.Engine.Parallelism;

namespace ScaleLab.Engine.Kernels;

// Layer normalisation (Ba, Kiros and Hinton 2016) over the channel axis, with learned scale and shift.
// N = rows (B·T flattened), C = channels.
public static unsafe class LayerNorm
{
    /// <summary>The ε inside the square root, as in GPT-2 and torch.nn.LayerNorm's default.</summary>
    public const double Epsilon = 1e-5;

    /// <summary>out = (x − μ)·rstd·w + b with μ = mean(x), rstd = 1/√(var(x) + ε) (biased variance), per row.
    /// inp (N,C), weight (C), bias (C), output (N,C); mean (N) and rstd (N) are cached for the backward pass.</summary>
    public static void ForwardReference<TReal>(ReadOnlySpan<TReal> inp, ReadOnlySpan<TReal> weight, ReadOnlySpan<TReal> bias,
        int N, int C, Span<TReal> output, Span<TReal> mean, Span<TReal> rstd) where TReal : IFloatingPointIeee754<TReal>
    {
        var n = TReal.CreateChecked(C);
        var eps = TReal.CreateChecked(Epsilon);
        for (var i = 0; i < N; i++)
        {
            var x = inp.Slice(i * C, C);
            var m = TReal.Zero;
            for (var c = 0; c < C; c++) m += x[c];
            m /= n;
            var v = TReal.Zero;
            for (var c = 0; c < C; c++) v += (x[c] - m) * (x[c] - m);
            v /= n;
            var s = TReal.One / TReal.Sqrt(v + eps);
            for (var c = 0; c < C; c++)
            {
                output[i * C + c] = (x[c] - m) * s * weight[c] + bias[c];
            }
            mean[i] = m;
            rstd[i] = s;
        }
    }

    /// <summary>Differentiates the forward line. With x̂ = (x − μ)·rstd and g = w ⊙ dout:
    /// dx += rstd·(g − mean(g) − x̂·mean(g ⊙ x̂)), dw += dout ⊙ x̂, db += dout.
    /// dout (N,C), inp (N,C), weight (C), mean (N), rstd (N); dinp (N,C), dweight (C), dbias (C).</summary>
    public static void BackwardReference<TReal>(ReadOnlySpan<TReal> dout, ReadOnlySpan<TReal> inp, ReadOnlySpan<TReal> weight,
        ReadOnlySpan<TReal> mean, ReadOnlySpan<TReal> rstd, int N, int C,
        Span<TReal> dinp, Span<TReal> dweight, Span<TReal> dbias) where TReal : IFloatingPointIeee754<TReal>
    {
        var n = TReal.CreateChecked(C);
        for (var i = 0; i < N; i++)
        {
            var gMean = TReal.Zero;
            var gxMean = TReal.Zero;
            for (var c = 0; c < C; c++)
            {
                var xhat = (inp[i * C + c] - mean[i]) * rstd[i];
                var g = weight[c] * dout[i * C + c];
                gMean += g;
                gxMean += g * xhat;
            }
            gMean /= n;
            gxMean /= n;
            for (var c = 0; c < C; c++)
            {
                var xhat = (inp[i * C + c] - mean[i]) * rstd[i];
                var g = weight[c] * dout[i * C + c];
                dbias[c] += dout[i * C + c];
                dweight[c] += xhat * dout[i * C + c];
                dinp[i * C + c] += (g - gMean - xhat * gxMean) * rstd[i];
            }
        }
    }

    /// <summary>Fast <see cref="ForwardReference{TReal}"/>: rows split across threads, vectorised along channels.
    /// The row sums are taken in vector lanes, so μ and var round differently from the reference.</summary>
    public static void Forward(ReadOnlySpan<float> inp, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        int N, int C, Span<float> output, Span<float> mean, Span<float> rstd, WorkerPool? pool = null)
    {
        fixed (float* pInp = inp, pW = weight, pB = bias, pOut = output, pMean = mean, pRstd = rstd)
        {
            var args = new Args { Inp = pInp, Weight = pW, Bias = pB, Out = pOut, Mean = pMean, Rstd = pRstd, N = N, C = C };
            WorkerPool.Run(pool, &ForwardPart, &args);
        }
    }

    /// <summary>Fast <see cref="BackwardReference{TReal}"/> in two passes: dinp with rows split across threads,
    /// then dweight and dbias — sums over rows — with channels split across threads, so each of those sums is
    /// taken by one thread in row order (the reference's order) and the result does not depend on the thread count.</summary>
    public static void Backward(ReadOnlySpan<float> dout, ReadOnlySpan<float> inp, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, int N, int C,
        Span<float> dinp, Span<float> dweight, Span<float> dbias, WorkerPool? pool = null)
    {
        fixed (float* pDout = dout, pInp = inp, pW = weight, pMean = mean, pRstd = rstd, pDinp = dinp, pDw = dweight, pDb = dbias)
        {
            var args = new Args
            {
                Dout = pDout, Inp = pInp, Weight = pW, Mean = pMean, Rstd = pRstd, Out = pDinp, DWeight = pDw, DBias = pDb, N = N, C = C,
            };
            WorkerPool.Run(pool, &BackwardInputPart, &args);
            WorkerPool.Run(pool, &BackwardParameterPart, &args);
        }
    }

    private struct Args
    {
        public float* Inp, Weight, Bias, Out, Mean, Rstd, Dout, DWeight, DBias;
        public int N, C;
        public int Next;   // next chunk to claim
    }

    private static void ForwardPart(void* context, int part, int parts)
    {
        ref var a = ref *(Args*)context;
        // Chunks are claimed one at a time, so a thread slowed by other work on its core does fewer;
        // every item is computed the same way by whichever thread takes it.
        while (WorkerPool.TryClaim(ref a.Next, a.N, 32, out var start, out var end))
        {
            var C = a.C;
            var w = new ReadOnlySpan<float>(a.Weight, C);
            var b = new ReadOnlySpan<float>(a.Bias, C);
            for (var i = start; i < end; i++)
            {
                var x = new ReadOnlySpan<float>(a.Inp + (long)i * C, C);
                var o = new Span<float>(a.Out + (long)i * C, C);
                var m = TensorPrimitives.Sum(x) / C;
                TensorPrimitives.Subtract(x, m, o);
                var v = TensorPrimitives.SumOfSquares(o) / C;
                var s = 1f / MathF.Sqrt(v + (float)Epsilon);
                TensorPrimitives.Multiply(o, s, o);
                TensorPrimitives.FusedMultiplyAdd(o, w, b, o);
                a.Mean[i] = m;
                a.Rstd[i] = s;
            }
        }
    }

    private static void BackwardInputPart(void* context, int part, int parts)
    {
        ref var a = ref *(Args*)context;
        // Chunks are claimed one at a time, so a thread slowed by other work on its core does fewer;
        // every item is computed the same way by whichever thread takes it.
        while (WorkerPool.TryClaim(ref a.Next, a.N, 32, out var start, out var end))
        {
            var C = a.C;
            var w = a.Weight;
            for (var i = start; i < end; i++)
            {
                var x = a.Inp + (long)i * C;
                var d = a.Dout + (long)i * C;
                var dx = a.Out + (long)i * C;
                var m = a.Mean[i];
                var s = a.Rstd[i];
                var c = 0;
                var gSum = 0f;
                var gxSum = 0f;
                if (Vector256.IsHardwareAccelerated)
                {
                    var vm = Vector256.Create(m);
                    var vs = Vector256.Create(s);
                    var accG = Vector256<float>.Zero;
                    var accGx = Vector256<float>.Zero;
                    for (; c + 8 <= C; c += 8)
                    {
                        var xhat = (Vector256.Load(x + c) - vm) * vs;
                        var g = Vector256.Load(w + c) * Vector256.Load(d + c);
                        accG += g;
                        accGx += g * xhat;
                    }
                    gSum = Vector256.Sum(accG);
                    gxSum = Vector256.Sum(accGx);
                }
                for (var cc = c; cc < C; cc++)
                {
                    var xhat = (x[cc] - m) * s;
                    var g = w[cc] * d[cc];
                    gSum += g;
                    gxSum += g * xhat;
                }
                var gMean = gSum / C;
                var gxMean = gxSum / C;
                c = 0;
                if (Vector256.IsHardwareAccelerated)
                {
                    var vm = Vector256.Create(m);
                    var vs = Vector256.Create(s);
                    var vgMean = Vector256.Create(gMean);
                    var vgxMean = Vector256.Create(gxMean);
                    for (; c + 8 <= C; c += 8)
                    {
                        var xhat = (Vector256.Load(x + c) - vm) * vs;
                        var g = Vector256.Load(w + c) * Vector256.Load(d + c);
                        Vector256.Store(Vector256.Load(dx + c) + (g - vgMean - xhat * vgxMean) * vs, dx + c);
                    }
                }
                for (; c < C; c++)
                {
                    var xhat = (x[c] - m) * s;
                    var g = w[c] * d[c];
                    dx[c] += (g - gMean - xhat * gxMean) * s;
                }
            }
        }
    }

    private static void BackwardParameterPart(void* context, int part, int parts)
    {
        ref var a = ref *(Args*)context;
        var C = a.C;
        var (c0, c1) = WorkerPool.Partition(C, part, parts, unit: 8);
        for (var i = 0; i < a.N; i++)
        {
            var x = a.Inp + (long)i * C;
            var d = a.Dout + (long)i * C;
            var m = a.Mean[i];
            var s = a.Rstd[i];
            var c = c0;
            if (Vector256.IsHardwareAccelerated)
            {
                var vm = Vector256.Create(m);
                var vs = Vector256.Create(s);
                for (; c + 8 <= c1; c += 8)
                {
                    var dv = Vector256.Load(d + c);
                    var xhat = (Vector256.Load(x + c) - vm) * vs;
                    Vector256.Store(Vector256.Load(a.DBias + c) + dv, a.DBias + c);
                    Vector256.Store(Vector256.Load(a.DWeight + c) + xhat * dv, a.DWeight + c);
                }
            }
            for (; c < c1; c++)
            {
                var xhat = (x[c] - m) * s;
                a.DBias[c] += d[c];
                a.DWeight[c] += xhat * d[c];
            }
        }
    }
}
