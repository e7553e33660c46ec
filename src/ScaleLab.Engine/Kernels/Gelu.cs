using System.Numerics;
using System.Numerics.Tensors;
using ScaleLab.Engine.Parallelism;

namespace ScaleLab.Engine.Kernels;

// GELU with GPT-2's tanh approximation (Hendrycks and Gimpel 2016, §2):
// gelu(x) = ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). N = number of elements.
public static unsafe class Gelu
{
    private const double Sqrt2OverPi = 0.7978845608028654;
    private const double Cubic = 0.044715;
    private const int Chunk = 256;

    /// <summary>out = gelu(inp). inp (N), output (N).</summary>
    public static void ForwardReference<TReal>(ReadOnlySpan<TReal> inp, int N, Span<TReal> output)
        where TReal : IFloatingPointIeee754<TReal>
    {
        var s = TReal.CreateChecked(Sqrt2OverPi);
        var k = TReal.CreateChecked(Cubic);
        var half = TReal.CreateChecked(0.5);
        for (var i = 0; i < N; i++)
        {
            var x = inp[i];
            output[i] = half * x * (TReal.One + TReal.Tanh(s * (x + k * x * x * x)));
        }
    }

    /// <summary>Differentiates the forward line: with u = √(2/π)(x + 0.044715x³),
    /// dinp += dout·(½(1 + tanh u) + ½x·(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²)). dout (N), inp (N), dinp (N).</summary>
    public static void BackwardReference<TReal>(ReadOnlySpan<TReal> dout, ReadOnlySpan<TReal> inp, int N, Span<TReal> dinp)
        where TReal : IFloatingPointIeee754<TReal>
    {
        var s = TReal.CreateChecked(Sqrt2OverPi);
        var k = TReal.CreateChecked(Cubic);
        var k3 = TReal.CreateChecked(3 * Cubic);
        var half = TReal.CreateChecked(0.5);
        for (var i = 0; i < N; i++)
        {
            var x = inp[i];
            var th = TReal.Tanh(s * (x + k * x * x * x));
            var grad = half * (TReal.One + th) + half * x * (TReal.One - th * th) * s * (TReal.One + k3 * x * x);
            dinp[i] += grad * dout[i];
        }
    }

    /// <summary>Fast <see cref="ForwardReference{TReal}"/>, vectorised by TensorPrimitives (its Tanh differs from
    /// MathF.Tanh by a few ulps) over chunks split across threads.</summary>
    public static void Forward(ReadOnlySpan<float> inp, int N, Span<float> output, WorkerPool? pool = null)
    {
        fixed (float* pInp = inp, pOut = output)
        {
            var args = new Args { Inp = pInp, Out = pOut, N = N };
            WorkerPool.Run(pool, &ForwardPart, &args);
        }
    }

    /// <summary>Fast <see cref="BackwardReference{TReal}"/>, elementwise, so independent of the thread count.</summary>
    public static void Backward(ReadOnlySpan<float> dout, ReadOnlySpan<float> inp, int N, Span<float> dinp, WorkerPool? pool = null)
    {
        fixed (float* pDout = dout, pInp = inp, pDinp = dinp)
        {
            var args = new Args { Inp = pInp, Out = pDinp, Dout = pDout, N = N };
            WorkerPool.Run(pool, &BackwardPart, &args);
        }
    }

    private struct Args
    {
        public float* Inp, Out, Dout;
        public int N;
    }

    private static void ForwardPart(void* context, int part, int parts)
    {
        ref var a = ref *(Args*)context;
        var (start, end) = WorkerPool.Partition(a.N, part, parts, Chunk);
        var u = stackalloc float[Chunk];
        for (var i = start; i < end; i += Chunk)
        {
            var n = Math.Min(Chunk, end - i);
            var x = new ReadOnlySpan<float>(a.Inp + i, n);
            var t = new Span<float>(u, n);
            var o = new Span<float>(a.Out + i, n);
            TensorPrimitives.Multiply(x, x, t);
            TensorPrimitives.Multiply(t, x, t);
            TensorPrimitives.MultiplyAdd(t, (float)Cubic, x, t);
            TensorPrimitives.Multiply(t, (float)Sqrt2OverPi, t);
            TensorPrimitives.Tanh(t, t);
            TensorPrimitives.Add(t, 1f, t);
            TensorPrimitives.Multiply(x, t, o);
            TensorPrimitives.Multiply(o, 0.5f, o);
        }
    }

    private static void BackwardPart(void* context, int part, int parts)
    {
        ref var a = ref *(Args*)context;
        var (start, end) = WorkerPool.Partition(a.N, part, parts, Chunk);
        var u = stackalloc float[Chunk];
        var g = stackalloc float[Chunk];
        for (var i = start; i < end; i += Chunk)
        {
            var n = Math.Min(Chunk, end - i);
            var x = new ReadOnlySpan<float>(a.Inp + i, n);
            var th = new Span<float>(u, n);
            var gr = new Span<float>(g, n);
            TensorPrimitives.Multiply(x, x, th);
            TensorPrimitives.Multiply(th, x, th);
            TensorPrimitives.MultiplyAdd(th, (float)Cubic, x, th);
            TensorPrimitives.Multiply(th, (float)Sqrt2OverPi, th);
            TensorPrimitives.Tanh(th, th);
            // gr = ½x·(1 − th²)·√(2/π)(1 + 3kx²)
            TensorPrimitives.Multiply(x, x, gr);
            TensorPrimitives.Multiply(gr, (float)(3 * Cubic * Sqrt2OverPi), gr);
            TensorPrimitives.Add(gr, (float)Sqrt2OverPi, gr);
            TensorPrimitives.Multiply(gr, x, gr);
            for (var j = 0; j < n; j++)
            {
                var t = th[j];
                gr[j] = 0.5f * (1f + t) + 0.5f * (1f - t * t) * gr[j];
            }
            TensorPrimitives.MultiplyAdd(gr, new ReadOnlySpan<float>(a.Dout + i, n), new ReadOnlySpan<float>(a.Out + i, n), new Span<float>(a.Out + i, n));
        }
    }
}
