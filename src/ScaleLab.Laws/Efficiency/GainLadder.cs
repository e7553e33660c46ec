using System.Globalization;

namespace ScaleLab.Laws;

/// <summary>One recipe of a ladder: its frontier law and the compute it needs to reach each target loss, with intervals.</summary>
public sealed record LadderRung(string Study, FrontierLaw Law, IReadOnlyList<Estimate> Compute);

/// <summary>
/// The gain ladder of recipes listed oldest first: common target losses (descending), the compute each recipe needs
/// to reach each, every later recipe's gain over the oldest (<see cref="VersusOldest"/>[i − 1] is recipe i over recipe
/// 0) and over the one before it (<see cref="Steps"/>[i − 1] is recipe i over recipe i − 1), each a full
/// <see cref="ComputeGainResult"/> with its intervals and its trend with compute. <see cref="Headline"/> indexes the
/// target the ladder is read at: the middle of the loss range every recipe's frontier reaches.
/// </summary>
public sealed record GainLadderResult(
    ComputeGainOptions Options,
    IReadOnlyList<double> Targets,
    int Headline,
    IReadOnlyList<LadderRung> Rungs,
    IReadOnlyList<ComputeGainResult> VersusOldest,
    IReadOnlyList<ComputeGainResult> Steps)
{
    public double HeadlineTarget => Targets[Headline];

    /// <summary>The latest recipe whose gain over the oldest at the headline target is largest (null with one recipe).</summary>
    public ComputeGainResult? Best => VersusOldest.Count == 0 ? null : VersusOldest.MaxBy(r => r.Gains[Headline].Gain.Value);
}

/// <summary>
/// Hernandez &amp; Brown 2020's measurement on a user's recipes: the compute each recipe needs to reach a loss that every
/// recipe reaches, and the ratios of those computes, relative to the oldest recipe and step by step. Each ratio is
/// <see cref="ComputeGain.Compare(string, IReadOnlyList{FrontierPoint}, string, IReadOnlyList{FrontierPoint}, ComputeGainOptions)"/>
/// on the pair (its frontier lines, residual bootstrap and expanded percentile intervals, and its exponent s with
/// G ∝ C^s saying whether the gain grows or shrinks with compute); the compute to reach a target per recipe is
/// <see cref="ComputeGain.ComputeToReach"/>. All pairs share the target losses, so the ladder is read at one loss.
/// The targets are inside every frontier's loss range (no recipe's law is extrapolated): by default 3, log-spaced at
/// (k − ½)/3 of the common range, the middle one the headline.
/// </summary>
public static class GainLadder
{
    /// <summary>Default number of target losses, the middle one the headline.</summary>
    public const int DefaultTargets = 3;

    public static GainLadderResult Measure(IReadOnlyList<(string Study, IReadOnlyList<FrontierPoint> Frontier)> recipes, ComputeGainOptions options)
    {
        ArgumentNullException.ThrowIfNull(recipes);
        ArgumentNullException.ThrowIfNull(options);
        if (recipes.Count < 2)
        {
            throw new InvalidDataException($"gain ladder: needs at least 2 recipes (the oldest and one to compare with it), got {recipes.Count}");
        }
        var duplicate = recipes.GroupBy(r => r.Study).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidDataException($"gain ladder: study '{duplicate.Key}' is listed twice");
        }
        var targets = options.TargetLosses ?? CommonTargets(recipes, DefaultTargets);
        var withTargets = options with { TargetLosses = targets };
        var rungs = recipes.Select(r =>
        {
            var (law, compute) = ComputeGain.ComputeToReach(r.Study, r.Frontier, targets, withTargets);
            return new LadderRung(r.Study, law, compute);
        }).ToList();
        var oldest = recipes[0];
        var versusOldest = recipes.Skip(1).Select(r => ComputeGain.Compare(oldest.Study, oldest.Frontier, r.Study, r.Frontier, withTargets)).ToList();
        var steps = Enumerable.Range(1, recipes.Count - 1)
            .Select(i => ComputeGain.Compare(recipes[i - 1].Study, recipes[i - 1].Frontier, recipes[i].Study, recipes[i].Frontier, withTargets)).ToList();
        return new GainLadderResult(withTargets, targets, targets.Count / 2, rungs, versusOldest, steps);
    }

    /// <summary>
    /// Losses every recipe's frontier reaches: log-spaced at (k − ½)/count of [max over recipes of the lowest frontier
    /// loss, min over recipes of the highest], descending. One line naming the recipes that leave no common range.
    /// </summary>
    public static IReadOnlyList<double> CommonTargets(IReadOnlyList<(string Study, IReadOnlyList<FrontierPoint> Frontier)> recipes, int count)
    {
        ArgumentNullException.ThrowIfNull(recipes);
        foreach (var (study, frontier) in recipes)
        {
            if (frontier.Count == 0)
            {
                throw new InvalidDataException($"gain ladder: study '{study}' has no runs on its compute-efficient frontier");
            }
        }
        var worstBest = recipes.MaxBy(r => r.Frontier.Min(p => p.Loss));
        var bestWorst = recipes.MinBy(r => r.Frontier.Max(p => p.Loss));
        var lo = worstBest.Frontier.Min(p => p.Loss);
        var hi = bestWorst.Frontier.Max(p => p.Loss);
        if (!(lo < hi))
        {
            throw new InvalidDataException(
                $"gain ladder: no loss is reached by every recipe: '{worstBest.Study}''s lowest frontier loss {Format(lo)} is above '{bestWorst.Study}''s highest {Format(hi)} " +
                "(sweep the older recipe at more compute, or the newer at less)");
        }
        var (l, h) = (Math.Log10(lo), Math.Log10(hi));
        return [.. Enumerable.Range(1, count).Select(k => Math.Pow(10, l + (h - l) * (k - 0.5) / count)).OrderDescending()];
    }

    private static string Format(double x) => x.ToString("0.####", CultureInfo.InvariantCulture);
}
