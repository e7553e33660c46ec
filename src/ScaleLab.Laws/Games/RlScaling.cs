namespace ScaleLab.Laws.Games;

/// <summary>
/// One snapshot of one training run: its model size N (parameters), the self-play samples E it has trained on, its
/// training compute C (any one convention, proportional to N·E for the compute-optimal exponent to mean what it says)
/// and its Elo.
/// </summary>
public sealed record RlPoint(string Run, double Parameters, double Samples, double Compute, double Elo);

/// <summary>An <see cref="RlPoint"/> with its intrinsic performance I (in the units of <see cref="RlPoint.Compute"/>).</summary>
public sealed record IntrinsicPoint(string Run, double Parameters, double Samples, double Compute, double Elo, double Intrinsic);

/// <summary>Options of <see cref="RlScaling.Fit"/> and <see cref="RlScaling.FitElo"/>.</summary>
public sealed record RlScalingOptions
{
    /// <summary>Cluster-bootstrap resamples of whole runs (0: no intervals).</summary>
    public int Bootstrap { get; init; } = 200;
    public ulong Seed { get; init; }
    public double Level { get; init; } = 0.95;

    /// <summary>
    /// Elo window for intrinsic performance: points outside it are left out, because on the random-play plateau and at the
    /// perfect-play ceiling the frontier is flat and "the compute at which it reaches this Elo" is not defined. Null: no bound.
    /// </summary>
    public double? MinElo { get; init; }
    public double? MaxElo { get; init; }
}

/// <summary>
/// The fitted law I^(−β) = (N_c/N)^α_N + (E_c/E)^α_E with β = α_N·α_E/(α_N + α_E) (tied so that I = C along the law's own
/// compute-efficient frontier, as intrinsic performance is defined; see <see cref="RlScaling"/>). Point estimates and
/// cluster-bootstrap percentile intervals; <see cref="OptimalSizeExponent"/> is α_E/(α_N + α_E) in N_opt ∝ C^that.
/// <see cref="ResidualRmsLog10"/> is the root-mean-square residual of log10 I.
/// </summary>
public sealed record RlScalingFit(
    Estimate AlphaN,
    Estimate AlphaE,
    Estimate Beta,
    Estimate OptimalSizeExponent,
    Estimate Log10Nc,
    Estimate Log10Ec,
    double ResidualRmsLog10,
    int Points,
    int Runs,
    int BootstrapFailed,
    IReadOnlyList<IntrinsicPoint> Data,
    IReadOnlyList<string> Notes)
{
    /// <summary>
    /// False when the exponents are not identified by these data: the fit ran to one of the law's degenerate limits
    /// (log-linear, α → 0; or a hard bottleneck, α → ∞), or the bootstrap's interval of an exponent spans more than a
    /// factor <see cref="RlScaling.MaxIntervalRatio"/>, or too many resamples failed. Then no exponent is a result (the
    /// notes say why).
    /// </summary>
    public bool Identified { get; init; } = true;

    /// <summary>Predicted log10 I at (N, E).</summary>
    public double PredictLog10(double parameters, double samples) =>
        RlScaling.LogIntrinsic([Log10Nc.Value * Math.Log(10), Log10Ec.Value * Math.Log(10), Math.Log(AlphaN.Value), Math.Log(AlphaE.Value)],
            Math.Log(parameters), Math.Log(samples), []) / Math.Log(10);
}

/// <summary>
/// RL scaling laws after Hilton, Tang &amp; Schulman (2023, "Scaling laws for single-agent reinforcement learning", §2–3).
/// <para>
/// Intrinsic performance: the compute frontier is the best Elo reached at compute ≤ C over all runs; the intrinsic
/// performance of a point is the compute at which that frontier first reaches the point's Elo (linear in log C between
/// frontier points). On the frontier I = C; a run off it was the wrong size for its compute.
/// </para>
/// <para>
/// Law (their eq. 1): I^(−β) = (N_c/N)^α_N + (E_c/E)^α_E. Minimising the right side over N at fixed C ∝ N·E gives
/// N_opt ∝ C^(α_E/(α_N+α_E)) and I ∝ C^(α_Nα_E/((α_N+α_E)β)), so I = C on the law's frontier forces
/// β = α_Nα_E/(α_N+α_E) (the paper: the definition of I determines β). Fitted by least squares on ln I,
/// <code>
///   ln Î = −(1/α_N + 1/α_E) · LSE(α_N·(ln N_c − ln N), α_E·(ln E_c − ln E))
/// </code>
/// over θ = (ln N_c, ln E_c, ln α_N, ln α_E) by multi-start L-BFGS; intervals by a cluster bootstrap over runs (the points
/// of one learning curve share its noise; Davison &amp; Hinkley 1997 §3.8).
/// </para>
/// </summary>
public static class RlScaling
{
    /// <summary>An exponent below this means the fit went to the law's log-linear limit, where the exponents are not identified.</summary>
    public const double DegenerateExponent = 0.02;

    /// <summary>
    /// An exponent above this means the fit went to the law's hard-bottleneck limit, I set by the smaller of the N and E
    /// terms alone (a kink, not a smooth crossover): how large the exponent is past that is not identified.
    /// </summary>
    public const double HardBottleneckExponent = 20;

    /// <summary>An exponent whose bootstrap interval spans more than this factor (two decades) is not identified.</summary>
    public const double MaxIntervalRatio = 100;

    /// <summary>More than this fraction of failed bootstrap fits leaves the intervals, and so the exponents, not identified.</summary>
    public const double MaxFailedFraction = 0.25;

    /// <summary>
    /// Intrinsic performance of every point inside the Elo window and the frontier's range (points below the frontier's
    /// lowest Elo have no defined I and are left out, counted in <paramref name="notes"/>).
    /// </summary>
    public static IReadOnlyList<IntrinsicPoint> Intrinsic(IEnumerable<RlPoint> points, RlScalingOptions? options, List<string> notes)
    {
        options ??= new RlScalingOptions();
        var all = points.ToList();
        if (all.Any(p => !(p.Parameters > 0 && p.Samples > 0 && p.Compute > 0) || !double.IsFinite(p.Elo)))
        {
            throw new InvalidDataException("RL scaling: a point has non-positive N, E or C, or a non-finite Elo");
        }
        // Frontier vertices: increasing compute, strictly increasing best Elo.
        var vertices = new List<(double LogC, double Elo)>();
        foreach (var p in all.OrderBy(p => p.Compute))
        {
            if (vertices.Count == 0 || p.Elo > vertices[^1].Elo)
            {
                vertices.Add((Math.Log(p.Compute), p.Elo));
            }
        }
        var result = new List<IntrinsicPoint>();
        int outside = 0, below = 0;
        foreach (var p in all)
        {
            if (p.Elo < (options.MinElo ?? double.NegativeInfinity) || p.Elo > (options.MaxElo ?? double.PositiveInfinity))
            {
                outside++;
                continue;
            }
            int k = vertices.FindIndex(v => v.Elo >= p.Elo);
            if (k == 0 && p.Elo < vertices[0].Elo || k < 0)
            {
                below++;
                continue;
            }
            double logI = k == 0 ? vertices[0].LogC
                : vertices[k - 1].LogC + (p.Elo - vertices[k - 1].Elo) / (vertices[k].Elo - vertices[k - 1].Elo) * (vertices[k].LogC - vertices[k - 1].LogC);
            result.Add(new IntrinsicPoint(p.Run, p.Parameters, p.Samples, p.Compute, p.Elo, Math.Exp(logI)));
        }
        if (outside > 0)
        {
            notes.Add($"{outside} points outside the Elo window [{options.MinElo?.ToString("G4", System.Globalization.CultureInfo.InvariantCulture) ?? "-inf"}, {options.MaxElo?.ToString("G4", System.Globalization.CultureInfo.InvariantCulture) ?? "inf"}] left out");
        }
        if (below > 0)
        {
            notes.Add($"{below} points below the frontier's lowest Elo left out (their intrinsic performance is not defined)");
        }
        notes.Add($"intrinsic performance from a frontier of {vertices.Count} points (linear in log compute between them)");
        return result;
    }

    /// <summary>Intrinsic performance from Elo (<see cref="Intrinsic"/>), then <see cref="Fit"/>.</summary>
    public static RlScalingFit FitElo(IEnumerable<RlPoint> points, RlScalingOptions? options = null)
    {
        var notes = new List<string>();
        var data = Intrinsic(points, options, notes);
        return Fit(data, options, notes);
    }

    /// <summary>
    /// Fits the law to points with known intrinsic performance. Refused (one line): fewer than 8 points, fewer than 3
    /// model sizes or 3 sample counts, non-positive values.
    /// </summary>
    public static RlScalingFit Fit(IReadOnlyList<IntrinsicPoint> data, RlScalingOptions? options = null, IEnumerable<string>? priorNotes = null)
    {
        options ??= new RlScalingOptions();
        if (data.Any(p => !(p.Parameters > 0 && p.Samples > 0 && p.Intrinsic > 0)))
        {
            throw new InvalidDataException("RL scaling: a point has non-positive N, E or intrinsic performance");
        }
        int sizes = data.Select(p => p.Parameters).Distinct().Count(), samples = data.Select(p => p.Samples).Distinct().Count();
        if (data.Count < 8 || sizes < 3 || samples < 3)
        {
            throw new InvalidDataException($"RL scaling: {data.Count} points, {sizes} model sizes, {samples} sample counts; the law's four parameters need at least 8 points over 3 sizes and 3 sample counts");
        }
        var lnN = data.Select(p => Math.Log(p.Parameters)).ToArray();
        var lnE = data.Select(p => Math.Log(p.Samples)).ToArray();
        var lnI = data.Select(p => Math.Log(p.Intrinsic)).ToArray();
        var runs = data.Select(p => p.Run).Distinct(StringComparer.Ordinal).ToList();
        var runOf = data.Select(p => runs.IndexOf(p.Run)).ToArray();
        var starts = Starts(lnN, lnE);
        var best = Minimise(new Objective(lnN, lnE, lnI, null), starts)
            ?? throw new InvalidDataException($"RL scaling: no start of the fit converged ({starts.Count} starts)");
        var notes = new List<string>(priorNotes ?? []);
        double rms = Math.Sqrt(Enumerable.Range(0, data.Count).Average(i => Math.Pow(lnI[i] - LogIntrinsic(best.Theta, lnN[i], lnE[i], []), 2))) / Math.Log(10);
        double[][] draws = [];
        int failed = 0;
        if (options.Bootstrap > 0)
        {
            var reStarts = new List<double[]> { best.Theta, starts[starts.Count / 3], starts[2 * starts.Count / 3] };
            var raw = new double[options.Bootstrap][];
            Resample.Replicates(options.Bootstrap, options.Seed, (int r, ref SplitMix64 rng) =>
            {
                var w = new double[runOf.Length];
                Resample.Weights(ref rng, runOf, runs.Count, w);
                raw[r] = Minimise(new Objective(lnN, lnE, lnI, w), reStarts)?.Theta ?? [];
            });
            failed = raw.Count(d => d.Length == 0);
            draws = raw.Where(d => d.Length > 0).ToArray();
            notes.Add($"intervals: {options.Bootstrap} bootstrap resamples of {runs.Count} whole runs ({failed} failed), {options.Level:P0} percentile");
        }
        var unidentified = Unidentified(Math.Exp(best.Theta[2]), Math.Exp(best.Theta[3]), draws, failed, options.Bootstrap, options.Level);
        if (unidentified is not null)
        {
            notes.Add("exponents not identified: " + unidentified);
        }
        Estimate Of(Func<double[], double> q) => new(q(best.Theta), draws.Length > 0 ? Quantile.Percentile(draws.Select(q), options.Level) : null);
        return new RlScalingFit(
            Of(t => Math.Exp(t[2])), Of(t => Math.Exp(t[3])),
            Of(t => Math.Exp(t[2] + t[3]) / (Math.Exp(t[2]) + Math.Exp(t[3]))),
            Of(t => Math.Exp(t[3]) / (Math.Exp(t[2]) + Math.Exp(t[3]))),
            Of(t => t[0] / Math.Log(10)), Of(t => t[1] / Math.Log(10)),
            rms, data.Count, runs.Count, failed, data, notes)
        {
            Identified = unidentified is null,
        };
    }

    /// <summary>
    /// Why the exponents are not identified, or null when they are: the point estimate at a degenerate limit (α below
    /// <see cref="DegenerateExponent"/>: log-linear; above <see cref="HardBottleneckExponent"/>: a hard bottleneck), more
    /// than <see cref="MaxFailedFraction"/> of the bootstrap fits failed, or an exponent's bootstrap interval (rows of
    /// <paramref name="draws"/> are θ = (ln N_c, ln E_c, ln α_N, ln α_E)) spanning more than <see cref="MaxIntervalRatio"/>.
    /// </summary>
    internal static string? Unidentified(double alphaN, double alphaE, IReadOnlyList<double[]> draws, int failed, int bootstrap, double level)
    {
        string Pair() => $"α_N = {NumberStyle.Format(alphaN, 3)}, α_E = {NumberStyle.Format(alphaE, 3)}";
        if (Math.Min(alphaN, alphaE) < DegenerateExponent)
        {
            return $"the fit ran to α → 0 ({Pair()}), the law's log-linear limit; the data show no bottleneck in N or E (are the intrinsic performances just the computes?)";
        }
        if (Math.Max(alphaN, alphaE) > HardBottleneckExponent)
        {
            return $"the fit ran to α → ∞ ({Pair()}), the law's hard-bottleneck limit, where only the kink between the N and E terms is seen, not how smooth it is";
        }
        if (bootstrap > 0 && failed > MaxFailedFraction * bootstrap)
        {
            return $"{failed} of {bootstrap} bootstrap fits failed";
        }
        if (draws.Count == 0)
        {
            return null;
        }
        foreach (var (name, index) in (ReadOnlySpan<(string, int)>)[("α_N", 2), ("α_E", 3)])
        {
            var interval = Quantile.Percentile(draws.Select(t => Math.Exp(t[index])), level);
            if (!(interval.Hi <= MaxIntervalRatio * interval.Lo))
            {
                return $"the bootstrap interval of {name}, [{NumberStyle.Format(interval.Lo, 3)}, {NumberStyle.Format(interval.Hi, 3)}], spans {Math.Log10(interval.Hi / interval.Lo):0.#} decades (at most {Math.Log10(MaxIntervalRatio):0} allowed)";
            }
        }
        return null;
    }

    /// <summary>Starts: α_N, α_E ∈ {0.3, 0.7, 1.5}; ln N_c, ln E_c at the minimum, median and maximum of the data's ln N, ln E.</summary>
    private static List<double[]> Starts(double[] lnN, double[] lnE)
    {
        var starts = new List<double[]>();
        foreach (double nc in (double[])[lnN.Min(), Quantile.Of(lnN, 0.5), lnN.Max()])
        {
            foreach (double ec in (double[])[lnE.Min(), Quantile.Of(lnE, 0.5), lnE.Max()])
            {
                foreach (double a in (double[])[0.3, 0.7, 1.5])
                {
                    foreach (double b in (double[])[0.3, 0.7, 1.5])
                    {
                        starts.Add([nc, ec, Math.Log(a), Math.Log(b)]);
                    }
                }
            }
        }
        return starts;
    }

    private static MinimizeOutcome? Minimise(Objective objective, IReadOnlyList<double[]> starts)
    {
        var minimizer = new LbfgsMinimizer(1e-10, 1e-14, 1e-16, maximumIterations: 1000);
        MinimizeOutcome? best = null;
        foreach (var s in starts)
        {
            try
            {
                var o = minimizer.Minimize(objective, s);
                if (best is null || o.Value < best.Value)
                {
                    best = o;
                }
            }
            catch (Exception e) when (e is MathNet.Numerics.Optimization.OptimizationException or InvalidOperationException or ArithmeticException)
            {
                // A failed start; the others decide.
            }
        }
        return best;
    }

    /// <summary>
    /// ln Î = −g·L with g = 1/a + 1/b, L = LSE(a·u₁, b·u₂), u₁ = ln N_c − ln N, u₂ = ln E_c − ln E, a = e^θ₂, b = e^θ₃;
    /// writes ∂ ln Î/∂θ into <paramref name="gradient"/> when it is not empty:
    /// ∂/∂ln N_c = −g·a·π₁, ∂/∂ln E_c = −g·b·π₂, ∂/∂θ₂ = a·(L/a² − g·π₁·u₁), ∂/∂θ₃ = b·(L/b² − g·π₂·u₂), π = softmax weights.
    /// </summary>
    internal static double LogIntrinsic(ReadOnlySpan<double> theta, double lnN, double lnE, Span<double> gradient)
    {
        double a = Math.Exp(theta[2]), b = Math.Exp(theta[3]);
        double u1 = theta[0] - lnN, u2 = theta[1] - lnE;
        double s1 = a * u1, s2 = b * u2, m = Math.Max(s1, s2);
        double e1 = Math.Exp(s1 - m), e2 = Math.Exp(s2 - m), sum = e1 + e2;
        double l = m + Math.Log(sum), p1 = e1 / sum, p2 = e2 / sum, g = 1 / a + 1 / b;
        if (!gradient.IsEmpty)
        {
            gradient[0] = -g * a * p1;
            gradient[1] = -g * b * p2;
            gradient[2] = a * (l / (a * a) - g * p1 * u1);
            gradient[3] = b * (l / (b * b) - g * p2 * u2);
        }
        return -g * l;
    }

    /// <summary>½·Σ w_i·(ln I_i − ln Î_i)².</summary>
    internal sealed class Objective(double[] lnN, double[] lnE, double[] lnI, double[]? weights) : IFitObjective
    {
        public int Dimension => 4;

        public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient)
        {
            gradient.Clear();
            Span<double> d = stackalloc double[4];
            double value = 0;
            for (int i = 0; i < lnN.Length; i++)
            {
                double w = weights is null ? 1 : weights[i];
                if (w == 0)
                {
                    continue;
                }
                double r = lnI[i] - LogIntrinsic(theta, lnN[i], lnE[i], d);
                value += 0.5 * w * r * r;
                for (int k = 0; k < 4; k++)
                {
                    gradient[k] -= w * r * d[k];
                }
            }
            return value;
        }
    }
}
