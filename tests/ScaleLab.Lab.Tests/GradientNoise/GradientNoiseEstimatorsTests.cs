using ScaleLab.Lab.Studies.GradientNoise;
using Xunit.Abstractions;

namespace ScaleLab.Lab.Tests.GradientNoise;

/// <summary>
/// Statistical tests of the McCandlish et al. 2018 (arXiv:1812.06162, Appendix A.1) estimators on logistic
/// regression with exact per-example gradients (n = 256 examples, d = 10 parameters, fixed weights).
/// Minibatches are drawn with replacement, so E|G_B|² = |G|² + tr(Σ)/B holds exactly with the population
/// values of <see cref="GradientNoiseEstimators.Exact"/>.
/// </summary>
public sealed class GradientNoiseEstimatorsTests(ITestOutputHelper output)
{
    private const int Draws = 20_000;

    private static readonly LogisticProblem Problem = LogisticProblem.Create(count: 256, dim: 10, seed: 17);

    private static NoiseEstimate Exact(LogisticProblem p) => GradientNoiseEstimators.Exact(p.Gradients, p.Count, p.Dim);

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(16)]
    [InlineData(64)]
    public void MinibatchNormSq_SampledWithReplacement_MeanIsGradNormSqPlusTraceOverB(int batch)
    {
        // Given
        var exact = Exact(Problem);
        var rng = new Random(1000 + batch);
        var rows = new int[batch];
        var scratch = new double[Problem.Dim];
        var draws = new double[Draws];

        // When
        for (var t = 0; t < Draws; t++)
        {
            Problem.Sample(rng, batch, rows);
            draws[t] = Problem.MeanNormSq(rows, scratch);
        }

        // Then: E|G_B|² = |G|² + tr(Σ)/B (Eq. A.1) within 4 SE, and the tr(Σ)/B term is resolved
        // (dropping it is rejected), so the check has power.
        var check = MonteCarloCheck.Of(draws, exact.GradNormSq + exact.TraceCov / batch);
        var withoutNoiseTerm = MonteCarloCheck.Of(draws, exact.GradNormSq);
        output.WriteLine($"B={batch} |G|²={exact.GradNormSq:G6} tr(Σ)={exact.TraceCov:G6} B_simple={exact.BSimple:G6}");
        output.WriteLine($"  E|G_B|²: {check}; vs |G|² alone: z={withoutNoiseTerm.Z:F1}");
        Assert.True(check.IsConsistentWithTarget(), check.ToString());
        Assert.False(withoutNoiseTerm.IsConsistentWithTarget(), withoutNoiseTerm.ToString());
    }

    /// <summary>
    /// Estimators of |G|² applied to one accumulated step of k micro-batches: the Appendix A.1 two-batch
    /// estimator (unbiased) and the naive one that takes |G_small|² itself as |G|² (bias tr(Σ)/B_small).
    /// Both go through the same assertion; the naive one must fail it.
    /// </summary>
    public static TheoryData<string, bool> GradNormSqEstimators => new()
    {
        { "two-batch", true },
        { "two-batch-single-micro", true },
        { "per-example", true },
        { "naive-small", false },
    };

    [Theory]
    [MemberData(nameof(GradNormSqEstimators))]
    public void GradNormSqEstimator_ManyDraws_UnbiasedOnlyIfCorrected(string estimator, bool expectUnbiased)
    {
        // Given: B_small = 4 micro-batch, k = 8 micro-batches, B_big = 32
        const int micro = 4, k = 8;
        var exact = Exact(Problem);
        var (gradDraws, traceDraws) = DrawEstimates(Problem, estimator, micro, k, new Random(7));

        // When
        var grad = MonteCarloCheck.Of(gradDraws, exact.GradNormSq);
        var trace = MonteCarloCheck.Of(traceDraws, exact.TraceCov);

        // Then
        output.WriteLine($"{estimator}: |G|² {grad}");
        output.WriteLine($"{estimator}: tr(Σ) {trace}");
        Assert.Equal(expectUnbiased, grad.IsConsistentWithTarget());
        if (expectUnbiased)
        {
            Assert.True(trace.IsConsistentWithTarget(), trace.ToString());
        }
        else
        {
            // The naive estimator's bias is the noise term itself, tr(Σ)/B_small, within Monte-Carlo error.
            Assert.InRange(grad.Bias, exact.TraceCov / micro - 4 * grad.StdError, exact.TraceCov / micro + 4 * grad.StdError);
        }
    }

    [Fact]
    public void FromPerExample_AnyBatch_EqualsTwoBatchWithSmallBatchOfOne()
    {
        // Given: identity tested, for g_1..g_B with mean ḡ,
        //   FromPerExample(g)  ==  TwoBatch(|G_small|² = (1/B)·Σ|g_i|², B_small = 1, |G_big|² = |ḡ|², B_big = B)
        //   ==  FromPerExampleNorms(|g_i|², |ḡ|²)
        // which holds because Σ|g_i − ḡ|² = Σ|g_i|² − B·|ḡ|².
        var rng = new Random(3);
        foreach (var batch in new[] { 2, 3, 8, 33 })
        {
            var rows = new int[batch];
            Problem.Sample(rng, batch, rows);
            var matrix = Problem.Gather(rows);
            var normsSq = new double[batch];
            for (var i = 0; i < batch; i++)
            {
                normsSq[i] = SumSq(matrix.AsSpan(i * Problem.Dim, Problem.Dim));
            }
            var meanNormSq = Problem.MeanNormSq(rows, new double[Problem.Dim]);

            // When
            var perExample = GradientNoiseEstimators.FromPerExample(matrix, batch, Problem.Dim);
            var twoBatch = GradientNoiseEstimators.TwoBatch(normsSq.Average(), 1, meanNormSq, batch);
            var fromNorms = GradientNoiseEstimators.FromPerExampleNorms(normsSq, meanNormSq);

            // Then
            AssertClose(perExample.TraceCov, twoBatch.TraceCov, 1e-12);
            AssertClose(perExample.GradNormSq, twoBatch.GradNormSq, 1e-10);
            AssertClose(perExample.TraceCov, fromNorms.TraceCov, 1e-12);
            AssertClose(perExample.GradNormSq, fromNorms.GradNormSq, 1e-10);
        }
    }

    [Fact]
    public void FromPerExample_TraceIsBesselCorrectedSampleVariance()
    {
        // Given: three 1-D "gradients" 1, 2, 6: mean 3, Σ(g − ḡ)² = 4 + 1 + 9 = 14
        double[] g = [1, 2, 6];

        // When
        var estimate = GradientNoiseEstimators.FromPerExample(g, 3, 1);

        // Then: tr(Σ) = 14/(3 − 1) = 7 and |G|² = 3² − 7/3
        Assert.Equal(7.0, estimate.TraceCov, 12);
        Assert.Equal(9.0 - 7.0 / 3.0, estimate.GradNormSq, 12);
    }

    [Fact]
    public void Exact_LossScaledByConstant_BSimpleUnchangedAndNormsScaleBySquare()
    {
        // Given: loss × 3 multiplies every g_i by 3
        var scaled = LogisticProblem.Create(count: 256, dim: 10, seed: 17, lossScale: 3.0);

        // When
        var a = Exact(Problem);
        var b = Exact(scaled);

        // Then
        AssertClose(9 * a.GradNormSq, b.GradNormSq, 1e-12);
        AssertClose(9 * a.TraceCov, b.TraceCov, 1e-12);
        AssertClose(a.BSimple, b.BSimple, 1e-12);
    }

    [Fact]
    public void OnlineBSimple_LossScaledByConstant_Unchanged()
    {
        // Given: the same draws on the loss and on 3 × the loss
        var scaled = LogisticProblem.Create(count: 256, dim: 10, seed: 17, lossScale: 3.0);
        var plain = new GradientNoiseTracker(0.99);
        var scaledTracker = new GradientNoiseTracker(0.99);
        var (g1, t1) = DrawEstimates(Problem, "two-batch", 4, 8, new Random(11), draws: 2000);
        var (g2, t2) = DrawEstimates(scaled, "two-batch", 4, 8, new Random(11), draws: 2000);

        // When
        for (var s = 0; s < g1.Length; s++)
        {
            var r1 = plain.Update(s, new NoiseEstimate(g1[s], t1[s]));
            var r2 = scaledTracker.Update(s, new NoiseEstimate(g2[s], t2[s]));

            // Then: every logged B_simple is the same (each estimate scales by 9, the ratio not at all)
            AssertClose(r1.BSimple, r2.BSimple, 1e-9);
        }
    }

    [Fact]
    public void BSimple_DatasetDuplicated_ExactUnchangedAndEstimatorsStillUnbiased()
    {
        // Given: every example three times. The population (1/n) covariance is unchanged; a Bessel (1/(n−1))
        // "exact" value would not be, which is why Exact uses 1/n.
        var tripled = Problem.Duplicate(3);
        var exact = Exact(Problem);

        // When
        var exactTripled = Exact(tripled);
        var (gradDraws, traceDraws) = DrawEstimates(tripled, "two-batch", 4, 8, new Random(5));

        // Then
        AssertClose(exact.GradNormSq, exactTripled.GradNormSq, 1e-12);
        AssertClose(exact.TraceCov, exactTripled.TraceCov, 1e-12);
        AssertClose(exact.BSimple, exactTripled.BSimple, 1e-12);
        var grad = MonteCarloCheck.Of(gradDraws, exact.GradNormSq);
        var trace = MonteCarloCheck.Of(traceDraws, exact.TraceCov);
        Assert.True(grad.IsConsistentWithTarget(), grad.ToString());
        Assert.True(trace.IsConsistentWithTarget(), trace.ToString());
    }

    [Theory]
    [InlineData(0, 4)]
    [InlineData(4, 4)]
    [InlineData(8, 4)]
    public void TwoBatch_BadBatchSizes_Throws(int small, int big)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientNoiseEstimators.TwoBatch(1, small, 1, big));
    }

    /// <summary>
    /// Draws <paramref name="draws"/> accumulated steps of k micro-batches of <paramref name="micro"/> examples
    /// (B_big = k·micro) and returns one (|G|², tr(Σ)) estimate per step from the named estimator.
    /// </summary>
    internal static (double[] Grad, double[] Trace) DrawEstimates(
        LogisticProblem p, string estimator, int micro, int k, Random rng, int draws = Draws)
    {
        var big = micro * k;
        var rows = new int[big];
        var scratch = new double[p.Dim];
        var microNormSq = new double[k];
        var grad = new double[draws];
        var trace = new double[draws];
        for (var t = 0; t < draws; t++)
        {
            p.Sample(rng, big, rows);
            for (var m = 0; m < k; m++)
            {
                microNormSq[m] = p.MeanNormSq(rows.AsSpan(m * micro, micro), scratch);
            }
            var bigNormSq = p.MeanNormSq(rows, scratch);
            var e = estimator switch
            {
                "two-batch" => GradientNoiseEstimators.FromAccumulation(microNormSq, micro, bigNormSq),
                "two-batch-single-micro" => GradientNoiseEstimators.TwoBatch(microNormSq[0], micro, bigNormSq, big),
                "per-example" => GradientNoiseEstimators.FromPerExample(p.Gather(rows), big, p.Dim),
                // Negative control: |G_small|² taken as |G|²; tr(Σ) from the two-batch formula.
                "naive-small" => new NoiseEstimate(
                    microNormSq.Average(), GradientNoiseEstimators.FromAccumulation(microNormSq, micro, bigNormSq).TraceCov),
                _ => throw new ArgumentException(estimator, nameof(estimator)),
            };
            grad[t] = e.GradNormSq;
            trace[t] = e.TraceCov;
        }
        return (grad, trace);
    }

    private static double SumSq(ReadOnlySpan<double> v)
    {
        var s = 0.0;
        foreach (var x in v)
        {
            s += x * x;
        }
        return s;
    }

    private static void AssertClose(double expected, double actual, double relTol) =>
        Assert.True(Math.Abs(expected - actual) <= relTol * Math.Max(1e-300, Math.Abs(expected)),
            $"expected {expected:R}, got {actual:R} (rel tol {relTol})");
}
