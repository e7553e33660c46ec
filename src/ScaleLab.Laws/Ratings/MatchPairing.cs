namespace ScaleLab.Laws.Ratings;

/// <summary>Options of <see cref="MatchPairing.Next"/>.</summary>
public sealed record PairingOptions
{
    /// <summary>Matches proposed per round once every agent is linked to the anchor (a pair may be proposed once per round).</summary>
    public int Pairs { get; init; } = 8;

    /// <summary>Games each proposed match plays; even, half with each agent moving first.</summary>
    public long GamesPerMatch { get; init; } = 64;

    /// <summary>
    /// The rating fit behind the design. Its default carries 1 virtual draw per pair so that an agent that has won or
    /// lost every game so far (a solver, a fresh agent) still gets a finite rating and variance to plan with.
    /// </summary>
    public RatingOptions Rating { get; init; } = new() { VirtualDraws = 1 };

    /// <summary>
    /// Games a match between two agents can usefully play (null: <see cref="GamesPerMatch"/> for every pair). Two
    /// deterministic players have only two distinct games, one per colour: more would repeat them and add no information,
    /// so such a pair is worth 2 games in the design's score and is proposed with 2.
    /// </summary>
    public Func<string, string, long>? GamesOf { get; init; }

    /// <summary>Pairs that may be proposed (null: all), e.g. not two deterministic agents that have already played.</summary>
    public Func<string, string, bool>? Allowed { get; init; }

    /// <summary>With <see cref="GamesOf"/>: a round stops once its proposals hold this many games (null: <see cref="Pairs"/> alone
    /// bounds it), so a budget meant for <see cref="Pairs"/> matches of <see cref="GamesPerMatch"/> games goes, where agent
    /// pairs are worth 2, to other matches instead of being left unspent.</summary>
    public long? RoundGames { get; init; }
}

/// <summary>
/// A match to play next: <paramref name="Games"/> games between <paramref name="A"/> and <paramref name="B"/>, half with
/// each moving first; the predicted colour-averaged probability that A wins (NaN for a link, whose agents are not yet
/// rated on one scale); <paramref name="VarianceReduction"/>, the predicted fall of Σ Var(r_i) in Elo² (NaN for a link);
/// and why it was chosen.
/// </summary>
public sealed record ProposedMatch(string A, string B, long Games, double WinProbability, double VarianceReduction, string Reason);

/// <summary>
/// Which matches to play next so that the ratings relative to the anchor get as precise as possible for the games spent
/// (a greedy, sequential A-optimal design: Atkinson, Donev &amp; Tobias 2007 ch. 10 and 11), instead of a round robin that
/// spends most games on pairs whose result is a foregone conclusion.
/// <list type="number">
/// <item>Link: while some agent is not connected to the anchor by games, propose only links. Agents are taken in the
/// caller's order of expected strength (say, training compute, the anchor first): the unlinked agent nearest in that
/// order to a linked one plays its nearest linked neighbour, so a new ladder of agents becomes a chain.</item>
/// <item>Inform: fit the ratings (<see cref="BradleyTerry"/>) and take their covariance Σ (anchor fixed). n games between
/// i and j add n·w·e·eᵀ to the information, e = e_i − e_j, w = k²·p̄(1 − p̄) with p̄ the colour-averaged win
/// probability (the Fisher information of a logistic game, largest at p̄ = ½). By Sherman–Morrison the trace of Σ
/// falls by
/// <code>
///   Δ(i, j) = n·w·‖Σe‖² / (1 + n·w·eᵀΣe)
/// </code>
/// so the score favours pairs that are close (p̄ near ½) and uncertain (large Var(r_i − r_j)) and whose result moves
/// many ratings. The best pair is taken, Σ is updated by the same rank-one formula, and the next is chosen, so one
/// round's picks spread over the ladder rather than repeating the single best pair.</item>
/// </list>
/// The design is only as good as the current ratings: p̄ and Σ are plug-in estimates, refreshed every round.
/// </summary>
public static class MatchPairing
{
    /// <summary>
    /// The next round of matches among <paramref name="agents"/> (ordered by expected strength; the anchor must be among
    /// them when named, else the first agent anchors the design). Refuses (one line) an empty list, repeated names,
    /// results naming agents not listed, and odd or non-positive games per match.
    /// </summary>
    public static IReadOnlyList<ProposedMatch> Next(IReadOnlyList<string> agents, IEnumerable<ColouredResult> results, PairingOptions? options = null)
    {
        options ??= new PairingOptions();
        ArgumentNullException.ThrowIfNull(agents);
        var list = results.ToList();
        Validate(agents, list, options);
        string anchor = options.Rating.Anchor ?? agents[0];
        var links = Links(agents, list, anchor, options);
        if (links.Count > 0)
        {
            return links;
        }
        var fit = BradleyTerry.Fit(list, options.Rating with { Anchor = anchor });
        return Informative(agents, fit, options);
    }

    private static void Validate(IReadOnlyList<string> agents, List<ColouredResult> results, PairingOptions options)
    {
        if (agents.Count < 2)
        {
            throw new InvalidDataException($"pairing: {agents.Count} agent(s); matches need at least two");
        }
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var a in agents)
        {
            if (!known.Add(a))
            {
                throw new InvalidDataException($"pairing: agent '{a}' is listed twice");
            }
        }
        var stranger = results.SelectMany(r => new[] { r.First, r.Second }).FirstOrDefault(a => !known.Contains(a));
        if (stranger is not null)
        {
            throw new InvalidDataException($"pairing: results name agent '{stranger}', which is not in the agent list");
        }
        if (options.Rating.Anchor is { } anchor && !known.Contains(anchor))
        {
            throw new InvalidDataException($"pairing: the anchor '{anchor}' is not in the agent list");
        }
        if (options.GamesPerMatch <= 0 || options.GamesPerMatch % 2 != 0 || options.Pairs <= 0)
        {
            throw new InvalidDataException($"pairing: games per match must be even and positive (got {options.GamesPerMatch}) and pairs positive (got {options.Pairs})");
        }
    }

    /// <summary>The link phase: one match per agent not yet connected to the anchor (empty when all are).</summary>
    private static List<ProposedMatch> Links(IReadOnlyList<string> agents, List<ColouredResult> results, string anchor, PairingOptions options)
    {
        int k = agents.Count;
        var index = agents.Select((a, i) => (a, i)).ToDictionary(t => t.a, t => t.i, StringComparer.Ordinal);
        var parent = Enumerable.Range(0, k).ToArray();
        int Find(int x)
        {
            while (parent[x] != x)
            {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }
            return x;
        }
        foreach (var r in results.Where(r => r.Games > 0))
        {
            parent[Find(index[r.First])] = Find(index[r.Second]);
        }
        var linked = new bool[k];
        int root = Find(index[anchor]);
        for (int i = 0; i < k; i++)
        {
            linked[i] = Find(i) == root;
        }
        var proposals = new List<ProposedMatch>();
        while (linked.Any(l => !l))
        {
            // The unlinked agent nearest in the caller's order to a linked one, and that linked neighbour.
            int bestGap = int.MaxValue, from = -1, to = -1;
            for (int i = 0; i < k; i++)
            {
                if (linked[i])
                {
                    continue;
                }
                for (int j = 0; j < k; j++)
                {
                    if (linked[j] && Math.Abs(i - j) < bestGap)
                    {
                        (bestGap, from, to) = (Math.Abs(i - j), i, j);
                    }
                }
            }
            proposals.Add(new ProposedMatch(agents[to], agents[from], options.GamesOf?.Invoke(agents[to], agents[from]) ?? options.GamesPerMatch, double.NaN, double.NaN,
                $"links {agents[from]} (and the agents it has played) to the anchor's group"));
            int group = Find(from);
            for (int i = 0; i < k; i++)
            {
                linked[i] |= Find(i) == group;
            }
        }
        return proposals;
    }

    /// <summary>The inform phase: greedy A-optimal picks with rank-one updates of Σ.</summary>
    private static List<ProposedMatch> Informative(IReadOnlyList<string> agents, RatingFit fit, PairingOptions options)
    {
        int k = agents.Count;
        var map = agents.Select(fit.IndexOf).ToArray();
        var sigma = new double[k, k];
        var elo = new double[k];
        for (int i = 0; i < k; i++)
        {
            elo[i] = fit.Agents[map[i]].Elo;
            for (int j = 0; j < k; j++)
            {
                sigma[i, j] = fit.Covariance[map[i]][map[j]];
            }
        }
        double kk = BradleyTerry.EloToLogit * BradleyTerry.EloToLogit;
        // Games of a match between i and j: the pair's own count where the caller gives one (two deterministic agents: 2),
        // 0 for a pair that may not be proposed.
        var games = new long[k, k];
        for (int i = 0; i < k; i++)
        {
            for (int j = i + 1; j < k; j++)
            {
                games[i, j] = options.Allowed?.Invoke(agents[i], agents[j]) == false ? 0 : options.GamesOf?.Invoke(agents[i], agents[j]) ?? options.GamesPerMatch;
            }
        }
        var taken = new HashSet<(int, int)>();
        var proposals = new List<ProposedMatch>();
        var se = new double[k];
        long roundGames = 0;
        int rounds = Math.Min(options.Pairs, k * (k - 1) / 2);
        for (int pick = 0; pick < rounds && roundGames < (options.RoundGames ?? long.MaxValue); pick++)
        {
            double best = double.NegativeInfinity;
            (int I, int J, double P, double W) choice = (-1, -1, 0, 0);
            for (int i = 0; i < k; i++)
            {
                for (int j = i + 1; j < k; j++)
                {
                    if (games[i, j] <= 0 || taken.Contains((i, j)))
                    {
                        continue;
                    }
                    double n = games[i, j];
                    double p = fit.SymmetrisedWinProbability(agents[i], agents[j]);
                    double w = kk * p * (1 - p);
                    double norm = 0, quad = sigma[i, i] + sigma[j, j] - 2 * sigma[i, j];
                    for (int m = 0; m < k; m++)
                    {
                        double v = sigma[m, i] - sigma[m, j];
                        norm += v * v;
                    }
                    double gain = n * w * norm / (1 + n * w * quad);
                    if (gain > best)
                    {
                        (best, choice) = (gain, (i, j, p, w));
                    }
                }
            }
            if (choice.I < 0)
            {
                break; // every allowed pair is taken
            }
            var (a, b, pa, wa) = choice;
            taken.Add((a, b));
            double nab = games[a, b];
            roundGames += games[a, b];
            // Σ ← Σ − n·w·(Σe)(Σe)ᵀ / (1 + n·w·eᵀΣe)
            double q = sigma[a, a] + sigma[b, b] - 2 * sigma[a, b];
            for (int m = 0; m < k; m++)
            {
                se[m] = sigma[m, a] - sigma[m, b];
            }
            double c = nab * wa / (1 + nab * wa * q);
            for (int m = 0; m < k; m++)
            {
                for (int l = 0; l < k; l++)
                {
                    sigma[m, l] -= c * se[m] * se[l];
                }
            }
            proposals.Add(new ProposedMatch(agents[a], agents[b], games[a, b], pa, best,
                $"A-optimal: P(win) {NumberStyle.Format(pa, 3)}, Elo gap {NumberStyle.Format(elo[a] - elo[b], 3)}, cuts Σ Var(r) by {NumberStyle.Format(best, 3)} Elo²"));
        }
        return proposals;
    }
}
