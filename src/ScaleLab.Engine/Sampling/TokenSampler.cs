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

    /// <summary>
    /// Writes the distribution <see cref="Sample"/> draws from into <paramref name="probabilities"/> (V): the tempered
    /// softmax over the top k (same tie-break, lower token id first), zero elsewhere; one-hot at <see cref="ArgMax"/>
    /// for τ = 0 or k = 1. Speculative sampling needs the distributions themselves, for both models alike.
    /// </summary>
    public static void Probabilities(ReadOnlySpan<float> logits, SamplingOptions options, Span<double> probabilities)
    {
        ArgumentNullException.ThrowIfNull(options);
        var v = logits.Length;
        if (v == 0 || probabilities.Length != v)
        {
            throw new ArgumentException($"{v} logits and {probabilities.Length} probabilities: need the same nonzero count");
        }
        probabilities.Clear();
        if (options.Temperature == 0 || options.TopK == 1)
        {
            probabilities[ArgMax(logits)] = 1;
            return;
        }
        var k = options.TopK == 0 || options.TopK > v ? v : options.TopK;
        // The k-th largest logit and how many tokens tied with it may still enter (lower ids first), as in Sample.
        var threshold = float.NegativeInfinity;
        var tiesAllowed = v;
        if (k < v)
        {
            var sorted = logits.ToArray();
            Array.Sort(sorted, (a, b) => b.CompareTo(a));
            threshold = sorted[k - 1];
            var above = 0;
            foreach (var z in logits)
            {
                if (z > threshold) above++;
            }
            tiesAllowed = k - above;
        }
        var max = double.NegativeInfinity;
        foreach (var z in logits) max = Math.Max(max, z);
        var total = 0.0;
        for (var i = 0; i < v; i++)
        {
            var z = logits[i];
            if (z < threshold || (z == threshold && tiesAllowed-- <= 0)) continue;
            probabilities[i] = Math.Exp((z - max) / options.Temperature);
            total += probabilities[i];
        }
        for (var i = 0; i < v; i++) probabilities[i] /= total;
    }

    /// <summary>Draws i with probability w_i / Σ w (one uniform, inverse CDF in token order); the weights need not
    /// be normalised. A token of weight zero is never returned.</summary>
    public static int SampleFrom(ReadOnlySpan<double> weights, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var total = 0.0;
        var last = -1;
        for (var i = 0; i < weights.Length; i++)
        {
            if (weights[i] > 0)
            {
                total += weights[i];
                last = i;
            }
        }
        if (last < 0) throw new ArgumentException("no positive weight to sample from");
        var u = rng.NextDouble() * total;
        for (var i = 0; i < last; i++)
        {
            if (weights[i] > 0)
            {
                u -= weights[i];
                if (u < 0) return i;
            }
        }
        return last; // also where u landed on the rounding slack at the very top
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
