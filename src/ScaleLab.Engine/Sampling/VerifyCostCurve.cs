namespace ScaleLab.Engine.Sampling;

/// <summary>
/// The target's verify-pass cost v(γ) (one pass over γ+1 tokens, in plain target steps), timed at a few γ and modelled
/// as the least-squares line v = a + b·γ through those points: on a CPU v grows about linearly in γ (the pass does γ+1
/// times the arithmetic of one step, less what sharing each weight row saves), and a fitted line is not bent by one
/// noisy point the way interpolating between neighbours is. With three or more points the line's standard errors come
/// from its residuals (n − 2 degrees of freedom); with two the line passes through both and its uncertainty is not
/// identified (<see cref="StandardErrorAt"/> is null). Outside the timed range there is no measurement and
/// <see cref="At"/> refuses. The line is never taken below the cheapest timed pass (with noisy points it can dip there
/// at an end of the range, and a cost near or below zero would make the theory meaningless).
/// </summary>
public sealed class VerifyCostCurve
{
    private readonly int[] gammas;
    private readonly double[] costs;
    private readonly double floor;
    private readonly double? varianceIntercept, varianceSlope, covariance;

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
        floor = this.costs.Min();
        var n = this.gammas.Length;
        if (n == 1)
        {
            Intercept = this.costs[0];
            return;
        }
        // v = a + b·γ by ordinary least squares: b = Sxy/Sxx, a = v̄ − b·γ̄; with s² = RSS/(n − 2),
        // Var b = s²/Sxx, Var a = s²(1/n + γ̄²/Sxx), Cov(a, b) = −γ̄·s²/Sxx
        var meanGamma = this.gammas.Average();
        var meanCost = this.costs.Average();
        double sxx = 0, sxy = 0;
        for (var i = 0; i < n; i++)
        {
            sxx += (this.gammas[i] - meanGamma) * (this.gammas[i] - meanGamma);
            sxy += (this.gammas[i] - meanGamma) * (this.costs[i] - meanCost);
        }
        Slope = sxy / sxx;
        Intercept = meanCost - Slope * meanGamma;
        if (n > 2)
        {
            var rss = 0.0;
            for (var i = 0; i < n; i++)
            {
                var r = this.costs[i] - (Intercept + Slope * this.gammas[i]);
                rss += r * r;
            }
            var s2 = rss / (n - 2);
            varianceSlope = s2 / sxx;
            varianceIntercept = s2 * (1.0 / n + meanGamma * meanGamma / sxx);
            covariance = -meanGamma * s2 / sxx;
            ResidualStandardDeviation = Math.Sqrt(s2);
        }
    }

    /// <summary>The γ it was timed at, increasing.</summary>
    public IReadOnlyList<int> Gammas => gammas;

    /// <summary>The timed costs, in plain target steps, one per <see cref="Gammas"/>.</summary>
    public IReadOnlyList<double> Costs => costs;

    /// <summary>a of the least-squares line v = a + b·γ (with one point: that point's cost).</summary>
    public double Intercept { get; }

    /// <summary>b of the least-squares line, in target steps per draft token (0 with one point).</summary>
    public double Slope { get; }

    /// <summary>The scatter of the points about the line, √(RSS/(n − 2)); null below three points (not identified).</summary>
    public double? ResidualStandardDeviation { get; }

    /// <summary>v(γ) on the fitted line (not below the cheapest timed pass), for γ within the timed range.</summary>
    public double At(int gamma)
    {
        CheckInRange(gamma);
        return Math.Max(floor, Intercept + Slope * gamma);
    }

    /// <summary>The standard error of the line's value at γ, √(Var a + γ² Var b + 2γ Cov(a, b)); null below three points,
    /// where the line has no residuals to estimate it from.</summary>
    public double? StandardErrorAt(int gamma)
    {
        CheckInRange(gamma);
        if (varianceIntercept is not { } va || varianceSlope is not { } vb || covariance is not { } cab) return null;
        return Math.Sqrt(Math.Max(0, va + gamma * gamma * vb + 2 * gamma * cab));
    }

    /// <summary>The line in words: "v = a + b·γ (± SE at the ends) over n timed points", or that its uncertainty is unidentified.</summary>
    public string Describe()
    {
        var line = FormattableString.Invariant($"v = {Intercept:F2} + {Slope:F3}·γ, least squares over {gammas.Length} timed γ ({string.Join(", ", gammas.Select((g, i) => FormattableString.Invariant($"{g}: {costs[i]:F2}")))})");
        return ResidualStandardDeviation is { } sd
            ? line + FormattableString.Invariant($", residual SD {sd:F2}")
            : line + ", its uncertainty not identified (fewer than 3 points)";
    }

    private void CheckInRange(int gamma)
    {
        if (gamma < gammas[0] || gamma > gammas[^1]) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, $"the verify cost was measured for γ in {gammas[0]}..{gammas[^1]} only");
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
/// E(α̂, γ)/(γc + v(γ)) with v the fitted <see cref="VerifyCost"/> line; <see cref="IssueGamma"/> is what the issue's
/// formula (v ≡ 1, Leviathan et al.'s Theorem 3.8) would have chosen, with its speedup as that formula states it and as
/// the measured v predicts it. <see cref="PredictedSpeedupLow"/>..<see cref="PredictedSpeedupHigh"/> is the prediction
/// at v ± 1 standard error of the line at γ (null where the line's uncertainty is not identified); α̂'s and c's
/// uncertainty are not in it.
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
    /// <summary>The prediction at v(γ) + 1 SE (null: v's uncertainty not identified).</summary>
    public double? PredictedSpeedupLow { get; init; }

    /// <summary>The prediction at v(γ) − 1 SE, v kept positive (null: v's uncertainty not identified).</summary>
    public double? PredictedSpeedupHigh { get; init; }

    /// <summary>Chooses γ in 1..<paramref name="maxGamma"/> both ways (the measured curve must cover 1..maxGamma).</summary>
    public static AutoGammaChoice Choose(double alpha, double costRatio, VerifyCostCurve verifyCost, int maxGamma)
    {
        ArgumentNullException.ThrowIfNull(verifyCost);
        var gamma = SpeculativeStatistics.OptimalGamma(alpha, costRatio, maxGamma, verifyCost.At);
        var issue = SpeculativeStatistics.OptimalGamma(alpha, costRatio, maxGamma);
        var v = verifyCost.At(gamma);
        var se = verifyCost.StandardErrorAt(gamma);
        return new AutoGammaChoice(alpha, costRatio, verifyCost, gamma,
            SpeculativeStatistics.TheoreticalSpeedup(alpha, gamma, costRatio, v),
            issue, SpeculativeStatistics.TheoreticalSpeedup(alpha, issue, costRatio),
            SpeculativeStatistics.TheoreticalSpeedup(alpha, issue, costRatio, verifyCost.At(issue)))
        {
            PredictedSpeedupLow = se is { } s ? SpeculativeStatistics.TheoreticalSpeedup(alpha, gamma, costRatio, v + s) : null,
            PredictedSpeedupHigh = se is { } t ? SpeculativeStatistics.TheoreticalSpeedup(alpha, gamma, costRatio, Math.Max(v - t, v * 1e-3)) : null,
        };
    }

    /// <summary>One line: the choice and why.</summary>
    public string Explain()
    {
        var issue = IssueGamma == Gamma
            ? FormattableString.Invariant($"the issue's formula (v = 1) picks the same γ (it states {IssueGammaStatedSpeedup:F2}×)")
            : FormattableString.Invariant($"the issue's formula (v = 1) would pick γ = {IssueGamma}, stating {IssueGammaStatedSpeedup:F2}× but predicted {IssueGammaPredictedSpeedup:F2}× at its fitted v");
        var range = PredictedSpeedupLow is { } lo && PredictedSpeedupHigh is { } hi
            ? FormattableString.Invariant($" ({lo:F2}–{hi:F2} at v ± 1 SE of the line)")
            : " (v's uncertainty not identified)";
        return FormattableString.Invariant($"γ = {Gamma} maximises (1 − α^(γ+1))/((1 − α)(γc + v(γ))) at pilot α̂ = {PilotAcceptanceRate:F3}, c = {CostRatio:F4}, {VerifyCost.Describe()}: predicted {PredictedSpeedup:F2}×{range}; {issue}");
    }
}
