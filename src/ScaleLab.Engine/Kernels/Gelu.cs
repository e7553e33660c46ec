using System.Numerics;
using System.Runtime.Intrinsics;
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

    /// <summary>Fast <see cref="ForwardReference{TReal}"/>, vectorised (with SimdMath.Exp) over chunks split across
    /// threads, in the σ form below (equal in exact arithmetic, better conditioned in float).</summary>
    public static void Forward(ReadOnlySpan<float> inp, int N, Span<float> output, WorkerPool? pool = null)
    {
        fixed (float* pInp = inp, pOut = output)
        {
            var args = new Args { Inp = pInp, Out = pOut, N = N };
            WorkerPool.Run(pool, &ForwardPart, &args);
        }
    }

    /// <summary>Fast <see cref="BackwardReference{TReal}"/>, elementwise, so independent of the thread count. Adds into
    /// dinp (<see cref="BackwardContract"/>).</summary>
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
        public int Next;   // next chunk to claim
    }

    // The fast kernels use ½(1 + tanh u) = σ(2u) and ½(1 − tanh²u) = 2σ(2u)σ(−2u): the same function, but
    // without forming 1 + tanh u ≈ 0 for negative x, which in float loses all digits of the small result.
    // With e = exp(−2u): σ(2u) = 1/(1 + e) and σ(−2u) = e·σ(2u), both accurate for either sign of u; e is capped
    // at e^MaxExponent so that e·σ(2u) never becomes ∞·0, and where −2u > FlushExponent GELU and its derivative are
    // exactly 0 (see FlushExponent).

    /// <summary>Cap on −2u in e = exp(−2u), so that e stays finite and e·σ(2u) is never ∞·0.</summary>
    internal const float MaxExponent = 80f;

    /// <summary>Where −2u exceeds this (64·ln 2, σ(2u) below 2^-64 ≈ 5.4e-20: x below about −7.3), the fast kernels
    /// return GELU = 0 and GELU' = 0 exactly. The true values there are below 4e-19 and 1e-17, invisible next to any
    /// other term of the sums they enter; but left in, they make subnormal floats: σ(2u) near the Exp clamp is one,
    /// and the backward product gelu'(x)·dout is one for a dout of ordinary size, and every operation on a subnormal
    /// lane takes the processor's slow path. A model whose MLP inputs drift that negative (runs without weight decay,
    /// within a few thousand steps) trained up to 3x slower, more with every thousand steps.</summary>
    internal const float FlushExponent = 44.3614196f;

    /// <summary>e = exp(−2u) for the σ form, capped at e^<see cref="MaxExponent"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> ExpMinusTwoU(Vector256<float> x) => SimdMath.Exp(Vector256.Min(-TwoU(x), Vector256.Create(MaxExponent)));

    /// <summary>All-ones lanes where x is above the flush point (−2u ≤ <see cref="FlushExponent"/>), zero elsewhere.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Kept(Vector256<float> x) => Vector256.LessThanOrEqual(-TwoU(x), Vector256.Create(FlushExponent));

    private static void ForwardPart(void* context, int part, int parts)
    {
        ref var a = ref *(Args*)context;
        // Chunks are claimed one at a time, so a thread slowed by other work on its core does fewer;
        // every item is computed the same way by whichever thread takes it.
        while (WorkerPool.TryClaim(ref a.Next, a.N, 16 * Chunk, out var start, out var end))
        {
            var i = start;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; i + 8 <= end; i += 8)
                {
                    var x = Vector256.Load(a.Inp + i);
                    var e = ExpMinusTwoU(x);
                    Vector256.Store(Vector256.BitwiseAnd(x / (Vector256<float>.One + e), Kept(x)), a.Out + i);
                }
            }
            for (; i < end; i++)
            {
                var x = a.Inp[i];
                var minusTwoU = -2f * (float)Sqrt2OverPi * (x + (float)Cubic * x * x * x);
                var e = MathF.Exp(MathF.Min(minusTwoU, MaxExponent));
                a.Out[i] = minusTwoU <= FlushExponent ? x / (1f + e) : 0f;
            }
        }
    }

    private static void BackwardPart(void* context, int part, int parts)
    {
        ref var a = ref *(Args*)context;
        // Chunks are claimed one at a time, so a thread slowed by other work on its core does fewer;
        // every item is computed the same way by whichever thread takes it.
        while (WorkerPool.TryClaim(ref a.Next, a.N, 16 * Chunk, out var start, out var end))
        {
            var i = start;
            if (Vector256.IsHardwareAccelerated)
            {
                var one = Vector256<float>.One;
                for (; i + 8 <= end; i += 8)
                {
                    var x = Vector256.Load(a.Inp + i);
                    var e = ExpMinusTwoU(x);
                    var sp = one / (one + e);
                    var sm = e * sp;
                    // du = 2x·u' = 2x·√(2/π)(1 + 3kx²); gelu'(x) = σ(2u) + 2x·u'·σ(2u)σ(−2u) = σ(2u)·(1 + du·σ(−2u))
                    var du = x * (Vector256.Create((float)(2 * Sqrt2OverPi)) + Vector256.Create((float)(6 * Cubic * Sqrt2OverPi)) * x * x);
                    var grad = Vector256.BitwiseAnd(sp * (one + du * sm), Kept(x));
                    Vector256.Store(Vector256.Load(a.Out + i) + grad * Vector256.Load(a.Dout + i), a.Out + i);
                }
            }
            for (; i < end; i++)
            {
                var x = a.Inp[i];
                var minusTwoU = -2f * (float)Sqrt2OverPi * (x + (float)Cubic * x * x * x);
                if (minusTwoU > FlushExponent) continue;
                var e = MathF.Exp(MathF.Min(minusTwoU, MaxExponent));
                var sp = 1f / (1f + e);
                var du = x * ((float)(2 * Sqrt2OverPi) + (float)(6 * Cubic * Sqrt2OverPi) * x * x);
                a.Out[i] += sp * (1f + du * (e * sp)) * a.Dout[i];
            }
        }
    }

    /// <summary>2u = 2√(2/π)(x + kx³).</summary>
    internal static Vector256<float> TwoU(Vector256<float> x) =>
        x * (Vector256.Create((float)(2 * Sqrt2OverPi)) + Vector256.Create((float)(2 * Cubic * Sqrt2OverPi)) * x * x);
}
