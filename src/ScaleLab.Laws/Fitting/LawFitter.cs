namespace ScaleLab.Laws;

/// <summary>
/// Multi-start fit of a law (Hoffmann et al. 2022 App. D.2: L-BFGS from every point of a grid, keep the best).
/// Starts run in parallel; each start's result lands in its own slot and the best is chosen by (objective,
/// start index), so the outcome does not depend on thread scheduling. A start that throws (line search failure,
/// iteration limit) or ends at a non-finite point counts as failed.
/// </summary>
public static class LawFitter
{
    /// <summary>Relative objective tolerance for counting a start as having reached the best.</summary>
    public const double BestTolerance = 1e-6;

    /// <summary>
    /// Fits <paramref name="law"/> (wrapped in a <see cref="ConstrainedLaw"/> when <see cref="FitOptions.Constraints"/>
    /// fixes or ties parameters) and attaches <see cref="FitDiagnostics"/>. Degenerate input is refused with a one-line
    /// <see cref="InvalidDataException"/>: fewer distinct input points than free parameters + 1 (identical rows add
    /// no information, and all runs at one value of a one-variable law's x leave nothing to fit).
    /// </summary>
    public static LawFit Fit(IScalingLaw law, ScalingDataset data, FitOptions? options = null)
    {
        options ??= new FitOptions();
        if (options.Constraints is { IsEmpty: false } constraints && law is not ConstrainedLaw)
        {
            law = new ConstrainedLaw(law, constraints);
        }
        int p = law.Coordinates.Count;
        if (data.Count < p + 1)
        {
            throw new InvalidDataException(
                $"{data.Source}: {data.Count} points, {law.Name} needs at least {p + 1} (parameters + 1)");
        }
        var (features, logY) = LogResidualObjective.Prepare(law, data);
        int fc = law.FeatureCount;
        int distinct = Enumerable.Range(0, data.Count)
            .Select(i => string.Join(",", features.AsSpan(i * fc, fc).ToArray().Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))))
            .Distinct().Count();
        if (distinct < p + 1)
        {
            string what = distinct == 1 && law.Inputs == LawInputs.C && data.Y.Distinct().Count() > 1
                ? $"all {data.Count} runs are at one compute (C = {NumberStyle.Format(data.C![0], 4)}), so a law in C has a single x to fit"
                : distinct == 1 ? $"all {data.Count} points have the same inputs ({law.Inputs})"
                : $"only {distinct} distinct input points among {data.Count}";
            throw new InvalidDataException(
                $"{data.Source}: {what}; {law.Name} needs at least {p + 1} distinct points to fit {p} free parameters (repeated rows add no information; average them, or add runs at other sizes)");
        }
        var loss = options.Loss ?? law.DefaultLoss;
        var objective = new LogResidualObjective(law, features, logY, loss, options.Delta);
        var starts = options.Starts ?? law.StartGrid(features, logY);
        var fit = FitStarts(law, objective, starts, options, data.Count, data.Notes);
        return fit with { Diagnostics = FitDiagnostics.Compute(law, data, fit.Theta) };
    }

    /// <summary>Runs every start (in parallel) and summarises; used by the bootstrap with weighted objectives.</summary>
    internal static LawFit FitStarts(IScalingLaw law, LogResidualObjective objective, IReadOnlyList<double[]> starts,
        FitOptions options, int points, IReadOnlyList<string> notes, bool parallel = true)
    {
        var minimizer = new LbfgsMinimizer(options.GradientTolerance, options.ParameterTolerance,
            maximumIterations: options.MaxIterations);
        var outcomes = new MinimizeOutcome?[starts.Count];
        var errors = new string?[starts.Count];
        var failures = new StopReason?[starts.Count];
        void RunOne(int k)
        {
            try
            {
                outcomes[k] = minimizer.Minimize(objective, starts[k]);
            }
            catch (Exception ex) when (ex is MathNet.Numerics.Optimization.OptimizationException
                or InvalidOperationException or ArgumentException or ArithmeticException)
            {
                errors[k] = ex.Message;
                failures[k] = StopReasons.OfFailure(ex);
            }
        }
        if (parallel)
        {
            Parallel.For(0, starts.Count, new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism }, RunOne);
        }
        else
        {
            for (int k = 0; k < starts.Count; k++)
            {
                RunOne(k);
            }
        }
        var fit = Summarise(law, objective, starts.Count, outcomes, errors, points, notes);
        return fit with
        {
            FailedStarts = failures.OfType<StopReason>().GroupBy(r => r).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count()),
        };
    }

    private static LawFit Summarise(IScalingLaw law, LogResidualObjective objective, int total,
        MinimizeOutcome?[] outcomes, string?[] errors, int points, IReadOnlyList<string> notes)
    {
        int best = -1;
        for (int k = 0; k < outcomes.Length; k++)
        {
            if (outcomes[k] is { } o && (best < 0 || o.Value < outcomes[best]!.Value))
            {
                best = k;
            }
        }
        int failed = outcomes.Count(o => o is null);
        if (best < 0)
        {
            var first = errors.FirstOrDefault(e => e is not null) ?? "no starts";
            throw new FitFailedException($"{law.Name}: no start converged ({total} starts; first error: {first})");
        }
        var b = outcomes[best]!;
        double tol = BestTolerance * Math.Abs(b.Value) + 1e-300;
        int atBest = outcomes.Count(o => o is not null && o.Value - b.Value <= tol);
        var symbols = new double[law.Symbols.Count];
        law.ToSymbols(b.Theta, symbols);
        var fitNotes = new List<string>(notes);
        if (failed > 0)
        {
            fitNotes.Add($"{failed} of {total} starts failed (line search or iteration limit)");
        }
        return new LawFit(law, law.Symbols, symbols, b.Theta, law.DerivedNames, law.Derived(symbols), b.Value,
            total, failed, atBest, $"objective within {BestTolerance:0e0} relative of the best", b.Iterations,
            b.ExitReason, points, objective.Loss, objective.Delta, fitNotes) { Stop = b.Stop };
    }
}
