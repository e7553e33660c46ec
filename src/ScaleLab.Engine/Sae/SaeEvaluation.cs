namespace ScaleLab.Engine.Sae;

/// <summary>An SAE's reconstruction figures on a model's activations and the model's loss with the reconstruction
/// spliced in, over the same tokens.</summary>
public sealed record SaeEvaluationResult(ReconstructionMetrics Reconstruction, LossRecoveredResult Splice);

/// <summary>Evaluates an SAE at a site of a model over token windows (two passes: the activations and their mean μ
/// first, then the splices).</summary>
public static class SaeEvaluation
{
    public static SaeEvaluationResult Evaluate(Gpt model, ActivationSite site, SparseAutoencoder sae,
        ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, int sequences, int seqLen)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sae);
        var width = site.Width(model.Config);
        if (sae.Config.Inputs != width)
        {
            throw new ArgumentException($"the SAE reads width {sae.Config.Inputs}, the site {site} of this model has width {width}");
        }
        var x = Activations.Collect(model, site, inputs, sequences, seqLen);
        var reconstruction = SaeReconstruction.Evaluate(sae, x);
        var mean = ReconstructionMetrics.MeanRow(x, width);
        var splice = LossRecovered.Measure(model, site, inputs, targets, sequences, seqLen, mean, LossRecovered.Reconstruct(sae));
        return new SaeEvaluationResult(reconstruction, splice);
    }
}

/// <summary>Reading a model's activations at a site over many windows.</summary>
public static class Activations
{
    /// <summary>The activations (sequences·seqLen, width) at <paramref name="site"/> of <paramref name="sequences"/> windows
    /// of <paramref name="inputs"/>, in window order, run in batches of the model's MaxBatch.</summary>
    public static float[] Collect(Gpt model, ActivationSite site, ReadOnlySpan<int> inputs, int sequences, int seqLen)
    {
        ArgumentNullException.ThrowIfNull(model);
        var width = site.Width(model.Config);
        if (inputs.Length != (long)sequences * seqLen) throw new ArgumentException($"inputs must hold sequences × seqLen = {(long)sequences * seqLen} tokens");
        var x = new float[(long)sequences * seqLen * width];
        for (var start = 0; start < sequences; start += model.MaxBatch)
        {
            var b = Math.Min(model.MaxBatch, sequences - start);
            model.Forward(inputs.Slice(start * seqLen, b * seqLen), default, b, seqLen);
            model.Activation(site).CopyTo(x.AsSpan(start * seqLen * width, b * seqLen * width));
        }
        return x;
    }
}
