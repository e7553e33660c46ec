namespace ScaleLab.Laws.Games;

/// <summary>
/// One frontier model fitted to the frontier points: its parameters with bootstrap percentile intervals, the residual
/// sum of squares, AIC and BIC (Gaussian likelihood of the residuals, k = parameters + 1 for σ), the compute to perfect
/// play per board and the perfect-play compute multiplier per +1 board averaged over the fitted boards
/// (10^((x_p(n_max) − x_p(n_min))/(n_max − n_min))), each with its interval.
/// </summary>
public sealed record FrontierModelFit(
    string Model,
    string Formula,
    IReadOnlyList<string> Symbols,
    double[] Parameters,
    Interval[]? Intervals,
    IReadOnlyList<(string Name, Estimate Value)> Slopes,
    Estimate PerfectPlayMultiplier,
    IReadOnlyList<(int Board, Estimate Log10Compute)> Log10ComputeToPerfect,
    int Points,
    double Rss,
    double ResidualRms,
    double Aic,
    double Bic,
    int BootstrapFailed)
{
    /// <summary>The bootstrap draws of the parameters (rows in <see cref="Symbols"/> order).</summary>
    public double[][] Draws { get; init; } = [];
}

/// <summary>A model's back-test: fitted on boards ≤ <see cref="TrainedUpToBoard"/>, forecasting <see cref="TargetBoard"/>'s
/// frontier points; RMS error in Elo against the carry-forward baseline (the same model's curve for the largest fitted board).</summary>
public sealed record FrontierModelBacktest(string Model, int TrainedUpToBoard, int TargetBoard, int Points, double Rmse, double MeanError,
    double BaselineRmse, Estimate Log10ComputeToPerfect);

/// <summary>The model comparison: each model's fit (ΔAIC, ΔBIC against the best), and the back-tests per model.</summary>
public sealed record FrontierComparisonResult(IReadOnlyList<FrontierModelFit> Fits, IReadOnlyList<FrontierModelBacktest> Backtests,
    IReadOnlyList<string> Notes)
{
    public double DeltaAic(string model) => Fits.Single(f => f.Model == model).Aic - Fits.Min(f => f.Aic);

    public double DeltaBic(string model) => Fits.Single(f => f.Model == model).Bic - Fits.Min(f => f.Bic);
}

/// <summary>
/// Compares Jones's change-point frontier with two alternatives on the same frontier points (<see cref="FrontierModel"/>):
/// an incline slope linear in the board size, and a two-segment incline (steep, then shallower before the ceiling).
/// Each is fitted as <see cref="FrontierFitter"/> fits the change-point model (the same Huber objective, L-BFGS from a grid
/// of starts, the same cluster bootstrap), and scored by AIC = N·ln(RSS/N) + 2k and BIC = N·ln(RSS/N) + k·ln N with
/// k = parameters + 1 (Akaike 1974; Schwarz 1978), RSS of the fitted residuals. Caveats, reported as notes: the points
/// are a frontier (the best Elo so far per board), so they are neither independent nor Gaussian, and the Huber fit does
/// not minimise RSS: the criteria rank the models, they are not exact likelihoods. Back-test: each model fitted on
/// boards ≤ n forecasts board n+1, as <see cref="FrontierBacktester"/> does for the headline fit.
/// </summary>
public static class FrontierComparison
{
    public static FrontierComparisonResult Compare(IEnumerable<EloPoint> points, FrontierFitOptions? options = null, IReadOnlyList<FrontierModel>? models = null)
    {
        options ??= new FrontierFitOptions();
        models ??= FrontierModel.All;
        var all = points.ToList();
        var fits = models.Select(m => Fit(m, all, options)).ToList();
        var notes = new List<string>
        {
            "AIC/BIC from the Gaussian likelihood of each fit's residuals on the frontier points (best Elo so far per board: " +
            "not independent draws, so the criteria rank the models rather than give exact likelihood ratios); lower is better",
        };
        var backtests = new List<FrontierModelBacktest>();
        var boards = (options.FrontierOnly ? FrontierFitter.Select(all) : all).Select(p => p.Board).Distinct().Order().ToList();
        for (var k = 2; k < boards.Count; k++)
        {
            foreach (var m in models)
            {
                try
                {
                    backtests.Add(Backtest(m, all, boards[k - 1], options with { Bootstrap = Math.Min(options.Bootstrap, 100) }));
                }
                catch (InvalidDataException e)
                {
                    notes.Add($"{m.Name} back-test of {boards[k]}x{boards[k]}: {e.Message}");
                }
            }
        }
        return new FrontierComparisonResult(fits, backtests, notes);
    }

    /// <summary>Fits one model. Refused (one line): non-finite values, fewer points than parameters + 2, fewer than two
    /// boards, no start converging to a rising incline.</summary>
    public static FrontierModelFit Fit(FrontierModel model, IReadOnlyList<EloPoint> points, FrontierFitOptions options)
    {
        if (points.Any(p => !double.IsFinite(p.Log10Compute) || !double.IsFinite(p.Elo)))
        {
            throw new InvalidDataException("frontier: a point has a non-finite compute or Elo");
        }
        var data = options.FrontierOnly ? FrontierFitter.Select(points) : points.ToList();
        var boards = data.Select(p => p.Board).Distinct().Order().ToList();
        if (data.Count < model.Dimension + 2 || boards.Count < 2)
        {
            throw new InvalidDataException($"frontier {model.Name}: {data.Count} points on {boards.Count} board(s); it needs at least {model.Dimension + 2} points on two boards");
        }
        var x = data.Select(p => p.Log10Compute).ToArray();
        var n = data.Select(p => (double)p.Board).ToArray();
        var y = data.Select(p => p.Elo).ToArray();
        var starts = model.Starts(x, n, y);
        var best = Minimise(model, new ModelObjective(model, x, n, y, null, options.HuberDelta), starts, boards)
            ?? throw new InvalidDataException($"frontier {model.Name}: no start converged to a rising incline ({starts.Count} starts)");
        var theta = best.Theta;
        var rss = data.Select((p, i) => Math.Pow(y[i] - model.Predict(theta, x[i], n[i]), 2)).Sum();
        int count = data.Count, k = model.Dimension + 1;
        var ll = count * Math.Log(Math.Max(rss, 1e-300) / count);
        double[][] draws = [];
        var failed = 0;
        Interval[]? intervals = null;
        if (options.Bootstrap > 0)
        {
            draws = Bootstrap(model, data, x, n, y, theta, starts, boards, options, out failed);
            intervals = Quantile.Columns(draws, model.Dimension, options.Level);
        }
        Estimate Of(Func<double[], double> q) =>
            new(q(theta), draws.Length == 0 ? null : Quantile.Percentile(draws.Select(q), options.Level));
        var slopes = model.Slopes(theta, boards).Select((s, j) => (s.Name, Of(t => model.Slopes(t, boards).ElementAt(j).Value))).ToList();
        double Multiplier(double[] t) => Math.Pow(10, (model.Log10ComputeToPerfect(t, boards[^1]) - model.Log10ComputeToPerfect(t, boards[0])) / (boards[^1] - boards[0]));
        var perfect = boards.Select(b => (b, Of(t => model.Log10ComputeToPerfect(t, b)))).ToList();
        return new FrontierModelFit(model.Name, model.Formula, model.Symbols, theta, intervals, slopes, Of(Multiplier), perfect, count, rss,
            Math.Sqrt(rss / count), ll + 2 * k, ll + k * Math.Log(count), failed)
        {
            Draws = draws,
        };
    }

    /// <summary>Fits <paramref name="model"/> on boards ≤ <paramref name="trainUpToBoard"/> and forecasts the next board's frontier.</summary>
    public static FrontierModelBacktest Backtest(FrontierModel model, IReadOnlyList<EloPoint> points, int trainUpToBoard, FrontierFitOptions options)
    {
        var target = points.Where(p => p.Board > trainUpToBoard).Select(p => p.Board).DefaultIfEmpty(-1).Min();
        if (target < 0) throw new InvalidDataException($"frontier back-test: no board larger than {trainUpToBoard} to forecast");
        var fit = Fit(model, points.Where(p => p.Board <= trainUpToBoard).ToList(), options);
        var held = options.FrontierOnly ? FrontierFitter.Select(points.Where(p => p.Board == target)) : points.Where(p => p.Board == target).ToList();
        var largest = points.Where(p => p.Board <= trainUpToBoard).Max(p => p.Board);
        var errors = held.Select(p => p.Elo - model.Predict(fit.Parameters, p.Log10Compute, target)).ToList();
        var baseline = held.Select(p => p.Elo - model.Predict(fit.Parameters, p.Log10Compute, largest)).ToList();
        double Rms(List<double> e) => Math.Sqrt(e.Average(v => v * v));
        var perfect = new Estimate(model.Log10ComputeToPerfect(fit.Parameters, target),
            fit.Draws.Length == 0 ? null : Quantile.Percentile(fit.Draws.Select(t => model.Log10ComputeToPerfect(t, target)), options.Level));
        return new FrontierModelBacktest(model.Name, trainUpToBoard, target, held.Count, Rms(errors), errors.Average(), Rms(baseline), perfect);
    }

    private static MinimizeOutcome? Minimise(FrontierModel model, ModelObjective objective, IReadOnlyList<double[]> starts, IReadOnlyList<int> boards)
    {
        var minimizer = new LbfgsMinimizer(1e-9, 1e-12, 1e-15, maximumIterations: 2000);
        MinimizeOutcome? best = null;
        foreach (var s in starts)
        {
            var scale = s.Select(v => Math.Max(Math.Abs(v), 10)).ToArray();
            try
            {
                var o = minimizer.Minimize(objective, s, scale);
                if (model.Valid(o.Theta, boards) && (best is null || o.Value < best.Value)) best = o;
            }
            catch (Exception e) when (e is MathNet.Numerics.Optimization.OptimizationException or InvalidOperationException or ArithmeticException)
            {
                // A failed start (line search at a kink, non-finite); the others decide.
            }
        }
        return best;
    }

    /// <summary>The cluster (or case) bootstrap of <see cref="FrontierFitter"/>: each resample refitted from the full-data
    /// optimum and every 12th start.</summary>
    private static double[][] Bootstrap(FrontierModel model, IReadOnlyList<EloPoint> data, double[] x, double[] n, double[] y, double[] optimum,
        List<double[]> grid, IReadOnlyList<int> boards, FrontierFitOptions options, out int failed)
    {
        var starts = FrontierFitter.BootstrapStarts(optimum, grid);
        var groups = options.GroupOf is { } key ? FrontierFitter.GroupIds(data, key) : null;
        int groupCount = groups is null ? 0 : groups.Max() + 1;
        var draws = new double[options.Bootstrap][];
        Resample.Replicates(options.Bootstrap, options.Seed, (int r, ref SplitMix64 rng) =>
        {
            var w = new double[x.Length];
            Resample.Weights(ref rng, groups, groupCount, w);
            var o = Minimise(model, new ModelObjective(model, x, n, y, w, options.HuberDelta), starts, boards);
            draws[r] = o is null ? [] : o.Theta;
        }, maxDegreeOfParallelism: options.MaxDegreeOfParallelism);
        failed = draws.Count(d => d.Length == 0);
        return draws.Where(d => d.Length > 0).ToArray();
    }
}

/// <summary>f(θ) = Σ_i w_i·ρ_δ(y_i − Elo(x_i, n_i; θ)), the Huber objective of <see cref="FrontierFitter"/> for any <see cref="FrontierModel"/>.</summary>
internal sealed class ModelObjective(FrontierModel model, double[] x, double[] n, double[] y, double[]? weights, double delta) : IFitObjective
{
    public int Dimension => model.Dimension;

    public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        gradient.Clear();
        Span<double> g = stackalloc double[model.Dimension];
        double value = 0;
        for (var i = 0; i < x.Length; i++)
        {
            var w = weights is null ? 1 : weights[i];
            if (w == 0) continue;
            var r = y[i] - model.Evaluate(theta, x[i], n[i], g);
            var a = Math.Abs(r);
            value += w * (a <= delta ? 0.5 * r * r : delta * (a - 0.5 * delta));
            var psi = w * (a <= delta ? r : delta * Math.Sign(r));
            for (var j = 0; j < g.Length; j++) gradient[j] -= psi * g[j];
        }
        return value;
    }
}
