using ScaleLab.Lab.Registry;

namespace ScaleLab.Lab.Analysis;

/// <summary>
/// One configuration (N, D, learning rate) of a study, its seeds averaged: <see cref="Loss"/> is the mean final
/// validation loss over <see cref="Seeds"/> runs and <see cref="Spread"/> their sample standard deviation (null
/// with one seed).
/// </summary>
public sealed record ConfigPoint(long N, long NTotal, long D, double C, double LearningRate, double Loss, double? Spread, int Seeds,
    IReadOnlyList<string> RunKeys);

/// <summary>
/// The point a law is fitted to for one (N, D): the learning rate with the lowest seed-averaged loss among
/// <see cref="Tried"/> (every rate run at this N and D, best first).
/// </summary>
public sealed record SelectedPoint(ConfigPoint Best, IReadOnlyList<ConfigPoint> Tried)
{
    public long N => Best.N;
    public long D => Best.D;
    public double C => Best.C;
    public double Loss => Best.Loss;
}

/// <summary>
/// Turns a study's finished runs into the points a scaling law is fitted to, the way a careful scaling-law
/// paper pools runs: seeds of one configuration are averaged (their spread kept), and where several learning
/// rates were run at one (N, D) only the best is kept (Hoffmann et al. 2022 and Kaplan et al. 2020 both fit the
/// best-tuned run per size and budget; fitting every rate would mix optimisation failure into the law).
/// </summary>
public static class StudyPoints
{
    public static IReadOnlyList<SelectedPoint> Select(IReadOnlyList<RunRecord> runs, IReadOnlyList<ScalingPoint> points)
    {
        var rateOf = runs.ToDictionary(r => r.Key, r => LearningRateOf(r.ConfigJson));
        var configs = points
            .GroupBy(p => (p.N, p.D, Rate: rateOf.GetValueOrDefault(p.RunKey, double.NaN)))
            .Select(g =>
            {
                var losses = g.Select(p => p.Loss).ToList();
                var mean = losses.Average();
                double? spread = losses.Count > 1 ? Math.Sqrt(losses.Sum(l => (l - mean) * (l - mean)) / (losses.Count - 1)) : null;
                var first = g.First();
                return new ConfigPoint(first.N, first.NTotal, first.D, first.C, g.Key.Rate, mean, spread, losses.Count,
                    g.Select(p => p.RunKey).ToList());
            });
        return configs
            .GroupBy(c => (c.N, c.D))
            .Select(g =>
            {
                var tried = g.OrderBy(c => c.Loss).ThenBy(c => c.LearningRate).ToList();
                return new SelectedPoint(tried[0], tried);
            })
            .OrderBy(s => s.C).ThenBy(s => s.N)
            .ToList();
    }

    /// <summary>
    /// The compute-efficient frontier: the points whose loss is lower than that of every point of smaller or
    /// equal compute (the lower envelope of loss against C, read left to right). A power law in C describes
    /// the best loss reachable at each compute (Kaplan et al. 2020 fig. 1), so it is fitted to these points
    /// only: a deliberately mis-sized run at a budget says nothing about L(C). Runs of one compute budget
    /// differ in C by the rounding of their step counts, so computes within <see cref="BudgetTolerance"/> of the
    /// smallest of a group count as one budget, of which only the lowest loss can be on the frontier.
    /// </summary>
    public static IReadOnlyList<SelectedPoint> ComputeFrontier(IReadOnlyList<SelectedPoint> points)
    {
        var frontier = new List<SelectedPoint>();
        var best = double.PositiveInfinity;
        foreach (var group in ComputeBudgets(points))
        {
            var lowest = group.MinBy(p => p.Loss)!;
            if (lowest.Loss < best)
            {
                frontier.Add(lowest);
                best = lowest.Loss;
            }
        }
        return frontier;
    }

    /// <summary>The run's learning rate from its config JSON (NaN for a run without one, e.g. another kind).</summary>
    public static double LearningRateOf(string configJson)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(configJson);
            return doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                   && doc.RootElement.TryGetProperty("learning_rate", out var lr) && lr.TryGetDouble(out var v) ? v : double.NaN;
        }
        catch (System.Text.Json.JsonException)
        {
            return double.NaN;
        }
    }

    /// <summary>Relative difference in C under which two runs count as one compute budget.</summary>
    public const double BudgetTolerance = 0.03;

    /// <summary>The points grouped by compute budget, smallest first (see <see cref="BudgetTolerance"/>).</summary>
    public static IReadOnlyList<IReadOnlyList<SelectedPoint>> ComputeBudgets(IReadOnlyList<SelectedPoint> points)
    {
        var groups = new List<IReadOnlyList<SelectedPoint>>();
        var current = new List<SelectedPoint>();
        foreach (var p in points.OrderBy(p => p.C))
        {
            if (current.Count > 0 && p.C > current[0].C * (1 + BudgetTolerance))
            {
                groups.Add(current);
                current = [];
            }
            current.Add(p);
        }
        if (current.Count > 0)
        {
            groups.Add(current);
        }
        return groups;
    }
}
