using static ScaleLab.Engine.Tests.Kernels.GradCheck;

namespace ScaleLab.Engine.Tests.Inference;

public sealed class KvCacheDecoderTests
{
    [Theory]
    [InlineData(2, 16, 2, 9, 23)]
    [InlineData(3, 20, 5, 12, 256)]
    [InlineData(2, 24, 2, 11, 19)]    // head size 12: one vector of 8 dimensions and a tail of 4
    [InlineData(1, 144, 2, 40, 30)]   // head size 72: two blocks of 32 dimensions and one of 8; past 32 positions
    public void Step_EveryPosition_EqualsFullForwardLogits(int layers, int dModel, int heads, int seqLen, int vocab)
    {
        // Given: a model with weights large enough that attention is far from uniform.
        var config = new GptConfig(layers, dModel, heads, seqLen, vocab);
        using var model = new Gpt(config, 1);
        model.InitWeights(new Rng(5));
        for (var i = 0; i < model.Parameters.Length; i++) model.Parameters[i] *= 5;
        var tokens = Tokens(new Rng(6), seqLen, vocab);
        model.Forward(tokens, [], 1, seqLen);
        var full = model.Logits.ToArray();
        var decoder = new KvCacheDecoder(model);

        // When / Then: logits of step t equal the full pass's row t up to summation order.
        for (var t = 0; t < seqLen; t++)
        {
            Assert.Equal(t, decoder.Position);
            var step = decoder.Step(tokens[t]).ToArray();
            for (var v = 0; v < vocab; v++)
            {
                var expected = full[t * vocab + v];
                Assert.True(Math.Abs(step[v] - expected) <= 1e-4 + 1e-4 * Math.Abs(expected), $"t={t} v={v}: {step[v]} vs {expected}");
            }
        }
    }

    [Theory]
    [InlineData(1, new[] { 4, 1, 5, 2 })]
    [InlineData(2, new[] { 12 })]
    [InlineData(1, new[] { 1, 2, 3, 6 })]
    public void Feed_Chunks_EqualSingleStepsAndFullForward(int threads, int[] chunks)
    {
        // Given: the logits of a full forward and of one Step per token, on a model with large weights.
        var config = new GptConfig(2, 24, 3, 12, 37);
        using var model = new Gpt(config, 1, threads);
        model.InitWeights(new Rng(8));
        for (var i = 0; i < model.Parameters.Length; i++) model.Parameters[i] *= 5;
        var tokens = Tokens(new Rng(9), 12, 37);
        model.Forward(tokens, [], 1, 12);
        var full = model.Logits.ToArray();
        var stepper = new KvCacheDecoder(model);
        var steps = tokens.SelectMany(t => stepper.Step(t).ToArray()).ToArray();
        var decoder = new KvCacheDecoder(model);

        // When: the tokens fed in chunks of k.
        var fed = new List<float>();
        var at = 0;
        foreach (var k in chunks)
        {
            var rows = decoder.Feed(tokens.AsSpan(at, k)).ToArray();
            Assert.Equal(k * 37, rows.Length);
            fed.AddRange(rows);
            at += k;
            Assert.Equal(at, decoder.Position);
        }

        // Then: row by row, equal to the steps and to the full pass up to summation order.
        for (var i = 0; i < full.Length; i++)
        {
            Assert.True(Math.Abs(fed[i] - full[i]) <= 1e-4 + 1e-4 * Math.Abs(full[i]), $"[{i}] feed {fed[i]} vs forward {full[i]}");
            Assert.True(Math.Abs(fed[i] - steps[i]) <= 1e-4 + 1e-4 * Math.Abs(steps[i]), $"[{i}] feed {fed[i]} vs steps {steps[i]}");
        }
    }

    [Theory]
    [InlineData(24, 3, new[] { 1, 4, 5, 7, 9, 2, 4 }, 1)]
    [InlineData(20, 5, new[] { 3, 16, 13 }, 1)]
    [InlineData(64, 4, new[] { 1, 9, 17, 5 }, 1)]
    [InlineData(64, 4, new[] { 1, 9, 17, 5 }, 2)]
    [InlineData(144, 2, new[] { 2, 13, 17 }, 2)]
    [InlineData(24, 3, new[] { 1, 4, 5, 7, 9, 2, 4 }, 3)]
    public void Feed_SmallBlocks_EqualSingleStepsBitForBit(int dModel, int heads, int[] chunks, int threads)
    {
        // Given: one Step per token on a model with large weights (the speculative sampler's target path is Feed,
        // plain sampling's is Step; equal bits make greedy outputs identical without tolerance), with the products of
        // both split over `threads` threads
        var config = new GptConfig(2, dModel, heads, 32, 37);
        using var model = new Gpt(config, 1, threads);
        model.InitWeights(new Rng(18));
        for (var i = 0; i < model.Parameters.Length; i++) model.Parameters[i] *= 5;
        var tokens = Tokens(new Rng(19), 32, 37);
        var stepper = new KvCacheDecoder(model);
        var steps = tokens[..chunks.Sum()].SelectMany(t => stepper.Step(t).ToArray()).ToArray();
        var decoder = new KvCacheDecoder(model);

        // When: the tokens fed in blocks of at most KvCacheDecoder.SmallBlock
        var fed = new List<float>();
        var at = 0;
        foreach (var k in chunks)
        {
            Assert.True(k <= KvCacheDecoder.SmallBlock);
            fed.AddRange(decoder.Feed(tokens.AsSpan(at, k)).ToArray());
            at += k;
        }

        // Then
        Assert.Equal(steps, fed.ToArray());
    }

    [Fact]
    public void StepAndFeed_TwoThreads_GiveTheSameBitsAsOne()
    {
        // Given: the logits of single steps and of verify-sized blocks on one thread (d_model 64: every product has at
        // least 2 panels of PackedLinear.Width outputs, so each is split at 2 threads)
        var config = new GptConfig(2, 64, 4, 32, 37);
        using var model = new Gpt(config, 1);
        model.InitWeights(new Rng(38));
        for (var i = 0; i < model.Parameters.Length; i++) model.Parameters[i] *= 5;
        var tokens = Tokens(new Rng(39), 32, 37);
        int[] chunks = [1, 4, 9, 17];
        var (steps, blocks) = StepsAndBlocks(model, tokens, chunks);

        // When: the same model at 2 threads
        model.Threads = 2;
        var (steps2, blocks2) = StepsAndBlocks(model, tokens, chunks);

        // Then: the thread count changes no bit (each output element is one thread's sum in the fixed order)
        Assert.Equal(steps, steps2);
        Assert.Equal(blocks, blocks2);

        // Negative control: one weight of the first MLP moved by one ulp changes some logit bits, so the comparison
        // above would see a thread split that summed even one element in another order.
        model.Parameters[model.ParameterLayout.Layers[0].FcW + 5] = MathF.BitIncrement(model.Parameters[model.ParameterLayout.Layers[0].FcW + 5]);
        var (stepsMoved, _) = StepsAndBlocks(model, tokens, chunks);
        Assert.NotEqual(steps2, stepsMoved);
    }

    private static (float[] Steps, float[] Blocks) StepsAndBlocks(Gpt model, int[] tokens, int[] chunks)
    {
        var stepper = new KvCacheDecoder(model);
        var steps = tokens.SelectMany(t => stepper.Step(t).ToArray()).ToArray();
        var decoder = new KvCacheDecoder(model);
        var blocks = new List<float>();
        var at = 0;
        foreach (var k in chunks)
        {
            blocks.AddRange(decoder.Feed(tokens.AsSpan(at, k)).ToArray());
            at += k;
        }
        return (steps, blocks.ToArray());
    }

    [Fact]
    public void Feed_LargeBlock_UsesTheSgemmAndEqualsStepsUpToSummationOrder()
    {
        // Given: a block of 20 tokens, above KvCacheDecoder.SmallBlock, then a small one
        var config = new GptConfig(2, 24, 3, 32, 37);
        using var model = new Gpt(config, 1);
        model.InitWeights(new Rng(28));
        for (var i = 0; i < model.Parameters.Length; i++) model.Parameters[i] *= 5;
        var tokens = Tokens(new Rng(29), 26, 37);
        var stepper = new KvCacheDecoder(model);
        var steps = tokens.SelectMany(t => stepper.Step(t).ToArray()).ToArray();
        var decoder = new KvCacheDecoder(model);

        // When
        var fed = decoder.Feed(tokens.AsSpan(0, 20)).ToArray().Concat(decoder.Feed(tokens.AsSpan(20, 6)).ToArray()).ToArray();

        // Then
        Assert.True(20 > KvCacheDecoder.SmallBlock);
        for (var i = 0; i < steps.Length; i++)
        {
            Assert.True(Math.Abs(fed[i] - steps[i]) <= 1e-4 + 1e-4 * Math.Abs(steps[i]), $"[{i}] feed {fed[i]} vs steps {steps[i]}");
        }
    }

    [Fact]
    public void Rollback_ThenRefeed_EqualsNeverHavingFedTheDraft()
    {
        // Given: a prefix, then a rejected draft of 4 tokens (one verify pass), and a decoder that never saw the draft.
        var config = new GptConfig(2, 16, 2, 12, 23);
        using var model = new Gpt(config, 1);
        model.InitWeights(new Rng(10));
        for (var i = 0; i < model.Parameters.Length; i++) model.Parameters[i] *= 5;
        var rng = new Rng(11);
        var prefix = Tokens(rng, 5, 23);
        var draft = Tokens(rng, 4, 23);
        var accepted = Tokens(rng, 3, 23);
        var clean = new KvCacheDecoder(model);
        clean.Feed(prefix);
        var expectedFeed = clean.Feed(accepted).ToArray();
        var expectedStep = clean.Step(7).ToArray();
        var decoder = new KvCacheDecoder(model);
        decoder.Feed(prefix);
        decoder.Feed(draft);

        // When
        decoder.Rollback(5);
        var feed = decoder.Feed(accepted).ToArray();
        var step = decoder.Step(7).ToArray();

        // Then: bit for bit (a position's cache depends only on the tokens up to it).
        Assert.Equal(expectedFeed, feed);
        Assert.Equal(expectedStep, step);
        Assert.Equal(9, decoder.Position);
    }

    [Fact]
    public void FeedAndRollback_OutOfRange_ThrowNamingTheRemedy()
    {
        // Given
        using var model = new Gpt(new GptConfig(1, 8, 2, 4, 11), 1);
        var decoder = new KvCacheDecoder(model);
        decoder.Feed([1, 2, 3]);

        // When / Then
        Assert.Contains("Rollback", Assert.Throws<InvalidOperationException>(() => decoder.Feed([1, 2])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Rollback(4));
        Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Rollback(-1));
        Assert.Throws<ArgumentException>(() => decoder.Feed([11]));
        Assert.Equal(0, decoder.Feed([]).Length);
        Assert.Equal(3, decoder.Position);
    }

    [Fact]
    public void Reset_AfterSteps_RestartsAtPositionZero()
    {
        // Given
        using var model = new Gpt(new GptConfig(1, 8, 2, 4, 11), 1);
        model.InitWeights(new Rng(7));
        var decoder = new KvCacheDecoder(model);
        var first = decoder.Step(3).ToArray();
        decoder.Step(4);

        // When
        decoder.Reset();
        var again = decoder.Step(3).ToArray();

        // Then
        Assert.Equal(first, again);
        Assert.Equal(1, decoder.Position);
    }

    [Fact]
    public void Step_ContextFull_ThrowsAskingForReset()
    {
        // Given
        using var model = new Gpt(new GptConfig(1, 8, 2, 2, 11), 1);
        var decoder = new KvCacheDecoder(model);
        decoder.Step(1);
        decoder.Step(2);

        // When
        var error = Assert.Throws<InvalidOperationException>(() => decoder.Step(3));

        // Then
        Assert.Contains("Reset", error.Message);
    }
}
