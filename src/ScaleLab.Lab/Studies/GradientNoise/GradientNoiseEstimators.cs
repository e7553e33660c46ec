namespace ScaleLab.Lab.Studies.GradientNoise;

/// <summary>
/// Estimators of |G|² and tr(Σ) from gradient norms measured at two batch sizes, and their exact values on
/// a finite dataset. Notation: the loss is the mean of per-example losses, g_i the gradient of example i,
/// G = E[g_i] the true gradient, Σ = Cov[g_i]. A minibatch of B examples drawn independently (with
/// replacement) has gradient G_B = (1/B)·Σ g_i with
/// <code>
///   E|G_B|² = |G|² + tr(Σ)/B                                  (McCandlish et al. 2018, Eq. A.1)
/// </code>
/// Two batch sizes B_small &lt; B_big give two equations in the two unknowns; solving them gives the unbiased
/// estimators of Appendix A.1:
/// <code>
///   |G|²  ≈ (B_big·|G_big|² − B_small·|G_small|²) / (B_big − B_small)
///   tr(Σ) ≈ (|G_small|² − |G_big|²) / (1/B_small − 1/B_big)
/// </code>
/// Each is a fixed linear combination of |G_small|² and |G_big|², so it is unbiased whether or not the small
/// batch is part of the big one, and averaging |G_small|² over the k micro-batches of an accumulated step
/// (B_big = k·B_small) keeps it unbiased while lowering its variance.
/// </summary>
public static class GradientNoiseEstimators
{
    /// <summary>
    /// The two-batch estimate of McCandlish et al. 2018, Appendix A.1. <paramref name="smallNormSq"/> is
    /// |G_small|² at batch size <paramref name="smallBatch"/> (or its mean over several such batches),
    /// <paramref name="bigNormSq"/> is |G_big|² at <paramref name="bigBatch"/>.
    /// </summary>
    public static NoiseEstimate TwoBatch(double smallNormSq, double smallBatch, double bigNormSq, double bigBatch)
    {
        if (!(smallBatch >= 1) || !(bigBatch > smallBatch))
        {
            throw new ArgumentOutOfRangeException(nameof(bigBatch),
                $"need 1 <= B_small < B_big, got B_small={smallBatch}, B_big={bigBatch}");
        }
        var gradNormSq = (bigBatch * bigNormSq - smallBatch * smallNormSq) / (bigBatch - smallBatch);
        var traceCov = (smallNormSq - bigNormSq) / (1.0 / smallBatch - 1.0 / bigBatch);
        return new NoiseEstimate(gradNormSq, traceCov);
    }

    /// <summary>
    /// The two-batch estimate for one accumulated step: <paramref name="microNormSq"/> holds |G_micro|² of
    /// each of the k micro-batches (each of <paramref name="microBatch"/> examples), <paramref name="accumNormSq"/>
    /// is |G_big|² of their mean, B_big = k·B_micro. |G_small|² is the mean over the micro-batches.
    /// </summary>
    public static NoiseEstimate FromAccumulation(ReadOnlySpan<double> microNormSq, int microBatch, double accumNormSq)
    {
        if (microNormSq.Length < 2)
        {
            throw new ArgumentException("gradient noise needs at least two micro-batches per step", nameof(microNormSq));
        }
        var mean = 0.0;
        foreach (var v in microNormSq)
        {
            mean += v;
        }
        mean /= microNormSq.Length;
        return TwoBatch(mean, microBatch, accumNormSq, (double)microBatch * microNormSq.Length);
    }

    /// <summary>
    /// The B_small = 1 variant from per-example gradients g_1..g_B (B ≥ 2) with mean ḡ:
    /// <code>
    ///   tr(Σ) ≈ (1/(B−1))·Σ_i |g_i − ḡ|²          (Bessel-corrected sample covariance trace; unbiased)
    ///   |G|²  ≈ |ḡ|² − tr(Σ)/B                    (unbiased because E|ḡ|² = |G|² + tr(Σ)/B)
    /// </code>
    /// It equals <see cref="TwoBatch"/> with B_small = 1, |G_small|² = (1/B)·Σ|g_i|² and B_big = B, because
    /// Σ|g_i − ḡ|² = Σ|g_i|² − B·|ḡ|². Only the norms are needed: see <see cref="FromPerExampleNorms"/>.
    /// <paramref name="perExample"/> is row-major (B, P): row i is g_i.
    /// </summary>
    public static NoiseEstimate FromPerExample(ReadOnlySpan<double> perExample, int batch, int paramCount)
    {
        CheckMatrix(perExample, batch, paramCount);
        if (batch < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), "per-example estimate needs B >= 2");
        }
        var mean = ColumnMean(perExample, batch, paramCount);
        var sumSqDev = 0.0;
        for (var i = 0; i < batch; i++)
        {
            var row = perExample.Slice(i * paramCount, paramCount);
            for (var j = 0; j < paramCount; j++)
            {
                var d = row[j] - mean[j];
                sumSqDev += d * d;
            }
        }
        var traceCov = sumSqDev / (batch - 1);
        return new NoiseEstimate(NormSq(mean) - traceCov / batch, traceCov);
    }

    /// <summary>
    /// <see cref="FromPerExample"/> from norms only: the per-example squared norms |g_i|² and the squared
    /// norm of their mean |ḡ|², using Σ|g_i − ḡ|² = Σ|g_i|² − B·|ḡ|². This is what an engine can log cheaply.
    /// </summary>
    public static NoiseEstimate FromPerExampleNorms(ReadOnlySpan<double> perExampleNormSq, double meanGradNormSq)
    {
        var batch = perExampleNormSq.Length;
        if (batch < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(perExampleNormSq), "per-example estimate needs B >= 2");
        }
        var sum = 0.0;
        foreach (var v in perExampleNormSq)
        {
            sum += v;
        }
        var traceCov = (sum - batch * meanGradNormSq) / (batch - 1);
        return new NoiseEstimate(meanGradNormSq - traceCov / batch, traceCov);
    }

    /// <summary>
    /// Exact values on a finite dataset of n examples, with the population (1/n) covariance: G = (1/n)·Σ g_i,
    /// tr(Σ) = (1/n)·Σ|g_i − G|². This is the distribution that minibatches drawn with replacement sample from,
    /// so E|G_B|² = |G|² + tr(Σ)/B holds with these values exactly; it is also invariant to duplicating the data.
    /// <paramref name="perExample"/> is row-major (n, P).
    /// </summary>
    public static NoiseEstimate Exact(ReadOnlySpan<double> perExample, int count, int paramCount)
    {
        CheckMatrix(perExample, count, paramCount);
        var mean = ColumnMean(perExample, count, paramCount);
        var sumSqDev = 0.0;
        for (var i = 0; i < count; i++)
        {
            var row = perExample.Slice(i * paramCount, paramCount);
            for (var j = 0; j < paramCount; j++)
            {
                var d = row[j] - mean[j];
                sumSqDev += d * d;
            }
        }
        return new NoiseEstimate(NormSq(mean), sumSqDev / count);
    }

    private static void CheckMatrix(ReadOnlySpan<double> m, int rows, int cols)
    {
        if (rows < 1 || cols < 1 || m.Length != (long)rows * cols)
        {
            throw new ArgumentException($"expected a ({rows}, {cols}) row-major matrix, got {m.Length} values", nameof(m));
        }
    }

    private static double[] ColumnMean(ReadOnlySpan<double> m, int rows, int cols)
    {
        var mean = new double[cols];
        for (var i = 0; i < rows; i++)
        {
            var row = m.Slice(i * cols, cols);
            for (var j = 0; j < cols; j++)
            {
                mean[j] += row[j];
            }
        }
        for (var j = 0; j < cols; j++)
        {
            mean[j] /= rows;
        }
        return mean;
    }

    private static double NormSq(ReadOnlySpan<double> v)
    {
        var s = 0.0;
        foreach (var x in v)
        {
            s += x * x;
        }
        return s;
    }
}
