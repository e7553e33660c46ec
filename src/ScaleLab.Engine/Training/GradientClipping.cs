using System.Numerics.Tensors;

namespace ScaleLab.Engine.Training;

/// <summary>Global-norm gradient clipping (Pascanu et al. 2013, Algorithm 2; PyTorch clip_grad_norm_).</summary>
public static class GradientClipping
{
    private const int Block = 4096;

    /// <summary>
    /// |g|² summed in double over float partial sums of fixed 4096-element blocks: the block order is
    /// fixed, so the result is the same on every call, and double accumulation across blocks keeps it
    /// accurate for millions of parameters (the gradient-noise-scale estimator differences two of these).
    /// </summary>
    public static double NormSquared(ReadOnlySpan<float> values)
    {
        var total = 0.0;
        for (var i = 0; i < values.Length; i += Block)
        {
            total += TensorPrimitives.SumOfSquares(values.Slice(i, Math.Min(Block, values.Length - i)));
        }
        return total;
    }

    /// <summary>
    /// Scales <paramref name="gradients"/> in place by min(1, maxNorm / (‖g‖ + 1e−6)) and returns the norm
    /// ‖g‖ before clipping. maxNorm ≤ 0 or infinite disables clipping.
    /// </summary>
    public static double ClipGlobalNorm(Span<float> gradients, double maxNorm)
    {
        var norm = Math.Sqrt(NormSquared(gradients));
        if (maxNorm > 0 && !double.IsInfinity(maxNorm) && norm > maxNorm)
        {
            TensorPrimitives.Multiply(gradients, (float)(maxNorm / (norm + 1e-6)), gradients);
        }
        return norm;
    }
}
