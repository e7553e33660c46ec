using System.Globalization;
using System.Text;
using ScaleLab.Laws;

namespace ScaleLab.Report.Efficiency;

/// <summary>One compute budget of a recipe: the sizes tried and the size with the lowest loss (seeds averaged, best rate).</summary>
public sealed record VintageBudget(double Compute, long BestN, long SmallestN, long LargestN, int Sizes, double BestLoss)
{
    /// <summary>The best size lies strictly inside the sizes tried, so the budget's optimum is bracketed.</summary>
    public bool Bracketed => Sizes >= 3 && BestN > SmallestN && BestN < LargestN;
}

/// <summary>One recipe as measured: its registry study, what it is, its frontier runs and its budgets.</summary>
public sealed record VintageRecipe(string Study, string Name, string Title, IReadOnlyList<FrontierPoint> Frontier, IReadOnlyList<VintageBudget> Budgets,
    int Runs, int Failed);

/// <summary>The recipe-vintage study: the recipes oldest first and their gain ladder.</summary>
public sealed record VintageStudyResult(IReadOnlyList<VintageRecipe> Recipes, GainLadderResult Ladder, bool Quick);

/// <summary>
/// The report section of the recipe-vintage study (Markdown): the recipes, the compute each needs to reach the common
/// target losses, the gain ladder over the oldest and step by step with intervals and trends, and each budget's
/// bracketing, with the method in words.
/// </summary>
public static class VintageReport
{
    public static string Markdown(VintageStudyResult result, string? plotFile)
    {
        ArgumentNullException.ThrowIfNull(result);
        var ladder = result.Ladder;
        var level = NumberStyle.Percent(ladder.Options.Level, 2);
        var md = new StringBuilder();
        md.Append(CultureInfo.InvariantCulture, $"# Recipe vintages: algorithmic efficiency on the synthetic corpus{(result.Quick ? " (quick design)" : "")}\n\n");
        md.Append(Headline(result)).Append("\n\n");
        if (plotFile is not null)
        {
            md.Append(CultureInfo.InvariantCulture, $"![frontiers side by side; compute to reach the target per recipe]({plotFile})\n\n");
        }
        md.Append("## Recipes (oldest first)\n\n| # | study | recipe | runs | frontier runs | budgets bracketed | frontier law log10 L = a + b·log10 C |\n|---|---|---|---|---|---|---|\n");
        for (var i = 0; i < result.Recipes.Count; i++)
        {
            var r = result.Recipes[i];
            var law = ladder.Rungs[i].Law;
            md.Append(CultureInfo.InvariantCulture,
                $"| {i + 1} | {r.Study} | {r.Title} | {r.Runs}{(r.Failed > 0 ? $" ({r.Failed} failed)" : "")} | {law.N} | {r.Budgets.Count(b => b.Bracketed)} of {r.Budgets.Count} | a = {NumberStyle.Format(law.Fit.Intercept, 4)}, b = {NumberStyle.Format(law.Fit.Slope, 3)} ± {NumberStyle.Format(law.Fit.SlopeStdError, 2)} (R² {NumberStyle.Format(law.Fit.R2, 3)}) |\n");
        }
        md.Append(CultureInfo.InvariantCulture, $"\n## Compute to reach each target loss [{level}]\n\n| recipe |");
        foreach (var t in ladder.Targets)
        {
            md.Append(CultureInfo.InvariantCulture, $" L = {NumberStyle.Format(t, 4)}{(t == ladder.HeadlineTarget ? " (headline)" : "")} |");
        }
        md.Append('\n').Append(string.Concat(Enumerable.Repeat("|---", ladder.Targets.Count + 1))).Append("|\n");
        foreach (var rung in ladder.Rungs)
        {
            md.Append(CultureInfo.InvariantCulture, $"| {rung.Study} |");
            foreach (var c in rung.Compute)
            {
                md.Append(CultureInfo.InvariantCulture, $" {Interval(c)} FLOP |");
            }
            md.Append('\n');
        }
        Gains(md, "Gain over the oldest recipe", ladder.VersusOldest, ladder, level);
        Gains(md, "Gain step by step (each recipe over the one before)", ladder.Steps, ladder, level);
        md.Append("\n## Budgets (best size per budget; bracketed when it is neither the smallest nor the largest size tried)\n\n| recipe | compute | sizes tried (N) | best N | best loss | bracketed |\n|---|---|---|---|---|---|\n");
        foreach (var r in result.Recipes)
        {
            foreach (var b in r.Budgets)
            {
                md.Append(CultureInfo.InvariantCulture,
                    $"| {r.Name} | {NumberStyle.Format(b.Compute, 3)} | {b.Sizes}: {NumberStyle.Format(b.SmallestN)}–{NumberStyle.Format(b.LargestN)} | {NumberStyle.Format(b.BestN)} | {NumberStyle.Format(b.BestLoss, 4)} | {(b.Bracketed ? "yes" : "no")} |\n");
            }
        }
        md.Append(CultureInfo.InvariantCulture, $"""

            ## Method

            Hernandez & Brown 2020: the compute-equivalent gain of a recipe over another is the ratio of the compute each needs to
            reach the same loss. Each recipe's compute-efficient frontier (seeds averaged, the lowest loss per compute budget that
            beats every smaller budget) is fitted as log10 L = a + b·log10 C (Kaplan et al. 2020 eq. 1.3); C(L) is read from the
            line at target losses every recipe's frontier reaches (no extrapolation). Intervals: residual bootstrap of each line
            (budgets fixed), {ladder.Options.Bootstrap} replicates, seed {ladder.Options.Seed}, expanded percentile intervals
            (Hesterberg 2015) at {level}. A gain's exponent s (G ∝ C^s, s = 1 − b_A/b_B) says whether it grows or shrinks with
            compute; an interval of s that holds 0 is "no detectable change". A budget whose best size is at the edge of the sizes
            tried may have its frontier loss too high (the optimum was not reached), which biases that recipe's line.

            """);
        return md.ToString();
    }

    /// <summary>One paragraph: the best recipe's gain over the oldest at the headline target, with its interval and trend.</summary>
    public static string Headline(VintageStudyResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var ladder = result.Ladder;
        var best = ladder.Best!;
        var g = best.Gains[ladder.Headline];
        var level = NumberStyle.Percent(ladder.Options.Level, 2);
        var unbracketed = result.Recipes.Sum(r => r.Budgets.Count(b => !b.Bracketed));
        var budgets = result.Recipes.Sum(r => r.Budgets.Count);
        var bracketing = unbracketed > 0
            ? $" {unbracketed} of {budgets} recipe budgets have their best size at the edge of the sizes tried (see Budgets)."
            : " Every budget of every recipe is bracketed.";
        return $"At loss {NumberStyle.Format(ladder.HeadlineTarget, 4)} (reached by every recipe's frontier), the best recipe, {best.B.Study}, needs " +
            $"{NumberStyle.Format(g.ComputeB, 3)} FLOP against {NumberStyle.Format(g.ComputeA, 3)} for the oldest, {best.A.Study}: a compute-equivalent gain of " +
            $"{NumberStyle.Format(g.Gain.Value, 3)}× [{NumberStyle.Format(g.Gain.Lo, 3)}, {NumberStyle.Format(g.Gain.Hi, 3)}] ({level}); {best.Trend}." + bracketing;
    }

    private static void Gains(StringBuilder md, string title, IReadOnlyList<ComputeGainResult> pairs, GainLadderResult ladder, string level)
    {
        md.Append(CultureInfo.InvariantCulture, $"\n## {title} [{level}]\n\n| recipe | over |");
        foreach (var t in ladder.Targets)
        {
            md.Append(CultureInfo.InvariantCulture, $" gain at L = {NumberStyle.Format(t, 4)} |");
        }
        md.Append(" exponent s (G ∝ C^s) | with compute |\n").Append(string.Concat(Enumerable.Repeat("|---", ladder.Targets.Count + 4))).Append("|\n");
        foreach (var p in pairs)
        {
            md.Append(CultureInfo.InvariantCulture, $"| {p.B.Study} | {p.A.Study} |");
            foreach (var g in p.Gains)
            {
                md.Append(CultureInfo.InvariantCulture, $" {Interval(g.Gain)}× |");
            }
            md.Append(CultureInfo.InvariantCulture, $" {Interval(p.ScaleExponent)} | {TrendWord(p.ScaleExponent)} |\n");
        }
    }

    /// <summary>grows / shrinks / no detectable change, from the exponent's interval.</summary>
    public static string TrendWord(Estimate exponent) =>
        exponent.Lo > 0 ? "grows" : exponent.Hi < 0 ? "shrinks" : "no detectable change";

    private static string Interval(Estimate e) => $"{NumberStyle.Format(e.Value, 3)} [{NumberStyle.Format(e.Lo, 3)}, {NumberStyle.Format(e.Hi, 3)}]";
}
