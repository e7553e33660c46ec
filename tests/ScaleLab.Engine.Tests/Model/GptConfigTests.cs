namespace ScaleLab.Engine.Tests.Model;

public sealed class GptConfigTests
{
    [Fact]
    public void ParameterCount_Gpt2Small_MatchesPublished124M()
    {
        // Given: GPT-2 small (Radford et al. 2019): 12 layers, d_model 768, 1024 positions, 50257 tokens;
        // its checkpoint holds 124,439,808 parameters (llm.c prints this number when it loads gpt2_124M.bin).
        var config = new GptConfig(12, 768, 12, 1024, 50257);

        // When
        var total = config.ParameterCount;

        // Then
        Assert.Equal(124_439_808L, total);
        Assert.Equal(124_439_808L - 50257L * 768 - 1024L * 768, config.NonEmbeddingParameterCount);
    }

    [Fact]
    public void Layout_TinyModel_TilesTheBufferAndMatchesParameterCount()
    {
        // Given
        var config = new GptConfig(3, 16, 4, 10, 32);

        // When
        using var model = new Gpt(config, 1);

        // Then: consecutive, non-overlapping views covering every parameter, named by GPT-2's modules.
        var offset = 0;
        foreach (var t in model.Layout)
        {
            Assert.Equal(offset, t.Offset);
            offset += t.Length;
        }
        Assert.Equal(config.ParameterCount, offset);
        Assert.Equal(config.ParameterCount, model.Parameters.Length);
        Assert.Contains(model.Layout, t => t.Name == "h.2.mlp.c_proj.weight" && t.Length == 4 * 16 * 16 && t.IsMatrix);
        Assert.Contains(model.Layout, t => t.Name == "wte" && t.IsMatrix);
        Assert.Contains(model.Layout, t => t.Name == "h.0.ln_1.weight" && !t.IsMatrix);
    }

    [Fact]
    public void FlopsPerToken_TinyModel_IsSixNcPlusAttentionTerm()
    {
        // Given: L=2, C=8, T=5, V=11: N = 2·(12·64 + 13·8) + 16 = 1760, N_c = N + 88 = 1848.
        var config = new GptConfig(2, 8, 2, 5, 11);

        // When
        var flops = config.FlopsPerToken;

        // Then: 6·1848 + 12·2·5·8 = 11088 + 960.
        Assert.Equal(1760, config.NonEmbeddingParameterCount);
        Assert.Equal(12048.0, flops);
    }

    [Theory]
    [InlineData(0, 8, 2, 5, 11, "layers")]
    [InlineData(2, 8, 3, 5, 11, "heads (3) must divide d_model (8)")]
    [InlineData(2, 0, 1, 5, 11, "d_model")]
    [InlineData(2, 8, 2, 0, 11, "seq_len")]
    [InlineData(2, 8, 2, 5, 0, "vocab")]
    public void Validate_BadField_ThrowsOneLineNamingIt(int layers, int dModel, int heads, int seqLen, int vocab, string expected)
    {
        // Given
        var config = new GptConfig(layers, dModel, heads, seqLen, vocab);

        // When
        var error = Assert.Throws<ArgumentException>(config.Validate);

        // Then
        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }
}
