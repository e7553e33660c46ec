namespace ScaleLab.Laws.Games;

/// <summary>
/// The compute frontier of board-game agents and the change-point model fitted to it (Jones 2021, "Scaling Scaling Laws
/// with Board Games", §4: Elo against log compute is a plateau at random play, a straight incline, and a ceiling at
/// perfect play, with parameters linear in the board size).
/// <para>
/// Fit: a robust (Huber) sum over the frontier points,
/// <code>
///   f(θ) = Σ_i w_i·ρ_δ(y_i − Elo(x_i, n_i; θ)),   θ = (m_f, m_n, c_i, m_p, c_p)
/// </code>
/// minimised by L-BFGS (<see cref="LbfgsMinimizer"/>) from a grid of starts (the model is piecewise linear, so the
/// objective is piecewise quadratic with kinks where a point changes regime; several starts guard against a start whose
/// regimes are wrong). The gradient is that of the active branch: (x, n, 1, 0, 0) on the incline, (0, 0, 0, n, 1) on the
/// plateau, 0 on the ceiling. Intervals: case-resampling bootstrap of the points (Efron &amp; Tibshirani 1993 ch. 6), each
/// resample refitted from the full-data optimum and a few grid starts, percentile intervals (<see cref="Quantile"/>).
/// </para>
/// <para>
/// Identification: m_n needs incline points on at least two boards (else refused); m_p and c_p need plateau points on
/// at least two boards: with fewer, the beat-random multiplier is not reported and a note says why. A board counts for a
/// regime with at least <see cref="MinimumRegimePoints"/> points in it at the fitted optimum.
/// </para>
/// </summary>
public static class FrontierFitter
{
    /// <summary>Points a board must have in a regime (plateau, incline) for that regime to count as seen on the board.</summary>
    public const int MinimumRegimePoints = 3;

    /// <summary>
    /// The frontier: per board, the points no point of smaller or equal compute beats (Elo strictly higher), in
    /// increasing compute. Ties are all kept (the max-Elo mirror of <see cref="ComputeFrontier"/>).
    /// </summary>
    public static IReadOnlyList<EloPoint> Select(IEnumerable<EloPoint> points)
    {
        var kept = new List<EloPoint>();
        foreach (var board in points.GroupBy(p => p.Board).OrderBy(g => g.Key))
        {
            var ordered = board.OrderBy(p => p.Log10Compute).ToList();
            double best = double.NegativeInfinity; // best Elo at strictly smaller compute
            for (int start = 0; start < ordered.Count;)
            {
                int end = start;
                while (end < ordered.Count && ordered[end].Log10Compute == ordered[start].Log10Compute)
                {
                    end++;
                }
                double groupMax = ordered.Skip(start).Take(end - start).Max(p => p.Elo);
                kept.AddRange(ordered.Skip(start).Take(end - start).Where(p => p.Elo >= Math.Max(best, groupMax)));
                best = Math.Max(best, groupMax);
                start = end;
            }
        }
        return kept;
    }

    /// <summary>
    /// Fits the change-point model. Refused (one-line <see cref="InvalidDataException"/>): non-finite values, fewer than
    /// 6 points, fewer than two boards.
    /// </summary>
    public static FrontierFit Fit(IEnumerable<EloPoint> points, FrontierFitOptions? options = null)
    {
        options ??= new FrontierFitOptions();
        var all = points.ToList();
        if (all.Any(p => !double.IsFinite(p.Log10Compute) || !double.IsFinite(p.Elo)))
        {
            throw new InvalidDataException("frontier: a point has a non-finite compute or Elo");
        }
        var data = options.FrontierOnly ? Select(all) : all;
        int boards = data.Select(p => p.Board).Distinct().Count();
        if (data.Count < 6 || boards < 2)
        {
            throw new InvalidDataException($"frontier: {data.Count} points on {boards} board(s); the change-point model needs at least 6 points on at least two boards (its board terms m_n, m_p)");
        }
        var x = data.Select(p => p.Log10Compute).ToArray();
        var n = data.Select(p => (double)p.Board).ToArray();
        var y = data.Select(p => p.Elo).ToArray();
        var starts = Starts(x, n, y);
        var best = Minimise(new FrontierObjective(x, n, y, null, options.HuberDelta), starts)
            ?? throw new InvalidDataException($"frontier: no start of the change-point fit converged ({starts.Count} starts)");
        var theta = ChangePointFrontier.FromArray(best.Theta);
        var (plateau, incline, ceiling) = Regimes(theta, data);
        var notes = new List<string>();
        if (incline.Boards < 2)
        {
            throw new InvalidDataException($"frontier: the fitted incline holds ≥ {MinimumRegimePoints} points on {incline.Boards} board(s); the board term m_n needs incline points on at least two boards (add agents between random and perfect play)");
        }
        if (theta.InclineSlope <= 0)
        {
            throw new InvalidDataException($"frontier: the fitted incline slope is {NumberStyle.Format(theta.InclineSlope, 3)} Elo per decade (not rising); Elo does not grow with compute in these points");
        }
        bool plateauIdentified = plateau.Boards >= 2;
        if (!plateauIdentified)
        {
            notes.Add($"random-play plateau not identified: boards with ≥ {MinimumRegimePoints} plateau points: {plateau.Boards}, two needed for m_p; the beat-random multiplier is not reported");
        }
        double rms = Math.Sqrt(data.Select(p => Math.Pow(p.Elo - theta.Predict(p.Log10Compute, p.Board), 2)).Average());
        Interval[]? intervals = null;
        Interval perfectIv = new(double.NaN, double.NaN), randomIv = new(double.NaN, double.NaN), slopeIv = new(double.NaN, double.NaN);
        int failed = 0;
        double[][] kept = [];
        if (options.Bootstrap > 0)
        {
            var groups = options.GroupOf is { } key ? GroupIds(data, key) : null;
            var draws = BootstrapDraws(x, n, y, best.Theta, starts, options, groups, out failed);
            kept = draws;
            intervals = Quantile.Columns(draws, 5, options.Level);
            slopeIv = intervals[0];
            perfectIv = Quantile.Percentile(draws.Select(d => ChangePointFrontier.FromArray(d).PerfectPlayMultiplier), options.Level);
            randomIv = Quantile.Percentile(draws.Select(d => ChangePointFrontier.FromArray(d).BeatRandomMultiplier), options.Level);
            string unit = groups is null ? $"{data.Count} points" : $"{groups.Max() + 1} groups of {data.Count} points";
            notes.Add($"intervals: {options.Bootstrap} case-resampling bootstrap refits of {unit} ({failed} failed), {options.Level:P0} percentile");
        }
        return new FrontierFit(theta, intervals,
            new Estimate(theta.InclineSlope, intervals is null ? null : slopeIv),
            new Estimate(theta.PerfectPlayMultiplier, intervals is null ? null : perfectIv),
            plateauIdentified ? new Estimate(theta.BeatRandomMultiplier, intervals is null ? null : randomIv) : null,
            rms, best.Value, data, plateau.Points, incline.Points, ceiling.Points, failed, notes)
        {
            Draws = kept,
            Level = options.Level,
        };
    }

    /// <summary>Points (and boards) in each regime of the fitted model: plateau, incline, ceiling.</summary>
    private static ((int Points, int Boards) Plateau, (int Points, int Boards) Incline, (int Points, int Boards) Ceiling) Regimes(
        ChangePointFrontier m, IReadOnlyList<EloPoint> data)
    {
        int Regime(EloPoint p)
        {
            double inc = m.InclineSlope * p.Log10Compute + m.InclineBoard * p.Board + m.InclineIntercept;
            double pla = m.PlateauBoard * p.Board + m.PlateauIntercept;
            return Math.Max(inc, pla) >= 0 ? 2 : inc >= pla ? 1 : 0;
        }
        var regime = data.Select(Regime).ToArray();
        // A board counts for a regime when it holds at least MinimumRegimePoints of its points: one or two low points at
        // the start of an incline are as easily the incline's noise as a level.
        (int, int) Of(int r) => (regime.Count(v => v == r),
            data.Where((p, i) => regime[i] == r).GroupBy(p => p.Board).Count(g => g.Count() >= MinimumRegimePoints));
        return (Of(0), Of(1), Of(2));
    }

    /// <summary>
    /// Starts: m_f ∈ {100, 250, 500, 1000, 2000} Elo/decade × m_n ∈ {0, −200, −500, −1000} × m_p ∈ {0, −200, −500};
    /// c_i puts the incline through the median point, c_p the plateau through the mean of each board's lowest Elo.
    /// </summary>
    internal static List<double[]> Starts(double[] x, double[] n, double[] y)
    {
        double mx = Median(x), mn = Median(n), my = Median(y);
        var lows = n.Distinct().Select(b => (B: b, Low: y.Where((_, i) => n[i] == b).Min())).ToArray();
        var starts = new List<double[]>();
        foreach (double mf in (double[])[100, 250, 500, 1000, 2000])
        {
            foreach (double mnb in (double[])[0, -200, -500, -1000])
            {
                foreach (double mp in (double[])[0, -200, -500])
                {
                    double cp = lows.Average(l => l.Low - mp * l.B);
                    starts.Add([mf, mnb, my - mf * mx - mnb * mn, mp, cp]);
                }
            }
        }
        return starts;
    }

    private static double Median(double[] v) => Quantile.Of(v, 0.5);

    /// <summary>The best of L-BFGS runs from every start (lowest objective, then lowest start index); null when all failed.</summary>
    internal static MinimizeOutcome? Minimise(FrontierObjective objective, IReadOnlyList<double[]> starts)
    {
        var minimizer = new LbfgsMinimizer(1e-9, 1e-12, 1e-15, maximumIterations: 2000);
        MinimizeOutcome? best = null;
        foreach (var s in starts)
        {
            var scale = s.Select(v => Math.Max(Math.Abs(v), 10)).ToArray();
            try
            {
                var o = minimizer.Minimize(objective, s, scale);
                if (best is null || o.Value < best.Value)
                {
                    best = o;
                }
            }
            catch (Exception e) when (e is MathNet.Numerics.Optimization.OptimizationException or InvalidOperationException or ArithmeticException)
            {
                // A failed start (line search at a kink, non-finite); the others decide.
            }
        }
        return best;
    }

    /// <summary>Case-resampling bootstrap: resample r draws weights from its own stream (<see cref="Resample"/>).</summary>
    /// <summary>Group id of every point, numbered in order of first appearance.</summary>
    /// <summary>Each point's group, numbered 0.. in order of first appearance.</summary>
    internal static int[] GroupIds(IReadOnlyList<EloPoint> data, Func<EloPoint, string> key)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        return data.Select(p => ids.TryGetValue(key(p), out int id) ? id : ids[key(p)] = ids.Count).ToArray();
    }

    /// <summary>A bootstrap refit's starts: the full-data optimum plus every 12th grid start (5 of 60), since resample
    /// optima sit near the full-data one.</summary>
    internal static List<double[]> BootstrapStarts(double[] optimum, IReadOnlyList<double[]> grid)
    {
        var starts = new List<double[]> { optimum };
        for (int j = 6; j < grid.Count; j += 12)
        {
            starts.Add(grid[j]);
        }
        return starts;
    }

    private static double[][] BootstrapDraws(double[] x, double[] n, double[] y, double[] optimum, List<double[]> grid,
        FrontierFitOptions options, int[]? groups, out int failed)
    {
        var starts = BootstrapStarts(optimum, grid);
        int groupCount = groups is null ? 0 : groups.Max() + 1;
        var draws = new double[options.Bootstrap][];
        Resample.Replicates(options.Bootstrap, options.Seed, (int r, ref SplitMix64 rng) =>
        {
            var w = new double[x.Length];
            Resample.Weights(ref rng, groups, groupCount, w);
            var o = Minimise(new FrontierObjective(x, n, y, w, options.HuberDelta), starts);
            draws[r] = o is null || o.Theta[0] <= 0 ? [] : o.Theta;
        }, maxDegreeOfParallelism: options.MaxDegreeOfParallelism);
        failed = draws.Count(d => d.Length == 0);
        return draws.Where(d => d.Length > 0).ToArray();
    }
}

/// <summary>
/// f(θ) = Σ_i w_i·ρ_δ(y_i − Elo(x_i, n_i; θ)) with ρ_δ(r) = r²/2 (|r| ≤ δ), δ(|r| − δ/2) beyond, and its gradient
/// −Σ_i w_i·ρ'_δ(r_i)·∂Elo/∂θ on the active branch.
/// </summary>
internal sealed class FrontierObjective(double[] x, double[] n, double[] y, double[]? weights, double delta) : IFitObjective
{
    public int Dimension => 5;

    public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        gradient.Clear();
        double value = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double w = weights is null ? 1 : weights[i];
            if (w == 0)
            {
                continue;
            }
            double inc = theta[0] * x[i] + theta[1] * n[i] + theta[2];
            double pla = theta[3] * n[i] + theta[4];
            double f = Math.Min(0, Math.Max(inc, pla));
            double r = y[i] - f;
            double a = Math.Abs(r);
            value += w * (a <= delta ? 0.5 * r * r : delta * (a - 0.5 * delta));
            double psi = w * (a <= delta ? r : delta * Math.Sign(r));
            if (Math.Max(inc, pla) >= 0)
            {
                continue; // ceiling: Elo = 0 does not depend on θ
            }
            if (inc >= pla)
            {
                gradient[0] -= psi * x[i];
                gradient[1] -= psi * n[i];
                gradient[2] -= psi;
            }
            else
            {
                gradient[3] -= psi * n[i];
                gradient[4] -= psi;
            }
        }
        return value;
    }
}
