using ScaleLab.Engine.Kernels;
using static ScaleLab.Engine.Tests.Kernels.GradCheck;

namespace ScaleLab.Engine.Tests.Kernels;

/// <summary>The feature-major fused layer (<see cref="FeatureMajorLinear"/>) against its definition in double, over shapes
/// that hit every edge: columns not a multiple of 16, rows not a multiple of 6 or of the 72-row block, inputs past one
/// and two 256-input blocks, a 1024-input row stride (W packed instead of read in place), both input layouts; columns
/// around multiples of 32 for the 512-bit 6×32 tile (pairs of panels, an odd full panel left over, a partial panel).</summary>
public sealed class FeatureMajorLinearTests
{
    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (var n in new[] { 1, 5, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 80, 100 }) data.Add(n, 24, 13);
        foreach (var oc in new[] { 1, 2, 5, 6, 7, 25, 71, 72, 73, 81, 150 }) data.Add(19, 32, oc);
        foreach (var c in new[] { 1, 3, 8, 50, 255, 256, 257, 513 }) data.Add(21, c, 14);
        data.Add(64, 1024, 13);   // row stride 4 KB: W's slivers are packed, with a partial sliver
        data.Add(48, 513, 13);    // a 6×32 pair and an odd panel over three K-blocks, W read in place
        data.Add(96, 300, 150);   // three pairs over two K-blocks and two 72-row blocks
        data.Add(256, 256, 256);  // the Hex benchmark's 5x5 block layer
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_Shapes_WithinFloatSummationBound(int N, int C, int OC)
    {
        foreach (var batchMajor in new[] { false, true })
        {
            foreach (var (relu, withBias, withResidual) in new[] { (true, true, true), (false, true, false), (true, false, false), (false, false, true) })
            {
                // Given (C, N) or (N, C) inputs, a weight (OC, C), maybe a bias and a residual (OC, N)
                var rng = new Rng((ulong)(N * 10007 + C * 101 + OC) + (batchMajor ? 1u : 0u));
                var x = Gaussian(rng, N * C);
                var w = Gaussian(rng, OC * C);
                var b = withBias ? Gaussian(rng, OC) : [];
                var res = withResidual ? Gaussian(rng, OC * N) : [];
                var (xcs, xns) = batchMajor ? (1, C) : (N, 1);
                var reference = new double[OC * N];
                FeatureMajorLinear.ForwardReference<double>(x, xcs, xns, w, b, res, relu, N, C, OC, reference);
                // Σ|w·x| + |b| + |res| scales the error bound of any summation order (see WorstOverBound).
                var absSum = new double[OC * N];
                FeatureMajorLinear.ForwardReference<double>(Abs(x), xcs, xns, Abs(w), Abs(b), Abs(res), false, N, C, OC, absSum);

                // The fused 512-bit and AVX2 tiles, and the SGEMM fallback (machines without AVX2 + FMA) on its portable kernels
                float[]? avx2 = null;
                foreach (var kernel in new[] { SgemmKernel.Avx2Fma, SgemmKernel.Avx512, SgemmKernel.Vector256, SgemmKernel.Scalar })
                {
                    // When the kernel runs on the float-rounded operands, into an output holding garbage
                    var fast = Run(x, xcs, xns, w, b, res, relu, N, C, OC, kernel);

                    // Then every output is within (C + 4)·u·Σ|terms| of the double definition
                    var (at, ratio) = WorstOverBound(fast, reference, absSum, C);
                    Assert.True(ratio <= 1, $"{kernel} N {N} C {C} OC {OC} batch-major {batchMajor} relu {relu} bias {withBias} residual {withResidual}: out[{at}] {fast[at]:G9} vs {reference[at]:G9} ({ratio:G3} × the bound)");
                    // And the two tiles sum in the same order, so the 512-bit one gives the AVX2 one's bits
                    if (kernel == SgemmKernel.Avx2Fma) avx2 = fast;
                    if (kernel == SgemmKernel.Avx512) Assert.Equal(avx2, fast);
                }
            }
        }
    }

    [Theory]
    [InlineData(64, 24, 13)]
    [InlineData(100, 300, 25)]
    public void Forward_KernelMissingLastInput_FailsTheBound(int N, int C, int OC)
    {
        // Given a layer and its double definition (relu, bias and residual on)
        var rng = new Rng((ulong)(N + C + OC));
        var x = Gaussian(rng, N * C);
        var w = Gaussian(rng, OC * C);
        var b = Gaussian(rng, OC);
        var res = Gaussian(rng, OC * N);
        var reference = new double[OC * N];
        FeatureMajorLinear.ForwardReference<double>(x, N, 1, w, b, res, true, N, C, OC, reference);
        var absSum = new double[OC * N];
        FeatureMajorLinear.ForwardReference<double>(Abs(x), N, 1, Abs(w), Abs(b), Abs(res), false, N, C, OC, absSum);

        // When a deliberately wrong variant runs: the 512-bit tile with its k loop one input short (input C − 1 dropped)
        var shortW = new double[OC * (C - 1)];
        for (var o = 0; o < OC; o++) Array.Copy(w, o * C, shortW, o * (C - 1), C - 1);
        var wrong = Run(x.AsSpan(0, (C - 1) * N).ToArray(), N, 1, shortW, b, res, true, N, C - 1, OC, SgemmKernel.Avx512);

        // Then the bound the real kernels meet is tight enough to catch it: some output misses by more than 10× the bound
        var (_, ratio) = WorstOverBound(wrong, reference, absSum, C);
        Assert.True(ratio > 10, $"an off-by-one k loop stays within {ratio:G3} × the bound");
    }

    /// <summary>Forward on the float-rounded operands with the chosen kernel, into an output that starts as NaN.</summary>
    private static float[] Run(double[] x, int xcs, int xns, double[] w, double[] b, double[] res, bool relu, int N, int C, int OC, SgemmKernel kernel)
    {
        var fast = new float[OC * N];
        Array.Fill(fast, float.NaN);
        FeatureMajorLinear.Forward(ToFloat(x), xcs, xns, ToFloat(w), ToFloat(b), ToFloat(res), relu, N, C, OC, fast, kernel);
        return fast;
    }

    /// <summary>The output farthest from the reference relative to (C + 4)·u·Σ|terms| (Higham 2002 §3.1: any summation order
    /// stays within it; relu is 1-Lipschitz), and that ratio; NaN counts as infinitely far.</summary>
    private static (int At, double Ratio) WorstOverBound(float[] fast, double[] reference, double[] absSum, int C)
    {
        const double u = 1.0 / (1 << 24);
        var (at, worst) = (0, 0.0);
        for (var i = 0; i < fast.Length; i++)
        {
            var ratio = Math.Abs(fast[i] - reference[i]) / ((C + 4) * u * absSum[i] + 1e-30);
            if (double.IsNaN(ratio)) ratio = double.PositiveInfinity;
            if (ratio > worst) (at, worst) = (i, ratio);
        }
        return (at, worst);
    }

    [Fact]
    public void Forward_OneColumn_SameBitsAloneAsInAnyBatch()
    {
        // Given 40 examples (two full panels and an 8-column edge) through a 20-row layer of 300 inputs (two K-blocks)
        const int N = 40, C = 300, OC = 20;
        var rng = new Rng(5);
        var x = ToFloat(Gaussian(rng, N * C));
        var w = ToFloat(Gaussian(rng, OC * C));
        var b = ToFloat(Gaussian(rng, OC));
        var batch = new float[OC * N];
        FeatureMajorLinear.Forward(x, 1, C, w, b, [], true, N, C, OC, batch);
        for (var n = 0; n < N; n++)
        {
            // When example n runs alone (batch-major input: its C features)
            var alone = new float[OC];
            FeatureMajorLinear.Forward(x.AsSpan(n * C, C), 1, C, w, b, [], true, 1, C, OC, alone);
            // Then its column is the same bits
            for (var o = 0; o < OC; o++) Assert.Equal(batch[o * N + n], alone[o]);
        }
    }

    [Fact]
    public void Forward_TooSmallBuffers_Refused()
    {
        var ok = new float[64];
        Assert.Throws<ArgumentException>(() => FeatureMajorLinear.Forward(ok.AsSpan(0, 11), 4, 1, ok, [], [], false, 3, 4, 2, ok));
        Assert.Throws<ArgumentException>(() => FeatureMajorLinear.Forward(ok, 4, 1, ok.AsSpan(0, 7), [], [], false, 3, 4, 2, ok));
        Assert.Throws<ArgumentException>(() => FeatureMajorLinear.Forward(ok, 4, 1, ok, [], [], false, 3, 4, 2, new float[5]));
    }

    private static double[] Abs(double[] a) => Array.ConvertAll(a, Math.Abs);
}
