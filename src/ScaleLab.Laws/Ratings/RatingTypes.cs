namespace ScaleLab.Laws.Ratings;

/// <summary>
/// Games between two agents with the colours known: <paramref name="First"/> moved first (Black in Hex) in every one of
/// them. <paramref name="FirstWins"/> + <paramref name="SecondWins"/> + <paramref name="Draws"/> games were played.
/// Several results for the same ordered pair are added together. A colour-balanced match of 2m games is two results:
/// (a, b, ...) for the m games a opened and (b, a, ...) for the m games b opened.
/// </summary>
public sealed record ColouredResult(string First, string Second, long FirstWins, long SecondWins, long Draws = 0)
{
    public long Games => FirstWins + SecondWins + Draws;
}

/// <summary>Options of a Bradley–Terry rating fit (<see cref="BradleyTerry.Fit"/>).</summary>
public sealed record RatingOptions
{
    /// <summary>The agent rated 0 Elo (perfect play where a solver exists); null anchors the strongest fitted agent.</summary>
    public string? Anchor { get; init; }

    /// <summary>
    /// Fit the first-move advantage h (in Elo) with the ratings. False fits ratings that ignore colour: right only
    /// when every pair played both colours equally often and h is small (kept for the negative control and for
    /// results whose colours were not recorded).
    /// </summary>
    public bool ColourAdvantage { get; init; } = true;

    /// <summary>Central coverage of the Wald intervals (0.95: ±1.96 standard errors).</summary>
    public double Level { get; init; } = 0.95;

    /// <summary>
    /// Virtual draws added to every pair that played (Coulom's BayesElo prior): v/2 wins each way, colour-free. 0 (the
    /// default) is pure maximum likelihood, which is refused when an agent won or lost every game (its rating is then
    /// unbounded); v = 1 or 2 keeps every rating finite at the price of a small pull of each pair towards a draw.
    /// </summary>
    public double VirtualDraws { get; init; }

    /// <summary>L-BFGS gradient tolerance (relative, see <see cref="LbfgsMinimizer"/>).</summary>
    public double GradientTolerance { get; init; } = 1e-10;
}

/// <summary>
/// One agent's rating in Elo relative to the anchor (the anchor itself has 0 with a zero-width interval), its Wald
/// standard error from the observed Fisher information and the interval at the fit's level, and the games it played
/// and won (draws excluded; there are none).
/// </summary>
public sealed record AgentRating(string Agent, double Elo, double StdError, Interval Interval, long Games, long Wins)
{
    /// <summary>"value [lo, hi]" in Elo.</summary>
    public Estimate Estimate => new(Elo, Interval);
}

/// <summary>
/// A Bradley–Terry fit: the agents (in the order first met in the results), the anchor, the first-move advantage
/// (null when not fitted), the covariance of the ratings (Elo², in <see cref="Agents"/> order; the anchor's row and
/// column are 0 because its rating is fixed), the maximised log-likelihood and how the optimiser stopped.
/// <see cref="IntervalMethod"/> says how the intervals were made.
/// </summary>
public sealed record RatingFit(
    IReadOnlyList<AgentRating> Agents,
    string Anchor,
    AgentRating? FirstMoveAdvantage,
    double[][] Covariance,
    double LogLikelihood,
    long Games,
    double Level,
    int Iterations,
    string ExitReason,
    string IntervalMethod)
{
    /// <summary>Index of <paramref name="agent"/> in <see cref="Agents"/>, or −1.</summary>
    public int IndexOf(string agent)
    {
        for (int i = 0; i < Agents.Count; i++)
        {
            if (Agents[i].Agent == agent)
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>The rating of <paramref name="agent"/> in Elo (an unknown agent throws).</summary>
    public double Elo(string agent)
    {
        int i = IndexOf(agent);
        return i >= 0 ? Agents[i].Elo : throw new ArgumentException($"no agent '{agent}' in the rating fit");
    }

    /// <summary>First-move advantage h in Elo (0 when it was not fitted).</summary>
    public double Advantage => FirstMoveAdvantage?.Elo ?? 0;

    /// <summary>
    /// Predicted probability that <paramref name="first"/>, moving first, beats <paramref name="second"/>:
    /// 1/(1 + 10^(−(r_first − r_second + h)/400)).
    /// </summary>
    public double WinProbability(string first, string second) => BradleyTerry.Probability(Elo(first) - Elo(second) + Advantage);

    /// <summary>
    /// Colour-averaged probability that <paramref name="a"/> beats <paramref name="b"/> (half the games each colour):
    /// what a symmetrised evaluation measures.
    /// </summary>
    public double SymmetrisedWinProbability(string a, string b) =>
        0.5 * (WinProbability(a, b) + (1 - WinProbability(b, a)));

    /// <summary>Variance of r_a − r_b in Elo² (the anchor-free quantity: the same whatever the anchor).</summary>
    public double DifferenceVariance(string a, string b)
    {
        int i = IndexOf(a), j = IndexOf(b);
        if (i < 0 || j < 0)
        {
            throw new ArgumentException($"no agent '{(i < 0 ? a : b)}' in the rating fit");
        }
        return Covariance[i][i] + Covariance[j][j] - 2 * Covariance[i][j];
    }
}
