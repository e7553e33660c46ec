namespace ScaleLab.Engine;

/// <summary>Offsets of one block's tensors in the flat parameter buffer.</summary>
internal readonly record struct LayerOffsets(
    int Ln1W, int Ln1B, int QkvW, int QkvB, int AttProjW, int AttProjB,
    int Ln2W, int Ln2B, int FcW, int FcB, int FcProjW, int FcProjB);

/// <summary>
/// Where each tensor sits in the one contiguous parameter buffer (gradients share it, so AdamW is one loop).
/// Order: wte (V,C), wpe (T,C), then per block l: ln_1 weight/bias (C), attn.c_attn weight (3C,C) / bias (3C),
/// attn.c_proj weight (C,C) / bias (C), ln_2 weight/bias (C), mlp.c_fc weight (4C,C) / bias (4C),
/// mlp.c_proj weight (C,4C) / bias (C); then ln_f weight/bias (C). Names follow GPT-2's PyTorch module names,
/// and weights are stored (out, in) as torch.nn.Linear stores them.
/// </summary>
internal sealed class GptLayout
{
    public GptLayout(GptConfig config)
    {
        config.Validate();
        int C = config.DModel, V = config.Vocab, T = config.SeqLen;
        var tensors = new List<ParameterTensor>();
        var offset = 0;
        int Add(string name, int length, bool isMatrix)
        {
            tensors.Add(new ParameterTensor(name, offset, length, isMatrix));
            offset += length;
            return offset - length;
        }

        Wte = Add("wte", V * C, true);
        Wpe = Add("wpe", T * C, true);
        Layers = new LayerOffsets[config.Layers];
        for (var l = 0; l < config.Layers; l++)
        {
            var p = $"h.{l}.";
            Layers[l] = new LayerOffsets(
                Add(p + "ln_1.weight", C, false), Add(p + "ln_1.bias", C, false),
                Add(p + "attn.c_attn.weight", 3 * C * C, true), Add(p + "attn.c_attn.bias", 3 * C, false),
                Add(p + "attn.c_proj.weight", C * C, true), Add(p + "attn.c_proj.bias", C, false),
                Add(p + "ln_2.weight", C, false), Add(p + "ln_2.bias", C, false),
                Add(p + "mlp.c_fc.weight", 4 * C * C, true), Add(p + "mlp.c_fc.bias", 4 * C, false),
                Add(p + "mlp.c_proj.weight", 4 * C * C, true), Add(p + "mlp.c_proj.bias", C, false));
        }
        LnfW = Add("ln_f.weight", C, false);
        LnfB = Add("ln_f.bias", C, false);
        Tensors = tensors;
        Total = offset;
    }

    public int Wte { get; }
    public int Wpe { get; }
    public LayerOffsets[] Layers { get; }
    public int LnfW { get; }
    public int LnfB { get; }
    public IReadOnlyList<ParameterTensor> Tensors { get; }
    public int Total { get; }

    /// <summary>GPT-2 initialisation (Radford et al. 2019, §2.3; as in llm.c and HF transformers): every matrix
    /// (embeddings included) N(0, 0.02²), the two residual-stream projections (attn.c_proj, mlp.c_proj) scaled
    /// by 1/√(2L), biases 0, LayerNorm gains 1. Draws in layout order from <paramref name="rng"/>.</summary>
    public void Init<TReal>(Span<TReal> parameters, Rng rng, int layers) where TReal : System.Numerics.IFloatingPointIeee754<TReal>
    {
        var residualScale = 1.0 / Math.Sqrt(2.0 * layers);
        foreach (var t in Tensors)
        {
            var view = parameters.Slice(t.Offset, t.Length);
            if (t.IsMatrix)
            {
                var std = t.Name.EndsWith("c_proj.weight", StringComparison.Ordinal) ? 0.02 * residualScale : 0.02;
                for (var i = 0; i < view.Length; i++) view[i] = TReal.CreateChecked(std * rng.NextGaussian());
            }
            else
            {
                view.Fill(t.Name.Contains("ln_", StringComparison.Ordinal) && t.Name.EndsWith(".weight", StringComparison.Ordinal) ? TReal.One : TReal.Zero);
            }
        }
    }
}
