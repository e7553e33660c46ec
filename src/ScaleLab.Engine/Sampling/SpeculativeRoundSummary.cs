namespace ScaleLab.Engine.Sampling;

/// <summary>
/// What R interleaved timing rounds recorded (<see cref="SpeculativeRounds"/>): per round, seconds for
/// <see cref="Tokens"/> tokens by the target alone, by the draft alone, and speculatively at each γ, and seconds per
/// target verify pass over γ+1 tokens. Index [γ index][round] for the per-γ arrays; every array has one entry per round.
/// </summary>
public sealed record SpeculativeRoundTimes(
    int Tokens,
    IReadOnlyList<double> Target,
    IReadOnlyList<double> Draft,
    IReadOnlyList<int> Gammas,
    IReadOnlyList<IReadOnlyList<double>> Speculative,
    IReadOnlyList<IReadOnlyList<double>> VerifyPass);

/// <summary>The sampler's counts at one γ over one round's tokens (every round draws the same tokens): α̂ = Accepted/Trials,
/// tokens per pass = Emitted/Rounds (target passes), and the draft passes it made.</summary>
public sealed record SpeculativeCounts(long Accepted, long Trials, long Emitted, long Passes, long DraftPasses)
{
    public static SpeculativeCounts From(SpeculativeStatistics s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new SpeculativeCounts(s.Accepted, s.Trials, s.Emitted, s.Rounds, s.DraftPasses);
    }

    public double Alpha => Trials == 0 ? double.NaN : (double)Accepted / Trials;

    public double AlphaStandardError => Trials == 0 ? double.NaN : Math.Sqrt(Alpha * (1 - Alpha) / Trials);

    public double TokensPerPass => Passes == 0 ? double.NaN : (double)Emitted / Passes;
}

/// <summary>A median over rounds and the spread around it (least and largest round).</summary>
public readonly record struct RoundSpread(double Median, double Low, double High)
{
    public static RoundSpread Of(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        if (v.Length == 0) throw new ArgumentException("need at least one round");
        var m = v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
        return new RoundSpread(m, v[0], v[^1]);
    }
}

/// <summary>
/// One γ summarised over interleaved rounds. Every per-round figure pairs times of the same round, so load that
/// comes and goes between rounds cancels in the ratios; the median over rounds is not moved by one disturbed round.
/// <list type="bullet">
/// <item><see cref="Speedup"/>: target seconds over speculative seconds, per round.</item>
/// <item><see cref="CostRatio"/> c: draft over target seconds per token, per round.</item>
/// <item><see cref="Theory"/>: Leviathan et al.'s Theorem 3.8, E(α̂, γ)/(γc + 1), at α̂ and the median c (the theory).</item>
/// <item><see cref="Ratio"/>: speedup over the theory at that round's c, per round (1 = as the theory says).</item>
/// <item><see cref="VerifyCost"/> v: seconds of one target pass over γ+1 tokens over seconds per plain target token, per round.</item>
/// <item><see cref="VerifyCostFitted"/>: v on the least-squares line through the γs' median v (<see cref="VerifyCostCurve"/>).</item>
/// <item><see cref="RefinedTheory"/>: E(α̂, γ)/(γc + v_fit(γ)) at the median c: the theory with the verify pass costed as
/// measured instead of as one step. <see cref="RefinedRatio"/>: speedup over it, per round.</item>
/// <item><see cref="ImpliedVerifyCost"/>: what the speculative run's time leaves per target pass after its draft passes, in
/// target steps (the verify pass plus the sampler's own work): above <see cref="VerifyCost"/> by the sampler's overhead.</item>
/// </list>
/// </summary>
public sealed record SpeculativeGammaSummary(
    int Gamma,
    SpeculativeCounts Counts,
    RoundSpread Speedup,
    RoundSpread CostRatio,
    double Theory,
    RoundSpread Ratio,
    RoundSpread VerifyCost,
    double VerifyCostFitted,
    double RefinedTheory,
    RoundSpread RefinedRatio,
    RoundSpread ImpliedVerifyCost)
{
    public double ExpectedTokensPerPass => SpeculativeStatistics.ExpectedTokensPerPass(Counts.Alpha, Gamma);

    /// <summary>The theory at α̂ ± 1 SE (c at its median): how much of a gap α̂'s sampling error alone could make.</summary>
    public (double Low, double High) TheoryAlphaRange => (
        SpeculativeStatistics.TheoreticalSpeedup(Math.Max(0, Counts.Alpha - Counts.AlphaStandardError), Gamma, CostRatio.Median),
        SpeculativeStatistics.TheoreticalSpeedup(Math.Min(1, Counts.Alpha + Counts.AlphaStandardError), Gamma, CostRatio.Median));
}

/// <summary>Turns <see cref="SpeculativeRoundTimes"/> and the sampler's counts per γ into <see cref="SpeculativeGammaSummary"/> rows.</summary>
public static class SpeculativeRoundSummary
{
    /// <summary>One row per γ of <paramref name="times"/>; <paramref name="counts"/>[i] belongs to times.Gammas[i].
    /// The verify-cost line is fitted over all the γs (sorted); with one γ it is that γ's median.</summary>
    public static IReadOnlyList<SpeculativeGammaSummary> Summarise(SpeculativeRoundTimes times, IReadOnlyList<SpeculativeCounts> counts)
    {
        ArgumentNullException.ThrowIfNull(times);
        ArgumentNullException.ThrowIfNull(counts);
        var rounds = times.Target.Count;
        var n = times.Gammas.Count;
        if (rounds < 1 || times.Draft.Count != rounds) throw new ArgumentException($"need the same number (≥ 1) of target and draft rounds, got {times.Target.Count} and {times.Draft.Count}");
        if (times.Tokens < 1) throw new ArgumentException($"tokens must be at least 1, got {times.Tokens}");
        if (n < 1 || times.Speculative.Count != n || times.VerifyPass.Count != n || counts.Count != n) throw new ArgumentException("need one speculative series, one verify series and one count per γ");
        if (times.Speculative.Any(s => s.Count != rounds) || times.VerifyPass.Any(s => s.Count != rounds)) throw new ArgumentException($"every series needs {rounds} rounds");
        var all = times.Target.Concat(times.Draft).Concat(times.Speculative.SelectMany(s => s)).Concat(times.VerifyPass.SelectMany(s => s));
        if (all.Any(t => !(t > 0) || double.IsInfinity(t))) throw new ArgumentException("every time must be positive and finite");

        var perTarget = times.Target.Select(t => t / times.Tokens).ToArray();
        var perDraft = times.Draft.Select(t => t / times.Tokens).ToArray();
        var cRounds = perDraft.Zip(perTarget, (d, t) => d / t).ToArray();
        var c = RoundSpread.Of(cRounds);
        var verify = new RoundSpread[n];
        for (var g = 0; g < n; g++) verify[g] = RoundSpread.Of(times.VerifyPass[g].Select((v, r) => v / perTarget[r]));
        var order = Enumerable.Range(0, n).OrderBy(g => times.Gammas[g]).ToArray();
        var curve = new VerifyCostCurve(order.Select(g => times.Gammas[g]).ToArray(), order.Select(g => verify[g].Median).ToArray());

        var rows = new List<SpeculativeGammaSummary>(n);
        for (var g = 0; g < n; g++)
        {
            var gamma = times.Gammas[g];
            var k = counts[g];
            var spec = times.Speculative[g];
            var vFit = curve.At(gamma);
            var speedups = times.Target.Select((t, r) => t / spec[r]).ToArray();
            var ratios = speedups.Select((s, r) => s / SpeculativeStatistics.TheoreticalSpeedup(k.Alpha, gamma, cRounds[r])).ToArray();
            var refinedRatios = speedups.Select((s, r) => s / SpeculativeStatistics.TheoreticalSpeedup(k.Alpha, gamma, cRounds[r], vFit)).ToArray();
            var draftPassesPerPass = k.Passes == 0 ? 0 : (double)k.DraftPasses / k.Passes;
            var implied = spec.Select((s, r) => (s / Math.Max(1, k.Passes) - draftPassesPerPass * perDraft[r]) / perTarget[r]);
            rows.Add(new SpeculativeGammaSummary(gamma, k, RoundSpread.Of(speedups), c,
                SpeculativeStatistics.TheoreticalSpeedup(k.Alpha, gamma, c.Median), RoundSpread.Of(ratios),
                verify[g], vFit, SpeculativeStatistics.TheoreticalSpeedup(k.Alpha, gamma, c.Median, vFit), RoundSpread.Of(refinedRatios),
                RoundSpread.Of(implied)));
        }
        return rows;
    }
}
