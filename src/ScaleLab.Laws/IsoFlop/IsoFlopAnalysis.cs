using System.Globalization;

namespace ScaleLab.Laws.IsoFlop;

/// <summary>Options for <see cref="IsoFlopAnalysis.Fit"/>.</summary>
public sealed record IsoFlopOptions
{
    /// <summary>
    /// Number of equal-width bins in log10 C. Null: use the exact C values when they are few (at most
    /// runs/3 distinct values), otherwise max(3, round(4 × decades spanned)) bins, i.e. about a quarter
    /// decade each, comparable to the 0.2–0.3 decade spacing of Hoffmann et al.'s nine budgets (6e18…3e21).
    /// </summary>
    public int? Bins { get; init; }
    /// <summary>Bootstrap replicates for the exponent intervals; 0 uses the OLS Student-t interval.</summary>
    public int Bootstrap { get; init; } = 1000;
    public ulong Seed { get; init; }
    public double Level { get; init; } = 0.95;

    /// <summary>
    /// Fit each budget's parabola only to runs within this many decades of log10 N either side of the budget's
    /// empirical minimum (the lowest-loss run). Null: every run of the budget (the classic all-points parabola, biased
    /// when sizes span a wide range asymmetric around the optimum, because the profile in log N is not a parabola).
    /// </summary>
    public double? WindowDecades { get; init; } = 0.5;

    /// <summary>Alternatively, the k distinct model sizes nearest the empirical minimum (overrides <see cref="WindowDecades"/>).</summary>
    public int? NearestSizes { get; init; }

    /// <summary>Windows (decades; null = all points) at which the exponent is refitted to show its sensitivity to the window.</summary>
    public IReadOnlyList<double?> SensitivityWindows { get; init; } = [0.25, 0.5, 1.0, null];
}

/// <summary>The exponents refitted with one window (no bootstrap): how much the answer depends on the window.</summary>
public sealed record WindowSensitivity(string Window, double? WindowDecades, double NExponent, double DExponent, int BudgetsAccepted);

/// <summary>One compute budget: its runs, the parabola through them and, when accepted, N_opt and D_opt = C/(6·N_opt).</summary>
public sealed record BudgetProfile(
    double Compute,
    double LogComputeLo,
    double LogComputeHi,
    IReadOnlyList<IsoFlopRun> Runs,
    Parabola? Parabola,
    double? NOpt,
    double? DOpt,
    double? LossAtOpt,
    string? Note)
{
    public bool Accepted => NOpt is not null;

    /// <summary>The runs the parabola was fitted to (the window around the empirical minimum; all runs without a window).</summary>
    public IReadOnlyList<IsoFlopRun> Used { get; init; } = Runs;
}

/// <summary>
/// Approach-2 result: N_opt = k·C^a and D_opt = k'·C^b fitted by OLS in log10 space over the accepted
/// budgets, with intervals for a and b.
/// </summary>
public sealed record IsoFlopResult(
    string Grouping,
    IReadOnlyList<BudgetProfile> Budgets,
    LinearFit NFit,
    LinearFit DFit,
    Estimate NExponent,
    Estimate DExponent,
    string IntervalMethod,
    int BootstrapReplicates,
    int BootstrapDiscarded,
    IReadOnlyList<string> Notes)
{
    public IEnumerable<BudgetProfile> Accepted => Budgets.Where(b => b.Accepted);

    /// <summary>The window each parabola was fitted in, in words.</summary>
    public string Window { get; init; } = "all runs of each budget";

    /// <summary>The N exponent refitted at the chosen window and at each of <see cref="IsoFlopOptions.SensitivityWindows"/>.</summary>
    public IReadOnlyList<WindowSensitivity> Sensitivity { get; init; } = [];

    /// <summary>Largest minus smallest N exponent over <see cref="Sensitivity"/> (NaN when fewer than two windows fitted).</summary>
    public double SensitivitySpread => Sensitivity.Count(w => double.IsFinite(w.NExponent)) < 2 ? double.NaN
        : Sensitivity.Where(w => double.IsFinite(w.NExponent)).Max(w => w.NExponent) - Sensitivity.Where(w => double.IsFinite(w.NExponent)).Min(w => w.NExponent);

    /// <summary>N_opt predicted at compute C from the frontier fit, k·C^a.</summary>
    public double PredictNOpt(double compute) => Math.Pow(10, NFit.Predict(Math.Log10(compute)));
}

/// <summary>
/// Chinchilla Approach 2 (Hoffmann et al. 2022, §3.2 and Table 2): group runs into isoFLOP budgets, fit
/// loss = c0 + c1·log10 N + c2·(log10 N)² per budget, take the vertex N_opt(C), set D_opt = C/(6·N_opt),
/// then fit log10 N_opt = log10 k + a·log10 C and log10 D_opt = log10 k' + b·log10 C by OLS.
/// A budget is rejected (with a note) when it has fewer than 3 runs or 3 distinct N, when its parabola
/// opens downward (c2 ≤ 0), or when its vertex lies outside the sampled N range (an extrapolated minimum).
/// Intervals: bootstrap resampling runs with replacement within each accepted budget (budgets fixed),
/// refitting every parabola and both lines; a replicate in which fewer than 3 budgets stay valid is discarded.
/// Window: by default each parabola sees only the runs within <see cref="IsoFlopOptions.WindowDecades"/> of the
/// budget's lowest-loss run. The profile L(N) along C = 6ND is not a parabola in log N (it is
/// E + A·N^−α + B·(C/6N)^−β), so a parabola through sizes spread far and unevenly around the optimum puts its vertex
/// off the minimum, by an amount that changes from budget to budget as the grid's asymmetry does, and biases the
/// exponent; near the minimum the profile is quadratic to leading order and the vertex is unbiased to that order.
/// The bootstrap keeps each budget's window fixed at the full-data choice. <see cref="IsoFlopResult.Sensitivity"/>
/// refits the exponent at several windows.
/// </summary>
public static class IsoFlopAnalysis
{
    public const int MinimumRunsPerBudget = 3;
    public const int MinimumBudgets = 3;

    public static IsoFlopResult Fit(IReadOnlyList<IsoFlopRun> runs, IsoFlopOptions options)
    {
        if (options.Bins is < 1)
        {
            throw new ArgumentException($"isoflop: bins must be at least 1, got {options.Bins}");
        }
        if (options.Bootstrap < 0)
        {
            throw new ArgumentException("isoflop: bootstrap replicates must be 0 or more");
        }
        if (options.Level is <= 0 or >= 1)
        {
            throw new ArgumentException("isoflop: level must be in (0, 1)");
        }
        if (options.WindowDecades is { } w && !(w > 0) || options.NearestSizes is < 3)
        {
            throw new ArgumentException("isoflop: the window must be positive decades, or at least 3 nearest sizes");
        }
        foreach (var run in runs)
        {
            if (!(run.Compute > 0 && run.Params > 0 && run.Loss > 0) || !double.IsFinite(run.Compute + run.Params + run.Loss))
            {
                throw new InvalidDataException($"isoflop: run at line {run.Line} has a non-positive or non-finite value (C={run.Compute}, N={run.Params}, loss={run.Loss})");
            }
        }
        var notes = new List<string>();
        var (grouping, groups) = Group(runs, options.Bins, notes);
        var window = new ProfileWindow(options.WindowDecades, options.NearestSizes);
        var budgets = groups.Select(g => Profile(g.Compute, g.Lo, g.Hi, g.Runs, window)).ToList();
        foreach (var rejected in budgets.Where(p => p.Note is not null))
        {
            notes.Add(rejected.Note!);
        }
        var accepted = budgets.Where(b => b.Accepted).ToList();
        if (accepted.Count < MinimumBudgets)
        {
            throw new InvalidDataException(
                $"isoflop: {accepted.Count} of {budgets.Count} budgets have a usable parabola; need at least {MinimumBudgets}");
        }
        var logC = accepted.Select(b => Math.Log10(b.Compute)).ToArray();
        var nFit = LinearFit.Ols(logC, accepted.Select(b => Math.Log10(b.NOpt!.Value)).ToArray());
        var dFit = LinearFit.Ols(logC, accepted.Select(b => Math.Log10(b.DOpt!.Value)).ToArray());
        Estimate a, b;
        string method;
        var discarded = 0;
        if (options.Bootstrap > 0)
        {
            var (aSamples, bSamples) = Bootstrap(accepted, options.Bootstrap, options.Seed);
            discarded = aSamples.Count(double.IsNaN);
            a = new Estimate(nFit.Slope, Quantile.Percentile(aSamples, options.Level));
            b = new Estimate(dFit.Slope, Quantile.Percentile(bSamples, options.Level));
            method = "bootstrap-percentile (runs resampled within budgets)";
            if (discarded > 0)
            {
                notes.Add($"bootstrap: {discarded} of {options.Bootstrap} replicates had fewer than {MinimumBudgets} valid budgets and were discarded");
            }
        }
        else
        {
            a = nFit.SlopeInterval(options.Level);
            b = dFit.SlopeInterval(options.Level);
            method = "ols-student-t";
        }
        var sensitivity = new List<WindowSensitivity>();
        var windows = options.SensitivityWindows.Select(wd => new ProfileWindow(wd, null)).ToList();
        if (!windows.Contains(window))
        {
            windows.Insert(0, window);
        }
        foreach (var alt in windows)
        {
            double? wd = alt.Nearest is null ? alt.Decades : null;
            var ok = groups.Select(g => Profile(g.Compute, g.Lo, g.Hi, g.Runs, alt)).Where(p => p.Accepted).ToList();
            if (ok.Count < MinimumBudgets)
            {
                sensitivity.Add(new WindowSensitivity(alt.Describe(), wd, double.NaN, double.NaN, ok.Count));
                continue;
            }
            var lc = ok.Select(p => Math.Log10(p.Compute)).ToArray();
            sensitivity.Add(new WindowSensitivity(alt.Describe(), wd,
                LinearFit.Solve(lc, ok.Select(p => Math.Log10(p.NOpt!.Value)).ToArray()).Slope,
                LinearFit.Solve(lc, ok.Select(p => Math.Log10(p.DOpt!.Value)).ToArray()).Slope, ok.Count));
        }
        return new IsoFlopResult(grouping, budgets, nFit, dFit, a, b, method, options.Bootstrap, discarded, notes)
        {
            Window = window.Describe(),
            Sensitivity = sensitivity,
        };
    }

    /// <summary>Which runs of a budget its parabola is fitted to.</summary>
    internal sealed record ProfileWindow(double? Decades, int? Nearest)
    {
        public static ProfileWindow All { get; } = new(null, null);

        public string Describe() => Nearest is { } k ? $"the {k} model sizes nearest each budget's lowest-loss run"
            : Decades is { } w ? $"runs within {NumberStyle.Format(w, 3)} decades of N of each budget's lowest-loss run"
            : "all runs of each budget";

        /// <summary>
        /// The runs within the window of the lowest-loss run; when that leaves fewer than 3 distinct sizes, the 3 distinct
        /// sizes nearest the minimum (a parabola needs 3).
        /// </summary>
        public List<IsoFlopRun> Select(List<IsoFlopRun> runs)
        {
            if (Decades is null && Nearest is null)
            {
                return runs;
            }
            double x0 = Math.Log10(runs.MinBy(r => r.Loss)!.Params);
            var sizes = runs.Select(r => Math.Log10(r.Params)).Distinct().OrderBy(x => Math.Abs(x - x0)).ThenBy(x => x).ToList();
            int k = Nearest ?? sizes.Count(x => Math.Abs(x - x0) <= Decades!.Value + 1e-12);
            var keep = sizes.Take(Math.Max(3, k)).ToHashSet();
            return runs.Where(r => keep.Contains(Math.Log10(r.Params))).ToList();
        }
    }

    /// <summary>
    /// Exact budgets when no bin count is given and there are at most runs/3 distinct C values (C equal to
    /// 6 significant digits in log10); otherwise K equal-width bins over [min log10 C, max log10 C] (the last
    /// bin closed), each budget's C the geometric mean of its runs' C. Budgets with fewer than 3 runs are noted and dropped.
    /// </summary>
    internal static (string Grouping, List<(double Compute, double Lo, double Hi, List<IsoFlopRun> Runs)> Groups) Group(
        IReadOnlyList<IsoFlopRun> runs, int? bins, List<string> notes)
    {
        var result = new List<(double, double, double, List<IsoFlopRun>)>();
        string grouping;
        var exact = runs.GroupBy(r => Math.Round(Math.Log10(r.Compute), 6)).OrderBy(g => g.Key).ToList();
        if (bins is null && exact.Count <= runs.Count / 3)
        {
            grouping = $"exact ({exact.Count} distinct compute values)";
            foreach (var g in exact)
            {
                result.Add((Math.Pow(10, g.Key), g.Key, g.Key, g.ToList()));
            }
        }
        else
        {
            var logs = runs.Select(r => Math.Log10(r.Compute)).ToArray();
            var min = logs.Length == 0 ? 0 : logs.Min();
            var max = logs.Length == 0 ? 0 : logs.Max();
            var k = bins ?? Math.Max(MinimumBudgets, (int)Math.Round(4 * (max - min)));
            var width = (max - min) / k;
            grouping = $"binned ({k} equal-width bins of {NumberStyle.Format(width, 3)} decades in log10 C)";
            var members = new List<IsoFlopRun>[k];
            for (var i = 0; i < k; i++)
            {
                members[i] = [];
            }
            for (var i = 0; i < runs.Count; i++)
            {
                var bin = width > 0 ? Math.Min(k - 1, (int)((logs[i] - min) / width)) : 0;
                members[bin].Add(runs[i]);
            }
            for (var i = 0; i < k; i++)
            {
                if (members[i].Count == 0)
                {
                    continue;
                }
                var geoMean = members[i].Average(r => Math.Log10(r.Compute));
                result.Add((Math.Pow(10, geoMean), min + i * width, min + (i + 1) * width, members[i]));
            }
        }
        var kept = new List<(double, double, double, List<IsoFlopRun>)>();
        foreach (var g in result)
        {
            if (g.Item4.Count < MinimumRunsPerBudget)
            {
                notes.Add($"budget C={Sci(g.Item1)}: {g.Item4.Count} runs (need {MinimumRunsPerBudget}); dropped");
            }
            else
            {
                kept.Add(g);
            }
        }
        return (grouping, kept);
    }

    /// <summary>Fits one budget's parabola and accepts its vertex if it is a minimum inside the sampled N range.</summary>
    internal static BudgetProfile Profile(double compute, double lo, double hi, List<IsoFlopRun> runs, ProfileWindow? window = null)
    {
        var used = (window ?? ProfileWindow.All).Select(runs);
        var x = used.Select(r => Math.Log10(r.Params)).ToArray();
        var y = used.Select(r => r.Loss).ToArray();
        var (ok, parabola, xStar, why) = Vertex(x, y);
        if (!ok)
        {
            return new BudgetProfile(compute, lo, hi, runs, parabola, null, null, null, $"budget C={Sci(compute)}: {why}; dropped") { Used = used };
        }
        var nOpt = Math.Pow(10, xStar);
        return new BudgetProfile(compute, lo, hi, runs, parabola, nOpt, compute / (6 * nOpt), parabola!.VertexLoss, null) { Used = used };
    }

    private static (bool Ok, Parabola? Parabola, double XStar, string Why) Vertex(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        double xMin = double.PositiveInfinity, xMax = double.NegativeInfinity;
        foreach (var v in x)
        {
            xMin = Math.Min(xMin, v);
            xMax = Math.Max(xMax, v);
        }
        var parabola = DistinctAtLeast3(x) ? Parabola.Fit(x, y) : null;
        if (parabola is null)
        {
            return (false, null, double.NaN, "fewer than 3 distinct model sizes");
        }
        if (!parabola.OpensUpward)
        {
            return (false, parabola, double.NaN, $"parabola opens downward (curvature {NumberStyle.Format(parabola.C2, 4)})");
        }
        var xStar = parabola.VertexX;
        if (xStar < xMin || xStar > xMax)
        {
            return (false, parabola, xStar,
                $"minimum at N={Sci(Math.Pow(10, xStar))} is outside the sampled range [{Sci(Math.Pow(10, xMin))}, {Sci(Math.Pow(10, xMax))}]");
        }
        return (true, parabola, xStar, "");
    }

    private static bool DistinctAtLeast3(ReadOnlySpan<double> x)
    {
        var first = x[0];
        double? second = null;
        foreach (var v in x)
        {
            if (v == first)
            {
                continue;
            }
            if (second is null)
            {
                second = v;
            }
            else if (v != second)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Replicate r (generator stream (seed, r), <see cref="Resample"/>) resamples each accepted budget's runs with replacement,
    /// refits its parabola, keeps the budget if the vertex is a minimum inside the resample's N range, and
    /// refits both lines; NaN marks a discarded replicate.
    /// </summary>
    internal static (double[] A, double[] B) Bootstrap(List<BudgetProfile> accepted, int replicates, ulong seed)
    {
        var aSamples = new double[replicates];
        var bSamples = new double[replicates];
        var data = accepted.Select(b => (
            LogC: Math.Log10(b.Compute),
            X: b.Used.Select(r => Math.Log10(r.Params)).ToArray(),
            Y: b.Used.Select(r => r.Loss).ToArray())).ToArray();
        var log6 = Math.Log10(6.0);
        Resample.Replicates(replicates, seed, (int r, ref SplitMix64 rng) =>
        {
            var logC = new List<double>(data.Length);
            var logN = new List<double>(data.Length);
            var logD = new List<double>(data.Length);
            foreach (var (c, x, y) in data)
            {
                var pick = new int[x.Length];
                Resample.Indices(ref rng, pick);
                var bx = new double[x.Length];
                var by = new double[x.Length];
                for (var i = 0; i < x.Length; i++)
                {
                    bx[i] = x[pick[i]];
                    by[i] = y[pick[i]];
                }
                var (ok, _, xStar, _) = Vertex(bx, by);
                if (ok)
                {
                    logC.Add(c);
                    logN.Add(xStar);
                    logD.Add(c - log6 - xStar);
                }
            }
            if (logC.Count < MinimumBudgets)
            {
                aSamples[r] = double.NaN;
                bSamples[r] = double.NaN;
                return;
            }
            aSamples[r] = LinearFit.Solve(logC.ToArray(), logN.ToArray()).Slope;
            bSamples[r] = LinearFit.Solve(logC.ToArray(), logD.ToArray()).Slope;
        });
        return (aSamples, bSamples);
    }

    internal static string Sci(double v) => NumberStyle.Format(v, 4);
}
