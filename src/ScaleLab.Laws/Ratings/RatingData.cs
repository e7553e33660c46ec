namespace ScaleLab.Laws.Ratings;

/// <summary>One ordered pair's games added together: agent indices, games, first-player wins.</summary>
internal readonly record struct RatingCell(int First, int Second, long Games, long FirstWins);

/// <summary>
/// Results checked and gathered for a fit: agents in the order first met, one cell per ordered pair, the unordered pairs
/// that played, and per-agent totals. <see cref="Build"/> refuses what the model cannot fit (see <see cref="BradleyTerry.Fit"/>).
/// </summary>
internal sealed class RatingData
{
    public List<string> Agents { get; } = [];
    public Dictionary<string, int> Index { get; } = new(StringComparer.Ordinal);
    public List<RatingCell> Cells { get; } = [];
    public List<(int A, int B)> Pairs { get; } = [];
    public long[] GamesOf { get; private set; } = [];
    public long[] WinsOf { get; private set; } = [];
    public long Games { get; private set; }
    public long FirstWins { get; private set; }

    public static RatingData Build(IEnumerable<ColouredResult> results, RatingOptions options)
    {
        ArgumentNullException.ThrowIfNull(results);
        var data = new RatingData();
        var cells = new Dictionary<(int, int), (long Games, long Wins)>();
        foreach (var r in results)
        {
            if (r.FirstWins < 0 || r.SecondWins < 0 || r.Draws < 0)
            {
                throw new InvalidDataException($"ratings: negative game count in {r.First} vs {r.Second}");
            }
            if (r.Draws > 0)
            {
                throw new InvalidDataException($"ratings: {r.Draws} draws in {r.First} vs {r.Second}; this Bradley–Terry model has wins and losses only (Hex cannot draw), so drawn games are refused rather than guessed");
            }
            if (r.First == r.Second)
            {
                throw new InvalidDataException($"ratings: agent {r.First} played itself; such games say nothing about ratings");
            }
            if (r.Games == 0)
            {
                continue;
            }
            int f = data.Add(r.First), s = data.Add(r.Second);
            var key = (f, s);
            var have = cells.GetValueOrDefault(key);
            cells[key] = (have.Games + r.Games, have.Wins + r.FirstWins);
        }
        if (options.Anchor is { } anchor && !data.Index.ContainsKey(anchor))
        {
            throw new InvalidDataException($"ratings: the anchor '{anchor}' played no game");
        }
        int k = data.Agents.Count;
        if (k < 2)
        {
            throw new InvalidDataException($"ratings: {k} agent(s) with games; ratings need at least two");
        }
        if (options.VirtualDraws < 0 || !double.IsFinite(options.VirtualDraws))
        {
            throw new InvalidDataException($"ratings: virtual draws must be finite and ≥ 0, got {options.VirtualDraws}");
        }
        data.GamesOf = new long[k];
        data.WinsOf = new long[k];
        var pairs = new HashSet<(int, int)>();
        foreach (var ((f, s), (games, wins)) in cells.OrderBy(c => c.Key.Item1).ThenBy(c => c.Key.Item2))
        {
            data.Cells.Add(new RatingCell(f, s, games, wins));
            data.GamesOf[f] += games;
            data.GamesOf[s] += games;
            data.WinsOf[f] += wins;
            data.WinsOf[s] += games - wins;
            data.Games += games;
            data.FirstWins += wins;
            pairs.Add((Math.Min(f, s), Math.Max(f, s)));
        }
        data.Pairs.AddRange(pairs.Order());
        data.CheckConnected();
        if (options.VirtualDraws == 0)
        {
            data.CheckBounded(options.ColourAdvantage);
        }
        return data;
    }

    private int Add(string agent)
    {
        if (!Index.TryGetValue(agent, out int i))
        {
            i = Agents.Count;
            Index[agent] = i;
            Agents.Add(agent);
        }
        return i;
    }

    /// <summary>Agents in two groups that never met have no common scale: refused, naming the groups' sizes.</summary>
    private void CheckConnected()
    {
        var component = Components(Pairs.SelectMany(p => new[] { (p.A, p.B), (p.B, p.A) }));
        int groups = component.Distinct().Count();
        if (groups > 1)
        {
            var lonely = Agents[Array.FindIndex(component, c => c != component[0])];
            throw new InvalidDataException($"ratings: the agents fall into {groups} groups that never played each other (e.g. {Agents[0]} and {lonely}); their ratings have no common scale; play games between the groups (see MatchPairing)");
        }
    }

    /// <summary>
    /// Ford's (1957) condition for a finite maximum-likelihood estimate: in the directed graph "a beat b at least once"
    /// every agent reaches every other. Refused otherwise, naming an agent that won (lost) every game when there is one.
    /// With a colour term the first player must also have won and lost at least once, else h is unbounded.
    /// </summary>
    private void CheckBounded(bool colour)
    {
        for (int i = 0; i < Agents.Count; i++)
        {
            if (WinsOf[i] == GamesOf[i] || WinsOf[i] == 0)
            {
                string what = WinsOf[i] == 0 ? "lost every game" : "won every game";
                throw new InvalidDataException($"ratings: agent {Agents[i]} {what} ({GamesOf[i]}), so its maximum-likelihood rating is unbounded; play it against agents nearer its strength, or set VirtualDraws (e.g. 1)");
            }
        }
        var beat = new List<(int, int)>();
        foreach (var c in Cells)
        {
            if (c.FirstWins > 0)
            {
                beat.Add((c.First, c.Second));
            }
            if (c.FirstWins < c.Games)
            {
                beat.Add((c.Second, c.First));
            }
        }
        if (!StronglyConnected(beat))
        {
            throw new InvalidDataException("ratings: some group of agents won every game against the rest, so the gap between the groups is unbounded (Ford 1957); play games across the gap, or set VirtualDraws (e.g. 1)");
        }
        if (colour && (FirstWins == 0 || FirstWins == Games))
        {
            throw new InvalidDataException($"ratings: the first player {(FirstWins == 0 ? "lost" : "won")} all {Games} games, so the first-move advantage is unbounded; fit without it or set VirtualDraws");
        }
    }

    private bool StronglyConnected(List<(int From, int To)> edges)
    {
        int k = Agents.Count;
        bool Reaches(Func<(int From, int To), (int, int)> orient)
        {
            var adjacency = new List<int>[k];
            for (int i = 0; i < k; i++)
            {
                adjacency[i] = [];
            }
            foreach (var e in edges)
            {
                var (a, b) = orient(e);
                adjacency[a].Add(b);
            }
            var seen = new bool[k];
            var stack = new Stack<int>([0]);
            seen[0] = true;
            while (stack.Count > 0)
            {
                foreach (int j in adjacency[stack.Pop()])
                {
                    if (!seen[j])
                    {
                        seen[j] = true;
                        stack.Push(j);
                    }
                }
            }
            return seen.All(s => s);
        }
        return Reaches(e => (e.From, e.To)) && Reaches(e => (e.To, e.From));
    }

    /// <summary>Connected-component label of every agent (union–find with path halving).</summary>
    private int[] Components(IEnumerable<(int A, int B)> edges)
    {
        var parent = Enumerable.Range(0, Agents.Count).ToArray();
        int Find(int x)
        {
            while (parent[x] != x)
            {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }
            return x;
        }
        foreach (var (a, b) in edges)
        {
            parent[Find(a)] = Find(b);
        }
        return Enumerable.Range(0, Agents.Count).Select(Find).ToArray();
    }
}
