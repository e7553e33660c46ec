using ScaleLab.Engine.Kernels;
using ScaleLab.Engine.Parallelism;

namespace ScaleLab.Engine.Tests.Kernels;

public sealed class PackedLinearTests
{
    // Sizes around the panels and tiles: C of one input and past one cache line; OC below, at and past one panel of 32
    // outputs (the last panel partial), several panels.
    public static TheoryData<int, int> Sizes => new()
    {
        { 1, 1 }, { 5, 3 }, { 8, 31 }, { 17, 32 }, { 33, 33 }, { 64, 65 }, { 129, 100 }, { 40, 128 },
    };

    private static readonly PackedLinear.Path[] Paths = [PackedLinear.Path.Best, PackedLinear.Path.Avx2, PackedLinear.Path.Scalar];

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Forward_EveryBlockSizeAndPath_EqualsTheScalarChainBitForBit(int C, int OC)
    {
        // Every verify pass size (γ + 1 ≤ 17) lands in tiles of 1-6 rows (AVX-512) or 1-3 rows (AVX2) or scalar code;
        // each output must be exactly bias + the fused chain over c in order (the reference), so a block of rows equals
        // single rows and every machine decodes to the same bits.
        foreach (var withBias in new[] { true, false })
        {
            var rng = new Random(1000 * C + OC + (withBias ? 1 : 0));
            var w = Random(rng, OC * C);
            var bias = withBias ? Random(rng, OC) : [];
            var packed = new PackedLinear(w, bias, C, OC);
            for (var k = 1; k <= 17; k++)
            {
                var x = Random(rng, k * C);
                var expected = new float[k * OC];
                PackedLinear.ForwardReference(w, bias, x, k, C, OC, expected);
                foreach (var path in Paths)
                {
                    var output = Enumerable.Repeat(float.NaN, k * OC).ToArray();
                    packed.Forward(x, k, output, path);
                    Assert.True(expected.AsSpan().SequenceEqual(output), $"C={C} OC={OC} k={k} {path} bias={withBias}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void ForwardReference_EqualsNaiveDoubleProducts(int C, int OC)
    {
        // The reference the bits are compared with is itself the product: each element within float rounding of the
        // double-precision sum of its terms.
        var rng = new Random(7 * C + OC);
        const int k = 3;
        var w = Random(rng, OC * C);
        var bias = Random(rng, OC);
        var x = Random(rng, k * C);
        var output = new float[k * OC];
        PackedLinear.ForwardReference(w, bias, x, k, C, OC, output);
        for (var i = 0; i < k; i++)
        {
            for (var o = 0; o < OC; o++)
            {
                double exact = bias[o], magnitude = Math.Abs(bias[o]);
                for (var c = 0; c < C; c++)
                {
                    exact += (double)w[o * C + c] * x[i * C + c];
                    magnitude += Math.Abs((double)w[o * C + c] * x[i * C + c]);
                }
                Assert.True(Math.Abs(output[i * OC + o] - exact) <= 1.2e-7 * (C + 2) * magnitude + 1e-30, $"row {i} out {o}: {output[i * OC + o]} vs {exact}");
            }
        }
    }

    // Panel counts around the thread split: fewer panels than threads, one each, uneven chunks.
    public static TheoryData<int, int> SplitSizes => new()
    {
        { 9, 40 }, { 64, 64 }, { 17, 96 }, { 129, 200 }, { 64, 512 },
    };

    [Theory]
    [MemberData(nameof(SplitSizes))]
    public void Forward_SplitOverThreads_GivesTheBitsOfOneThread(int C, int OC)
    {
        foreach (var threads in new[] { 2, 3 })
        {
            using var pool = new WorkerPool(threads);
            var rng = new Random(17 * C + OC + threads);
            var w = Random(rng, OC * C);
            var bias = Random(rng, OC);
            var packed = new PackedLinear(w, bias, C, OC);
            foreach (var k in new[] { 1, 2, 5, 9, 17 })
            {
                var x = Random(rng, k * C);
                var serial = new float[k * OC];
                var split = Enumerable.Repeat(float.NaN, k * OC).ToArray();
                packed.Forward(x, k, serial);
                packed.Forward(x, k, split, pool);
                Assert.Equal(serial, split);
            }
        }
    }

    [Fact]
    public void BitForBitComparison_OtherSummationOrder_IsCaught()
    {
        // Negative control for the bit tests: the same products summed as 8-lane dot products with a horizontal sum
        // (the order of a kernel that walks rows of W) differ from the chain in the last bits of many elements, so the
        // comparisons above do detect a tile that sums in its own order.
        const int C = 512, OC = 64, k = 9;
        var rng = new Random(5);
        var w = Random(rng, OC * C);
        var x = Random(rng, k * C);
        var block = new float[k * OC];
        new PackedLinear(w, [], C, OC).Forward(x, k, block);
        var lanes = new float[k * OC];
        for (var i = 0; i < k; i++)
        {
            for (var o = 0; o < OC; o++)
            {
                var acc = new float[8];
                for (var c = 0; c < C; c++) acc[c % 8] = MathF.FusedMultiplyAdd(w[o * C + c], x[i * C + c], acc[c % 8]);
                lanes[i * OC + o] = acc.Sum();
            }
        }
        var differing = Enumerable.Range(0, k * OC).Count(j => block[j] != lanes[j]);
        Assert.True(differing > k * OC / 4, $"only {differing} of {k * OC} elements differ");
    }

    [Fact]
    public void Pack_IsACopy_TakenWhenMade()
    {
        // Given: a pack, then the weights changed
        var rng = new Random(9);
        const int C = 20, OC = 40;
        var w = Random(rng, OC * C);
        var bias = Random(rng, OC);
        var packed = new PackedLinear(w, bias, C, OC);
        var x = Random(rng, C);
        var before = new float[OC];
        PackedLinear.ForwardReference(w, bias, x, 1, C, OC, before);
        for (var j = 0; j < w.Length; j++) w[j] *= 2;
        bias[0] = 100;

        // When
        var output = new float[OC];
        packed.Forward(x, 1, output);

        // Then: the pack still holds the old weights
        Assert.Equal(before, output);
        Assert.True(packed.Bytes >= 4L * OC * C);
    }

    [Fact]
    public void Forward_OutputsPastTheBlock_AreLeftAlone()
    {
        var rng = new Random(3);
        const int C = 12, OC = 37, k = 3;
        var output = Enumerable.Repeat(-7f, k * OC + 5).ToArray();
        new PackedLinear(Random(rng, OC * C), [], C, OC).Forward(Random(rng, k * C), k, output);
        Assert.All(output.AsSpan(k * OC).ToArray(), v => Assert.Equal(-7f, v));
        Assert.DoesNotContain(-7f, output.AsSpan(0, k * OC).ToArray());
    }

    [Fact]
    public void BadSizes_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PackedLinear(new float[6], [], 0, 2));
        Assert.Throws<ArgumentException>(() => new PackedLinear(new float[5], [], 3, 2));
        Assert.Throws<ArgumentException>(() => new PackedLinear(new float[6], new float[1], 3, 2));
        var packed = new PackedLinear(new float[6], [], 3, 2);
        Assert.Throws<ArgumentException>(() => packed.Forward(new float[5], 2, new float[4]));
        Assert.Throws<ArgumentException>(() => packed.Forward(new float[6], 2, new float[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => packed.Forward(new float[6], -1, new float[4]));
    }

    private static float[] Random(Random rng, int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
}
