namespace ScaleLab.Engine.Sae;

/// <summary>Writes the replacement (B·T, width) for an activation (B·T, width) at a site: an SAE's reconstruction, the
/// activation itself, zeros, the mean.</summary>
public delegate void ActivationReplacement(ReadOnlySpan<float> activation, Span<float> replacement);

/// <summary>
/// Language-model loss with an activation replaced, over the same tokens (Gao et al. 2024 §4.1; Bricken et al. 2023):
/// <code>
///   loss recovered = (L_ablated − L_replaced) / (L_ablated − L_clean)
/// </code>
/// with the zero ablation (activation := 0) and the mean ablation (activation := μ, the mean activation row) both given;
/// L are mean cross-entropies in nats per token over all <see cref="Tokens"/>. <see cref="KlToClean"/> is the mean over
/// tokens of KL(p_clean ‖ p_replaced) in nats. Undefined (NaN) when an ablation does not change the loss.
/// </summary>
public sealed record LossRecoveredResult(long Tokens, double CleanLoss, double ReplacedLoss, double ZeroAblationLoss,
    double MeanAblationLoss, double KlToClean)
{
    /// <summary>(L_zero − L_replaced) / (L_zero − L_clean).</summary>
    public double LossRecoveredZero => (ZeroAblationLoss - ReplacedLoss) / (ZeroAblationLoss - CleanLoss);

    /// <summary>(L_mean − L_replaced) / (L_mean − L_clean).</summary>
    public double LossRecoveredMean => (MeanAblationLoss - ReplacedLoss) / (MeanAblationLoss - CleanLoss);
}

/// <summary>Splices replacements into a <see cref="Gpt"/> (<see cref="Gpt.ForwardFrom"/>) and measures the loss.</summary>
public static class LossRecovered
{
    /// <summary>
    /// Runs <paramref name="sequences"/> windows (inputs and targets, sequences × seqLen) through <paramref name="model"/> in
    /// batches of up to its <see cref="Gpt.MaxBatch"/>, and for each batch the clean pass, the pass with
    /// <paramref name="replacement"/>'s activation at <paramref name="site"/>, with zeros and with <paramref name="mean"/>
    /// (width) broadcast to every position. Batch losses are weighted by their tokens; the clean pass and a replacement by
    /// the activation itself agree bit for bit, so that replacement recovers exactly 1.
    /// </summary>
    public static LossRecoveredResult Measure(Gpt model, ActivationSite site, ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets,
        int sequences, int seqLen, ReadOnlySpan<float> mean, ActivationReplacement replacement)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(replacement);
        var width = site.Width(model.Config);
        if (sequences < 1 || seqLen < 1 || seqLen > model.MaxSeqLen) throw new ArgumentException($"need ≥ 1 sequence of length 1..{model.MaxSeqLen}, got {sequences} × {seqLen}");
        if (inputs.Length != sequences * seqLen || targets.Length != inputs.Length) throw new ArgumentException($"inputs and targets must hold sequences × seqLen = {sequences * seqLen} tokens");
        if (mean.Length != width) throw new ArgumentException($"the mean activation has {mean.Length} values, the site {site} has width {width}");
        var V = model.Config.Vocab;
        var maxRows = model.MaxBatch * seqLen;
        var activation = new float[maxRows * width];
        var replaced = new float[maxRows * width];
        var zeros = new float[maxRows * width];
        var means = new float[maxRows * width];
        for (var r = 0; r < maxRows; r++) mean.CopyTo(means.AsSpan(r * width, width));
        var cleanLogits = new float[maxRows * V];
        double clean = 0, sae = 0, zero = 0, meanLoss = 0, kl = 0;
        long tokens = 0;
        for (var start = 0; start < sequences; start += model.MaxBatch)
        {
            var b = Math.Min(model.MaxBatch, sequences - start);
            var rows = b * seqLen;
            var inBatch = inputs.Slice(start * seqLen, rows);
            var tgBatch = targets.Slice(start * seqLen, rows);
            clean += (double)model.Forward(inBatch, tgBatch, b, seqLen) * rows;
            model.Logits.CopyTo(cleanLogits);
            model.Activation(site).CopyTo(activation);
            replacement(activation.AsSpan(0, rows * width), replaced.AsSpan(0, rows * width));
            sae += (double)model.ForwardFrom(site, replaced.AsSpan(0, rows * width), tgBatch) * rows;
            kl += KlSum(cleanLogits.AsSpan(0, rows * V), model.Logits, V);
            zero += (double)model.ForwardFrom(site, zeros.AsSpan(0, rows * width), tgBatch) * rows;
            meanLoss += (double)model.ForwardFrom(site, means.AsSpan(0, rows * width), tgBatch) * rows;
            tokens += rows;
        }
        return new LossRecoveredResult(tokens, clean / tokens, sae / tokens, zero / tokens, meanLoss / tokens, kl / tokens);
    }

    /// <summary>Σ over positions of KL(p ‖ q) = Σ_v p_v (log p_v − log q_v), p = softmax(clean), q = softmax(other), in double
    /// with the log-sum-exp shifted by each row's maximum.</summary>
    public static double KlSum(ReadOnlySpan<float> cleanLogits, ReadOnlySpan<float> otherLogits, int vocab)
    {
        double total = 0;
        for (var r = 0; r < cleanLogits.Length / vocab; r++)
        {
            var p = cleanLogits.Slice(r * vocab, vocab);
            var q = otherLogits.Slice(r * vocab, vocab);
            var lp = LogSumExp(p);
            var lq = LogSumExp(q);
            double s = 0;
            for (var v = 0; v < vocab; v++)
            {
                var logP = p[v] - lp;
                s += Math.Exp(logP) * (logP - (q[v] - lq));
            }
            total += s;
        }
        return total;
    }

    private static double LogSumExp(ReadOnlySpan<float> logits)
    {
        double max = double.NegativeInfinity;
        foreach (var v in logits) max = Math.Max(max, v);
        double s = 0;
        foreach (var v in logits) s += Math.Exp(v - max);
        return max + Math.Log(s);
    }

    /// <summary>The replacement that runs <paramref name="sae"/> over the activation rows in chunks of its MaxRows.</summary>
    public static ActivationReplacement Reconstruct(SparseAutoencoder sae)
    {
        ArgumentNullException.ThrowIfNull(sae);
        return (activation, replacement) => SaeReconstruction.Run(sae, activation, replacement);
    }
}
