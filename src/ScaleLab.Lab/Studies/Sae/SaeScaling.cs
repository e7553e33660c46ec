using System.Text.Json;
using ScaleLab.Laws;
using ScaleLab.Lab.Registry;

namespace ScaleLab.Lab.Studies.Sae;

/// <summary>One finished SAE run: its latents n, k (TopK; 0 for ReLU+L1), seed, held-out FVU and compute.</summary>
public sealed record SaeScalingPoint(string Run, int Latents, int K, long Seed, double Fvu, double Flops);

/// <summary>The plain power law in n at one k: L(n) = E + A·n^(−α) fitted to held-out FVU with bootstrap intervals, and
/// its back-test (fit without the largest n, predict it), when there are enough sizes.</summary>
public sealed record SaeScalingFit(int K, IReadOnlyList<SaeScalingPoint> Points, LawFit Fit, BacktestResult? Backtest, string? BacktestSkipped);

/// <summary>
/// The scaling of SAE quality with dictionary size (Gao et al. 2024 §3): at each k, held-out FVU (their normalised MSE)
/// against n with the saturating power law L(n) = E + A·n^(−α) of <see cref="PowerLaw"/> (Huber loss on ln L, L-BFGS
/// from a start grid), bootstrap intervals over whole sizes where there are enough, and the back-test that predicts the
/// largest n from the smaller ones. Gao et al.'s joint form L(n, k) is not fitted here.
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
            points.Add(new SaeScalingPoint(run.Key, config.Sae.Latents, config.Sae.Family == Engine.Sae.SaeFamily.TopK ? config.Sae.K : 0,
                run.Seed, run.FinalLoss!.Value, run.Flops));
        }
        return points;
    }

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
}
