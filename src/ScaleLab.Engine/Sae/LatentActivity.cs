namespace ScaleLab.Engine.Sae;

/// <summary>One token where a latent fired: the window and position it sits at among the windows read, and the code z.</summary>
public readonly record struct LatentHit(float Activation, int Window, int Position);

/// <summary>
/// What one latent did over the tokens read: on how many of them it fired (z &gt; 0), the mean code when it fired, and its
/// largest codes in descending order (ties: the earlier token first), each naming the token that produced it.
/// </summary>
public sealed record LatentActivity(int Latent, long ActiveTokens, long Tokens, double MeanWhenActive, IReadOnlyList<LatentHit> Top)
{
    /// <summary>Fraction of the tokens read on which the latent fired.</summary>
    public double Frequency => Tokens == 0 ? 0 : (double)ActiveTokens / Tokens;

    /// <summary>The largest code seen (0 when the latent never fired).</summary>
    public double MaxActivation => Top.Count > 0 ? Top[0].Activation : 0;
}

/// <summary>Encodes activations with an SAE and records, for every latent, how often it fires and its top tokens.</summary>
public static class LatentActivityScan
{
    /// <summary>
    /// Runs <paramref name="sae"/> over <paramref name="x"/> (tokens × D: windows of <paramref name="seqLen"/> tokens, in
    /// order) in batches of the SAE's MaxRows and returns one <see cref="LatentActivity"/> per latent, in latent order,
    /// keeping each latent's <paramref name="top"/> largest codes. A code counts as firing when z &gt; 0 (the SAE's
    /// active list after TopK/ReLU).
    /// </summary>
    public static IReadOnlyList<LatentActivity> Scan(SparseAutoencoder sae, ReadOnlySpan<float> x, int seqLen, int top)
    {
        ArgumentNullException.ThrowIfNull(sae);
        int D = sae.Config.Inputs, L = sae.Config.Latents;
        if (seqLen < 1) throw new ArgumentException($"window length must be ≥ 1, got {seqLen}");
        if (top < 0) throw new ArgumentException($"top contexts must be ≥ 0, got {top}");
        if (x.Length % D != 0) throw new ArgumentException($"{x.Length} activations are not whole rows of width {D}");
        var tokens = x.Length / D;
        if (tokens % seqLen != 0) throw new ArgumentException($"{tokens} tokens are not whole windows of {seqLen}");
        var active = new long[L];
        var sums = new double[L];
        // Per latent, a min-heap of its `top` largest codes: the root is the smallest kept (the later token on a tie), so a
        // new code enters only when strictly larger and tokens seen earlier win ties.
        var heaps = new PriorityQueue<int, (float Value, int Token)>[L];
        var order = Comparer<(float Value, int Token)>.Create((a, b) => a.Value != b.Value ? a.Value.CompareTo(b.Value) : b.Token.CompareTo(a.Token));
        for (var l = 0; l < L; l++) heaps[l] = new PriorityQueue<int, (float, int)>(order);
        for (var start = 0; start < tokens; start += sae.MaxRows)
        {
            var rows = Math.Min(sae.MaxRows, tokens - start);
            sae.Forward(x.Slice(start * D, rows * D), rows);
            for (var r = 0; r < rows; r++)
            {
                var latents = sae.ActiveLatents(r);
                var values = sae.ActiveValues(r);
                var token = start + r;
                for (var j = 0; j < latents.Length; j++)
                {
                    var (l, z) = (latents[j], values[j]);
                    if (!(z > 0)) continue;
                    active[l]++;
                    sums[l] += z;
                    if (top == 0) continue;
                    var heap = heaps[l];
                    if (heap.Count < top) heap.Enqueue(token, (z, token));
                    else if (heap.TryPeek(out _, out var least) && z > least.Value) heap.EnqueueDequeue(token, (z, token));
                }
            }
        }
        var result = new LatentActivity[L];
        for (var l = 0; l < L; l++)
        {
            var hits = heaps[l].UnorderedItems
                .OrderByDescending(h => h.Priority.Value).ThenBy(h => h.Priority.Token)
                .Select(h => new LatentHit(h.Priority.Value, h.Priority.Token / seqLen, h.Priority.Token % seqLen))
                .ToArray();
            result[l] = new LatentActivity(l, active[l], tokens, active[l] == 0 ? 0 : sums[l] / active[l], hits);
        }
        return result;
    }
}
