using ScaleLab.Engine.Kernels;
using static ScaleLab.Engine.Tests.Kernels.GradCheck;

namespace ScaleLab.Engine.Tests.Kernels;

/// <summary>The feature-major fused layer (<see cref="FeatureMajorLinear"/>) against its definition in double, over shapes
/// that hit every edge: columns not a multiple of 16, rows not a multiple of 6 or of the 72-row block, inputs past one
/// and two 256-input blocks, a 1024-input row stride (W packed instead of read in place), both input layouts.</summary>
public sealed class FeatureMajorLinearTests
{
    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (var n in new[] { 1, 5, 15, 16, 17, 31, 33, 100 }) data.Add(n, 24, 13);
        foreach (var oc in new[] { 1, 2, 5, 6, 7, 25, 71, 72, 73, 81, 150 }) data.Add(19, 32, oc);
        foreach (var c in new[] { 1, 3, 8, 50, 255, 256, 257, 513 }) data.Add(21, c, 14);
        data.Add(64, 1024, 13);   // row stride 4 KB: W's slivers are packed, with a partial sliver
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
                // Σ|w·x| + |b| + |res| bounds the error of any summation order (Higham 2002 §3.1); relu is 1-Lipschitz.
                var absSum = new double[OC * N];
                FeatureMajorLinear.ForwardReference<double>(Abs(x), xcs, xns, Abs(w), Abs(b), Abs(res), false, N, C, OC, absSum);

                // The fused AVX2 tile, and the SGEMM fallback (machines without AVX2 + FMA) on its portable kernels
                foreach (var kernel in new[] { SgemmKernel.Avx2Fma, SgemmKernel.Vector256, SgemmKernel.Scalar })
                {
                    // When the kernel runs on the float-rounded operands, into an output holding garbage
                    var fast = new float[OC * N];
                    Array.Fill(fast, float.NaN);
                    FeatureMajorLinear.Forward(ToFloat(x), xcs, xns, ToFloat(w), ToFloat(b), ToFloat(res), relu, N, C, OC, fast, kernel);

                    // Then every output is within (C + 4)·u·Σ|terms| of the double definition
                    const double u = 1.0 / (1 << 24);
                    for (var i = 0; i < fast.Length; i++)
                    {
                        var bound = (C + 4) * u * absSum[i] + 1e-30;
                        Assert.True(Math.Abs(fast[i] - reference[i]) <= bound,
                            $"{kernel} N {N} C {C} OC {OC} batch-major {batchMajor} relu {relu} bias {withBias} residual {withResidual}: out[{i}] {fast[i]:G9} vs {reference[i]:G9} (bound {bound:G3})");
                    }
                }
            }
        }
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
