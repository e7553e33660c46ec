using System.Text.Json;
using ScaleLab.Laws;
using ScaleLab.Lab.Registry;

namespace ScaleLab.Lab.Studies.Sae;

/// <summary>One finished SAE run: its latents n, k (TopK; 0 for ReLU+L1), seed, held-out FVU, compute (the run kind's FLOP
/// estimate), wall time (the registry's start-to-finish seconds, null when either time is missing), and how much its
/// held-out FVU still fell over its last evaluation interval, (FVU_before − FVU_last) / FVU_before, with the steps that
/// interval spans (FVU_before: the latest evaluation at least half an eval_interval before the last; both null without
/// two such evaluations: set the spec's eval_interval).</summary>
public sealed record SaeScalingPoint(string Run, int Latents, int K, long Seed, double Fvu, double Flops, double? WallSeconds = null,
    double? LastIntervalFall = null, long? LastIntervalSteps = null);

/// <summary>The joint law's exponent of n at one k, −(beta_n + gamma·ln k), with its bootstrap percentile interval (null
/// without a bootstrap).</summary>
public sealed record SaeExponentAtK(int K, double Exponent, Interval? Interval);

/// <summary>Gao et al.'s joint law L(n, k) fitted to every TopK run (<see cref="SaeJointLaw"/>), the exponent of n it implies
/// at each k, and the back-test that predicts every run at the largest n from the smaller n (all k at once).</summary>
public sealed record SaeJointFit(IReadOnlyList<SaeScalingPoint> Points, LawFit Fit, IReadOnlyList<SaeExponentAtK> Exponents, BacktestResult? Backtest, string? BacktestSkipped);

/// <summary>The plain power law in n at one k: L(n) = E + A·n^(−α) fitted to held-out FVU with bootstrap intervals, and
/// its back-test (fit without the largest n, predict it), when there are enough sizes.</summary>
public sealed record SaeScalingFit(int K, IReadOnlyList<SaeScalingPoint> Points, LawFit Fit, BacktestResult? Backtest, string? BacktestSkipped);

/// <summary>
/// The scaling of SAE quality with dictionary size (Gao et al. 2024 §3): at each k, held-out FVU (their normalised MSE)
/// against n with the saturating power law L(n) = E + A·n^(−α) of <see cref="PowerLaw"/> (Huber loss on ln L, L-BFGS
/// from a start grid), bootstrap intervals over whole sizes where there are enough, and the back-test that predicts the
/// largest n from the smaller ones; and Gao et al.'s joint form L(n, k) over every TopK run (<see cref="FitJoint"/>).
/// </summary>
public static class SaeScaling
{
    /// <summary>The finished "sae" runs of <paramref name="study"/>.</summary>
    public static IReadOnlyList<SaeScalingPoint> Points(IRunStore store, string study)
    {
        ArgumentNullException.ThrowIfNull(store);
        var points = new List<SaeScalingPoint>();
        foreach (var run in store.ListRuns(study).Where(r => r.KindName == SaeRunKind.KindName && r.Status == RunStatus.Done && r.FinalLoss is double))
        {
            var config = JsonSerializer.Deserialize<SaeRunConfig>(run.ConfigJson, SaeRunKind.Json)!;
            double? wall = run.StartedAt is { } start && run.FinishedAt is { } end ? (end - start).TotalSeconds : null;
            var evals = store.ReadRunMetrics(run.Key).Where(m => m.Name == "heldout_fvu").OrderBy(m => m.Step).ToList();
            // The last interval starts at the latest evaluation at least half an eval_interval before the last one: a run
            // whose steps are not a multiple of the interval is evaluated once more at its end, one step or so after the
            // last scheduled evaluation, and that pair measures nothing.
            var last = evals.Count > 0 ? evals[^1] : null;
            var before = last is null ? null : evals.LastOrDefault(m => m.Step <= last.Step - Math.Max(1, config.EvalInterval / 2));
            double? fall = before is not null && before.Value > 0 ? (before.Value - last!.Value) / before.Value : null;
            long? span = before is not null ? last!.Step - before.Step : null;
            points.Add(new SaeScalingPoint(run.Key, config.Sae.Latents, config.Sae.Family == Engine.Sae.SaeFamily.TopK ? config.Sae.K : 0,
                run.Seed, run.FinalLoss!.Value, run.Flops, wall, fall, span));
        }
        return points;
    }

    /// <summary>A run whose held-out FVU still fell by more than this fraction over its last evaluation interval (late in a
    /// cosine schedule, where the rate is small) is flagged as not converged: a law in n over such runs mixes dictionary
    /// size with training length (Gao et al. 2024 fit their laws to SAEs trained to convergence).</summary>
    public const double NotConvergedFall = 0.02;

    /// <summary>What an exponent of n says about FVU, from its interval (the reducible term goes as n^−exponent): "falls"
    /// when the whole interval is above 0, "rises" when the whole interval is below 0, "unresolved" when it includes 0 or
    /// there is no interval.</summary>
    public static string Direction(Interval? interval) => interval switch
    {
        { Lo: > 0 } => "falls",
        { Hi: < 0 } => "rises",
        _ => "unresolved",
    };

    /// <summary>The words for <see cref="Direction"/>, for text output.</summary>
    public static string DirectionInWords(Interval? interval) => Direction(interval) switch
    {
        "falls" => "the whole interval is above 0: FVU falls with n",
        "rises" => "the whole interval is below 0: FVU rises with n",
        _ => interval is null ? "no interval: the direction is not resolved" : "interval includes 0: no change with n is resolved",
    };

    /// <summary>The runs flagged by <see cref="NotConvergedFall"/>.</summary>
    public static IReadOnlyList<SaeScalingPoint> NotConverged(IReadOnlyList<SaeScalingPoint> points) =>
        [.. (points ?? throw new ArgumentNullException(nameof(points))).Where(p => p.LastIntervalFall > NotConvergedFall)];

    /// <summary>Fits every k with at least four distinct n; back-tests those with at least five.</summary>
    public static IReadOnlyList<SaeScalingFit> Fit(IReadOnlyList<SaeScalingPoint> points, int bootstrap, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(points);
        var fits = new List<SaeScalingFit>();
        foreach (var group in points.GroupBy(p => p.K).OrderBy(g => g.Key))
        {
            var sorted = group.OrderBy(p => p.Latents).ThenBy(p => p.Seed).ToList();
            var sizes = sorted.Select(p => p.Latents).Distinct().Count();
            if (sizes < 4) continue;   // three parameters need ≥ 4 distinct sizes (repeated seeds add no information on the curve)
            var data = new ScalingDataset($"sae k={group.Key}", [.. sorted.Select(p => p.Fvu)], n: [.. sorted.Select(p => (double)p.Latents)]);
            var law = new PowerLaw(LawInputs.N);
            var fit = LawFitter.Fit(law, data);
            if (bootstrap > 0) fit = fit.WithBootstrap(data, new BootstrapOptions { Samples = bootstrap, Seed = seed });
            BacktestResult? backtest = null;
            string? skipped = null;
            if (sizes >= 5)
            {
                var largest = sorted.Count(p => p.Latents == sorted[^1].Latents);
                backtest = Backtester.Run(law, data, new BacktestOptions { Holdout = largest, Bootstrap = Math.Max(bootstrap, 20), Seed = seed });
            }
            else
            {
                skipped = $"back-test needs ≥ 5 sizes (4 to fit, the largest to predict); k = {group.Key} has {sizes}";
            }
            fits.Add(new SaeScalingFit(group.Key, sorted, fit, backtest, skipped));
        }
        return fits;
    }

    /// <summary>Fewest distinct n, distinct k and runs for the joint fit (six parameters).</summary>
    public const int JointMinimumSizes = 4, JointMinimumKs = 2, JointMinimumRuns = 10;

    /// <summary>
    /// Fits L(n, k) of <see cref="SaeJointLaw"/> to every TopK point (ReLU+L1 runs have no k and are left out), with a
    /// bootstrap over single runs (<paramref name="bootstrap"/> resamples; too few sizes for a group bootstrap), the
    /// exponent of n at each k with its interval from the same draws, and, with at least five distinct n, the back-test
    /// that fits without the largest n and predicts its runs. Returns null with the reason in <paramref name="skipped"/>
    /// when the points cannot identify six parameters.
    /// </summary>
    public static SaeJointFit? FitJoint(IReadOnlyList<SaeScalingPoint> points, int bootstrap, ulong seed, out string? skipped)
    {
        ArgumentNullException.ThrowIfNull(points);
        var topk = points.Where(p => p.K > 0).OrderBy(p => p.Latents).ThenBy(p => p.K).ThenBy(p => p.Seed).ToList();
        int sizes = topk.Select(p => p.Latents).Distinct().Count(), ks = topk.Select(p => p.K).Distinct().Count();
        if (sizes < JointMinimumSizes || ks < JointMinimumKs || topk.Count < JointMinimumRuns)
        {
            skipped = $"the joint law L(n, k) has 6 parameters and needs TopK runs at ≥ {JointMinimumSizes} latent counts, ≥ {JointMinimumKs} values of k and ≥ {JointMinimumRuns} runs; this study has {sizes}, {ks} and {topk.Count}";
            return null;
        }
        skipped = null;
        var data = Dataset(topk);
        var law = SaeJointLaw.Instance;
        var fit = LawFitter.Fit(law, data);
        if (bootstrap > 0) fit = fit.WithBootstrap(data, new BootstrapOptions { Samples = bootstrap, Seed = seed });
        var symbols = fit.Symbols.ToArray();
        int betaN = Array.IndexOf(symbols, "beta_n"), gamma = Array.IndexOf(symbols, "gamma");
        var level = fit.Bootstrap?.Level ?? 0.95;
        var exponents = topk.Select(p => p.K).Distinct().Order().Select(k => new SaeExponentAtK(k,
            SaeJointLaw.ExponentInN(fit.Values[betaN], fit.Values[gamma], k),
            fit.Bootstrap is { } b ? Quantile.Percentile(b.Draws.Select(d => SaeJointLaw.ExponentInN(d[betaN], d[gamma], k)), level) : null)).ToList();
        BacktestResult? backtest = null;
        string? backtestSkipped = null;
        if (sizes >= JointMinimumSizes + 1)
        {
            var largest = topk.Count(p => p.Latents == topk[^1].Latents);
            backtest = Backtester.Run(law, data, new BacktestOptions { Holdout = largest, Bootstrap = Math.Max(bootstrap, 20), Seed = seed });
        }
        else
        {
            backtestSkipped = $"the joint back-test needs ≥ {JointMinimumSizes + 1} latent counts ({JointMinimumSizes} to fit, the largest to predict); this study has {sizes}";
        }
        return new SaeJointFit(topk, fit, exponents, backtest, backtestSkipped);
    }

    /// <summary>The points as a data set for <see cref="SaeJointLaw"/>: n in N, k in D, and n again in C so that a back-test
    /// orders runs by n (its scale is C when present) rather than by a derived 6·n·k.</summary>
    public static ScalingDataset Dataset(IReadOnlyList<SaeScalingPoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        double[] n = [.. points.Select(p => (double)p.Latents)];
        return new ScalingDataset("sae joint L(n, k)", [.. points.Select(p => p.Fvu)], n: n, d: [.. points.Select(p => (double)p.K)], c: [.. n]);
    }
}
