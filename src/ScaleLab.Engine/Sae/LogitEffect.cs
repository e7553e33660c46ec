namespace ScaleLab.Engine.Sae;

/// <summary>One vocabulary token and a latent's direct effect on its logit.</summary>
public readonly record struct TokenEffect(int Token, double Effect);

/// <summary>
/// A latent's direct logit effect: its decoder row d, written into the model at the SAE's site, carried straight to the
/// unembedding without passing through any later block (the direct path; later blocks are ignored):
/// <code>
///   r = d                          residual-stream site (h.L.resid_post), d of width C
///   r = W_proj · d                 MLP site (h.L.mlp.hidden): d of width 4C through that block's mlp.c_proj weight (C, 4C)
///   u = γ_f ⊙ (r − mean(r))        the final LayerNorm's centring and gain γ_f
///   effect_v = Σ_c wte[v, c] · u_c  the tied unembedding, for every token v
/// </code>
/// The final LayerNorm's division by the residual's standard deviation depends on the token the latent fires on and scales
/// every effect of that token by the same positive factor, so it is left out (it changes no ranking); its bias and the
/// c_proj bias add the same logits whichever latent fires, so they are left out too. Computed in double.
/// </summary>
public static class LogitEffect
{
    /// <summary>The effect on every token's logit (length = vocabulary) of a unit code on the latent whose decoder row is
    /// <paramref name="decoderRow"/>, at <paramref name="site"/> of <paramref name="model"/>.</summary>
    public static double[] Of(Gpt model, ActivationSite site, ReadOnlySpan<float> decoderRow)
    {
        ArgumentNullException.ThrowIfNull(model);
        var config = model.Config;
        int C = config.DModel, V = config.Vocab;
        if ((uint)site.Layer >= (uint)config.Layers) throw new ArgumentException($"site {site} does not exist: the model has blocks 0..{config.Layers - 1}");
        if (decoderRow.Length != site.Width(config)) throw new ArgumentException($"a decoder row at {site} has width {site.Width(config)}, got {decoderRow.Length}");
        var p = model.Parameters;
        var r = new double[C];
        if (site.Kind == ActivationKind.MlpHidden)
        {
            var proj = Tensor(model, $"h.{site.Layer}.mlp.c_proj.weight");
            var hidden = 4 * C;
            for (var c = 0; c < C; c++)
            {
                double s = 0;
                var row = proj.Offset + c * hidden;
                for (var j = 0; j < hidden; j++) s += (double)p[row + j] * decoderRow[j];
                r[c] = s;
            }
        }
        else
        {
            for (var c = 0; c < C; c++) r[c] = decoderRow[c];
        }
        var mean = r.Average();
        var gain = Tensor(model, "ln_f.weight").Offset;
        for (var c = 0; c < C; c++) r[c] = p[gain + c] * (r[c] - mean);
        var wte = Tensor(model, "wte").Offset;
        var effect = new double[V];
        for (var v = 0; v < V; v++)
        {
            double s = 0;
            var row = wte + v * C;
            for (var c = 0; c < C; c++) s += p[row + c] * r[c];
            effect[v] = s;
        }
        return effect;
    }

    /// <summary>The <paramref name="count"/> most promoted tokens (largest effect first) and the most suppressed (most
    /// negative first); ties go to the lower token id.</summary>
    public static (TokenEffect[] Promoted, TokenEffect[] Suppressed) Extremes(IReadOnlyList<double> effect, int count)
    {
        ArgumentNullException.ThrowIfNull(effect);
        var all = effect.Select((e, v) => new TokenEffect(v, e)).ToArray();
        var promoted = all.OrderByDescending(t => t.Effect).ThenBy(t => t.Token).Take(count).ToArray();
        var suppressed = all.OrderBy(t => t.Effect).ThenBy(t => t.Token).Take(count).ToArray();
        return (promoted, suppressed);
    }

    private static ParameterTensor Tensor(Gpt model, string name) =>
        model.Layout.FirstOrDefault(t => t.Name == name) ?? throw new InvalidOperationException($"the model has no tensor {name}");
}
