using System.Runtime.CompilerServices;

namespace ScaleLab.Engine;

// B = batch, T = sequence, C = channels. Reading activations and splicing a replacement back in (activation
// sources for sparse autoencoders, ablations, patching).
public sealed unsafe partial class Gpt
{
    /// <summary>The activation at <paramref name="site"/> (B,T,width) of the last <see cref="Forward"/> (or
    /// <see cref="ForwardFrom"/>, which leaves the replacement there), position-major as the model holds it. The span is the
    /// model's own buffer: copy it before the next pass.</summary>
    public ReadOnlySpan<float> Activation(ActivationSite site)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_batch == 0) throw new InvalidOperationException("call Forward before reading an activation");
        return new ReadOnlySpan<float>(SitePointer(site), _batch * _seqLen * site.Width(Config));
    }

    /// <summary>Replaces the activation at <paramref name="site"/> of the last <see cref="Forward"/> by
    /// <paramref name="activation"/> (B,T,width) and runs the rest of the model from there: the blocks after the site and
    /// the head. For an MLP hidden site, the block's own residual (residual2) is the clean one. Returns the mean
    /// cross-entropy over <paramref name="targets"/> (B,T), or NaN with none; <see cref="Logits"/> and
    /// <see cref="Losses"/> then hold the spliced pass. Replacing an activation by itself reproduces the clean pass bit
    /// for bit (the same kernels on the same values). May be called repeatedly on one forward (for a residual site: the
    /// caches before the site are untouched). <see cref="Backward()"/> is refused until the next <see cref="Forward"/>.</summary>
    public float ForwardFrom(ActivationSite site, ReadOnlySpan<float> activation, ReadOnlySpan<int> targets)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_batch == 0) throw new InvalidOperationException("call Forward before ForwardFrom: the splice reuses its batch and caches");
        var n = _batch * _seqLen;
        var width = site.Width(Config);
        if (activation.Length != (long)n * width)
        {
            throw new ArgumentException($"activation at {site} holds {activation.Length} values, expected B·T·{width} = {(long)n * width}");
        }
        CheckTargets(targets, n);
        var destination = new Span<float>(SitePointer(site), n * width);
        if (!activation.Overlaps(destination))
        {
            activation.CopyTo(destination);
        }
        else if (!Unsafe.AreSame(in activation[0], in destination[0]))
        {
            throw new ArgumentException("the activation overlaps the model's own buffer at another offset; pass a copy");
        }
        targets.CopyTo(_targets);
        _hasTargets = !targets.IsEmpty;
        _spliced = true;
        return site.Kind == ActivationKind.Residual
            ? ForwardBlocks(site.Layer + 1, fromMlpHidden: false)
            : ForwardBlocks(site.Layer, fromMlpHidden: true);
    }

    private float* SitePointer(ActivationSite site)
    {
        if ((uint)site.Layer >= (uint)Config.Layers)
        {
            throw new ArgumentException($"site {site}: layer must be in 0..{Config.Layers - 1}");
        }
        return site.Kind switch
        {
            ActivationKind.Residual => _layers[site.Layer].Residual3,
            ActivationKind.MlpHidden => _layers[site.Layer].FchGelu,
            _ => throw new ArgumentException($"unknown activation kind {site.Kind}"),
        };
    }
}
