using ScaleLab.Lab.Analysis;
using ScaleLab.Lab.Registry;
using ScaleLab.Laws;

namespace ScaleLab.Report.Study;

/// <summary>Turns registry records, fits and back-tests into the report's plain rows (<see cref="StudyReport"/>).</summary>
internal static class ReportRows
{
    /// <summary>
    /// One run's row. The train-loss column is the mean training loss over the last <paramref name="window"/> steps
    /// (one step's batch is 512 tokens here, far too few to quote alone).
    /// </summary>
    public static RunRow Run(IRunStore store, RunRecord run, int window)
    {
        var metrics = store.ReadMetrics(run.Key);
        var curve = metrics.Where(m => double.IsFinite(m.TrainLoss)).Select(m => new CurvePoint(m.Tokens, m.TrainLoss, m.ValLoss)).ToList();
        var lastVal = metrics.LastOrDefault(m => m.ValLoss is not null)?.ValLoss;
        var tail = curve.Skip(Math.Max(0, curve.Count - window)).ToList();
        var train = tail.Count > 0 ? tail.Average(p => p.TrainLoss) : double.NaN;
        return new RunRow(run.Key, ShapeOf(run.ConfigJson), (int)run.Seed, run.NonEmbeddingParameters, run.Parameters,
            run.Tokens, run.Flops, train, run.FinalLoss ?? lastVal, run.Status.ToString().ToLowerInvariant(), curve)
        {
            LearningRate = StudyPoints.LearningRateOf(run.ConfigJson) is var lr && double.IsFinite(lr) ? lr : null,
            TrainLossSteps = tail.Count,
        };
    }

    /// <summary>"L2 C64 H4" from the run's config JSON (layers, d_model, heads), or "" when absent.</summary>
    internal static string ShapeOf(string configJson)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(configJson);
            int? Get(params string[] names)
            {
                foreach (var p in doc.RootElement.EnumerateObject())
                {
                    if (names.Any(n => string.Equals(n, p.Name, StringComparison.OrdinalIgnoreCase)) && p.Value.TryGetInt32(out var v))
                    {
                        return v;
                    }
                }
                return null;
            }
            return $"L{Get("layers")} C{Get("d_model", "dmodel")} H{Get("heads")}";
        }
        catch (System.Text.Json.JsonException)
        {
            return "";
        }
    }

    public static LawSummary Law(LawFit fit, double[] curveC, double maxC, string fittedTo,
        Func<IScalingLaw, IReadOnlyList<double>, double, double> lossAtCompute)
    {
        var identification = fit.Identification();
        var parameters = fit.Symbols.Select((s, k) =>
        {
            var status = identification.Parameters.FirstOrDefault(p => p.Symbol == s)?.Status;
            var label = status switch
            {
                ParameterStatus.Fixed => s + " (fixed)",
                ParameterStatus.NotIdentified => s + " (NOT identified)",
                _ => s,
            };
            return (label, Est(fit.Values[k], fit.Bootstrap?.Parameters[k]));
        }).ToList();
        parameters.AddRange(fit.DerivedNames.Select((s, k) => (s, Est(fit.DerivedValues[k], fit.Bootstrap?.Derived[k]))));
        var draws = fit.Bootstrap?.Draws ?? [];
        var curve = curveC.Select(c =>
        {
            var loss = lossAtCompute(fit.Form, fit.Values, c);
            if (draws.Length == 0)
            {
                return new LawCurvePoint(c, loss, null, null);
            }
            var band = Quantile.Percentile(draws.Select(d => lossAtCompute(fit.Form, d, c)).Where(double.IsFinite), fit.Bootstrap!.Level);
            return new LawCurvePoint(c, loss, band.Lo, band.Hi);
        }).ToList();
        return new LawSummary(fit.Law, fit.Form.Formula, parameters, fit.Objective, fit.PointsUsed, curve, maxC) { FittedTo = fittedTo };
    }

    /// <summary>The back-test's rows, each named by the run key of its configuration (<paramref name="points"/> in data order).</summary>
    public static BacktestSummary Backtest(BacktestResult bt, IReadOnlyList<SelectedPoint> points)
    {
        var rows = bt.Points.Select(p => new BacktestRow(points[p.Row - 1].Best.RunKeys[0], points[p.Row - 1].C, p.Observed,
            new Estimate(p.Predicted, p.Lo, p.Hi), p.RelativeError, p.Covered)).ToList();
        return new BacktestSummary(bt.Law, bt.TrainCount, rows, bt.MeanAbsRelativeError, bt.Coverage)
        {
            HoldoutRule = bt.HoldoutRule,
            SpanDecades = bt.SpanDecades,
            MeanAbsReducibleRelativeError = bt.MeanAbsReducibleRelativeError,
            Baselines = bt.Baselines.Select(b => (b.Name, b.MeanAbsRelativeError, b.LogSkill)).ToList(),
            Level = bt.Level,
            IntervalMethod = bt.Resampling + (bt.Calibration is { } c ? "; " + c.Method : ""),
            Warnings = bt.Warnings,
        };
    }

    public static IReadOnlyList<RateCheckRow> RateChecks(IReadOnlyList<SelectedPoint> points) =>
        points.Where(p => p.Tried.Count > 1)
            .Select(p => new RateCheckRow(p.N, p.D, p.C, p.Tried.OrderBy(t => t.LearningRate).Select(t => (t.LearningRate, t.Loss)).ToList(), p.Best.LearningRate))
            .ToList();

    /// <summary>
    /// What the rate checks say about the rule, in one sentence: where three rates ran (half, the rule, twice), how often
    /// each won and how far the rule's loss was above the best. Null when no configuration ran three rates.
    /// </summary>
    public static string? RateVerdict(IReadOnlyList<RateCheckRow> checks)
    {
        var triples = checks.Where(c => c.Tried.Count == 3).ToList();
        if (triples.Count == 0)
        {
            return null;
        }
        int Wins(int k) => triples.Count(c => c.Tried[k].Rate == c.BestRate);
        var gaps = triples.Select(c => c.Tried[1].Loss - c.LossAtBest).Order().ToList();
        var verdict = Wins(0) == 0 && Wins(2) <= triples.Count / 2
            ? "the rule is validated to within a factor of 2 of the best rate"
            : Wins(0) > 0 && Wins(2) > 0
                ? "the rule's rate is within a factor of 2 of the best, in both directions"
                : Wins(2) > triples.Count / 2
                    ? "the rule's rate is too low at these sizes: twice it won most checks"
                    : "the rule's rate is too high at these sizes: half of it won most checks";
        return FormattableString.Invariant(
            $"Learning-rate rule checked at {triples.Count} configurations at half, once and twice its rate: the rule's rate won {Wins(1)}, twice it {Wins(2)}, half of it {Wins(0)}; ")
            + FormattableString.Invariant($"the rule's loss was above the best by {NumberStyle.Format(gaps[gaps.Count / 2], 3)} nats (median) and at most {NumberStyle.Format(gaps[^1], 3)}; {verdict}. ")
            + "Only the best rate of each configuration is fitted, so a rule slightly off costs the fits little.";
    }

    /// <summary>A rise of one step's training loss above the lowest the run had reached before it, in nats, that counts
    /// as a loss spike (one batch's loss scatters by about 0.1–0.2 nats on these runs).</summary>
    public const double SpikeNats = 1.0;

    /// <summary>The largest rise of a run's training loss above the lowest loss it had reached before (0 when it never
    /// rose), and where: the tokens seen at that step.</summary>
    public static (double Rise, double Tokens) LargestRise(IReadOnlyList<CurvePoint> curve)
    {
        var lowest = double.PositiveInfinity;
        (double Rise, double Tokens) largest = (0, 0);
        foreach (var p in curve)
        {
            if (p.TrainLoss - lowest > largest.Rise)
            {
                largest = (p.TrainLoss - lowest, p.Tokens);
            }
            lowest = Math.Min(lowest, p.TrainLoss);
        }
        return largest;
    }

    /// <summary>Whether any run's training loss spiked (rose more than <see cref="SpikeNats"/> above its lowest so far),
    /// in one sentence; null when no run has a curve.</summary>
    public static string? SpikeVerdict(IReadOnlyList<RunRow> rows)
    {
        var rises = rows.Where(r => r.Curve.Count > 0).Select(r => (Row: r, Rise: LargestRise(r.Curve))).ToList();
        if (rises.Count == 0)
        {
            return null;
        }
        var spikes = rises.Where(x => x.Rise.Rise > SpikeNats).OrderByDescending(x => x.Rise.Rise).ToList();
        var largest = rises.MaxBy(x => x.Rise.Rise);
        string Where((RunRow Row, (double Rise, double Tokens) Rise) x) =>
            FormattableString.Invariant($"{x.Row.Shape} (N = {x.Row.NonEmbeddingParams}, {NumberStyle.Format(x.Row.Tokens, 3)} tokens) +{NumberStyle.Format(x.Rise.Rise, 3)} nats at {NumberStyle.Percent(x.Rise.Tokens / x.Row.Tokens, 2)} of its tokens");
        return spikes.Count == 0
            ? FormattableString.Invariant($"Loss spikes: none of the {rises.Count} runs had a step whose training loss rose more than {NumberStyle.Format(SpikeNats, 2)} nat above the lowest it had reached (largest rise: {Where(largest)}).")
            : FormattableString.Invariant($"Loss spikes: {spikes.Count} of the {rises.Count} runs had a step whose training loss rose more than {NumberStyle.Format(SpikeNats, 2)} nat above the lowest it had reached: ")
              + string.Join("; ", spikes.Take(5).Select(Where)) + (spikes.Count > 5 ? FormattableString.Invariant($"; and {spikes.Count - 5} more") : "")
              + ". A spike the run recovered from changes its final loss little; one it did not shows as an outlier in the residuals.";
    }

    /// <summary>
    /// Each compute budget's sizes; the budget is bracketed when its lowest loss is at neither its smallest nor its
    /// largest size (so the isoFLOP minimum lies inside the sizes run, Hoffmann et al. 2022 Approach 2).
    /// </summary>
    public static IReadOnlyList<BudgetRow> Budgets(IReadOnlyList<SelectedPoint> points) =>
        StudyPoints.ComputeBudgets(points).Where(g => g.Count >= 2).Select(g =>
        {
            var sizes = g.Select(p => p.N).Order().ToList();
            var best = g.MinBy(p => p.Loss)!;
            return new BudgetRow(g[0].C, sizes, best.N, best.Loss, best.N != sizes[0] && best.N != sizes[^1]);
        }).ToList();

    private static Estimate Est(double value, Interval? interval) => new(value, interval);
}
