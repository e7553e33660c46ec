namespace ScaleLab.Engine;

/// <summary>Which activation of a block an <see cref="ActivationSite"/> names.</summary>
public enum ActivationKind
{
    /// <summary>The residual stream after the block (its output, residual3), (B,T,C).</summary>
    Residual,

    /// <summary>The MLP's hidden layer after the GELU (fchGelu, the input of mlp.c_proj), (B,T,4C).</summary>
    MlpHidden,
}

/// <summary>A named activation of a <see cref="Gpt"/>: <see cref="ActivationKind.Residual"/> after block <paramref name="Layer"/>
/// or that block's <see cref="ActivationKind.MlpHidden"/>; blocks count from 0. Read with <see cref="Gpt.Activation"/>,
/// replace with <see cref="Gpt.ForwardFrom"/>.</summary>
public readonly record struct ActivationSite(ActivationKind Kind, int Layer)
{
    /// <summary>The residual stream after block <paramref name="layer"/>, (B,T,C).</summary>
    public static ActivationSite ResidualAfter(int layer) => new(ActivationKind.Residual, layer);

    /// <summary>Block <paramref name="layer"/>'s MLP hidden layer after the GELU, (B,T,4C).</summary>
    public static ActivationSite MlpHidden(int layer) => new(ActivationKind.MlpHidden, layer);

    /// <summary>Channels per position at this site: C for the residual stream, 4C for the MLP hidden layer.</summary>
    public int Width(GptConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Kind == ActivationKind.Residual ? config.DModel : 4 * config.DModel;
    }

    /// <summary>The site in GPT-2's module naming: <c>h.{l}.resid_post</c> or <c>h.{l}.mlp.hidden</c>.</summary>
    public override string ToString() => Kind == ActivationKind.Residual ? $"h.{Layer}.resid_post" : $"h.{Layer}.mlp.hidden";
}
