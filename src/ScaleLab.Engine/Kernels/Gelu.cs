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

    /// <summary>Fast <see cref="ForwardReference{TReal}"/>, vectorised by TensorPrimitives over chunks split across
    /// threads, in the σ form below (equal in exact arithmetic, better conditioned in float).</summary>
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

    // The fast kernels use ½(1 + tanh u) = σ(2u) and ½(1 − tanh²u) = 2σ(2u)σ(−2u): the same function, but
    // without forming 1 + tanh u ≈ 0 for negative x, which in float loses all digits of the small result.

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
            TwoU(x, t);
            TensorPrimitives.Sigmoid(t, t);
            TensorPrimitives.Multiply(x, t, new Span<float>(a.Out + i, n));
        }
    }

    private static void BackwardPart(void* context, int part, int parts)
    {
        ref var a = ref *(Args*)context;
        var (start, end) = WorkerPool.Partition(a.N, part, parts, Chunk);
        var buffer = stackalloc float[3 * Chunk];
        for (var i = start; i < end; i += Chunk)
        {
            var n = Math.Min(Chunk, end - i);
            var x = new ReadOnlySpan<float>(a.Inp + i, n);
            var sp = new Span<float>(buffer, n);
            var sm = new Span<float>(buffer + Chunk, n);
            var du = new Span<float>(buffer + 2 * Chunk, n);
            TwoU(x, sp);
            TensorPrimitives.Negate(sp, sm);
            TensorPrimitives.Sigmoid(sp, sp);
            TensorPrimitives.Sigmoid(sm, sm);
            // du = 2x·u' = 2x·√(2/π)(1 + 3kx²)
            TensorPrimitives.Multiply(x, x, du);
            TensorPrimitives.Multiply(du, (float)(6 * Cubic * Sqrt2OverPi), du);
            TensorPrimitives.Add(du, (float)(2 * Sqrt2OverPi), du);
            TensorPrimitives.Multiply(du, x, du);
            // gelu'(x) = σ(2u) + 2x·u'·σ(2u)σ(−2u) = σ(2u)·(1 + du·σ(−2u))
            TensorPrimitives.MultiplyAdd(du, sm, 1f, du);
            TensorPrimitives.Multiply(du, sp, du);
            var dinp = new Span<float>(a.Out + i, n);
            TensorPrimitives.MultiplyAdd(du, new ReadOnlySpan<float>(a.Dout + i, n), dinp, dinp);
        }
    }

    /// <summary>t = 2u = 2√(2/π)(x + kx³).</summary>
    private static void TwoU(ReadOnlySpan<float> x, Span<float> t)
    {
        TensorPrimitives.Multiply(x, x, t);
        TensorPrimitives.Multiply(t, (float)(Cubic * 2 * Sqrt2OverPi), t);
        TensorPrimitives.Add(t, (float)(2 * Sqrt2OverPi), t);
        TensorPrimitives.Multiply(t, x, t);
    }
}
