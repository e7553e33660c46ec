namespace ScaleLab.Engine.Data;

/// <summary>
/// A random sparse variable-order Markov source (a context tree, as in Rissanen's tree sources and CTW)
/// whose entropy rate is computed exactly, so the irreducible loss of a model trained on it is known.
///
/// Generator (all draws from one <see cref="Rng"/> seeded by <see cref="MarkovSourceOptions.Seed"/>):
/// the root context (length 0) gets p_root ~ Dirichlet(α·1). A context c of length d &lt; K is refined
/// with probability split[d] into A contexts a·c (c preceded by symbol a), each with
/// p_child ~ Dirichlet(c_child·(λ·p_c + (1−λ)/A)): a hierarchical Dirichlet, so a longer context partly
/// inherits its parent's preferences and partly adds new ones. Contexts not refined are leaves; every
/// distribution is smoothed, p = (1−η)p' + η/A. The defaults (A = 16, K = 4, split = 1, .75, .5, .3,
/// α = 1, c = 4, λ = .5, η = .01, seed 1) give 8071 leaves and the ladder H_0..H_4 = 2.596, 2.050, 1.734,
/// 1.588, 1.541 nats (ln 16 = 2.773), so a small model learns the bigram statistics quickly and each larger
/// model or longer run buys a little more of the deeper, rarer contexts. Measured (1M tokens, T = 64,
/// B = 16, lr 3e-3): validation 2.058, 1.964, 1.804 nats for N = 3.3k, 25k, 100k non-embedding
/// parameters, still falling; an order-3 variant with a weak first order learned in jumps instead. The next symbol after history h is drawn from the leaf
/// that is the longest suffix of h in the tree.
///
/// Entropy rate: the source is a Markov chain over full states s = (x_{t−K+1}, …, x_t), A^K of them,
/// with transition s → (s minus its oldest symbol, x) of probability P(x | leaf(s)). With smoothing the
/// chain is irreducible and aperiodic, so it has one stationary distribution π (π = πP, found by power
/// iteration), and the entropy rate is (Cover &amp; Thomas, Elements of Information Theory, 2nd ed.,
/// Thm 4.2.4)
///     H = −Σ_s π(s) Σ_x P(x|s) ln P(x|s)    [nats per symbol].
/// The order-k conditional entropies H_k = H(X_t | X_{t−k..t−1}) under π are computed the same way from
/// π marginalized onto the last k symbols; H_0 ≥ H_1 ≥ … ≥ H_K = H. A model that sees t + 1 symbols of
/// context when predicting the next one cannot beat H_{min(t+1,K)}, which gives the window loss floor.
///
/// State encoding: s = Σ_j x_{t−j}·A^j (the most recent symbol is the lowest base-A digit), so the
/// context of length d is s mod A^d and the next state is (s·A + x) mod A^K.
/// </summary>
public sealed partial class MarkovSource
{
    public const int MaxAlphabetSize = 62;
    public const int MaxStates = 1 << 22;

    /// <summary>Symbol i is emitted as byte Alphabet[i], so samples print as readable text.</summary>
    public const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    private readonly int _a;
    private readonly int _k;
    private readonly int _states;
    private readonly int[] _leafOf;        // (A^K) full state -> leaf index
    private readonly List<double[]> _leaves = []; // leaf index -> P(x | leaf), (A)
    private readonly double[][] _cdf;      // leaf index -> cumulative P, (A), last entry forced to 1
    private readonly double[] _stationaryCdf;
    private readonly double[] _conditional; // H_0..H_K
    private readonly double[][] _orderTables; // order k < K: (A^k, A) P(x | last k symbols) under π

    public MarkovSource(MarkovSourceOptions options)
    {
        options.Validate();
        Options = options;
        _a = options.AlphabetSize;
        _k = options.MaxOrder;
        _states = checked((int)Math.Pow(_a, _k));
        _leafOf = new int[_states];

        var rng = new Rng(options.Seed);
        var uniform = Enumerable.Repeat(1.0 / _a, _a).ToArray();
        Build(0, 0, uniform, options.RootConcentration * _a, rng);
        _cdf = _leaves.Select(Cumulative).ToArray();

        Stationary = StationaryDistribution(out var iterations);
        PowerIterations = iterations;
        _stationaryCdf = Cumulative(Stationary);
        EntropyRate = ComputeEntropyRate(Stationary);
        _orderTables = new double[_k][];
        _conditional = new double[_k + 1];
        for (var order = 0; order <= _k; order++)
        {
            _conditional[order] = ConditionalEntropyOfOrder(order, out var table);
            if (order < _k)
            {
                _orderTables[order] = table;
            }
        }
    }

    public MarkovSourceOptions Options { get; }
    public int AlphabetSize => _a;
    public int MaxOrder => _k;
    public int StateCount => _states;
    public int LeafCount => _leaves.Count;
    public int PowerIterations { get; }

    /// <summary>π over the A^K full states.</summary>
    public double[] Stationary { get; }

    /// <summary>Exact entropy rate H in nats per symbol (Cover &amp; Thomas Thm 4.2.4).</summary>
    public double EntropyRate { get; }

    /// <summary>H_k = H(next | last k symbols) under π, nats; H_k = H for k ≥ K.</summary>
    public double ConditionalEntropy(int order) => _conditional[Math.Clamp(order, 0, _k)];

    /// <summary>
    /// Lowest achievable mean loss over a window of T predictions that start with no history: the target at
    /// position t (0-based) follows t + 1 visible symbols, so floor = (1/T)·Σ_{t=0}^{T−1} H_{min(t+1, K)}.
    /// </summary>
    public double WindowLossFloor(int seqLen)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(seqLen);
        var sum = 0.0;
        for (var t = 0; t < seqLen; t++)
        {
            sum += ConditionalEntropy(t + 1);
        }
        return sum / seqLen;
    }

    /// <summary>Next-symbol distribution P(· | s) for full state s, (A).</summary>
    public ReadOnlySpan<double> NextDistribution(int state) => _leaves[_leafOf[state]];

    /// <summary>Byte token of symbol i.</summary>
    public static int Token(int symbol) => Alphabet[symbol];

    /// <summary>Symbol of a byte token, or −1 for a byte outside the alphabet.</summary>
    public int Symbol(int token)
    {
        var i = Alphabet.IndexOf((char)token, StringComparison.Ordinal);
        return i < _a ? i : -1;
    }

    /// <summary>
    /// Writes a stationary stretch of the source as byte tokens: the first K symbols are a full state
    /// drawn from π (oldest first), the rest follow the chain. Any window of it is distributed as the
    /// stationary process.
    /// </summary>
    public void Generate(Rng rng, Span<int> tokens)
    {
        var s = SampleIndex(_stationaryCdf, rng.NextDouble());
        var prefix = Math.Min(_k, tokens.Length);
        for (var i = 0; i < prefix; i++)
        {
            // Position i holds the symbol K−1−i steps back from the newest symbol of s.
            tokens[i] = Token(s / (int)Math.Pow(_a, _k - 1 - i) % _a);
        }
        for (var i = _k; i < tokens.Length; i++)
        {
            var x = SampleIndex(_cdf[_leafOf[s]], rng.NextDouble());
            tokens[i] = Token(x);
            s = (int)(((long)s * _a + x) % _states);
        }
    }

    /// <summary>
    /// Mean log-loss −ln P(x_t | x_{t−K..t−1}) of the true source over tokens K.. of a sequence from
    /// <see cref="Generate"/> (nats per symbol); per-symbol terms written to <paramref name="perSymbol"/> if given.
    /// </summary>
    public double LogLoss(ReadOnlySpan<int> tokens, Span<double> perSymbol = default)
    {
        if (tokens.Length <= _k)
        {
            throw new ArgumentException($"need more than K = {_k} tokens");
        }
        var s = 0;
        for (var i = 0; i < _k; i++)
        {
            s = s * _a + SymbolOrThrow(tokens[i]);
        }
        var total = 0.0;
        for (var i = _k; i < tokens.Length; i++)
        {
            var x = SymbolOrThrow(tokens[i]);
            var loss = -Math.Log(_leaves[_leafOf[s]][x]);
            total += loss;
            if (!perSymbol.IsEmpty)
            {
                perSymbol[i - _k] = loss;
            }
            s = (int)(((long)s * _a + x) % _states);
        }
        return total / (tokens.Length - _k);
    }

    /// <summary>
    /// Σ_s w(s)·H(P(·|s)) for any weights w over full states. With w = π this is the entropy rate; the
    /// tests also call it with uniform weights as a negative control.
    /// </summary>
    public double WeightedEntropy(ReadOnlySpan<double> weights)
    {
        var h = 0.0;
        for (var s = 0; s < _states; s++)
        {
            h += weights[s] * Entropy(_leaves[_leafOf[s]]);
        }
        return h;
    }

    private double ComputeEntropyRate(double[] pi) => WeightedEntropy(pi);

    private int SymbolOrThrow(int token)
    {
        var x = Symbol(token);
        return x >= 0 ? x : throw new ArgumentException($"token {token} is not in the source alphabet");
    }

    private void Build(int depth, int context, double[] parent, double concentration, Rng rng)
    {
        var lambda = depth == 0 ? 0 : Options.Inheritance;
        var mean = parent.Select(p => lambda * p + (1 - lambda) / _a).ToArray();
        var probs = Dirichlet(mean, concentration, rng);
        var eta = Options.Smoothing;
        for (var x = 0; x < _a; x++)
        {
            probs[x] = (1 - eta) * probs[x] + eta / _a;
        }
        var split = depth < _k && rng.NextDouble() < Options.SplitProbabilities[depth];
        if (split)
        {
            var stride = (int)Math.Pow(_a, depth);
            for (var a = 0; a < _a; a++)
            {
                Build(depth + 1, context + a * stride, probs, Options.ChildConcentration, rng);
            }
            return;
        }
        var leaf = _leaves.Count;
        _leaves.Add(probs);
        // Every full state whose last `depth` symbols equal this context uses this leaf.
        var period = (int)Math.Pow(_a, depth);
        for (var s = context; s < _states; s += period)
        {
            _leafOf[s] = leaf;
        }
    }

    private double[] StationaryDistribution(out int iterations)
    {
        // Power iteration π ← πP from uniform; converges geometrically since the chain is primitive.
        // P is flattened to (leaves, A) so the inner loop reads one contiguous row.
        var flat = new double[_leaves.Count * _a];
        for (var l = 0; l < _leaves.Count; l++)
        {
            _leaves[l].CopyTo(flat, l * _a);
        }
        var pi = Enumerable.Repeat(1.0 / _states, _states).ToArray();
        var next = new double[_states];
        for (iterations = 1; iterations <= 100_000; iterations++)
        {
            Array.Clear(next);
            for (var s = 0; s < _states; s++)
            {
                var row = flat.AsSpan(_leafOf[s] * _a, _a);
                var dest = next.AsSpan((int)((long)s * _a % _states), _a);
                var weight = pi[s];
                for (var x = 0; x < row.Length; x++)
                {
                    dest[x] += weight * row[x];
                }
            }
            var change = 0.0;
            var sum = 0.0;
            for (var s = 0; s < _states; s++)
            {
                change += Math.Abs(next[s] - pi[s]);
                sum += next[s];
            }
            for (var s = 0; s < _states; s++)
            {
                pi[s] = next[s] / sum;
            }
            if (change < 1e-13)
            {
                return pi;
            }
        }
        throw new InvalidOperationException("stationary distribution did not converge; increase smoothing");
    }
}
