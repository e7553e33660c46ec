using ScaleLab.Engine;
using ScaleLab.Laws;

namespace ScaleLab.Lab.Studies.Distillation;

/// <summary>One finished run of a distillation study: the student's non-embedding parameters N_S, its teacher ("none" for
/// a student trained on samples), seed, tokens D_S, the student's compute 6·N_S·D_S, the teacher's forward compute
/// 2·N_T·D_S, the teacher's own training compute 6·N_T·D_T amortised over the runs that share it, and the validation loss.</summary>
public sealed record DistillationPoint(long StudentParameters, string Teacher, long Seed, long Tokens, double StudentFlops,
    double TeacherForwardFlops, double TeacherTrainShareFlops, double Loss);

/// <summary>How compute is counted on a distilled run's axis: the student alone (teacher logits free, e.g. cached), plus
/// the teacher's forward passes (the 6·N_S·D_S + 2·N_T·D_S), or plus the teacher's training amortised too.</summary>
public enum ComputeView
{
    StudentOnly,
    WithTeacherForward,
    WithTeacherTraining,
}

/// <summary>Where the distilled curve stands against the from-scratch one of the same student size.</summary>
public enum CrossoverKind
{
    /// <summary>Distillation pays at the smaller measured compute and stops paying inside the measured range.</summary>
    StopsPaying,

    /// <summary>Distillation loses at the smaller measured compute and starts paying inside the range.</summary>
    StartsPaying,

    /// <summary>Distillation pays at every compute both curves cover: the crossover, if any, is above the range.</summary>
    PaysThroughout,

    /// <summary>Distillation loses at every compute both curves cover: the crossover, if any, is below the range.</summary>
    NeverPays,

    /// <summary>The two curves cover no common compute: nothing is measured about their crossing.</summary>
    NoOverlap,
}

/// <summary>The crossover of one teacher's distilled students against scratch students of one size: its kind on the mean
/// curves, the crossing compute (for the two crossing kinds) with a 95% percentile bootstrap interval over seeds (from the
/// draws of the same kind), and the fraction of bootstrap draws whose curves give the same kind (a verdict the seeds do
/// not agree on is not a result).</summary>
public sealed record DistillationCrossover(long StudentParameters, string Teacher, ComputeView View, CrossoverKind Kind, double? Compute,
    double? Low, double? High, double FractionAgreeing, double RangeLow, double RangeHigh, int Seeds);

/// <summary>
/// The compute at which distillation stops paying for a student size (Busbridge et al. 2025, "Distillation Scaling Laws":
/// distillation beats supervised training of the same student up to a compute that grows with the student's size). Each
/// curve is the seed-mean validation loss against log compute at the study's token budgets, joined piecewise linearly;
/// Δ(log C) = L_distilled − L_scratch on their common range; the crossover is the first root of Δ, found on the union of
/// both curves' knots (where Δ is linear between knots, so the root is exact for the joined curves). Uncertainty: a
/// bootstrap over seeds (each budget's seeds resampled with replacement, both curves, 2000 draws, the RNG seeded), giving
/// a 95% percentile interval of the crossing compute over the draws that cross the same way, and the fraction of draws
/// that reach the same verdict.
/// </summary>
public static class DistillationCrossovers
{
    public const string Scratch = DistillationTeacher.None;

    public static IReadOnlyList<DistillationCrossover> Compute(IReadOnlyList<DistillationPoint> points, ComputeView view, int draws = 2000, ulong seed = 1)
    {
        ArgumentNullException.ThrowIfNull(points);
        var results = new List<DistillationCrossover>();
        foreach (var size in points.Select(p => p.StudentParameters).Distinct().Order())
        {
            var scratch = Budgets(points.Where(p => p.StudentParameters == size && p.Teacher == Scratch), ComputeView.StudentOnly);
            if (scratch.Count < 2) continue;
            foreach (var teacher in points.Where(p => p.StudentParameters == size && p.Teacher != Scratch).Select(p => p.Teacher).Distinct().Order(StringComparer.Ordinal))
            {
                var distilled = Budgets(points.Where(p => p.StudentParameters == size && p.Teacher == teacher), view);
                if (distilled.Count < 2) continue;
                var (kind, x) = Cross(Means(scratch), Means(distilled));
                var rng = new Rng(seed);
                var crossings = new List<double>();
                var agreeing = 0;
                for (var b = 0; b < draws; b++)
                {
                    var (k, xb) = Cross(Resample(scratch, rng), Resample(distilled, rng));
                    if (k != kind) continue;
                    agreeing++;
                    if (k is CrossoverKind.StopsPaying or CrossoverKind.StartsPaying) crossings.Add(xb);
                }
                var lo = Math.Max(scratch[0].X, distilled[0].X);
                var hi = Math.Min(scratch[^1].X, distilled[^1].X);
                var crossing = kind is CrossoverKind.StopsPaying or CrossoverKind.StartsPaying;
                results.Add(new DistillationCrossover(size, teacher, view, kind, crossing ? Math.Exp(x) : null,
                    crossing && crossings.Count > 0 ? Math.Exp(Quantile.Of(crossings, 0.025)) : null,
                    crossing && crossings.Count > 0 ? Math.Exp(Quantile.Of(crossings, 0.975)) : null,
                    (double)agreeing / draws, Math.Exp(lo), Math.Exp(hi), scratch.Min(c => c.Losses.Length)));
            }
        }
        return results;
    }

    /// <summary>One budget of a curve: log compute and the losses of its seeds.</summary>
    private sealed record Budget(double X, double[] Losses);

    private static List<Budget> Budgets(IEnumerable<DistillationPoint> points, ComputeView view) =>
        [.. points.GroupBy(p => p.Tokens).OrderBy(g => g.Key).Select(g => new Budget(
            Math.Log(g.First().StudentFlops + (view >= ComputeView.WithTeacherForward ? g.First().TeacherForwardFlops : 0)
                + (view == ComputeView.WithTeacherTraining ? g.First().TeacherTrainShareFlops : 0)),
            g.OrderBy(p => p.Seed).Select(p => p.Loss).ToArray()))];

    private static (double X, double Y)[] Means(List<Budget> curve) => [.. curve.Select(b => (b.X, b.Losses.Average()))];

    private static (double X, double Y)[] Resample(List<Budget> curve, Rng rng) =>
        [.. curve.Select(b => (b.X, Enumerable.Range(0, b.Losses.Length).Select(_ => b.Losses[rng.NextInt(b.Losses.Length)]).Average()))];

    /// <summary>The kind and log-compute of the first sign change of Δ = distilled − scratch on the common range.</summary>
    internal static (CrossoverKind Kind, double X) Cross((double X, double Y)[] scratch, (double X, double Y)[] distilled)
    {
        var lo = Math.Max(scratch[0].X, distilled[0].X);
        var hi = Math.Min(scratch[^1].X, distilled[^1].X);
        if (!(lo < hi)) return (CrossoverKind.NoOverlap, double.NaN);
        var knots = scratch.Select(p => p.X).Concat(distilled.Select(p => p.X)).Where(x => x > lo && x < hi).Append(lo).Append(hi).Distinct().Order().ToArray();
        var delta = knots.Select(x => Interpolate(distilled, x) - Interpolate(scratch, x)).ToArray();
        for (var i = 0; i + 1 < knots.Length; i++)
        {
            if (Math.Sign(delta[i]) != 0 && Math.Sign(delta[i + 1]) != Math.Sign(delta[i]))
            {
                var x = knots[i] + (knots[i + 1] - knots[i]) * delta[i] / (delta[i] - delta[i + 1]);
                return (delta[i] < 0 ? CrossoverKind.StopsPaying : CrossoverKind.StartsPaying, x);
            }
        }
        return (delta.Average() < 0 ? CrossoverKind.PaysThroughout : CrossoverKind.NeverPays, double.NaN);
    }

    private static double Interpolate((double X, double Y)[] curve, double x)
    {
        for (var i = 0; i + 1 < curve.Length; i++)
        {
            if (x <= curve[i + 1].X) return curve[i].Y + (curve[i + 1].Y - curve[i].Y) * (x - curve[i].X) / (curve[i + 1].X - curve[i].X);
        }
        return curve[^1].Y;
    }
}
