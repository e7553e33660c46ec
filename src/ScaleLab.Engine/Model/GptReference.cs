using System.Numerics;
using ScaleLab.Engine.Kernels;

namespace ScaleLab.Engine;

/// <summary>
/// The same model as <see cref="Gpt"/>, built only from the naive reference kernels and generic over the number
/// type, so gradient checks run it in double and the fast float model is compared against it. Activations are
/// allocated per call for clarity; this is a test oracle, not a trainer.
/// </summary>
public sealed class GptReference<TReal> where TReal : IFloatingPointIeee754<TReal>
{
    private readonly GptLayout _layout;
    private Activations? _acts;

    public GptReference(GptConfig config)
    {
        Config = config;
        _layout = new GptLayout(config);
        Parameters = new TReal[_layout.Total];
        Gradients = new TReal[_layout.Total];
    }

    public GptConfig Config { get; }

    /// <summary>All parameters in <see cref="Gpt"/>'s layout.</summary>
    public TReal[] Parameters { get; }

    /// <summary>Gradients, same layout.</summary>
    public TReal[] Gradients { get; }

    public IReadOnlyList<ParameterTensor> Layout => _layout.Tensors;

    /// <summary>Logits (B,T,V) of the last forward pass.</summary>
    public ReadOnlySpan<TReal> Logits => _acts is null ? default : _acts.Logits;

    public void InitWeights(Rng rng) => _layout.Init<TReal>(Parameters, rng, Config.Layers);

    /// <summary>Mean cross-entropy over the B·T targets, or NaN with no targets. inputs (B,T), targets (B,T) or empty.</summary>
    public TReal Forward(ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, int batch, int seqLen)
    {
        int B = batch, T = seqLen, C = Config.DModel, V = Config.Vocab, NH = Config.Heads, L = Config.Layers;
        var p = Parameters.AsSpan();
        var a = new Activations(L, B, T, C, V, NH) { Inputs = inputs.ToArray(), Targets = targets.ToArray() };
        Encoder.ForwardReference<TReal>(inputs, p.Slice(_layout.Wte, V * C), p.Slice(_layout.Wpe, Config.SeqLen * C), B, T, C, a.Encoded);
        _acts = a;
        return ForwardBlocks(a, 0, fromMlpHidden: false);
    }

    /// <summary><see cref="Gpt.ForwardFrom"/> on the reference: replaces the activation at <paramref name="site"/> of the
    /// last forward and runs the rest of the model, with <paramref name="targets"/> (B,T) or none.</summary>
    public TReal ForwardFrom(ActivationSite site, ReadOnlySpan<TReal> activation, ReadOnlySpan<int> targets)
    {
        var a = _acts ?? throw new InvalidOperationException("call Forward before ForwardFrom");
        var x = a.Layers[site.Layer];
        activation.CopyTo(site.Kind == ActivationKind.Residual ? x.Residual3 : x.FchGelu);
        a.Targets = targets.ToArray();
        return site.Kind == ActivationKind.Residual ? ForwardBlocks(a, site.Layer + 1, false) : ForwardBlocks(a, site.Layer, true);
    }

    private TReal ForwardBlocks(Activations a, int first, bool fromMlpHidden)
    {
        int B = a.B, T = a.T, C = Config.DModel, V = Config.Vocab, NH = Config.Heads, L = Config.Layers;
        var p = Parameters.AsSpan();
        var residual = first == 0 ? a.Encoded : a.Layers[first - 1].Residual3;
        for (var l = first; l < L; l++)
        {
            var o = _layout.Layers[l];
            var x = a.Layers[l];
            if (!(fromMlpHidden && l == first))
            {
                LayerNorm.ForwardReference<TReal>(residual, p.Slice(o.Ln1W, C), p.Slice(o.Ln1B, C), B * T, C, x.Ln1, x.Ln1Mean, x.Ln1Rstd);
                Matmul.ForwardReference<TReal>(x.Ln1, p.Slice(o.QkvW, 3 * C * C), p.Slice(o.QkvB, 3 * C), B * T, C, 3 * C, x.Qkv);
                Attention.ForwardReference<TReal>(x.Qkv, B, T, C, NH, x.Atty, x.Att);
                Matmul.ForwardReference<TReal>(x.Atty, p.Slice(o.AttProjW, C * C), p.Slice(o.AttProjB, C), B * T, C, C, x.AttProj);
                Residual.ForwardReference<TReal>(residual, x.AttProj, B * T * C, x.Residual2);
                LayerNorm.ForwardReference<TReal>(x.Residual2, p.Slice(o.Ln2W, C), p.Slice(o.Ln2B, C), B * T, C, x.Ln2, x.Ln2Mean, x.Ln2Rstd);
                Matmul.ForwardReference<TReal>(x.Ln2, p.Slice(o.FcW, 4 * C * C), p.Slice(o.FcB, 4 * C), B * T, C, 4 * C, x.Fch);
                Gelu.ForwardReference<TReal>(x.Fch, B * T * 4 * C, x.FchGelu);
            }
            Matmul.ForwardReference<TReal>(x.FchGelu, p.Slice(o.FcProjW, 4 * C * C), p.Slice(o.FcProjB, C), B * T, 4 * C, C, x.FcProj);
            Residual.ForwardReference<TReal>(x.Residual2, x.FcProj, B * T * C, x.Residual3);
            residual = x.Residual3;
        }
        LayerNorm.ForwardReference<TReal>(residual, p.Slice(_layout.LnfW, C), p.Slice(_layout.LnfB, C), B * T, C, a.Lnf, a.LnfMean, a.LnfRstd);
        Matmul.ForwardReference<TReal>(a.Lnf, p.Slice(_layout.Wte, V * C), [], B * T, C, V, a.Logits);
        if (a.Targets.Length == 0)
        {
            return TReal.NaN;
        }
        CrossEntropy.ForwardReference<TReal>(a.Logits, a.Targets, B * T, V, a.Probs, a.Losses);
        var sum = TReal.Zero;
        foreach (var loss in a.Losses) sum += loss;
        return sum / TReal.CreateChecked(B * T);
    }

    /// <summary>Adds d(mean loss of the last forward)/dθ into <see cref="Gradients"/>.</summary>
    public void Backward()
    {
        var a = _acts ?? throw new InvalidOperationException("call Forward with targets before Backward");
        if (a.Targets.Length == 0) throw new InvalidOperationException("the last Forward had no targets; there is no loss to differentiate");
        int BT = a.B * a.T, V = Config.Vocab;
        var dlosses = new TReal[BT];
        Array.Fill(dlosses, TReal.One / TReal.CreateChecked(BT));
        var dlogits = new TReal[BT * V];
        CrossEntropy.BackwardReference<TReal>(a.Probs, a.Targets, dlosses, BT, V, dlogits);
        Backward(dlogits);
    }

    /// <summary>Adds dL/dθ into <see cref="Gradients"/> given dlogits = dL/dlogits (B,T,V) of the last forward.</summary>
    public void Backward(ReadOnlySpan<TReal> dlogits)
    {
        var a = _acts ?? throw new InvalidOperationException("call Forward before Backward");
        int B = a.B, T = a.T, C = Config.DModel, V = Config.Vocab, NH = Config.Heads, L = Config.Layers;
        var p = Parameters.AsSpan();
        var g = Gradients.AsSpan();
        var dlnf = new TReal[B * T * C];
        Matmul.BackwardReference<TReal>(dlogits, a.Lnf, p.Slice(_layout.Wte, V * C), B * T, C, V, dlnf, g.Slice(_layout.Wte, V * C), []);
        var dresidual = new TReal[B * T * C];
        var lastResidual = L > 0 ? a.Layers[L - 1].Residual3 : a.Encoded;
        LayerNorm.BackwardReference<TReal>(dlnf, lastResidual, p.Slice(_layout.LnfW, C), a.LnfMean, a.LnfRstd, B * T, C,
            dresidual, g.Slice(_layout.LnfW, C), g.Slice(_layout.LnfB, C));
        for (var l = L - 1; l >= 0; l--)
        {
            var o = _layout.Layers[l];
            var x = a.Layers[l];
            var residual = l == 0 ? a.Encoded : a.Layers[l - 1].Residual3;
            var dresidual2 = new TReal[B * T * C];
            var dfcproj = new TReal[B * T * C];
            Residual.BackwardReference<TReal>(dresidual, B * T * C, dresidual2, dfcproj);
            var dfchGelu = new TReal[B * T * 4 * C];
            Matmul.BackwardReference<TReal>(dfcproj, x.FchGelu, p.Slice(o.FcProjW, 4 * C * C), B * T, 4 * C, C,
                dfchGelu, g.Slice(o.FcProjW, 4 * C * C), g.Slice(o.FcProjB, C));
            var dfch = new TReal[B * T * 4 * C];
            Gelu.BackwardReference<TReal>(dfchGelu, x.Fch, B * T * 4 * C, dfch);
            var dln2 = new TReal[B * T * C];
            Matmul.BackwardReference<TReal>(dfch, x.Ln2, p.Slice(o.FcW, 4 * C * C), B * T, C, 4 * C,
                dln2, g.Slice(o.FcW, 4 * C * C), g.Slice(o.FcB, 4 * C));
            LayerNorm.BackwardReference<TReal>(dln2, x.Residual2, p.Slice(o.Ln2W, C), x.Ln2Mean, x.Ln2Rstd, B * T, C,
                dresidual2, g.Slice(o.Ln2W, C), g.Slice(o.Ln2B, C));
            var dresidual1 = new TReal[B * T * C];
            var dattproj = new TReal[B * T * C];
            Residual.BackwardReference<TReal>(dresidual2, B * T * C, dresidual1, dattproj);
            var datty = new TReal[B * T * C];
            Matmul.BackwardReference<TReal>(dattproj, x.Atty, p.Slice(o.AttProjW, C * C), B * T, C, C,
                datty, g.Slice(o.AttProjW, C * C), g.Slice(o.AttProjB, C));
            var dqkv = new TReal[B * T * 3 * C];
            Attention.BackwardReference<TReal>(datty, x.Qkv, x.Att, B, T, C, NH, dqkv);
            var dln1 = new TReal[B * T * C];
            Matmul.BackwardReference<TReal>(dqkv, x.Ln1, p.Slice(o.QkvW, 3 * C * C), B * T, C, 3 * C,
                dln1, g.Slice(o.QkvW, 3 * C * C), g.Slice(o.QkvB, 3 * C));
            LayerNorm.BackwardReference<TReal>(dln1, residual, p.Slice(o.Ln1W, C), x.Ln1Mean, x.Ln1Rstd, B * T, C,
                dresidual1, g.Slice(o.Ln1W, C), g.Slice(o.Ln1B, C));
            dresidual = dresidual1;
        }
        Encoder.BackwardReference<TReal>(dresidual, a.Inputs, B, T, C, g.Slice(_layout.Wte, V * C), g.Slice(_layout.Wpe, Config.SeqLen * C));
    }

    public void ZeroGrad() => Array.Clear(Gradients);

    private sealed class Activations(int L, int B, int T, int C, int V, int NH)
    {
        public int B { get; } = B;
        public int T { get; } = T;
        public required int[] Inputs { get; init; }
        public required int[] Targets { get; set; }
        public TReal[] Encoded { get; } = new TReal[B * T * C];
        public LayerActivations[] Layers { get; } = Enumerable.Range(0, L).Select(_ => new LayerActivations(B, T, C, NH)).ToArray();
        public TReal[] Lnf { get; } = new TReal[B * T * C];
        public TReal[] LnfMean { get; } = new TReal[B * T];
        public TReal[] LnfRstd { get; } = new TReal[B * T];
        public TReal[] Logits { get; } = new TReal[B * T * V];
        public TReal[] Probs { get; } = new TReal[B * T * V];
        public TReal[] Losses { get; } = new TReal[B * T];
    }

    private sealed class LayerActivations(int B, int T, int C, int NH)
    {
        public TReal[] Ln1 { get; } = new TReal[B * T * C];
        public TReal[] Ln1Mean { get; } = new TReal[B * T];
        public TReal[] Ln1Rstd { get; } = new TReal[B * T];
        public TReal[] Qkv { get; } = new TReal[B * T * 3 * C];
        public TReal[] Atty { get; } = new TReal[B * T * C];
        public TReal[] Att { get; } = new TReal[B * NH * T * T];
        public TReal[] AttProj { get; } = new TReal[B * T * C];
        public TReal[] Residual2 { get; } = new TReal[B * T * C];
        public TReal[] Ln2 { get; } = new TReal[B * T * C];
        public TReal[] Ln2Mean { get; } = new TReal[B * T];
        public TReal[] Ln2Rstd { get; } = new TReal[B * T];
        public TReal[] Fch { get; } = new TReal[B * T * 4 * C];
        public TReal[] FchGelu { get; } = new TReal[B * T * 4 * C];
        public TReal[] FcProj { get; } = new TReal[B * T * C];
        public TReal[] Residual3 { get; } = new TReal[B * T * C];
    }
}
