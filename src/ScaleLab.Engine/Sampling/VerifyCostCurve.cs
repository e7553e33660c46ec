namespace ScaleLab.Engine.Sampling;

/// <summary>
/// The target's verify-pass cost v(γ) (one pass over γ+1 tokens, in plain target steps) measured at a few γ and
/// linearly interpolated between them: on a CPU v grows about linearly in γ (the pass does γ+1 times the arithmetic of
/// one step, less what sharing each weight row saves), so a straight line between neighbouring measurements is the
/// plainest model; outside the measured range there is no measurement and <see cref="At"/> refuses.
/// </summary>
public sealed class VerifyCostCurve
{
    private readonly int[] gammas;
    private readonly double[] costs;

    public VerifyCostCurve(IReadOnlyList<int> gammas, IReadOnlyList<double> costs)
    {
        ArgumentNullException.ThrowIfNull(gammas);
        ArgumentNullException.ThrowIfNull(costs);
        if (gammas.Count == 0 || gammas.Count != costs.Count) throw new ArgumentException($"need one cost per γ and at least one γ, got {gammas.Count} γ and {costs.Count} costs");
        for (var i = 0; i < gammas.Count; i++)
        {
            if (gammas[i] < 1 || (i > 0 && gammas[i] <= gammas[i - 1])) throw new ArgumentException($"γ must be ≥ 1 and strictly increasing, got {string.Join(", ", gammas)}");
            if (!(costs[i] > 0) || double.IsInfinity(costs[i])) throw new ArgumentException($"verify costs must be positive and finite, got {costs[i]} at γ = {gammas[i]}");
        }
        this.gammas = [.. gammas];
        this.costs = [.. costs];
    }

    /// <summary>The γ it was measured at, increasing.</summary>
    public IReadOnlyList<int> Gammas => gammas;

    /// <summary>The measured costs, in plain target steps, one per <see cref="Gammas"/>.</summary>
    public IReadOnlyList<double> Costs => costs;

    /// <summary>v(γ): the measurement at a measured γ, the straight line between its two neighbours otherwise.</summary>
    public double At(int gamma)
    {
        if (gamma < gammas[0] || gamma > gammas[^1]) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, $"the verify cost was measured for γ in {gammas[0]}..{gammas[^1]} only");
        var i = Array.BinarySearch(gammas, gamma);
        if (i >= 0) return costs[i];
        var hi = ~i;
        var lo = hi - 1;
        var t = (double)(gamma - gammas[lo]) / (gammas[hi] - gammas[lo]);
        return costs[lo] + t * (costs[hi] - costs[lo]);
    }

    /// <summary>The γ to measure at for choosing a γ in 1..<paramref name="maxGamma"/>: 1, 2, 4, 8, ... and
    /// <paramref name="maxGamma"/> itself, so every γ considered lies between two measurements.</summary>
    public static int[] Grid(int maxGamma)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxGamma, 1);
        var grid = new List<int>();
        for (var g = 1; g < maxGamma; g *= 2) grid.Add(g);
        grid.Add(maxGamma);
        return [.. grid];
    }
}

/// <summary>
/// Why <c>--gamma auto</c> chose its γ: at the pilot's α̂ and the measured c, <see cref="Gamma"/> maximises
/// E(α̂, γ)/(γc + v(γ)) with v the measured <see cref="VerifyCost"/>; <see cref="IssueGamma"/> is what the issue's
/// formula (v ≡ 1, Leviathan et al.'s Theorem 3.8) would have chosen, with its speedup as that formula states it and as
/// the measured v predicts it.
/// </summary>
public sealed record AutoGammaChoice(
    double PilotAcceptanceRate,
    double CostRatio,
    VerifyCostCurve VerifyCost,
    int Gamma,
    double PredictedSpeedup,
    int IssueGamma,
    double IssueGammaStatedSpeedup,
    double IssueGammaPredictedSpeedup)
{
    /// <summary>Chooses γ in 1..<paramref name="maxGamma"/> both ways (the measured curve must cover 1..maxGamma).</summary>
    public static AutoGammaChoice Choose(double alpha, double costRatio, VerifyCostCurve verifyCost, int maxGamma)
    {
        ArgumentNullException.ThrowIfNull(verifyCost);
        var gamma = SpeculativeStatistics.OptimalGamma(alpha, costRatio, maxGamma, verifyCost.At);
        var issue = SpeculativeStatistics.OptimalGamma(alpha, costRatio, maxGamma);
        return new AutoGammaChoice(alpha, costRatio, verifyCost, gamma,
            SpeculativeStatistics.TheoreticalSpeedup(alpha, gamma, costRatio, verifyCost.At(gamma)),
            issue, SpeculativeStatistics.TheoreticalSpeedup(alpha, issue, costRatio),
            SpeculativeStatistics.TheoreticalSpeedup(alpha, issue, costRatio, verifyCost.At(issue)));
    }

    /// <summary>One line: the choice and why.</summary>
    public string Explain()
    {
        var points = string.Join(", ", VerifyCost.Gammas.Select((g, i) => FormattableString.Invariant($"{g}: {VerifyCost.Costs[i]:F2}")));
        var issue = IssueGamma == Gamma
            ? FormattableString.Invariant($"the issue's formula (v = 1) picks the same γ (it states {IssueGammaStatedSpeedup:F2}×)")
            : FormattableString.Invariant($"the issue's formula (v = 1) would pick γ = {IssueGamma}, stating {IssueGammaStatedSpeedup:F2}× but predicted {IssueGammaPredictedSpeedup:F2}× at its measured v");
        return FormattableString.Invariant($"γ = {Gamma} maximises (1 − α^(γ+1))/((1 − α)(γc + v(γ))) at pilot α̂ = {PilotAcceptanceRate:F3}, c = {CostRatio:F4}, v measured at γ = {points} (interpolated between): predicted {PredictedSpeedup:F2}×; {issue}");
    }
}
