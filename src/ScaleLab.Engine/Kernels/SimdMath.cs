using System.Runtime.Intrinsics;

namespace ScaleLab.Engine.Kernels;

/// <summary>
/// Short vector loops over raw pointers shared by the fast kernels (attention rows, decoding). Widest
/// accelerated vector first, then scalar. Reductions here sum in eight lanes and then across lanes, so they
/// round differently from a left-to-right scalar sum; callers compare against references with tolerances.
/// </summary>
internal static unsafe class SimdMath
{
    /// <summary>Σ a[i]·b[i] over n items.</summary>
    public static float Dot(float* a, float* b, int n)
    {
        var i = 0;
        var sum = 0f;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var acc0 = Vector256<float>.Zero;
            var acc1 = Vector256<float>.Zero;
            for (; i + 16 <= n; i += 16)
            {
                acc0 += Vector256.Load(a + i) * Vector256.Load(b + i);
                acc1 += Vector256.Load(a + i + 8) * Vector256.Load(b + i + 8);
            }
            for (; i + 8 <= n; i += 8)
            {
                acc0 += Vector256.Load(a + i) * Vector256.Load(b + i);
            }
            sum = Vector256.Sum(acc0 + acc1);
        }
        for (; i < n; i++)
        {
            sum += a[i] * b[i];
        }
        return sum;
    }

    /// <summary>y[i] += alpha·x[i] over n items.</summary>
    public static void Axpy(float alpha, float* x, float* y, int n)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(alpha);
            for (; i + 8 <= n; i += 8)
            {
                Vector256.Store(Vector256.Load(y + i) + va * Vector256.Load(x + i), y + i);
            }
        }
        for (; i < n; i++)
        {
            y[i] += alpha * x[i];
        }
    }

    /// <summary>y[i] += x[i] over n items.</summary>
    public static void AddInPlace(float* x, float* y, int n)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= n; i += 8)
            {
                Vector256.Store(Vector256.Load(y + i) + Vector256.Load(x + i), y + i);
            }
        }
        for (; i < n; i++)
        {
            y[i] += x[i];
        }
    }
}
