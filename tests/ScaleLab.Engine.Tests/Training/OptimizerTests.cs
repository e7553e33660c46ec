using ScaleLab.Engine.Parallelism;
using ScaleLab.Engine.Training;

namespace ScaleLab.Engine.Tests.Training;

public sealed class OptimizerTests
{
    [Fact]
    public void AdamW_FirstStep_MatchesClosedForm_DecayOnlyOnMatrices()
    {
        // Given a 5-value matrix (decayed) and a 3-value bias (not decayed). At t = 1, m̂ = g and v̂ = g²,
        // so θ1 = θ0·(1 − lr·wd) − lr·g/(|g| + ε) on matrices and θ0 − lr·g/(|g| + ε) elsewhere.
        float[] theta = [0.5f, -1.0f, 2.0f, 0.25f, -0.75f, 1.0f, -2.0f, 0.1f];
        float[] grad = [0.1f, -0.2f, 0.3f, 1e-3f, -4.0f, 0.5f, 0.05f, -0.7f];
        const double lr = 0.01, wd = 0.1;
        var adam = new AdamW(8, [new(0, 5, Decay: true), new(5, 3, Decay: false)], new AdamWOptions(WeightDecay: wd));
        var before = (float[])theta.Clone();

        // When
        adam.Update(theta, grad, lr);

        // Then
        for (var i = 0; i < 8; i++)
        {
            var decay = i < 5 ? 1 - lr * wd : 1.0;
            var expected = before[i] * decay - lr * grad[i] / (Math.Abs(grad[i]) + 1e-8);
            Assert.Equal(expected, theta[i], 1e-6);
        }
        Assert.Equal(0.1f * grad[4], adam.M[4], 1e-7);
        Assert.Equal(0.05f * grad[4] * grad[4], adam.V[4], 1e-6);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void AdamW_OnAPool_BitIdenticalToOneThread(int threads)
    {
        // Given: segments whose boundaries fall inside the threads' shares (1003 = 600 + 7 + 396).
        var rng = new Rng(11);
        const int n = 1003;
        ParameterSegment[] segments = [new(0, 600, true), new(600, 7, false), new(607, n - 607, true)];
        var start = Enumerable.Range(0, n).Select(_ => (float)rng.NextGaussian()).ToArray();
        var grads = Enumerable.Range(0, 5).Select(_ => Enumerable.Range(0, n).Select(_ => (float)rng.NextGaussian()).ToArray()).ToList();
        float[] Run(WorkerPool? pool)
        {
            var theta = (float[])start.Clone();
            var adam = new AdamW(n, segments);
            foreach (var g in grads) adam.Update(theta, g, 1e-2, pool);
            return [.. theta, .. adam.M, .. adam.V];
        }
        using var pool = new WorkerPool(threads);

        // When
        var one = Run(null);
        var many = Run(pool);

        // Then
        Assert.Equal(one, many);
        Assert.NotEqual(start, one[..n]);
    }

    [Fact]
    public void AdamW_ManySteps_VectorPathEqualsScalarReference()
    {
        // Given 1003 values (vector body plus a scalar tail) and a plain double-precision reference
        var rng = new Rng(5);
        const int n = 1003;
        var theta = Enumerable.Range(0, n).Select(_ => (float)rng.NextGaussian()).ToArray();
        var reference = theta.Select(x => (double)x).ToArray();
        var (m, v) = (new double[n], new double[n]);
        var adam = new AdamW(n, [new(0, 600, true), new(600, n - 600, false)]);

        // When: 20 steps with fresh gradients
        for (var t = 1; t <= 20; t++)
        {
            var g = Enumerable.Range(0, n).Select(_ => (float)rng.NextGaussian()).ToArray();
            adam.Update(theta, g, 1e-2);
            for (var i = 0; i < n; i++)
            {
                m[i] = 0.9 * m[i] + 0.1 * g[i];
                v[i] = 0.95 * v[i] + 0.05 * g[i] * g[i];
                var mh = m[i] / (1 - Math.Pow(0.9, t));
                var vh = v[i] / (1 - Math.Pow(0.95, t));
                reference[i] -= 1e-2 * (mh / (Math.Sqrt(vh) + 1e-8) + (i < 600 ? 0.1 * reference[i] : 0));
            }
        }

        // Then
        for (var i = 0; i < n; i++)
        {
            Assert.Equal(reference[i], theta[i], 1e-4);
        }
        Assert.Equal(20, adam.Step);
    }

    [Fact]
    public void AdamW_SegmentsWithGap_AreRefused()
    {
        Assert.Throws<ArgumentException>(() => new AdamW(10, [new(0, 4, true), new(5, 5, false)]));
        Assert.Throws<ArgumentException>(() => new AdamW(10, [new(0, 4, true)]));
    }

    [Fact]
    public void Schedule_WarmupPeakMiddleAndEnd_HaveTheirValues()
    {
        // Given peak 1e-3, 10 warmup steps, 110 steps, floor 10%
        var schedule = new LearningRateSchedule(1e-3, 10, 110, 0.1);

        // When / Then
        Assert.Equal(1e-4, schedule.At(0), 1e-15);       // first warmup step: η/W
        Assert.Equal(5e-4, schedule.At(4), 1e-15);
        Assert.Equal(1e-3, schedule.At(9), 1e-15);       // end of warmup: η
        Assert.Equal(1e-3, schedule.At(10), 1e-15);      // first decay step: cos(0)
        Assert.Equal(1e-4 + 4.5e-4 * (1 + Math.Cos(Math.PI * 49 / 99)), schedule.At(59), 1e-15); // r = 49/99
        Assert.Equal(1e-4, schedule.At(109), 1e-15);     // last step: the floor
        Assert.Equal(1e-4, schedule.At(500), 1e-15);     // past the end: stays at the floor
        for (long s = 10; s < 109; s++)
        {
            Assert.True(schedule.At(s + 1) <= schedule.At(s), $"not monotone at {s}");
        }
    }

    [Fact]
    public void ClipGlobalNorm_AboveAndBelowThreshold_ScalesOnlyWhenNeeded()
    {
        // Given g = (3, 4) with norm 5
        float[] big = [3, 4];
        float[] small = [3, 4];

        // When
        var normBig = GradientClipping.ClipGlobalNorm(big, 1.0);
        var normSmall = GradientClipping.ClipGlobalNorm(small, 10.0);

        // Then: the pre-clip norm is returned; above the threshold the norm becomes 1, direction kept
        Assert.Equal(5.0, normBig, 1e-6);
        Assert.Equal(0.6, big[0], 1e-6);
        Assert.Equal(0.8, big[1], 1e-6);
        Assert.Equal(5.0, normSmall, 1e-6);
        Assert.Equal([3f, 4f], small);
    }

    [Fact]
    public void NormSquared_LongBuffer_MatchesDoubleSum()
    {
        // Given 100 003 values (several 4096 blocks and a remainder)
        var rng = new Rng(1);
        var values = Enumerable.Range(0, 100_003).Select(_ => (float)rng.NextGaussian()).ToArray();

        // When
        var sum = GradientClipping.NormSquared(values);

        // Then
        Assert.Equal(values.Sum(x => (double)x * x), sum, 1e-6 * sum);
    }
}
