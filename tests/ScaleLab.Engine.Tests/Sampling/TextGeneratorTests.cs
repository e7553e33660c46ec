using ScaleLab.Engine.Sampling;

namespace ScaleLab.Engine.Tests.Sampling;

public sealed class TextGeneratorTests
{
    private static Gpt Model(int seqLen)
    {
        var model = new Gpt(new GptConfig(2, 16, 2, seqLen), maxBatch: 1);
        model.InitWeights(new Rng(4));
        // Sharpen the untrained model so greedy choices are not near-ties decided by rounding.
        for (var i = 0; i < model.Parameters.Length; i++) model.Parameters[i] *= 8;
        return model;
    }

    /// <summary>Greedy decoding by recomputing a full forward pass over the last ≤ T tokens for every step.</summary>
    private static int[] GreedyByFullForward(Gpt model, int[] prompt, int count)
    {
        var tokens = new List<int>(prompt);
        for (var i = 0; i < count; i++)
        {
            var context = tokens.ToArray();
            model.Forward(context, [], 1, context.Length);
            var v = model.Config.Vocab;
            tokens.Add(TokenSampler.ArgMax(model.Logits.Slice((context.Length - 1) * v, v)));
        }
        return tokens.Skip(prompt.Length).ToArray();
    }

    [Fact]
    public void Generate_GreedyWithinContext_EqualsFullForwardDecoding()
    {
        // Given a 32-position model and a 5-token prompt: 20 new tokens stay inside the context
        using var model = Model(32);
        int[] prompt = [104, 101, 108, 108, 111];

        // When
        var cached = new TextGenerator(model).Generate(prompt, 20, new SamplingOptions(Temperature: 0), new Rng(1));
        var full = GreedyByFullForward(model, prompt, 20);

        // Then
        Assert.Equal(full, cached);
    }

    [Fact]
    public void Generate_PastTheContext_SlidesTheWindowAndSeeded_IsReproducible()
    {
        // Given an 8-position model
        using var model = Model(8);
        var generator = new TextGenerator(model);
        var options = new SamplingOptions(Temperature: 0.8, TopK: 20);

        // When 50 tokens are drawn twice with the same seed, and once with another
        var a = generator.Generate([97], 50, options, new Rng(3));
        var b = generator.Generate([97], 50, options, new Rng(3));
        var c = generator.Generate([97], 50, options, new Rng(4));

        // Then
        Assert.Equal(50, a.Length);
        Assert.All(a, t => Assert.InRange(t, 0, 255));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }
}
