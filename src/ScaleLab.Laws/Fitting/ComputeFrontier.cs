namespace ScaleLab.Laws;

/// <summary>
/// The compute-efficient frontier of a set of runs: the lower envelope of loss against compute. Precisely, run i is
/// on the frontier when no other run of smaller or equal compute has a strictly lower loss,
/// <code>
///   i ∈ F  ⇔  ∄ j ≠ i : C_j ≤ C_i ∧ L_j &lt; L_i
/// </code>
/// so the frontier's losses fall monotonically with compute and ties (equal C and equal loss) are all kept. This is
/// the set a power law L(C) describes (Kaplan et al. 2020 §3 fit L(C_min) on "the compute-efficient frontier";
/// Hoffmann et al. 2022 Fig. 2 draw the same envelope); a run off it was trained at the wrong size for its budget,
/// and fitting L(C) to every run mixes that inefficiency into the law.
/// </summary>
public static class ComputeFrontier
{
    /// <summary>Indices of the frontier runs in increasing compute (ties in input order).</summary>
    public static int[] Indices(ScalingDataset data)
    {
        var c = data.C ?? throw new InvalidDataException($"{data.Source}: the compute-efficient frontier needs compute C (or N and D)");
        var order = Enumerable.Range(0, data.Count).OrderBy(i => c[i]).ThenBy(i => i).ToArray();
        var kept = new List<int>();
        double best = double.PositiveInfinity; // lowest loss among runs of strictly smaller compute
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            while (end < order.Length && c[order[end]] == c[order[start]])
            {
                end++;
            }
            double groupMin = double.PositiveInfinity;
            for (int k = start; k < end; k++)
            {
                groupMin = Math.Min(groupMin, data.Y[order[k]]);
            }
            for (int k = start; k < end; k++)
            {
                if (data.Y[order[k]] <= Math.Min(best, groupMin))
                {
                    kept.Add(order[k]);
                }
            }
            best = Math.Min(best, groupMin);
            start = end;
        }
        return kept.ToArray();
    }

    /// <summary>The frontier runs as a data set, with a note saying how many of how many were kept.</summary>
    public static ScalingDataset Select(ScalingDataset data)
    {
        var idx = Indices(data);
        var s = data.Subset(idx);
        return new ScalingDataset(s.Source, s.Y, s.N, s.D, s.C, s.T, s.Rows,
            [.. data.Notes, $"compute-efficient frontier: {idx.Length} of {data.Count} runs (those that no run of smaller or equal compute beats)"]);
    }
}
