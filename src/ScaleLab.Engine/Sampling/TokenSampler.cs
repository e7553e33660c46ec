namespace ScaleLab.Engine.Sampling;

/// <summary>Temperature τ and top-k of <see cref="TokenSampler"/>: τ = 0 is greedy (argmax), k = 0 keeps every token.</summary>
public sealed record SamplingOptions(double Temperature = 1.0, int TopK = 0)
{
    public void Validate()
    {
        if (!(Temperature >= 0) || double.IsInfinity(Temperature))
        {
            throw new ArgumentException($"temperature must be a number ≥ 0, got {Temperature}");
        }
        if (TopK < 0)
        {
            throw new ArgumentException($"top-k must be ≥ 0 (0 = no limit), got {TopK}");
        }
    }
}

/// <summary>
/// Draws one token from logits z (V): keep the k largest (ties broken by lower token id), then sample from
///   p_i = exp((z_i − z_max)/τ) / Σ_{j in top-k} exp((z_j − z_max)/τ)
/// (softmax at temperature τ, Ackley et al. 1985; top-k as in Fan et al. 2018). τ = 0 returns the argmax.
/// Arithmetic in double; one uniform draw per token, so a seeded <see cref="Rng"/> reproduces a sample.
/// </summary>
public static class TokenSampler
{
    public static int Sample(ReadOnlySpan<float> logits, SamplingOptions options, Rng rng)
    {
        if (logits.IsEmpty)
        {
            throw new ArgumentException("no logits to sample from");
        }
        if (options.Temperature == 0 || options.TopK == 1)
        {
            return ArgMax(logits);
        }
        var v = logits.Length;
        var k = options.TopK == 0 || options.TopK > v ? v : options.TopK;
        var order = new int[v];
        for (var i = 0; i < v; i++)
        {
            order[i] = i;
        }
        if (k < v)
        {
            var copy = logits.ToArray();
            Array.Sort(order, (a, b) => copy[a] != copy[b] ? copy[b].CompareTo(copy[a]) : a.CompareTo(b));
        }
        var max = double.NegativeInfinity;
        for (var i = 0; i < k; i++)
        {
            max = Math.Max(max, logits[order[i]]);
        }
        var weights = new double[k];
        var total = 0.0;
        for (var i = 0; i < k; i++)
        {
            weights[i] = Math.Exp((logits[order[i]] - max) / options.Temperature);
            total += weights[i];
        }
        var u = rng.NextDouble() * total;
        for (var i = 0; i < k; i++)
        {
            u -= weights[i];
            if (u < 0)
            {
                return order[i];
            }
        }
        return order[k - 1]; // u landed on the rounding slack at the very top
    }

    /// <summary>Index of the largest logit (the lowest index among ties).</summary>
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        var best = 0;
        for (var i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
            {
                best = i;
            }
        }
        return best;
    }
}
