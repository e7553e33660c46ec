namespace ScaleLab.Laws.Games;

/// <summary>
/// One evaluation of one agent: its training compute (log10), the test-time compute it searched with (log10: search nodes
/// per move, or nodes × parameters as Jones 2021 §5 counts it), and the Elo it reached there.
/// </summary>
public sealed record TrainTestPoint(string Agent, double Log10TrainCompute, double Log10TestCompute, double Elo);

/// <summary>
/// The iso-Elo curve of one target Elo: the agents that reach it, each with the interpolated log10 test compute it needs,
/// and the per-level OLS slope of log test compute on log train compute (Student-t interval; null with fewer than 3 agents).
/// </summary>
public sealed record IsoEloCurve(double Elo, IReadOnlyList<(string Agent, double Log10TrainCompute, double Log10TestCompute)> Points, Estimate? Slope);

/// <summary>
/// The train–test trade-off: <see cref="Slope"/> is the common slope of the iso-Elo lines, d log10(test compute) /
/// d log10(train compute) at fixed Elo (Jones: about −1.2, "10× train compute saves 15× test compute"), with a
/// bootstrap interval over agents; <see cref="Curves"/> the per-level curves.
/// </summary>
public sealed record TrainTestFit(Estimate Slope, IReadOnlyList<IsoEloCurve> Curves, int Agents, int Resamples, int Failed, IReadOnlyList<string> Notes);

/// <summary>
/// Iso-Elo analysis of search against training (Jones 2021 §5, Fig. 7). For each agent, Elo against log test compute is
/// made non-decreasing (<see cref="Monotone"/>) and interpolated linearly between its evaluations; the log test compute at which it first reaches a target Elo is its
/// point on that level's iso-Elo curve (no extrapolation: agents whose evaluations do not bracket the target are left out
/// of that level; with <c>margin</c> Elo to spare, see <see cref="Bracketed"/>). The common slope is the fixed-effects (within-level) least-squares slope,
/// <code>
///   b = Σ_l Σ_i (x_li − x̄_l)(y_li − ȳ_l) / Σ_l Σ_i (x_li − x̄_l)²,   x = log10 train compute, y = log10 test compute
/// </code>
/// which lets each level have its own intercept (a higher Elo needs more of both). Levels share agents, so their points
/// are not independent: the interval is a cluster bootstrap over agents (Davison &amp; Hinkley 1997 §3.8), percentile.
/// </summary>
public static class TrainTestTradeoff
{
    public static TrainTestFit Fit(IEnumerable<TrainTestPoint> points, IReadOnlyList<double> targetElos,
        int bootstrap = 500, ulong seed = 0, double level = 0.95, double margin = 50)
    {
        var byAgent = points.GroupBy(p => p.Agent, StringComparer.Ordinal)
            .Select(g => (Agent: g.Key, Train: g.First().Log10TrainCompute, Evals: g.OrderBy(p => p.Log10TestCompute).ToArray()))
            .ToArray();
        if (byAgent.Any(a => a.Evals.Any(p => p.Log10TrainCompute != a.Train || !double.IsFinite(p.Elo) || !double.IsFinite(p.Log10TestCompute))))
        {
            throw new InvalidDataException("train–test: an agent has evaluations at two training computes, or a non-finite value");
        }
        if (targetElos.Count == 0)
        {
            throw new InvalidDataException("train–test: no target Elo given");
        }
        // crossing[a][l]: agent a's log test compute at level l, NaN when its evaluations do not bracket the level.
        var monotone = byAgent.Select(a => Monotone(a.Evals)).ToArray();
        var crossing = monotone.Select(m => targetElos.Select(t => Bracketed(m, t, margin) ? Crossing(m, t) : double.NaN).ToArray()).ToArray();
        var train = byAgent.Select(a => a.Train).ToArray();
        var all = Enumerable.Repeat(1.0, byAgent.Length).ToArray();
        double slope = WithinSlope(train, crossing, all, targetElos.Count);
        if (double.IsNaN(slope))
        {
            throw new InvalidDataException($"train–test: no target Elo is reached by agents at two or more training computes ({byAgent.Length} agents, {targetElos.Count} levels)");
        }
        var curves = new List<IsoEloCurve>();
        for (int l = 0; l < targetElos.Count; l++)
        {
            var pts = Enumerable.Range(0, byAgent.Length).Where(a => !double.IsNaN(crossing[a][l]))
                .Select(a => (byAgent[a].Agent, train[a], crossing[a][l])).ToArray();
            Estimate? s = null;
            if (pts.Select(p => p.Item2).Distinct().Count() >= 2 && pts.Length >= 3)
            {
                s = LinearFit.Ols(pts.Select(p => p.Item2).ToArray(), pts.Select(p => p.Item3).ToArray()).SlopeInterval(level);
            }
            curves.Add(new IsoEloCurve(targetElos[l], pts, s));
        }
        var draws = new double[bootstrap];
        Resample.Replicates(bootstrap, seed, (int r, ref SplitMix64 rng) =>
        {
            var w = new double[byAgent.Length];
            Resample.Counts(ref rng, w);
            draws[r] = WithinSlope(train, crossing, w, targetElos.Count);
        });
        int failed = draws.Count(double.IsNaN);
        var notes = new List<string>
        {
            $"slope interval: {bootstrap} bootstrap resamples of {byAgent.Length} agents ({failed} without a slope), {level:P0} percentile",
        };
        int unbracketed = crossing.Sum(c => c.Count(double.IsNaN));
        if (unbracketed > 0)
        {
            notes.Add($"{unbracketed} of {crossing.Length * targetElos.Count} agent-level pairs left out: the agent's evaluations do not bracket the level (no extrapolation)");
        }
        return new TrainTestFit(new Estimate(slope, bootstrap > 0 ? Quantile.Percentile(draws, level) : null), curves, byAgent.Length, bootstrap, failed, notes);
    }

    /// <summary>
    /// The isotonic (non-decreasing) least-squares fit of Elo against log test compute by pool-adjacent-violators (Barlow
    /// et al. 1972; evaluations at one test compute pooled first). More search does not make an agent weaker, and on raw
    /// noisy evaluations the first crossing of a level comes early on a noisy up-tick, more often for agents with more
    /// evaluations below the level, which biases the slope.
    /// </summary>
    internal static TrainTestPoint[] Monotone(TrainTestPoint[] evals)
    {
        var blocks = new List<(double Sum, int Count, TrainTestPoint First)>();
        foreach (var group in evals.GroupBy(e => e.Log10TestCompute).OrderBy(g => g.Key))
        {
            blocks.Add((group.Sum(e => e.Elo), group.Count(), group.First()));
        }
        var merged = new List<(double Sum, int Count, int From, int To)>();
        for (int i = 0; i < blocks.Count; i++)
        {
            merged.Add((blocks[i].Sum, blocks[i].Count, i, i));
            while (merged.Count > 1 && merged[^2].Sum / merged[^2].Count > merged[^1].Sum / merged[^1].Count)
            {
                var (b, a) = (merged[^1], merged[^2]);
                merged.RemoveRange(merged.Count - 2, 2);
                merged.Add((a.Sum + b.Sum, a.Count + b.Count, a.From, b.To));
            }
        }
        var result = new TrainTestPoint[blocks.Count];
        foreach (var m in merged)
        {
            for (int i = m.From; i <= m.To; i++)
            {
                result[i] = blocks[i].First with { Elo = m.Sum / m.Count };
            }
        }
        return result;
    }

    /// <summary>
    /// Whether an agent's evaluations bracket <paramref name="target"/> with room to spare: its lowest Elo below target −
    /// margin and its highest above target + margin. Without the margin, an agent whose crossing lies near the end of its
    /// evaluated range is kept only when noise moved the crossing inwards, which flattens the slope (a truncation bias:
    /// −1.19 for a planted −1.21 at 20 Elo noise and 82 Elo between evaluations).
    /// </summary>
    internal static bool Bracketed(TrainTestPoint[] evals, double target, double margin) =>
        evals.Length > 1 && evals.Min(e => e.Elo) < target - margin && evals.Max(e => e.Elo) > target + margin;

    /// <summary>The first log test compute at which the piecewise-linear Elo curve reaches <paramref name="target"/>; NaN if never bracketed.</summary>
    internal static double Crossing(TrainTestPoint[] evals, double target)
    {
        if (evals.Length == 0 || evals[0].Elo >= target)
        {
            return evals.Length > 0 && evals[0].Elo == target ? evals[0].Log10TestCompute : double.NaN;
        }
        for (int i = 1; i < evals.Length; i++)
        {
            if (evals[i].Elo >= target)
            {
                var (a, b) = (evals[i - 1], evals[i]);
                return a.Log10TestCompute + (target - a.Elo) / (b.Elo - a.Elo) * (b.Log10TestCompute - a.Log10TestCompute);
            }
        }
        return double.NaN;
    }

    /// <summary>The weighted within-level slope; NaN when no level has spread in x.</summary>
    internal static double WithinSlope(double[] x, double[][] y, double[] w, int levels)
    {
        double sxy = 0, sxx = 0;
        for (int l = 0; l < levels; l++)
        {
            double sw = 0, mx = 0, my = 0;
            for (int a = 0; a < x.Length; a++)
            {
                if (w[a] > 0 && !double.IsNaN(y[a][l]))
                {
                    sw += w[a];
                    mx += w[a] * x[a];
                    my += w[a] * y[a][l];
                }
            }
            if (sw == 0)
            {
                continue;
            }
            mx /= sw;
            my /= sw;
            for (int a = 0; a < x.Length; a++)
            {
                if (w[a] > 0 && !double.IsNaN(y[a][l]))
                {
                    sxy += w[a] * (x[a] - mx) * (y[a][l] - my);
                    sxx += w[a] * (x[a] - mx) * (x[a] - mx);
                }
            }
        }
        return sxx > 1e-12 ? sxy / sxx : double.NaN;
    }
}
