using System.Diagnostics;
using Xunit.Abstractions;

namespace ScaleLab.Laws.Tests;

/// <summary>
/// Besiroglu et al. 2024 ("Chinchilla Scaling: A replication attempt"), Table 1 / §3: on Epoch's 240 points
/// (D = C/(6N), 5 highest-loss points dropped), Huber δ = 1e-3 in log space, L-BFGS from Hoffmann et al.'s
/// 4,500-point grid: E = 1.82, A = 482.01, B = 2085.43, alpha = 0.3478, beta = 0.3658, with 95% bootstrap
/// intervals E 1.769–1.871, alpha 0.317–0.373, beta 0.331–0.415.
/// </summary>
public sealed class ChinchillaRealDataTests(ITestOutputHelper output)
{
    private static readonly Interval EpochE = new(1.769, 1.871);
    private static readonly Interval EpochAlpha = new(0.317, 0.373);
    private static readonly Interval EpochBeta = new(0.331, 0.415);

    /// <summary>A 12-start subset of the Hoffmann grid that reaches the full grid's optimum on this data.</summary>
    private static List<double[]> SubsetGrid() =>
        ChinchillaLaw.HoffmannGrid().Where(s => s[3] == 0.5 && s[4] == 0.5 && s[2] is 0 or 0.5 && s[0] is 5 or 10 && s[1] is 5 or 10)
            .Concat(ChinchillaLaw.HoffmannGrid().Where(s => s[3] == 0.0 && s[4] == 0.5 && s[2] == 0.5 && s[0] is 5 or 10 && s[1] is 5 or 10))
            .ToList();

    private void AssertReproducesEpoch(LawFit fit)
    {
        output.WriteLine(string.Join(" ", fit.Symbols.Zip(fit.Values).Select(x => $"{x.First}={x.Second:G6}"))
            + $" objective={fit.Objective:G10} starts={fit.StartsTotal} at_best={fit.StartsAtBest} failed={fit.StartsFailed}");
        Assert.Equal(240, fit.PointsUsed);
        Assert.True(EpochE.Contains(fit["E"]), $"E = {fit["E"]}");
        Assert.True(EpochAlpha.Contains(fit["alpha"]), $"alpha = {fit["alpha"]}");
        Assert.True(EpochBeta.Contains(fit["beta"]), $"beta = {fit["beta"]}");
        Assert.Equal(1.82, fit["E"], 0.02);
        Assert.Equal(0.3478, fit["alpha"], 0.005);
        Assert.Equal(0.3658, fit["beta"], 0.005);
        Assert.InRange(fit["A"], 482.01 * 0.9, 482.01 * 1.1);
        Assert.InRange(fit["B"], 2085.43 * 0.9, 2085.43 * 1.1);
    }

    [Fact]
    public void Fit_EpochPointsSubsetGrid_ReproducesBesiroglu2024()
    {
        // Given
        var data = SharedData.Chinchilla240();

        // When
        var fit = LawFitter.Fit(ChinchillaLaw.Instance, data, new FitOptions { Starts = SubsetGrid() });

        // Then
        AssertReproducesEpoch(fit);
        Assert.Contains("D derived as C/(6N)", fit.Notes);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void Fit_EpochPointsFullHoffmannGrid_ReproducesBesiroglu2024_AndSubsetGridReachesSameOptimum()
    {
        // Given
        var data = SharedData.Chinchilla240();
        var sw = Stopwatch.StartNew();

        // When
        var fit = LawFitter.Fit(ChinchillaLaw.Instance, data);
        output.WriteLine($"full grid: {sw.Elapsed.TotalSeconds:F2} s on {Environment.ProcessorCount} threads");
        var subset = LawFitter.Fit(ChinchillaLaw.Instance, data, new FitOptions { Starts = SubsetGrid() });

        // Then
        Assert.Equal(4500, fit.StartsTotal);
        AssertReproducesEpoch(fit);
        Assert.True(fit.StartsAtBest > 100, $"{fit.StartsAtBest} starts at the best");
        Assert.Equal(fit.Objective, subset.Objective, 1e-6 * fit.Objective);
    }

    private void AssertBootstrapWidths(LawFit fit, double lo, double hi)
    {
        var b = fit.Bootstrap!;
        double rE = b.Parameters[0].Width / EpochE.Width;
        double rAlpha = b.Parameters[3].Width / EpochAlpha.Width;
        double rBeta = b.Parameters[4].Width / EpochBeta.Width;
        output.WriteLine(string.Join(" ", b.Symbols.Zip(b.Parameters).Select(x => $"{x.First}=[{x.Second.Lo:G4}, {x.Second.Hi:G4}]"))
            + $" width ratios (ours/Epoch): E {rE:F2} alpha {rAlpha:F2} beta {rBeta:F2}; failed {b.Failed}/{b.Samples}");
        Assert.InRange(rE, lo, hi);
        Assert.InRange(rAlpha, lo, hi);
        Assert.InRange(rBeta, lo, hi);
        Assert.True(b.Parameters[0].Contains(fit["E"]) && b.Parameters[3].Contains(fit["alpha"]) && b.Parameters[4].Contains(fit["beta"]));
    }

    [Fact]
    public void Bootstrap_EpochPoints200Resamples_IntervalWidthsMatchBesiroglu2024()
    {
        // Given
        var data = SharedData.Chinchilla240();
        var fit = LawFitter.Fit(ChinchillaLaw.Instance, data, new FitOptions { Starts = SubsetGrid() });

        // When: 200 resamples, each refit from the full-data optimum only.
        var boot = fit.WithBootstrap(data, new BootstrapOptions { Samples = 200, Seed = 1, GridStarts = 0 });

        // Then: widths within a factor 1.6 of Epoch's (a 200-draw percentile interval is itself noisy).
        AssertBootstrapWidths(boot, 1 / 1.6, 1.6);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void Bootstrap_EpochPoints1000Resamples_IntervalWidthsMatchBesiroglu2024()
    {
        // Given
        var data = SharedData.Chinchilla240();
        var fit = LawFitter.Fit(ChinchillaLaw.Instance, data, new FitOptions { Starts = SubsetGrid() });
        var sw = Stopwatch.StartNew();

        // When
        var boot = fit.WithBootstrap(data, new BootstrapOptions { Samples = 1000, Seed = 1 });
        output.WriteLine($"1000 refits: {sw.Elapsed.TotalSeconds:F2} s on {Environment.ProcessorCount} threads");

        // Then
        AssertBootstrapWidths(boot, 1 / 1.3, 1.3);
    }

    private BacktestResult TopDecade(IntervalKind interval, ResampleBy resample, double level, ulong seed)
    {
        var data = SharedData.Chinchilla240();
        var result = Backtester.Run(ChinchillaLaw.Instance, data, new BacktestOptions
        {
            HoldoutAbove = data.C!.Max() / 10,
            Bootstrap = 200,
            Seed = seed,
            Level = level,
            Interval = interval,
            Resample = resample,
            Fit = new FitOptions { Starts = SubsetGrid() },
        });
        output.WriteLine($"{interval} intervals, resampling {result.Resampling}, seed {seed}: {result.CoverageNote}; " +
            $"mean width {result.Points.Average(p => Math.Log(p.Hi / p.Lo)):G3} in ln L; " + (result.Calibration?.Method ?? ""));
        return result;
    }

    /// <summary>
    /// The issue's real-data check: fit the Epoch points below a tenth of the largest compute (221 runs), predict the
    /// top decade (19 runs). Measured on a 2-core EPYC, covered of 19 at 80% with 200 resamples and bootstrap seeds 1–5:
    /// calibrated (model-size groups, five nested back-tests, Student t_5 out-of-sample error) 15, 15, 15, 13, 15 (mean
    /// 77%, inside the issue's 70–90%); the earlier normal error with three nested back-tests 14, 14, 13, 11, 13 (68%);
    /// uncalibrated point bootstrap 7, 6, 7, 7, 6 (35%). At 95%: calibrated 19 of 19 for every seed. This test pins seed 1
    /// and asserts what holds across seeds: within binomial noise of nominal, and far above the point bootstrap.
    /// </summary>
    [Fact]
    public void Backtest_TopDecadeAt80Percent_CalibratedNearNominal_PointBootstrapUnderCovers()
    {
        // When
        var calibrated = TopDecade(IntervalKind.Calibrated, ResampleBy.Auto, 0.8, 1);
        var uncalibrated = TopDecade(IntervalKind.Prediction, ResampleBy.Points, 0.8, 1);

        // Then: 19 held-out runs spanning one decade; the calibrated intervals are within binomial noise of 80%
        // (P(≤ 12 of 19 | 80%) = 0.07, so ≥ 13 covered), the uncalibrated point bootstrap (negative control) is
        // credibly below it (P < 0.01) and says so.
        Assert.Equal(19, calibrated.Points.Count);
        Assert.Equal(1.0, calibrated.SpanDecades, 0.01);
        Assert.Contains("39 model-size groups", calibrated.Resampling);
        Assert.InRange(calibrated.CoveredCount, 13, 17);
        Assert.True(uncalibrated.CoveredCount <= 9, $"uncalibrated covered {uncalibrated.CoveredCount} of 19");
        Assert.True(uncalibrated.CoverageTailProbability < 0.01);
        Assert.Contains(uncalibrated.Warnings, w => w.Contains("below the nominal", StringComparison.Ordinal));
        Assert.True(calibrated.BeatsBaselines);
    }
}
