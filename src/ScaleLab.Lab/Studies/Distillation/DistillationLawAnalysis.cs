using System.Text.Json.Serialization;
using ScaleLab.Laws;
using ScaleLab.Laws.Distillation;

namespace ScaleLab.Lab.Studies.Distillation;

/// <summary>
/// The crossover of one teacher's fitted student law against the supervised law at one student size, in one compute view:
/// its kind over the search range, the crossing compute with a 95% percentile interval over the bootstrap draws that reach
/// the same kind (the two laws' draws paired), the fraction of draws that do, the compute range searched (from the smallest
/// compute measured for this size to ten times the largest) and the measured range itself: a crossing above it is an
/// extrapolation. The search does not go below the measured range: fitted laws extrapolated downwards a decade crossed
/// spuriously in a planted control whose true laws never cross.
/// </summary>
public sealed record LawCrossover(long StudentParameters, string Teacher, ComputeView View, CrossoverKind Kind, double? Compute, double? Low,
    double? High, double FractionAgreeing, int Draws, double SearchLow, double SearchHigh, double MeasuredLow, double MeasuredHigh)
{
    /// <summary>The crossing lies outside the compute the study measured for this student size.</summary>
    public bool Extrapolated => Compute is { } c && (c < MeasuredLow || c > MeasuredHigh);

    /// <summary>Per bootstrap draw, the crossing compute when the draw reaches the same crossing kind, else NaN.</summary>
    [JsonIgnore]
    public IReadOnlyList<double> DrawCrossings { get; init; } = [];
}

/// <summary>Whether one teacher's law-based "stops paying" compute grows with student size: the slope of ln C* against ln N_S
/// over the sizes that cross (least squares), with a 95% interval over the bootstrap draws in which every one of those
/// sizes crosses; null slope with fewer than two crossing sizes; the verdict in words.</summary>
public sealed record CrossoverGrowth(string Teacher, ComputeView View, int Sizes, double? Exponent, double? Low, double? High, int Draws, string Statement);

/// <summary>The fitted laws of a distillation study: one student law per teacher (and the teachers without one, with the
/// reason), the crossovers they imply per student size and compute view, whether those grow with student size, the
/// back-test of every law, Busbridge et al.'s law (or why it was not fitted), and the teacher losses used.</summary>
public sealed record DistillationLawAnalysis(IReadOnlyList<StudentLossLaw> StudentLaws, IReadOnlyList<StudentLawFailure> NotFitted,
    IReadOnlyList<LawCrossover> Crossovers, IReadOnlyList<CrossoverGrowth> Growth, IReadOnlyList<StudentBacktest> Backtests,
    BusbridgeResult Busbridge, IReadOnlyDictionary<string, double> TeacherLosses)
{
    /// <summary>Busbridge et al.'s law back-tested: fitted (with the supervised law) on the smaller budgets, predicting the largest.</summary>
    public BusbridgeBacktest? BusbridgeBacktest { get; init; }
}

/// <summary>
/// Fits the student loss laws of a distillation study (<see cref="StudentLossLaws"/>, one per teacher, "none" the
/// supervised students) and reads from them where distillation stops paying: for student size N_S the supervised student
/// at compute C has D = C/(6·N_S); the distilled one D = (C − S)/(6·N_S + 2·N_T) with N_T counted in the views that count
/// the teacher's forward passes and S, the teacher's training shared over the study's runs that use it, in the view that
/// counts it (C ≤ S: no distilled student exists). Δ(C) = L_distilled − L_supervised is scanned on 240 log-spaced computes
/// over the search range; the first sign change from − to + is where distillation stops paying (else the first from + to −,
/// where it starts), refined by bisection in ln C.
/// </summary>
public static class DistillationLaws
{
    public const double SearchWidening = 10;
    private const int GridPoints = 240;

    public static DistillationLawAnalysis Analyse(IReadOnlyList<DistillationPoint> points, IReadOnlyDictionary<string, double> teacherLosses,
        StudentLawOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(teacherLosses);
        options ??= new StudentLawOptions();
        var observations = points.Select(p => new StudentObservation(p.Teacher, p.StudentParameters, p.Tokens, p.Seed, p.Loss)).ToList();
        var (laws, failed) = StudentLossLaws.FitAll(observations, options);
        var scratch = laws.FirstOrDefault(l => l.Teacher == DistillationCrossovers.Scratch);
        var crossovers = new List<LawCrossover>();
        if (scratch is not null)
        {
            foreach (var law in laws.Where(l => l != scratch))
            {
                var taught = points.Where(p => p.Teacher == law.Teacher).ToList();
                var teacherParameters = taught.Average(p => p.TeacherForwardFlops / (2.0 * p.Tokens));
                var share = taught.Average(p => p.TeacherTrainShareFlops);
                foreach (var size in taught.Select(p => p.StudentParameters).Distinct().Order())
                {
                    foreach (var view in Enum.GetValues<ComputeView>())
                    {
                        crossovers.Add(Cross(scratch, law, size, teacherParameters, share, view, points));
                    }
                }
            }
        }
        var growth = crossovers.GroupBy(c => (c.Teacher, c.View)).Select(g => Growth(g.Key.Teacher, g.Key.View, g.ToList())).ToList();
        var backtests = StudentLawBacktests.RunAll(observations, options);
        var busbridge = scratch is null
            ? new BusbridgeResult(null, "not fitted: no supervised students' law (teacher none) to give L~_S")
            : BusbridgeFitter.Fit(observations.Where(o => o.Teacher != DistillationCrossovers.Scratch), teacherLosses, scratch,
                Math.Min(200, options.BootstrapSamples), options.Seed);
        return new DistillationLawAnalysis(laws, failed, crossovers, growth, backtests, busbridge, teacherLosses)
        {
            BusbridgeBacktest = busbridge.Fit is null ? null : BusbridgeBacktest.Run(observations, teacherLosses, options),
        };
    }

    /// <summary>The crossover of <paramref name="distilled"/> against <paramref name="scratch"/> at one student size.</summary>
    public static LawCrossover Cross(StudentLossLaw scratch, StudentLossLaw distilled, long size, double teacherParameters, double share,
        ComputeView view, IReadOnlyList<DistillationPoint> points)
    {
        ArgumentNullException.ThrowIfNull(scratch);
        ArgumentNullException.ThrowIfNull(distilled);
        ArgumentNullException.ThrowIfNull(points);
        double n = size;
        var perToken = 6 * n + (view >= ComputeView.WithTeacherForward ? 2 * teacherParameters : 0);
        var fixedCost = view == ComputeView.WithTeacherTraining ? share : 0;
        var measured = points.Where(p => p.StudentParameters == size && (p.Teacher == scratch.Teacher || p.Teacher == distilled.Teacher))
            .Select(p => p.Teacher == scratch.Teacher ? p.StudentFlops : p.StudentFlops + (view >= ComputeView.WithTeacherForward ? p.TeacherForwardFlops : 0)
                + (view == ComputeView.WithTeacherTraining ? p.TeacherTrainShareFlops : 0)).ToList();
        double lo = measured.Min(), hi = measured.Max() * SearchWidening;
        double Delta(Func<double, double, double> distilledLoss, Func<double, double, double> scratchLoss, double c) =>
            c <= fixedCost ? double.PositiveInfinity : distilledLoss(n, (c - fixedCost) / perToken) - scratchLoss(n, c / (6 * n));
        var (kind, x) = Scan(c => Delta(distilled.Predict, scratch.Predict, c), lo, hi);
        var draws = Math.Min(scratch.DrawCount, distilled.DrawCount);
        var crossings = new double[draws];
        var agreeing = 0;
        for (int k = 0; k < draws; k++)
        {
            var (kk, xk) = Scan(c => Delta((a, b) => distilled.PredictDraw(k, a, b), (a, b) => scratch.PredictDraw(k, a, b), c), lo, hi);
            crossings[k] = kk == kind && double.IsFinite(xk) ? xk : double.NaN;
            if (kk == kind) agreeing++;
        }
        var crossing = kind is CrossoverKind.StopsPaying or CrossoverKind.StartsPaying;
        var finite = crossings.Where(double.IsFinite).ToList();
        return new LawCrossover(size, distilled.Teacher, view, kind, crossing ? x : null,
            crossing && finite.Count > 0 ? Quantile.Of(finite, 0.025) : null, crossing && finite.Count > 0 ? Quantile.Of(finite, 0.975) : null,
            draws > 0 ? (double)agreeing / draws : double.NaN, draws, lo, hi, measured.Min(), measured.Max())
        {
            DrawCrossings = crossings,
        };
    }

    /// <summary>The kind of Δ over [lo, hi] and its crossing compute (NaN when it does not cross): the first − to + sign
    /// change, else the first + to −, else pays (Δ &lt; 0 at most points) or never pays.</summary>
    internal static (CrossoverKind Kind, double Compute) Scan(Func<double, double> delta, double lo, double hi)
    {
        var xs = Enumerable.Range(0, GridPoints).Select(i => Math.Log(lo) + (Math.Log(hi) - Math.Log(lo)) * i / (GridPoints - 1)).ToArray();
        var ds = xs.Select(x => delta(Math.Exp(x))).ToArray();
        int? up = null, down = null;
        for (int i = 0; i + 1 < xs.Length; i++)
        {
            if (double.IsNaN(ds[i]) || double.IsNaN(ds[i + 1])) continue;
            if (ds[i] < 0 && ds[i + 1] >= 0) up ??= i;
            if (ds[i] >= 0 && ds[i + 1] < 0) down ??= i;
        }
        if (up is { } u) return (CrossoverKind.StopsPaying, Bisect(delta, xs[u], xs[u + 1], rising: true));
        if (down is { } d) return (CrossoverKind.StartsPaying, Bisect(delta, xs[d], xs[d + 1], rising: false));
        return (ds.Count(v => v < 0) * 2 > ds.Length ? CrossoverKind.PaysThroughout : CrossoverKind.NeverPays, double.NaN);
    }

    private static double Bisect(Func<double, double> delta, double a, double b, bool rising)
    {
        for (int i = 0; i < 50; i++)
        {
            var m = 0.5 * (a + b);
            if ((delta(Math.Exp(m)) < 0) == rising) a = m;
            else b = m;
        }
        return Math.Exp(0.5 * (a + b));
    }

    /// <summary>The least fraction of bootstrap draws that must cross at every size for their slopes to give an interval:
    /// the draws that do not cross at some size are not missing at random (at the largest size they are mostly those whose
    /// crossing lies beyond the search range), so an interval over the rest is conditional and can exclude the estimate.</summary>
    internal const double MinimumCrossingShare = 0.9;

    internal static CrossoverGrowth Growth(string teacher, ComputeView view, List<LawCrossover> bySize)
    {
        var crossing = bySize.Where(c => c.Kind == CrossoverKind.StopsPaying && c.Compute is not null).OrderBy(c => c.StudentParameters).ToList();
        if (crossing.Count < 2)
        {
            return new CrossoverGrowth(teacher, view, crossing.Count, null, null, null, 0,
                $"{crossing.Count} student size(s) where the laws say distillation stops paying; a trend with size needs two");
        }
        var lnN = crossing.Select(c => Math.Log(c.StudentParameters)).ToArray();
        var slope = Slope(lnN, [.. crossing.Select(c => Math.Log(c.Compute!.Value))]);
        var draws = crossing.Min(c => c.DrawCrossings.Count);
        var slopes = Enumerable.Range(0, draws).Where(k => crossing.All(c => double.IsFinite(c.DrawCrossings[k])))
            .Select(k => Slope(lnN, [.. crossing.Select(c => Math.Log(c.DrawCrossings[k]))])).ToList();
        if (slopes.Count < 20 || slopes.Count < MinimumCrossingShare * draws)
        {
            return new CrossoverGrowth(teacher, view, crossing.Count, slope, null, null, slopes.Count,
                string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"only {slopes.Count} of {draws} bootstrap draws cross at every one of the {crossing.Count} sizes (the rest cross at no compute searched for some size), so the slope of ln C* on ln N_S, {NumberStyle.Format(slope, 2)}, has no interval: no verdict on growth"));
        }
        double low = Quantile.Of(slopes, 0.025), high = Quantile.Of(slopes, 0.975);
        var verdict = low > 0 ? "grows with student size" : high < 0 ? "shrinks with student size" : "shows no trend with student size that the draws agree on";
        return new CrossoverGrowth(teacher, view, crossing.Count, slope, low, high, slopes.Count,
            string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"the compute where distillation stops paying {verdict}: C* ∝ N_S^{NumberStyle.Format(slope, 2)}, 95% interval [{NumberStyle.Format(low, 2)}, {NumberStyle.Format(high, 2)}] over {slopes.Count} draws"));
    }

    private static double Slope(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average();
        return x.Zip(y).Sum(p => (p.First - mx) * (p.Second - my)) / x.Sum(v => (v - mx) * (v - mx));
    }
}
