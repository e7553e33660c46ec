using ScaleLab.Engine.Kernels;

namespace ScaleLab.Engine.Tests.Kernels;

public sealed class RowBlockMatVecTests
{
    // Sizes around the tiles: C below, at and past one 8-float chunk and 16 floats (one prefetched line), with tails
    // (C not a multiple of 8); OC below, at and past the 4 and 8 weight rows of a tile, with remainders.
    public static TheoryData<int, int> Sizes => new()
    {
        { 1, 1 }, { 5, 3 }, { 8, 4 }, { 9, 7 }, { 15, 5 }, { 16, 8 }, { 17, 8 }, { 31, 11 }, { 33, 13 }, { 64, 9 }, { 101, 21 }, { 129, 30 },
    };

    /// <summary>Every block size a verify pass uses (γ + 1 ≤ 17), through the paired AVX-512 tiles where the CPU has
    /// them and through the 256-bit ones.</summary>
    private static IEnumerable<(int K, bool Wide)> Blocks(int from) =>
        Enumerable.Range(from, 18 - from).SelectMany(k => new[] { (k, true), (k, false) });

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Forward_EveryBlockSize_EqualsNaiveDoubleProducts(int C, int OC)
    {
        foreach (var (k, wide) in Blocks(1))
        {
            foreach (var withBias in new[] { true, false })
            {
                // Given: random weights, bias and k rows of inputs of mixed signs.
                var rng = new Random(1000 * C + 10 * OC + k);
                var w = Random(rng, OC * C);
                var bias = withBias ? Random(rng, OC) : [];
                var x = Random(rng, k * C);
                var output = new float[k * OC];

                // When
                RowBlockMatVec.Forward(w, bias, x, k, C, OC, output, wide);

                // Then: each element equals the double-precision sum within float rounding of its terms.
                for (var i = 0; i < k; i++)
                {
                    for (var o = 0; o < OC; o++)
                    {
                        double exact = withBias ? bias[o] : 0, magnitude = withBias ? Math.Abs(bias[o]) : 0;
                        for (var c = 0; c < C; c++)
                        {
                            exact += (double)w[o * C + c] * x[i * C + c];
                            magnitude += Math.Abs((double)w[o * C + c] * x[i * C + c]);
                        }
                        var got = output[i * OC + o];
                        Assert.True(Math.Abs(got - exact) <= 1.2e-7 * (C + 16) * magnitude + 1e-30,
                            $"C={C} OC={OC} k={k} wide={wide} bias={withBias} row {i} out {o}: {got} vs {exact}");
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Forward_BlockOfRows_EqualsRowsOneAtATimeBitForBit(int C, int OC)
    {
        // A verify pass must score exactly what single decode steps score (greedy speculative output equals plain
        // greedy output without tolerance), whatever tile each row lands in, on either path.
        foreach (var (k, wide) in Blocks(2))
        {
            var rng = new Random(7 * C + OC + 100 * k);
            var w = Random(rng, OC * C);
            var bias = Random(rng, OC);
            var x = Random(rng, k * C);
            var block = new float[k * OC];
            RowBlockMatVec.Forward(w, bias, x, k, C, OC, block, wide);
            for (var i = 0; i < k; i++)
            {
                var single = new float[OC];
                RowBlockMatVec.Forward(w, bias, x.AsSpan(i * C, C), 1, C, OC, single);
                Assert.Equal(single, block.AsSpan(i * OC, OC).ToArray());
            }
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Forward_DualAnd256BitTiles_GiveTheSameBits(int C, int OC)
    {
        // The paired AVX-512 tiles (two token rows per 512-bit register) and the 256-bit ones sum in the same order, so
        // a model decodes to the same bits on both kinds of machine. (Without AVX-512 both calls take the 256-bit path.)
        for (var k = 1; k <= 17; k++)
        {
            var rng = new Random(31 * C + OC + 1000 * k);
            var w = Random(rng, OC * C);
            var bias = Random(rng, OC);
            var x = Random(rng, k * C);
            var wide = new float[k * OC];
            var pairs = new float[k * OC];
            RowBlockMatVec.Forward(w, bias, x, k, C, OC, wide, allowDual: true);
            RowBlockMatVec.Forward(w, bias, x, k, C, OC, pairs, allowDual: false);
            Assert.Equal(pairs, wide);
        }
    }

    // Output sizes around the thread split (chunks of whole multiples of RowBlockMatVec.SplitUnit, the last with the
    // remainder): one unit per thread and less, uneven chunks, a remainder past the last tile.
    public static TheoryData<int, int> SplitSizes => new()
    {
        { 9, 16 }, { 64, 17 }, { 17, 24 }, { 129, 30 }, { 33, 61 }, { 64, 100 },
    };

    [Theory]
    [MemberData(nameof(SplitSizes))]
    public void Forward_SplitOverThreads_GivesTheBitsOfOneThread(int C, int OC)
    {
        // A target decoding on 2 threads must score exactly what it scores on one (a verify block equals single steps
        // at any thread count): every element stays one thread's sum in the fixed order.
        foreach (var threads in new[] { 2, 3 })
        {
            using var pool = new ScaleLab.Engine.Parallelism.WorkerPool(threads);
            foreach (var (k, wide) in Blocks(1))
            {
                var rng = new Random(17 * C + OC + 100 * k);
                var w = Random(rng, OC * C);
                var bias = Random(rng, OC);
                var x = Random(rng, k * C);
                var serial = new float[k * OC];
                var split = Enumerable.Repeat(float.NaN, k * OC).ToArray();
                RowBlockMatVec.Forward(w, bias, x, k, C, OC, serial, wide);
                RowBlockMatVec.Forward(w, bias, x, k, C, OC, split, wide, pool);
                Assert.Equal(serial, split);
            }
        }
    }

    [Fact]
    public void ThreadSplitOverTheInputs_ChangesTheBits_AndIsCaught()
    {
        // Negative control for the split test: a split over the summed dimension C (each thread sums half of every
        // dot product, the halves then added, as a K-split GEMM would) changes the summation order, and the bit
        // comparison sees it in many elements. Only a split over the output elements keeps the bits.
        const int C = 512, OC = 64, k = 9, half = C / 2;
        var rng = new Random(6);
        var w = Random(rng, OC * C);
        var x = Random(rng, k * C);
        var whole = new float[k * OC];
        RowBlockMatVec.Forward(w, [], x, k, C, OC, whole);
        float[] Half(float[] a, int rows, int from) => Enumerable.Range(0, rows).SelectMany(r => a.AsSpan(r * C + from, half).ToArray()).ToArray();
        var lo = new float[k * OC];
        var hi = new float[k * OC];
        RowBlockMatVec.Forward(Half(w, OC, 0), [], Half(x, k, 0), k, half, OC, lo);
        RowBlockMatVec.Forward(Half(w, OC, half), [], Half(x, k, half), k, half, OC, hi);
        var kSplit = lo.Zip(hi, (a, b) => a + b).ToArray();
        var differing = Enumerable.Range(0, k * OC).Count(j => whole[j] != kSplit[j]);
        Assert.True(differing > k * OC / 4, $"only {differing} of {k * OC} elements differ");
        Assert.Throws<Xunit.Sdk.EqualException>(() => Assert.Equal(whole, kSplit));
    }

    [Fact]
    public void BitForBitComparison_OtherSummationOrder_IsCaught()
    {
        // Negative control for the two tests above: the same products summed in another order (left to right in
        // float, as a naive kernel would) differ from the kernel's in the last bits of many elements, so an
        // Assert.Equal on the bits does detect a tile that sums in its own order.
        const int C = 512, OC = 64, k = 9;
        var rng = new Random(5);
        var w = Random(rng, OC * C);
        var x = Random(rng, k * C);
        var block = new float[k * OC];
        RowBlockMatVec.Forward(w, [], x, k, C, OC, block);
        var naive = new float[k * OC];
        for (var i = 0; i < k; i++)
        {
            for (var o = 0; o < OC; o++)
            {
                var s = 0f;
                for (var c = 0; c < C; c++) s += w[o * C + c] * x[i * C + c];
                naive[i * OC + o] = s;
            }
        }
        var differing = Enumerable.Range(0, k * OC).Count(j => block[j] != naive[j]);
        Assert.True(differing > k * OC / 4, $"only {differing} of {k * OC} elements differ");
        Assert.Throws<Xunit.Sdk.EqualException>(() => Assert.Equal(naive, block));
    }

    [Fact]
    public void Forward_OutputsPastTheBlock_AreLeftAlone()
    {
        // Given: an output span longer than k·OC, filled with a sentinel.
        var rng = new Random(3);
        const int C = 12, OC = 6, k = 3;
        var output = Enumerable.Repeat(-7f, k * OC + 5).ToArray();

        // When
        RowBlockMatVec.Forward(Random(rng, OC * C), [], Random(rng, k * C), k, C, OC, output);

        // Then: exactly k·OC elements were written.
        Assert.All(output.AsSpan(k * OC).ToArray(), v => Assert.Equal(-7f, v));
        Assert.DoesNotContain(-7f, output.AsSpan(0, k * OC).ToArray());
    }

    [Fact]
    public void Forward_TooShortSpans_Throw()
    {
        var w = new float[6];
        Assert.Throws<ArgumentException>(() => RowBlockMatVec.Forward(w, [], new float[3], 2, 2, 3, new float[6]));
        Assert.Throws<ArgumentException>(() => RowBlockMatVec.Forward(w, [], new float[4], 2, 2, 3, new float[5]));
        Assert.Throws<ArgumentException>(() => RowBlockMatVec.Forward(w, new float[2], new float[4], 2, 2, 3, new float[6]));
        Assert.Throws<ArgumentException>(() => RowBlockMatVec.Forward(new float[5], [], new float[4], 2, 2, 3, new float[6]));
    }

    private static float[] Random(Random rng, int n)
    {
        var a = new float[n];
        for (var i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }
}
