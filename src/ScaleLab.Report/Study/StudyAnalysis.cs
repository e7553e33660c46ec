using ScaleLab.Lab.Registry;
using ScaleLab.Laws;

namespace ScaleLab.Report.Study;

/// <summary>Options of <see cref="StudyAnalysis.Analyse"/>.</summary>
public sealed record StudyAnalysisOptions
{
    /// <summary>Bootstrap resamples for every law's intervals and for each back-test.</summary>
    public int Bootstrap { get; init; } = 200;
    public ulong Seed { get; init; }
    /// <summary>Irreducible loss of the corpus where known (the synthetic source's window loss floor).</summary>
    public double? TrueEntropy { get; init; }
    public string Corpus { get; init; } = "";
    /// <summary>Budgets to plan for, as multiples of the largest run's compute.</summary>
    public IReadOnlyList<double> PlanMultipliers { get; init; } = [10, 100];
    /// <summary>How far past the largest run the law curves are drawn (a multiple of its compute).</summary>
    public double ExtrapolateTo { get; init; } = 100;
    public DateTimeOffset GeneratedAt { get; init; } = DateTimeOffset.UnixEpoch;
    /// <summary>Progress lines ("fitting chinchilla ...") for the caller to show.</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>The analysis behind a report, kept for the JSON document: fits, back-tests and plans.</summary>
public sealed record StudyAnalysisResult(StudyReport Report, IReadOnlyList<LawFit> Fits, IReadOnlyList<BacktestResult> Backtests, IReadOnlyList<ComputePlan> Plans);

/// <summary>
/// Turns a study in the registry into a report: reads the finished runs as (N, D, C, loss) points, fits
/// `chinchilla` L(N,D) and `powerlaw` L(C) with bootstrap intervals, back-tests each by fitting the smaller
/// runs and predicting the largest (Backtester's default hold-out, the largest 20%), and plans the
/// compute-optimal N and D for larger budgets from the Chinchilla fit (Hoffmann et al. 2022 eq. 4).
/// A law whose fit fails is reported in the notes and left out, so one bad law does not sink the report.
/// </summary>
public static class StudyAnalysis
{
    /// <summary>Fewer finished runs than this and no law is fitted (chinchilla has 5 parameters).</summary>
    public const int MinimumRuns = 6;

    public static StudyAnalysisResult Analyse(IRunStore store, string study, StudyAnalysisOptions options)
    {
        var runs = store.ListRuns(study);
        if (runs.Count == 0)
        {
            throw new InvalidDataException($"{store.Location}: study '{study}' has no runs (see `scalelab runs`)");
        }
        var points = store.ExportPoints(study);
        var byKey = points.ToDictionary(p => p.RunKey);
        var rows = runs.Select(r => ToRow(store, r, byKey.GetValueOrDefault(r.Key))).ToList();
        var notes = new List<string>();
        var fits = new List<LawFit>();
        var backtests = new List<BacktestResult>();
        var plans = new List<ComputePlan>();
        var laws = new List<LawSummary>();
        var summaries = new List<BacktestSummary>();
        var planRows = new List<PlanRow>();

        if (points.Count < MinimumRuns)
        {
            notes.Add($"Only {points.Count} finished runs: at least {MinimumRuns} are needed to fit the laws.");
        }
        else
        {
            var data = new ScalingDataset($"study {study}",
                points.Select(p => p.Loss).ToArray(),
                n: points.Select(p => (double)p.N).ToArray(),
                d: points.Select(p => (double)p.D).ToArray(),
                c: points.Select(p => p.C).ToArray());
            var maxC = points.Max(p => p.C);
            var curveC = LogSpace(points.Min(p => p.C) / 2, maxC * options.ExtrapolateTo, 40);
            foreach (var law in new[] { LawCatalog.Create("chinchilla"), LawCatalog.Create("powerlaw", LawInputs.C) })
            {
                try
                {
                    options.Log?.Invoke($"fitting {law.Name} to {data.Count} runs with {options.Bootstrap} bootstrap resamples");
                    var fit = LawFitter.Fit(law, data).WithBootstrap(data, new BootstrapOptions { Samples = options.Bootstrap, Seed = options.Seed });
                    fits.Add(fit);
                    laws.Add(Summarise(fit, curveC, maxC));
                    options.Log?.Invoke($"back-testing {law.Name}");
                    var bt = Backtester.Run(law, data, new BacktestOptions
                    {
                        Holdout = Backtester.DefaultHoldout(data.Count),
                        Bootstrap = options.Bootstrap,
                        Seed = options.Seed + 1,
                    });
                    backtests.Add(bt);
                    summaries.Add(Summarise(bt, points));
                }
                catch (Exception ex) when (ex is FitFailedException or ArgumentException or InvalidOperationException)
                {
                    notes.Add($"{law.Name}: {ex.Message}");
                }
            }
            if (fits.FirstOrDefault(f => f.Form is ChinchillaLaw) is { } chinchilla)
            {
                foreach (var m in options.PlanMultipliers)
                {
                    var plan = ComputePlanner.Plan(chinchilla, maxC * m);
                    plans.Add(plan);
                    planRows.Add(new PlanRow($"chinchilla ({m:0}x largest run)", plan.Compute,
                        Est(plan.N, plan.NInterval), Est(plan.D, plan.DInterval), Est(plan.TokensPerParameter, plan.TokensPerParameterInterval), Est(plan.Loss, plan.LossInterval)));
                }
            }
            notes.AddRange(data.Notes);
        }
        notes.Add("N counts non-embedding parameters (Kaplan et al. 2020); C = 6·N·D. Final loss is the validation loss at the end of each run.");
        var report = new StudyReport(study, options.GeneratedAt, options.Corpus, options.TrueEntropy,
            Headline(plans, summaries, laws, options.TrueEntropy), rows, laws, summaries, planRows, notes);
        return new StudyAnalysisResult(report, fits, backtests, plans);
    }

    private static RunRow ToRow(IRunStore store, RunRecord run, ScalingPoint? point)
    {
        var metrics = store.ReadMetrics(run.Key);
        var curve = metrics.Where(m => double.IsFinite(m.TrainLoss)).Select(m => new CurvePoint(m.Tokens, m.TrainLoss, m.ValLoss)).ToList();
        var lastVal = metrics.LastOrDefault(m => m.ValLoss is not null)?.ValLoss;
        var lastTrain = curve.Count > 0 ? curve[^1].TrainLoss : double.NaN;
        return new RunRow(run.Key, ShapeOf(run.ConfigJson), (int)run.Seed, run.NonEmbeddingParameters, run.Parameters,
            run.Tokens, point?.C ?? run.Flops, lastTrain, run.FinalLoss ?? lastVal, run.Status.ToString().ToLowerInvariant(), curve);
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

    private static LawSummary Summarise(LawFit fit, double[] curveC, double maxC)
    {
        var parameters = fit.Symbols.Select((s, k) => (s, Est(fit.Values[k], fit.Bootstrap?.Parameters[k]))).ToList();
        parameters.AddRange(fit.DerivedNames.Select((s, k) => (s, Est(fit.DerivedValues[k], fit.Bootstrap?.Derived[k]))));
        var draws = fit.Bootstrap?.Draws ?? [];
        var curve = curveC.Select(c =>
        {
            var loss = LossAtCompute(fit.Form, fit.Values, c);
            if (draws.Length == 0)
            {
                return new LawCurvePoint(c, loss, null, null);
            }
            var band = Bootstrap.Percentile(draws.Select(d => LossAtCompute(fit.Form, d, c)).Where(double.IsFinite), fit.Bootstrap!.Level);
            return new LawCurvePoint(c, loss, band.Lo, band.Hi);
        }).ToList();
        return new LawSummary(fit.Law, fit.Form.Formula, parameters, fit.Objective, fit.PointsUsed, curve, maxC);
    }

    /// <summary>
    /// Predicted loss at compute C: a law of C is evaluated directly; for Chinchilla's L(N,D) it is the
    /// compute-optimal frontier L(N_opt(C), D_opt(C)) of Hoffmann et al. 2022 eq. 4.
    /// </summary>
    internal static double LossAtCompute(IScalingLaw law, IReadOnlyList<double> symbols, double c)
    {
        var values = symbols.ToArray();
        if (law is ChinchillaLaw)
        {
            var k = law.Symbols.ToList();
            var (n, d) = ComputePlanner.Optimal(values[k.IndexOf("A")], values[k.IndexOf("B")], values[k.IndexOf("alpha")], values[k.IndexOf("beta")], c);
            return law.Predict(values, new LawPoint(N: n, D: d, C: c));
        }
        return law.Predict(values, new LawPoint(C: c));
    }

    private static BacktestSummary Summarise(BacktestResult bt, IReadOnlyList<ScalingPoint> points)
    {
        var rows = bt.Points.Select(p =>
        {
            var run = points[p.Row - 1];
            return new BacktestRow(run.RunKey, run.C, p.Observed, new Estimate(p.Predicted, p.Lo, p.Hi), p.RelativeError, p.Covered);
        }).ToList();
        return new BacktestSummary(bt.Law, bt.TrainCount, rows, bt.MeanAbsRelativeError, bt.Coverage);
    }

    private static string Headline(IReadOnlyList<ComputePlan> plans, IReadOnlyList<BacktestSummary> backtests, IReadOnlyList<LawSummary> laws, double? trueEntropy)
    {
        if (plans.Count == 0)
        {
            return laws.Count == 0 ? "No law could be fitted; see the notes." : "Laws fitted; no Chinchilla plan (see the notes).";
        }
        var big = plans[^1];
        var text = $"At C = {Estimate.Format(big.Compute)} FLOP the Chinchilla fit predicts a compute-optimal model of N = {Est(big.N, big.NInterval)} parameters " +
                   $"trained on D = {Est(big.D, big.DInterval)} tokens, reaching loss {Est(big.Loss, big.LossInterval)} nats/token.";
        if (backtests.FirstOrDefault(b => b.Law == "chinchilla") is { } bt)
        {
            text += $" Back-test on the {bt.Rows.Count} largest runs: mean |error| {bt.MeanAbsRelativeError:P1}, interval coverage {bt.Coverage:P0}.";
        }
        if (trueEntropy is { } h && laws.FirstOrDefault(l => l.Law == "chinchilla") is { } ch && ch.Parameters.FirstOrDefault(p => p.Symbol == "E") is { Symbol: not null } e)
        {
            text += $" Fitted floor E = {e.Value} vs true {h:0.###}.";
            if (big.Loss < h)
            {
                // No model can beat the source's entropy: a prediction below it means the runs do not pin
                // the law down (typically all data-limited, so the N term and E are unidentified).
                text += $" WARNING: the predicted loss is below the corpus's irreducible loss {h:0.###}, so this extrapolation cannot be trusted: the runs do not constrain the law (train longer or larger models).";
            }
        }
        return text;
    }

    private static Estimate Est(double value, Interval? interval) => new(value, interval?.Lo, interval?.Hi);

    private static double[] LogSpace(double from, double to, int count) =>
        Enumerable.Range(0, count).Select(i => Math.Exp(Math.Log(from) + ((Math.Log(to) - Math.Log(from)) * i / (count - 1)))).ToArray();
}
