using static ScaleLab.Engine.Tests.Kernels.GradCheck;

namespace ScaleLab.Engine.Tests.Inference;

public sealed class KvCacheDecoderTests
{
    [Theory]
    [InlineData(2, 16, 2, 9, 23)]
    [InlineData(3, 20, 5, 12, 256)]
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
