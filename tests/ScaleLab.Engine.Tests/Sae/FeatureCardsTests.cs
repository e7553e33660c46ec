using ScaleLab.Engine.Data;
using ScaleLab.Engine.Sae;

namespace ScaleLab.Engine.Tests.Sae;

public sealed class FeatureCardsTests
{
    private const int Width = 16, Seq = 16;
    private static readonly GptConfig Planted = new(Layers: 1, DModel: Width, Heads: 2, SeqLen: Seq, Vocab: 256);

    /// <summary>
    /// A model whose residual stream after block 0 is exactly the token's embedding: every projection, bias and the position
    /// embedding are zero (each block adds exactly 0), LayerNorm gains 1. Channel 0 of the embedding is 4 for 'e', 2 for
    /// 't' and 0 for every other byte; channels 1.. are seeded noise.
    /// </summary>
    internal static Gpt PlantedModel()
    {
        using var trainable = new Gpt(Planted, 1);
        var p = trainable.Parameters;
        Array.Clear(p);
        foreach (var t in trainable.Layout.Where(t => t.Name.Contains("ln_", StringComparison.Ordinal) && t.Name.EndsWith(".weight", StringComparison.Ordinal)))
        {
            p.AsSpan(t.Offset, t.Length).Fill(1);
        }
        var wte = trainable.Layout.Single(t => t.Name == "wte").Offset;
        var rng = new Rng(31);
        for (var v = 0; v < 256; v++)
        {
            for (var c = 1; c < Width; c++) p[wte + v * Width + c] = (float)(0.5 * rng.NextGaussian());
        }
        p[wte + 'e' * Width] = 4;
        p[wte + 't' * Width] = 2;
        return Gpt.ForInference(Planted, p, maxBatch: 4, maxSeqLen: Seq);
    }

    /// <summary>A TopK SAE (n = 4, k = 2) whose latent 0 reads channel 0 with bias −1: code 3 on 'e', 1 on 't', and no
    /// activation on any other byte; latents 1-3 have zero encoder rows and bias −1, so they never fire.</summary>
    internal static SparseAutoencoder PlantedSae(int maxRows = 64)
    {
        var sae = new SparseAutoencoder(new SaeConfig(SaeFamily.TopK, Width, 4, K: 2), maxRows);
        sae.EncoderWeight.Clear();
        sae.EncoderWeight[0] = 1;
        sae.EncoderBias.Fill(-1);
        var rng = new Rng(32);
        var dec = sae.DecoderWeight;
        for (var i = 0; i < dec.Length; i++) dec[i] = (float)rng.NextGaussian();
        sae.PreBias.Clear();
        return sae;
    }

    private const string Text = "the quick brown fox jumps over a lazy dog; she sells sea shells by the shore. " +
        "pack my box with five dozen liquor jugs, and then the cat sat on a mat near the tree.";

    private static int[] Windows(int windows)
    {
        var bytes = ByteTokenizer.Encode(Text);
        return [.. Enumerable.Range(0, windows * Seq).Select(i => bytes[i % bytes.Length])];
    }

    [Fact]
    public void Build_PlantedLatentFiringOnE_TopContextsAreTheFirstEsAndFrequencyCountsEAndT()
    {
        // Given: 6 windows of 16 bytes of the text
        using var model = PlantedModel();
        using var sae = PlantedSae(maxRows: 40);   // 96 tokens in three batches, the last one short
        var inputs = Windows(6);
        var expectedActive = inputs.Count(t => t is 'e' or 't');
        var firstEs = Enumerable.Range(0, inputs.Length).Where(i => inputs[i] == 'e').Take(5).ToArray();

        // When
        var set = FeatureCards.Build(model, ActivationSite.ResidualAfter(0), sae, inputs, 6, Seq, latents: null, top: 4, new FeatureCardOptions(Contexts: 5, Before: 3, After: 2));

        // Then: latent 0 first, firing exactly on 'e' and 't'; its five contexts are the first five 'e's at code 3, marked
        Assert.Equal(96, set.Tokens);
        Assert.Equal(3, set.NeverFired);
        var card = set.Cards[0];
        Assert.Equal(0, card.Latent);
        Assert.Equal(expectedActive, card.ActiveTokens);
        Assert.Equal(expectedActive / 96.0, card.Frequency, 15);
        Assert.Equal(5, card.Contexts.Count);
        for (var j = 0; j < 5; j++)
        {
            var c = card.Contexts[j];
            Assert.Equal("e", c.Token);
            Assert.Equal(3.0, c.Activation, 6);
            Assert.Equal(firstEs[j] / Seq, c.Window);
            Assert.Equal(firstEs[j] % Seq, c.Position);
            var start = c.Window * Seq;
            var from = Math.Max(0, c.Position - 3);
            Assert.Equal(ByteTokenizer.Decode(inputs.AsSpan(start + from, c.Position - from)), c.Before);
            Assert.Equal(ByteTokenizer.Decode(inputs.AsSpan(start + c.Position + 1, Math.Min(Seq, c.Position + 3) - c.Position - 1)), c.After);
        }
        Assert.All(set.Cards.Skip(1), c => Assert.Equal(0, c.ActiveTokens));
        Assert.All(set.Cards.Skip(1), c => Assert.Empty(c.Contexts));
    }

    [Fact]
    public void Build_MoreContextsThanFirings_ListsEveryEThenEveryT()
    {
        // Given: two windows, and more contexts asked for than tokens the latent fires on
        using var model = PlantedModel();
        using var sae = PlantedSae();
        var inputs = Windows(2);
        int es = inputs.Count(t => t == 'e'), ts = inputs.Count(t => t == 't');

        // When
        var card = FeatureCards.Build(model, ActivationSite.ResidualAfter(0), sae, inputs, 2, Seq, latents: [0], top: null, new FeatureCardOptions(Contexts: es + ts + 1)).Cards.Single();

        // Then: every 'e' (code 3) before every 't' (code 1), nothing else; the mean code is the two codes' weighted mean
        Assert.Equal(es + ts, card.Contexts.Count);
        Assert.All(card.Contexts.Take(es), c => Assert.Equal("e", c.Token));
        Assert.All(card.Contexts.Skip(es), c => Assert.Equal("t", c.Token));
        Assert.All(card.Contexts.Skip(es), c => Assert.Equal(1.0, c.Activation, 6));
        Assert.Equal((3.0 * es + ts) / (es + ts), card.MeanWhenActive, 6);
    }

    [Fact]
    public void Build_LatentOutOfRange_ThrowsOneLine()
    {
        using var model = PlantedModel();
        using var sae = PlantedSae();
        var ex = Assert.Throws<ArgumentException>(() => FeatureCards.Build(model, ActivationSite.ResidualAfter(0), sae, Windows(1), 1, Seq, [4], null, new FeatureCardOptions()));
        Assert.Contains("latent 4 does not exist", ex.Message, StringComparison.Ordinal);
    }

    private static readonly GptConfig Random = new(Layers: 2, DModel: 8, Heads: 2, SeqLen: 8, Vocab: 23);

    private static Gpt RandomModel()
    {
        using var trainable = new Gpt(Random, 1);
        trainable.InitWeights(new Rng(41));
        var rng = new Rng(42);
        var p = trainable.Parameters;
        foreach (var t in trainable.Layout.Where(t => t.Name is "ln_f.weight" or "wte" || t.Name.EndsWith("mlp.c_proj.weight", StringComparison.Ordinal)))
        {
            // non-uniform gains and larger weights, so a formula that drops the gain or the centring is visibly wrong
            for (var i = t.Offset; i < t.Offset + t.Length; i++) p[i] = t.Name == "ln_f.weight" ? (float)(0.3 + 1.4 * rng.NextDouble()) : (float)rng.NextGaussian();
        }
        return Gpt.ForInference(Random, p, maxBatch: 1, maxSeqLen: 8);
    }

    /// <summary>The naive computation: unembed the gain-scaled row and subtract the unembedded gain times the row's mean
    /// (the centring distributed over the product), with the MLP's projection summed column by column.</summary>
    private static double[] Naive(Gpt model, ActivationSite site, float[] d, bool withGain = true)
    {
        int C = Random.DModel, V = Random.Vocab;
        var p = model.Parameters;
        double At(string name, int i) => p[model.Layout.Single(t => t.Name == name).Offset + i];
        var r = new double[C];
        if (site.Kind == ActivationKind.MlpHidden)
        {
            for (var j = 0; j < 4 * C; j++)
            {
                for (var c = 0; c < C; c++) r[c] += d[j] * At($"h.{site.Layer}.mlp.c_proj.weight", c * 4 * C + j);
            }
        }
        else
        {
            for (var c = 0; c < C; c++) r[c] = d[c];
        }
        var mean = r.Sum() / C;
        var effect = new double[V];
        for (var v = 0; v < V; v++)
        {
            double scaled = 0, gainRow = 0;
            for (var c = 0; c < C; c++)
            {
                var g = withGain ? At("ln_f.weight", c) : 1;
                scaled += At("wte", v * C + c) * g * r[c];
                gainRow += At("wte", v * C + c) * g;
            }
            effect[v] = scaled - gainRow * mean;
        }
        return effect;
    }

    public static TheoryData<ActivationKind, int> Sites() => new() { { ActivationKind.Residual, 1 }, { ActivationKind.Residual, 0 }, { ActivationKind.MlpHidden, 0 }, { ActivationKind.MlpHidden, 1 } };

    [Theory]
    [MemberData(nameof(Sites))]
    public void LogitEffect_EqualsTheNaiveComputation_AndDroppingTheGainDoesNot(ActivationKind kind, int layer)
    {
        // Given
        using var model = RandomModel();
        var site = new ActivationSite(kind, layer);
        var rng = new Rng(43);
        var d = Enumerable.Range(0, site.Width(Random)).Select(_ => (float)rng.NextGaussian()).ToArray();

        // When
        var effect = LogitEffect.Of(model, site, d);

        // Then: equal to the naive sum to 1e-9 relative; the variant without the layer norm's gain misses by far more
        var naive = Naive(model, site, d);
        var scale = naive.Max(Math.Abs);
        for (var v = 0; v < naive.Length; v++) Assert.Equal(naive[v], effect[v], scale * 1e-9);
        var control = Naive(model, site, d, withGain: false);
        Assert.True(Enumerable.Range(0, naive.Length).Max(v => Math.Abs(control[v] - effect[v])) > 0.05 * scale);
    }

    [Fact]
    public void LogitEffect_ConstantRow_HasNoEffect()
    {
        // A row along (1, …, 1) is removed by the layer norm's centring: no token gains or loses anything.
        using var model = RandomModel();
        var effect = LogitEffect.Of(model, ActivationSite.ResidualAfter(1), Enumerable.Repeat(0.7f, Random.DModel).ToArray());
        Assert.All(effect, e => Assert.Equal(0.0, e, 1e-12));
    }

    [Fact]
    public void Extremes_OrderPromotedAndSuppressed()
    {
        var (up, down) = LogitEffect.Extremes([0.5, -2, 3, 0.5, -1], 2);
        Assert.Equal([2, 0], up.Select(t => t.Token));
        Assert.Equal([1, 4], down.Select(t => t.Token));
    }

    [Fact]
    public void TokenText_ShowsControlsAndSpaceVisibly()
    {
        Assert.Equal("a⏎b⇥", TokenText.Snippet([97, 10, 98, 9]));
        Assert.Equal("␣", TokenText.Single(32));
        Assert.Equal("x", TokenText.Single('x'));
    }
}
