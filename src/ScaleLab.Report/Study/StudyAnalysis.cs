using ScaleLab.Lab.Analysis;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Studies.Speculative;
using ScaleLab.Lab.Sweeps;
using ScaleLab.Laws;
using ScaleLab.Laws.IsoFlop;

namespace ScaleLab.Report.Study;

/// <summary>Options of <see cref="StudyAnalysis.Analyse"/>.</summary>
public sealed record StudyAnalysisOptions
{
    /// <summary>Bootstrap resamples for every law's intervals and for each back-test.</summary>
    public int Bootstrap { get; init; } = 200;
    public ulong Seed { get; init; }
    /// <summary>The corpus's floors where known (the synthetic source); E is fixed at the validation floor.</summary>
    public StudyFloors? Floors { get; init; }
    public string Corpus { get; init; } = "";
    /// <summary>Budgets to plan for, as multiples of the largest run's compute.</summary>
    public IReadOnlyList<double> PlanMultipliers { get; init; } = [10, 100];
    /// <summary>How far past the largest run the law curves are drawn (a multiple of its compute).</summary>
    public double ExtrapolateTo { get; init; } = 100;
    public DateTimeOffset GeneratedAt { get; init; } = DateTimeOffset.UnixEpoch;
    /// <summary>Progress lines ("fitting chinchilla ...") for the caller to show.</summary>
    public Action<string>? Log { get; init; }
    /// <summary>Steps of the training loss averaged for the runs table's train-loss column.</summary>
    public int TrainLossWindow { get; init; } = 50;
    /// <summary>How the distillation section's student laws are fitted (null: none): <c>distill --study</c>'s defaults, so the
    /// section's law-based crossovers and their intervals are the ones that command prints.</summary>
    public Laws.Distillation.StudentLawOptions? DistillationLaws { get; init; } = Lab.Studies.Distillation.DistillationStudy.DefaultLawOptions;
}

/// <summary>
/// The analysis behind a report, kept for the JSON document and for the verification run: the fits, back-tests,
/// plans, and the points the laws were fitted to (seeds averaged, best learning rate per N and D).
/// </summary>
public sealed record StudyAnalysisResult(StudyReport Report, IReadOnlyList<LawFit> Fits, IReadOnlyList<BacktestResult> Backtests,
    IReadOnlyList<ComputePlan> Plans)
{
    public IReadOnlyList<SelectedPoint> Points { get; init; } = [];
    /// <summary>The data set the L(N,D) law was fitted to (null when too few runs).</summary>
    public ScalingDataset? Data { get; init; }
    /// <summary>The L(N,D) law as fitted (with E fixed where the floor is known).</summary>
    public IScalingLaw? ChinchillaForm { get; init; }
    public LawFit? Chinchilla => Fits.FirstOrDefault(f => f.Law == "chinchilla");
    public double LargestCompute => Points.Count > 0 ? Points.Max(p => p.C) : 0;
    /// <summary>Chinchilla Approach 2 on the study's compute budgets (null when fewer than 3 budgets have a usable profile).</summary>
    public IsoFlopResult? IsoFlop { get; init; }
}

/// <summary>N_opt at a budget from Approach 2's line log10 N_opt = log10 k + a·log10 C, with its OLS prediction interval.</summary>
public sealed record IsoFlopPlan(double Compute, double N, double Lo, double Hi, double Level, int Budgets)
{
    /// <summary>
    /// The line's prediction of the mean log10 N_opt at C with a Student-t interval (n − 2 degrees of freedom):
    /// ŷ ± t·s·√(1/n + (x₀ − x̄)²/Sxx), s the residual standard error of the budgets' minima about the line
    /// (<see cref="LinearFit.MeanInterval"/>).
    /// </summary>
    public static IsoFlopPlan? From(IsoFlopResult iso, double compute, double level = 0.95)
    {
        var n = iso.Accepted.Count();
        if (n < 3)
        {
            return null;
        }
        var line = iso.NFit.MeanInterval(Math.Log10(compute), level);
        return new IsoFlopPlan(compute, Math.Pow(10, line.Value), Math.Pow(10, line.Lo), Math.Pow(10, line.Hi), level, n);
    }
}

/// <summary>
/// Turns a study in the registry into a report, the way a careful scaling-law paper would:
/// <list type="number">
/// <item>Points: seeds of one configuration averaged, the best learning rate per (N, D) kept (<see cref="StudyPoints"/>).</item>
/// <item>L(N,D) (`chinchilla`) fitted to every point; where the corpus's floor is known, E is fixed at the floor of
/// the validation windows every run is scored on (the oracle's loss on them), so A, B, alpha and beta are fitted
/// to the reducible loss alone. L(C) (`powerlaw`) is fitted to the compute-efficient frontier only.</item>
/// <item>Identification of every parameter before any plan; a plan on an unidentified parameter is labelled.</item>
/// <item>A back-test per law that can fail: fit below a tenth of the largest compute, predict the rest, errors on
/// the reducible loss, naive baselines and skill, calibrated intervals (<see cref="Backtester"/>).</item>
/// <item>Plans at multiples of the largest run's compute (Hoffmann et al. 2022 eq. 4).</item>
/// </list>
/// A law whose fit fails is reported in the notes and left out, so one bad law does not sink the report.
/// </summary>
public static partial class StudyAnalysis
{
    /// <summary>Fewer finished configurations than this and no law is fitted (chinchilla has 5 parameters).</summary>
    public const int MinimumRuns = 6;

    public static StudyAnalysisResult Analyse(IRunStore store, string study, StudyAnalysisOptions options)
    {
        var runs = store.ListRuns(study);
        if (runs.Count == 0)
        {
            throw new InvalidDataException($"{store.Location}: study '{study}' has no runs (see `scalelab runs`)");
        }
        var selected = StudyPoints.Select(runs, store.ExportPoints(study));
        var rows = runs.Select(r => ReportRows.Run(store, r, options.TrainLossWindow)).ToList();
        var notes = new List<string>();
        var fits = new List<LawFit>();
        var backtests = new List<BacktestResult>();
        var plans = new List<ComputePlan>();
        var laws = new List<LawSummary>();
        var summaries = new List<BacktestSummary>();
        var planRows = new List<PlanRow>();
        var comparison = new List<ComparisonRow>();
        var floor = options.Floors?.Validation;
        if (floor is { } knownFloor && selected.Count > 0 && selected.Min(p => p.Loss) <= knownFloor)
        {
            // A floor at or above a run's loss cannot be the irreducible loss of these runs (a different corpus, or a
            // floor computed on other windows): fixing E there would force every law through an impossible value.
            notes.Add($"The given floor {NumberStyle.Format(knownFloor, 4)} is not below every run's loss (lowest {NumberStyle.Format(selected.Min(p => p.Loss), 4)}), so it cannot be their irreducible loss: E is fitted, not fixed.");
            floor = null;
        }
        ScalingDataset? data = null;
        IScalingLaw? chinchillaForm = null;
        IsoFlopResult? isoFlop = null;

        if (selected.Count < MinimumRuns)
        {
            notes.Add($"Only {selected.Count} finished configurations: at least {MinimumRuns} are needed to fit the laws.");
        }
        else
        {
            data = ToDataset($"study {study}", selected);
            var frontier = StudyPoints.ComputeFrontier(selected);
            var frontierData = ToDataset($"study {study} (compute-efficient frontier)", frontier);
            var maxC = selected.Max(p => p.C);
            var curveC = LogSpace(selected.Min(p => p.C) / 2, maxC * options.ExtrapolateTo, 40);
            var fixedE = floor is { } f ? new FitConstraints { Fixed = new Dictionary<string, double> { ["E"] = f } } : null;
            chinchillaForm = Constrain(LawCatalog.Create("chinchilla"), fixedE);
            var candidates = new (IScalingLaw Law, ScalingDataset Data, IReadOnlyList<SelectedPoint> Points, string Text)[]
            {
                (chinchillaForm, data, selected, $"all {data.Count} configurations" + (fixedE is null ? "" : $", E fixed at the validation floor {NumberStyle.Format(floor, 4)}")),
                (Constrain(LawCatalog.Create("powerlaw", LawInputs.C), fixedE), frontierData, frontier,
                    $"the {frontierData.Count} runs on the compute-efficient frontier (the lowest loss of each budget when it is below every smaller budget's)"
                    + (fixedE is null ? "" : $", E fixed at the validation floor {NumberStyle.Format(floor, 4)}")),
            };
            foreach (var (law, lawData, lawPoints, pointsText) in candidates)
            {
                try
                {
                    options.Log?.Invoke($"fitting {law.Name} to {pointsText} with {options.Bootstrap} bootstrap resamples");
                    var fit = LawFitter.Fit(law, lawData).WithBootstrap(lawData, new BootstrapOptions { Samples = options.Bootstrap, Seed = options.Seed });
                    fits.Add(fit);
                    laws.Add(ReportRows.Law(fit, curveC, maxC, pointsText, LossAtCompute) with { Residuals = Residuals(fit, lawData) });
                    comparison.AddRange(CompareVariants(fit, lawData, lawData == data ? "all configurations" : "compute-efficient frontier", options.Log, notes));
                    options.Log?.Invoke($"back-testing {law.Name}");
                    var bt = Backtester.Run(law, lawData, new BacktestOptions
                    {
                        Bootstrap = options.Bootstrap,
                        Seed = options.Seed + 1,
                        Floor = floor,
                    });
                    backtests.Add(bt);
                    summaries.Add(ReportRows.Backtest(bt, lawPoints));
                }
                catch (Exception ex) when (ex is FitFailedException or ArgumentException or InvalidOperationException or InvalidDataException)
                {
                    notes.Add($"{law.Name}: {ex.Message}");
                }
            }
            if (LargestBudgetBacktest(chinchillaForm, data, selected, backtests, floor, options, notes) is { } largest)
            {
                backtests.Add(largest);
                summaries.Add(ReportRows.Backtest(largest, selected) with { Law = LargestBudgetHeldOut });
            }
            if (fits.FirstOrDefault(f => f.Law == "chinchilla") is { } chinchilla)
            {
                foreach (var m in options.PlanMultipliers)
                {
                    var plan = ComputePlanner.Plan(chinchilla, maxC * m);
                    plans.Add(plan);
                    planRows.Add(new PlanRow($"chinchilla ({m:0}x largest run)", plan.Compute,
                        Est(plan.N, plan.NInterval), Est(plan.D, plan.DInterval), Est(plan.TokensPerParameter, plan.TokensPerParameterInterval),
                        Est(plan.Loss, plan.LossInterval))
                    {
                        Status = plan.Status.ToString().ToLowerInvariant(),
                        Label = plan.Label,
                        DecadesBeyondData = plan.DecadesBeyondData,
                    });
                    notes.AddRange(plan.Statements.Select(s => $"plan at {m:0}x: {s}"));
                }
            }
            isoFlop = IsoFlop(selected, options, notes);
            if (isoFlop is not null)
            {
                foreach (var m in options.PlanMultipliers)
                {
                    if (IsoFlopPlan.From(isoFlop, maxC * m) is { } iso)
                    {
                        var loss = fits.FirstOrDefault(f => f.Law == "chinchilla") is { } ch ? ch.Predict(new LawPoint(N: iso.N, D: iso.Compute / (6 * iso.N), C: iso.Compute)) : double.NaN;
                        planRows.Add(new PlanRow($"isoFLOP Approach 2 ({m:0}x largest run)", iso.Compute, new Estimate(iso.N, iso.Lo, iso.Hi),
                            new Estimate(iso.Compute / (6 * iso.N), iso.Compute / (6 * iso.Hi), iso.Compute / (6 * iso.Lo)),
                            new Estimate(iso.Compute / (6 * iso.N * iso.N)), new Estimate(loss))
                        {
                            Status = "identified",
                            Label = $"N_opt = k·C^a through the minima of {iso.Budgets} budgets, a = {Exponent(isoFlop)}; {NumberStyle.Percent(iso.Level, 2)} t-interval of the line; loss from L(N,D)",
                            DecadesBeyondData = Math.Log10(m),
                        });
                    }
                }
            }
            notes.AddRange(data.Notes);
        }
        notes.Add("N counts non-embedding parameters (Kaplan et al. 2020); C = 6·N·D. Final loss is the validation loss at the end of each run, "
                  + "on the same validation windows for every run; seeds of one configuration are averaged and the best learning rate per (N, D) is fitted.");
        var rateChecks = ReportRows.RateChecks(selected);
        if (ReportRows.RateVerdict(rateChecks) is { } rateVerdict)
        {
            notes.Insert(0, rateVerdict);
        }
        if (ReportRows.SpikeVerdict(rows) is { } spikeVerdict)
        {
            notes.Insert(0, spikeVerdict);
        }
        var report = new StudyReport(study, options.GeneratedAt, options.Corpus, floor,
            "", rows, laws, summaries, planRows, notes)
        {
            Floors = options.Floors,
            RateChecks = rateChecks,
            Budgets = ReportRows.Budgets(selected),
            Identification = fits.Select(f => (f.Law, (IReadOnlyList<string>)f.Identification().Parameters.Select(p => p.Statement).ToList())).ToList(),
            Comparison = comparison,
            Speculative = store.ListStudies().Any(s => s.Name == SpeculativeStudy.StudyName(study)) ? SpeculativeStudy.Read(store, SpeculativeStudy.StudyName(study)) : null,
            Distillation = store.ListStudies().Any(s => s.Name == DistillationSection.StudyName(study)) ? Lab.Studies.Distillation.DistillationStudy.Read(store, DistillationSection.StudyName(study), laws: options.DistillationLaws) : null,
        };
        var result = new StudyAnalysisResult(report, fits, backtests, plans) { Points = selected, Data = data, ChinchillaForm = chinchillaForm, IsoFlop = isoFlop };
        return result with { Report = report with { Headline = Headline(result, null) } };
    }

    /// <summary>
    /// Adds a verification run to an analysis: the L(N,D) fit's prediction for the run, with the interval a back-test
    /// gives a point that far beyond the data (the study's points as training data, the run as the one held-out
    /// point), against the loss it reached. The headline then leads with it.
    /// </summary>
    public static StudyAnalysisResult WithVerification(StudyAnalysisResult analysis, string runKey, string shape, long n, long d, double observed,
        StudyAnalysisOptions options, string basis = "")
    {
        if (analysis.Data is not { } data || analysis.ChinchillaForm is not { } law)
        {
            throw new InvalidOperationException("no L(N,D) fit to verify");
        }
        var c = 6.0 * n * d;
        var extended = new ScalingDataset(data.Source + " + verification run",
            data.Y.Append(observed).ToArray(), n: data.N!.Append(n).ToArray(), d: data.D!.Append(d).ToArray(), c: data.C!.Append(c).ToArray());
        var bt = Backtester.Run(law, extended, new BacktestOptions
        {
            HoldoutAbove = analysis.LargestCompute * 1.0001,
            Bootstrap = options.Bootstrap,
            Seed = options.Seed + 7,
            Floor = options.Floors?.Validation,
        });
        var p = bt.Points.Single();
        var row = new VerificationRow(runKey, shape, n, d, c, c / analysis.LargestCompute, new Estimate(p.Predicted, p.Lo, p.Hi), bt.Level, observed)
        {
            ReducibleRelativeError = double.IsFinite(p.ReducibleRelativeError) ? p.ReducibleRelativeError : null,
            IntervalMethod = bt.Resampling + (bt.Calibration is { } cal ? "; " + cal.Method : ""),
            Basis = basis,
        };
        var report = analysis.Report with { Verification = row };
        var result = analysis with { Report = report };
        return result with { Report = report with { Headline = Headline(result, row) } };
    }

    /// <summary>
    /// Predicted loss at compute C: a law of C is evaluated directly; for Chinchilla's L(N,D) it is the
    /// compute-optimal frontier L(N_opt(C), D_opt(C)) of Hoffmann et al. 2022 eq. 4.
    /// </summary>
    internal static double LossAtCompute(IScalingLaw law, IReadOnlyList<double> symbols, double c)
    {
        var values = symbols.ToArray();
        if (law.Name == "chinchilla")
        {
            var k = law.Symbols.ToList();
            var (n, d) = ComputePlanner.Optimal(values[k.IndexOf("A")], values[k.IndexOf("B")], values[k.IndexOf("alpha")], values[k.IndexOf("beta")], c);
            return law.Predict(values, new LawPoint(N: n, D: d, C: c));
        }
        return law.Predict(values, new LawPoint(C: c));
    }

    /// <summary>
    /// Approach 2 on the study's budgets (each run's C taken as its budget's, so the runs of a budget group exactly);
    /// null, with a note, when the study is not an isoFLOP design with 3 usable budgets.
    /// </summary>
    private static IsoFlopResult? IsoFlop(IReadOnlyList<SelectedPoint> points, StudyAnalysisOptions options, List<string> notes)
    {
        var runs = StudyPoints.ComputeBudgets(points)
            .SelectMany(g => g.Select(p => new IsoFlopRun(Math.Exp(g.Average(q => Math.Log(q.C))), p.N, p.Loss)))
            .ToList();
        try
        {
            var iso = IsoFlopAnalysis.Fit(runs, new IsoFlopOptions { Bootstrap = options.Bootstrap, Seed = options.Seed + 3 });
            notes.Add($"isoFLOP (Approach 2): N_opt ∝ C^a with a = {Exponent(iso)} over {iso.Accepted.Count()} budgets; parabolas fitted in {iso.Window}; "
                      + $"exponent across windows {string.Join(", ", iso.Sensitivity.Where(w => double.IsFinite(w.NExponent)).Select(w => NumberStyle.Format(w.NExponent, 3)))}.");
            notes.AddRange(iso.Notes.Select(n => "isoFLOP: " + n));
            return iso;
        }
        catch (Exception ex) when (ex is InvalidDataException or ArgumentException or InvalidOperationException)
        {
            notes.Add($"isoFLOP (Approach 2) not made: {ex.Message}");
            return null;
        }
    }

    /// <summary>ln L − ln L̂ of every point a law was fitted to.</summary>
    private static List<ResidualPoint> Residuals(LawFit fit, ScalingDataset data) =>
        Enumerable.Range(0, data.Count)
            .Select(i => new ResidualPoint(data.C![i], (long)data.N![i], Math.Log(data.Y[i]) - Math.Log(fit.Predict(LawPoint.At(data, i)))))
            .ToList();

    private static string Exponent(IsoFlopResult iso) => iso.NExponent.ToString();

    private static IScalingLaw Constrain(IScalingLaw law, FitConstraints? constraints) =>
        constraints is null ? law : new ConstrainedLaw(law, constraints);

    private static ScalingDataset ToDataset(string source, IReadOnlyList<SelectedPoint> points) => new(source,
        points.Select(p => p.Loss).ToArray(),
        n: points.Select(p => (double)p.N).ToArray(),
        d: points.Select(p => (double)p.D).ToArray(),
        c: points.Select(p => p.C).ToArray());

    private static Estimate Est(double value, Interval? interval) => new(value, interval);

    private static double[] LogSpace(double from, double to, int count) =>
        Enumerable.Range(0, count).Select(i => Math.Exp(Math.Log(from) + ((Math.Log(to) - Math.Log(from)) * i / (count - 1)))).ToArray();
}
