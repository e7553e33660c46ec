namespace ScaleLab.Engine;

/// <summary>
/// Shape of a GPT-2 style model: <paramref name="Layers"/> pre-LayerNorm blocks of width <paramref name="DModel"/>
/// with <paramref name="Heads"/> attention heads, a context of <paramref name="SeqLen"/> positions and a vocabulary
/// of <paramref name="Vocab"/> tokens (256 for bytes). The output embedding is tied to the token embedding.
/// </summary>
public sealed record GptConfig(int Layers, int DModel, int Heads, int SeqLen, int Vocab = 256)
{
    /// <summary>Throws <see cref="ArgumentException"/> with one line naming the first bad field.</summary>
    public void Validate()
    {
        if (Layers <= 0) throw new ArgumentException($"layers must be positive, got {Layers}");
        if (DModel <= 0) throw new ArgumentException($"d_model must be positive, got {DModel}");
        if (Heads <= 0) throw new ArgumentException($"heads must be positive, got {Heads}");
        if (DModel % Heads != 0) throw new ArgumentException($"heads ({Heads}) must divide d_model ({DModel})");
        if (SeqLen <= 0) throw new ArgumentException($"seq_len must be positive, got {SeqLen}");
        if (Vocab <= 0) throw new ArgumentException($"vocab must be positive, got {Vocab}");
        if (ParameterCount > int.MaxValue) throw new ArgumentException($"model has {ParameterCount} parameters; the engine holds at most {int.MaxValue}");
    }

    /// <summary>Head size C/NH.</summary>
    public int HeadSize => DModel / Heads;

    /// <summary>Parameters of one block: two LayerNorms (4C), qkv (3C² + 3C), attention projection (C² + C),
    /// MLP up (4C² + 4C) and down (4C² + C) — 12C² + 13C.</summary>
    public long ParametersPerLayer => 12L * DModel * DModel + 13L * DModel;

    /// <summary>Kaplan et al. (2020) N: every parameter except the token and position embeddings, i.e. the blocks
    /// and the final LayerNorm, L·(12C² + 13C) + 2C. Biases and LayerNorm gains are counted.</summary>
    public long NonEmbeddingParameterCount => Layers * ParametersPerLayer + 2L * DModel;

    /// <summary>All parameters: token embedding (V·C, also the tied output layer), position embedding (T·C) and N.</summary>
    public long ParameterCount => (long)Vocab * DModel + (long)SeqLen * DModel + NonEmbeddingParameterCount;

    /// <summary>Training FLOPs per token, forward plus backward: 6·N_c + 12·L·T·C. N_c = N + V·C counts the
    /// non-embedding parameters plus the tied output projection (a real V×C matmul per token; the embedding
    /// lookups are not). 12·L·T·C counts the attention score (QKᵀ) and value (A·V) matmuls at full context,
    /// 2·T·C FLOPs each per token and layer forward, tripled for training — the convention of PaLM's MFU
    /// (Chowdhery et al. 2022, App. B). Kaplan et al. (2020, Table 1) count one 2·L·T·C forward term, i.e.
    /// 6N + 6·L·T·C. The causal mask halves the attention work actually done; like PaLM we do not subtract it.</summary>
    public double FlopsPerToken => 6.0 * (NonEmbeddingParameterCount + (double)Vocab * DModel) + 12.0 * Layers * SeqLen * DModel;
}

/// <summary>A named view into the flat parameter (and gradient) buffer. <paramref name="IsMatrix"/> marks 2-D
/// weights — the qkv, projection and MLP matrices and also the token and position embeddings (as llm.c does);
/// AdamW applies weight decay to exactly these. Biases and LayerNorm gains and shifts are not decayed.</summary>
public sealed record ParameterTensor(string Name, int Offset, int Length, bool IsMatrix);
