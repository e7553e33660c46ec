namespace ScaleLab.Laws;

/// <summary>
/// The one bootstrap loop (Efron &amp; Tibshirani 1993, ch. 6): replicate r of a bootstrap with seed s draws from its
/// own generator <see cref="SplitMix64.Stream"/>(s, offset + r), replicates run in parallel and each writes only its
/// own slot, so results are bit-identical whatever the thread count or scheduling. A case resample draws n indices
/// uniformly with replacement from [0, n), in order (<see cref="Indices"/>); the same draws as multiplicities give the
/// weights of a weighted refit (<see cref="Counts"/>), so a weighted refit and a copied resample see the same sample.
/// A block (cluster) bootstrap draws whole groups the same way (Davison &amp; Hinkley 1997 §3.8).
/// </summary>
public static class Resample
{
    /// <summary>The body of one replicate: its index and its own generator.</summary>
    public delegate void ReplicateBody(int replicate, ref SplitMix64 rng);

    /// <summary>
    /// Runs <paramref name="count"/> replicates in parallel; replicate r gets <see cref="SplitMix64.Stream"/>(seed,
    /// <paramref name="streamOffset"/> + r). Callers that run several bootstraps under one seed separate them by the offset.
    /// </summary>
    public static void Replicates(int count, ulong seed, ReplicateBody body, ulong streamOffset = 0, int maxDegreeOfParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(body);
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism }, r =>
        {
            var rng = SplitMix64.Stream(seed, streamOffset + (ulong)r);
            body(r, ref rng);
        });
    }

    /// <summary>A case resample: <paramref name="indices"/>[i] uniform on [0, n) for i = 0 … n−1 (n = indices.Length), drawn in order.</summary>
    public static void Indices(ref SplitMix64 rng, Span<int> indices)
    {
        var n = indices.Length;
        for (var i = 0; i < n; i++)
        {
            indices[i] = rng.NextInt(n);
        }
    }

    /// <summary>
    /// The multiplicities of a case resample: n draws uniform on [0, n) (n = counts.Length), counts[j] the times j was
    /// drawn (Σ counts = n). The same draws, in the same order, as <see cref="Indices"/>.
    /// </summary>
    public static void Counts(ref SplitMix64 rng, Span<double> counts)
    {
        var n = counts.Length;
        counts.Clear();
        for (var i = 0; i < n; i++)
        {
            counts[rng.NextInt(n)] += 1;
        }
    }

    /// <summary>
    /// The point weights of a case resample (<paramref name="groupOf"/> null: <see cref="Counts"/> of the points) or of a
    /// cluster resample: the <paramref name="groupCount"/> groups drawn with replacement as <see cref="Counts"/> draws them,
    /// and point i weighted by the times its group <paramref name="groupOf"/>[i] was drawn.
    /// </summary>
    public static void Weights(ref SplitMix64 rng, int[]? groupOf, int groupCount, Span<double> weights)
    {
        if (groupOf is null)
        {
            Counts(ref rng, weights);
            return;
        }
        if (groupOf.Length != weights.Length) throw new ArgumentException($"{groupOf.Length} group ids for {weights.Length} weights");
        Span<double> times = groupCount <= 256 ? stackalloc double[groupCount] : new double[groupCount];
        Counts(ref rng, times);
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] = times[groupOf[i]];
        }
    }
}
