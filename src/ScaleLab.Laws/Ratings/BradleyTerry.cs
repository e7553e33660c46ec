using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra.Double;

namespace ScaleLab.Laws.Ratings;

/// <summary>
/// Bradley–Terry maximum-likelihood ratings in Elo units with a first-move (colour) advantage (Bradley &amp; Terry 1952;
/// Elo 1978's logistic scale; the home-advantage term of Agresti 2002 §10.6.3; Jones 2021 rates Hex agents this way).
/// A game in which agent f moves first against agent s is won by f with probability
/// <code>
///   P(f beats s) = σ(k·(r_f − r_s + h)),   σ(η) = 1/(1 + e^(−η)),   k = ln 10 / 400
/// </code>
/// so 400 Elo is a factor 10 in odds and h is the first-move advantage in Elo. With w first-player wins in n games of a
/// cell (f, s) the negative log-likelihood and its derivatives are
/// <code>
///   ℓ(θ) = Σ_cells −[w·ln p + (n − w)·ln(1 − p)],   ∂ℓ/∂η = n·p − w,   η = k·(r_f − r_s + h)
///   ∂ℓ/∂r_f = k·(n·p − w),   ∂ℓ/∂r_s = −k·(n·p − w),   ∂ℓ/∂h = k·(n·p − w)
///   ∇²ℓ = Σ_cells n·p·(1 − p)·k²·x·xᵀ,   x = e_f − e_s + e_h
/// </code>
/// minimised by L-BFGS (Math.NET, <see cref="LbfgsMinimizer"/>) with one rating fixed at 0 (ratings are identified only up
/// to a shift). The logit link is canonical, so the Hessian above is also the expected (Fisher) information; its inverse
/// is the asymptotic covariance, and the intervals are Wald intervals r ± z·se (Agresti 2002 §1.3). They are exact
/// only asymptotically: with few games per informative pair they undercover (the planted-ratings test measures it).
/// <para>
/// The maximum-likelihood estimate exists (is finite) only when every split of the agents into two groups has a game won
/// by each side (Ford 1957: the win graph is strongly connected). A fit that breaks it is refused with one line naming
/// the agent, unless <see cref="RatingOptions.VirtualDraws"/> adds Coulom's virtual-draw prior, which makes the fit a
/// posterior mode and its intervals Laplace intervals. Draws are refused: the model has none and Hex cannot draw.
/// </para>
/// </summary>
public static class BradleyTerry
{
    /// <summary>k = ln 10 / 400: converts Elo to the natural logit.</summary>
    public static readonly double EloToLogit = Math.Log(10) / 400;

    /// <summary>P = 1/(1 + 10^(−d/400)) for an Elo difference d (colour advantage included by the caller).</summary>
    public static double Probability(double eloDifference) => 1 / (1 + Math.Exp(-EloToLogit * eloDifference));

    /// <summary>The Elo difference with win probability <paramref name="p"/> (0 &lt; p &lt; 1): 400·log10(p/(1 − p)).</summary>
    public static double EloDifference(double p) => 400 * Math.Log10(p / (1 - p));

    /// <summary>
    /// Fits the ratings. Bad input (draws, negative counts, an agent against itself, fewer than two agents, agents in
    /// more than one connected group, an unbounded rating without a prior, an unknown anchor) is refused with a
    /// one-line <see cref="InvalidDataException"/>.
    /// </summary>
    public static RatingFit Fit(IEnumerable<ColouredResult> results, RatingOptions? options = null)
    {
        options ??= new RatingOptions();
        var data = RatingData.Build(results, options);
        int k = data.Agents.Count;
        int anchor = options.Anchor is { } named ? data.Index[named] : 0;
        var objective = new Objective(data, anchor, options.ColourAdvantage, options.VirtualDraws);
        var start = new double[objective.Dimension];
        var scale = Enumerable.Repeat(100.0, objective.Dimension).ToArray();
        var minimizer = new LbfgsMinimizer(options.GradientTolerance, 1e-14, 1e-16, maximumIterations: 5000);
        MinimizeOutcome outcome;
        try
        {
            outcome = minimizer.Minimize(objective, start, scale);
        }
        catch (Exception e) when (e is MathNet.Numerics.Optimization.OptimizationException or InvalidOperationException or ArithmeticException)
        {
            throw new InvalidDataException($"Bradley–Terry fit failed ({StopReasons.Describe(StopReasons.OfFailure(e))}) on {data.Games} games among {k} agents");
        }
        var ratings = objective.Ratings(outcome.Theta);
        var cov = objective.Covariance(outcome.Theta);
        int h = k; // covariance index of the advantage (present only with ColourAdvantage)
        if (options.Anchor is null)
        {
            int strongest = 0;
            for (int i = 1; i < k; i++)
            {
                if (ratings[i] > ratings[strongest])
                {
                    strongest = i;
                }
            }
            Reanchor(ratings, cov, strongest, k);
            anchor = strongest;
        }
        double z = Normal.InvCDF(0, 1, 0.5 + options.Level / 2);
        var agents = new AgentRating[k];
        for (int i = 0; i < k; i++)
        {
            double se = Math.Sqrt(Math.Max(cov[i][i], 0));
            agents[i] = new AgentRating(data.Agents[i], ratings[i], se, new Interval(ratings[i] - z * se, ratings[i] + z * se),
                data.GamesOf[i], data.WinsOf[i]);
        }
        AgentRating? advantage = null;
        if (options.ColourAdvantage)
        {
            double hv = outcome.Theta[^1], se = Math.Sqrt(Math.Max(cov[h][h], 0));
            advantage = new AgentRating("first move", hv, se, new Interval(hv - z * se, hv + z * se), data.Games, data.FirstWins);
        }
        var ratingCov = new double[k][];
        for (int i = 0; i < k; i++)
        {
            ratingCov[i] = cov[i][..k];
        }
        string method = options.VirtualDraws > 0
            ? $"Laplace (Wald) intervals from the curvature of the posterior with {NumberStyle.Format(options.VirtualDraws)} virtual draws per pair, ±{NumberStyle.Format(z, 4)} se"
            : $"Wald intervals from the observed Fisher information, ±{NumberStyle.Format(z, 4)} se";
        return new RatingFit(agents, data.Agents[anchor], advantage, ratingCov, -objective.Evaluate(outcome.Theta, new double[objective.Dimension]),
            data.Games, options.Level, outcome.Iterations, outcome.ExitReason, method);
    }

    /// <summary>
    /// Moves the anchor to agent m: r'_i = r_i − r_m, so Cov'(i, j) = C_ij − C_im − C_mj + C_mm and Cov'(i, h) = C_ih − C_mh.
    /// </summary>
    private static void Reanchor(double[] ratings, double[][] cov, int m, int k)
    {
        double rm = ratings[m];
        for (int i = 0; i < k; i++)
        {
            ratings[i] -= rm;
        }
        int p = cov.Length;
        var old = cov.Select(row => (double[])row.Clone()).ToArray();
        for (int i = 0; i < p; i++)
        {
            for (int j = 0; j < p; j++)
            {
                double ai = i < k ? old[m][j] : 0, aj = j < k ? old[i][m] : 0, mm = i < k && j < k ? old[m][m] : 0;
                cov[i][j] = old[i][j] - ai - aj + mm;
            }
        }
    }

    /// <summary>
    /// The negative log-likelihood over θ = (ratings of every agent but the internal anchor, then h when fitted), plus the
    /// virtual draws: for each pair that played, v games without colour of which each side won v/2.
    /// </summary>
    internal sealed class Objective : IFitObjective
    {
        private readonly RatingData _data;
        private readonly int[] _slot; // agent → coordinate of θ, −1 for the anchor
        private readonly bool _colour;
        private readonly double _virtual;

        internal Objective(RatingData data, int anchor, bool colour, double virtualDraws)
        {
            _data = data;
            _colour = colour;
            _virtual = virtualDraws;
            _slot = new int[data.Agents.Count];
            int next = 0;
            for (int i = 0; i < _slot.Length; i++)
            {
                _slot[i] = i == anchor ? -1 : next++;
            }
            Dimension = next + (colour ? 1 : 0);
        }

        public int Dimension { get; }

        public double[] Ratings(ReadOnlySpan<double> theta)
        {
            var r = new double[_slot.Length];
            for (int i = 0; i < r.Length; i++)
            {
                r[i] = _slot[i] < 0 ? 0 : theta[_slot[i]];
            }
            return r;
        }

        public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient)
        {
            gradient.Clear();
            double h = _colour ? theta[^1] : 0, value = 0;
            foreach (var c in _data.Cells)
            {
                value += Term(theta, gradient, c.First, c.Second, h, c.Games, c.FirstWins, _colour);
            }
            if (_virtual > 0)
            {
                foreach (var (a, b) in _data.Pairs)
                {
                    value += Term(theta, gradient, a, b, 0, _virtual, _virtual / 2, false);
                }
            }
            return value;
        }

        // −[w·ln σ(η) + (n − w)·ln σ(−η)] with ln σ(η) = −softplus(−η), and its gradient k·(n·p − w)·x.
        private double Term(ReadOnlySpan<double> theta, Span<double> gradient, int f, int s, double h, double n, double w, bool colour)
        {
            double rf = _slot[f] < 0 ? 0 : theta[_slot[f]], rs = _slot[s] < 0 ? 0 : theta[_slot[s]];
            double eta = EloToLogit * (rf - rs + h);
            double value = w * Softplus(-eta) + (n - w) * Softplus(eta);
            double g = EloToLogit * (n * Sigmoid(eta) - w);
            if (_slot[f] >= 0)
            {
                gradient[_slot[f]] += g;
            }
            if (_slot[s] >= 0)
            {
                gradient[_slot[s]] -= g;
            }
            if (colour)
            {
                gradient[^1] += g;
            }
            return value;
        }

        /// <summary>
        /// The inverse of ∇²ℓ (observed = expected information for the logit link), laid out over all agents (the anchor's
        /// row and column 0) and then h.
        /// </summary>
        public double[][] Covariance(ReadOnlySpan<double> theta)
        {
            int p = Dimension;
            var info = new DenseMatrix(p, p);
            double h = _colour ? theta[^1] : 0;
            foreach (var c in _data.Cells)
            {
                AddInformation(info, theta, c.First, c.Second, h, c.Games, _colour);
            }
            if (_virtual > 0)
            {
                foreach (var (a, b) in _data.Pairs)
                {
                    AddInformation(info, theta, a, b, 0, _virtual, false);
                }
            }
            var inverse = info.Inverse();
            int k = _slot.Length, full = k + (_colour ? 1 : 0);
            int Map(int i) => i < k ? _slot[i] : p - 1;
            var cov = new double[full][];
            for (int i = 0; i < full; i++)
            {
                cov[i] = new double[full];
                for (int j = 0; j < full; j++)
                {
                    int a = Map(i), b = Map(j);
                    cov[i][j] = a < 0 || b < 0 ? 0 : inverse[a, b];
                }
            }
            return cov;
        }

        private void AddInformation(DenseMatrix info, ReadOnlySpan<double> theta, int f, int s, double h, double n, bool colour)
        {
            double rf = _slot[f] < 0 ? 0 : theta[_slot[f]], rs = _slot[s] < 0 ? 0 : theta[_slot[s]];
            double p = Sigmoid(EloToLogit * (rf - rs + h));
            double wgt = n * p * (1 - p) * EloToLogit * EloToLogit;
            Span<int> idx = [_slot[f], _slot[s], colour ? Dimension - 1 : -1];
            Span<double> x = [1, -1, 1];
            for (int a = 0; a < 3; a++)
            {
                for (int b = 0; b < 3; b++)
                {
                    if (idx[a] >= 0 && idx[b] >= 0)
                    {
                        info[idx[a], idx[b]] += wgt * x[a] * x[b];
                    }
                }
            }
        }
    }

    internal static double Sigmoid(double eta) => eta >= 0 ? 1 / (1 + Math.Exp(-eta)) : Math.Exp(eta) / (1 + Math.Exp(eta));

    /// <summary>ln(1 + e^x), stable for large |x|.</summary>
    internal static double Softplus(double x) => x > 0 ? x + double.LogP1(Math.Exp(-x)) : double.LogP1(Math.Exp(x));
}
