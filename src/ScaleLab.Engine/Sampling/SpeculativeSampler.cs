namespace ScaleLab.Engine.Sampling;

/// <summary>
/// Speculative sampling (Leviathan, Kalman and Matias 2023, Algorithm 1; Chen et al. 2023, Algorithm 2): the draft q
/// proposes γ tokens one at a time; the target p scores all γ+1 positions in one <see cref="INextTokenModel.Feed"/>;
/// draft token x_i is kept with probability min(1, p_i(x_i)/q_i(x_i)); at the first rejection the token is drawn from
/// the residual norm(max(0, p_i − q_i)) and both caches are rolled back past it; if all γ are kept a bonus token is
/// drawn from p_{γ+1}. Every emitted token is then distributed exactly as under the target alone (Leviathan et al.,
/// Theorem 3.5: with β = Σ min(p, q), P(x) = min(p(x), q(x)) + (1 − β)·(p(x) − q(x))⁺/(1 − β) = p(x)). The distributions are
/// whatever the two models give, so temperature and top-k applied to both alike (<see cref="GptNextTokenModel"/>)
/// preserve the target's tempered, truncated distribution; at τ = 0 both are one-hot and the output is the target's
/// greedy output.
/// </summary>
/// <remarks>
/// Invariant between rounds: the target has been fed the history from the window start s up to, not including, its
/// last token (which opens the next verify block); the draft has been fed the same less the tokens in <c>_pending</c>
/// (its last one to three: after a round with every draft kept, the last draft token was never fed to it). A round
/// costs γ draft passes and one target pass of γ+1 tokens. The windows are <see cref="TextGenerator"/>'s: token h is
/// predicted from tokens s..h−1 with h − s ≤ T; after the prediction at h = s + T, s moves to h + 1 − max(1, T/2). A
/// round never straddles a move (it drafts fewer than γ tokens before one, none at the very edge), so every token is
/// predicted from exactly the context the target alone would use: outputs of any length are distributed as
/// <see cref="TextGenerator"/>'s, and greedy outputs are identical.
/// </remarks>
public sealed class SpeculativeSampler
{
    private readonly INextTokenModel _target;
    private readonly INextTokenModel _draft;
    private readonly SpeculativeVariant _variant;
    private readonly double[] _q;        // (γ, V) draft distributions of the proposed tokens
    private readonly double[] _p;        // (γ+1, V) target distributions of the γ+1 verified positions
    private readonly double[] _residual; // (V)
    private readonly double[] _pendingRows; // (3, V) draft distributions after the pending tokens
    private readonly int[] _proposal;    // (γ+1) the last history token, then the γ draft tokens
    private readonly List<int> _history = [];
    private readonly List<int> _pending = [];
    private int _windowStart;            // s: history index of the first token in both caches

    public SpeculativeSampler(INextTokenModel target, INextTokenModel draft, int gamma)
        : this(target, draft, gamma, SpeculativeVariant.Exact)
    {
    }

    /// <summary>With a deliberately wrong <paramref name="variant"/>: the negative controls of the exactness tests.</summary>
    internal SpeculativeSampler(INextTokenModel target, INextTokenModel draft, int gamma, SpeculativeVariant variant)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(draft);
        if (target.Vocab != draft.Vocab)
        {
            throw new ArgumentException($"the target's vocabulary has {target.Vocab} tokens and the draft's {draft.Vocab}; speculative sampling needs one vocabulary");
        }
        if (target.Context != draft.Context)
        {
            throw new ArgumentException($"the target's context is {target.Context} positions and the draft's {draft.Context}; speculative sampling needs the same context");
        }
        if (gamma < 1 || gamma >= target.Context)
        {
            throw new ArgumentException($"gamma (draft tokens per round) must be in 1..{target.Context - 1} (below the context), got {gamma}");
        }
        _target = target;
        _draft = draft;
        Gamma = gamma;
        _variant = variant;
        var v = target.Vocab;
        _q = new double[gamma * v];
        _p = new double[(gamma + 1) * v];
        _residual = new double[v];
        _pendingRows = new double[3 * v];
        _proposal = new int[gamma + 1];
    }

    /// <summary>γ, draft tokens proposed per round.</summary>
    public int Gamma { get; }

    /// <summary>Counts since construction (or <see cref="ResetStatistics"/>).</summary>
    public SpeculativeStatistics Statistics { get; private set; } = new();

    public void ResetStatistics() => Statistics = new();

    /// <summary>Resets both models and feeds <paramref name="prompt"/> (at least one token; only its last T tokens if
    /// it is longer than the context T, as <see cref="TextGenerator"/> does).</summary>
    public void Start(ReadOnlySpan<int> prompt)
    {
        if (prompt.IsEmpty) throw new ArgumentException("the prompt needs at least one token");
        _history.Clear();
        _history.AddRange(prompt);
        Refeed(Math.Max(0, prompt.Length - _target.Context));
    }

    /// <summary>Starts from <paramref name="prompt"/> and returns the next <paramref name="count"/> tokens (the last
    /// round's surplus is drawn, counted in <see cref="Statistics"/>, and dropped).</summary>
    public int[] Generate(ReadOnlySpan<int> prompt, int count, Rng rng)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Start(prompt);
        var output = new List<int>(count + Gamma + 1);
        while (output.Count < count) Round(output, rng);
        return output.GetRange(0, count).ToArray();
    }

    /// <summary>One draft-and-verify round: appends 1..γ+1 tokens to <paramref name="output"/> (and to the history)
    /// and returns how many.</summary>
    public int Round(List<int> output, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(rng);
        if (_history.Count == 0) throw new InvalidOperationException("call Start with a prompt first");
        int v = _target.Vocab, context = _target.Context, h0 = _history.Count;
        if (h0 - _windowStart > context) Refeed(h0 - Math.Max(1, context / 2));
        // Draft at most up to the window's edge: the last verified position h0 + γ must satisfy h0 + γ − s ≤ T.
        var gamma = Math.Min(Gamma, _windowStart + context - h0);
        var t0 = _target.Position;

        // Draft: q_i = q(· | history, x_0..x_{i−1}), x_i ~ q_i, one pass each (the first also feeds the pending tokens).
        _proposal[0] = _history[^1];
        Span<int> one = stackalloc int[1];
        for (var i = 0; i < gamma; i++)
        {
            var qi = _q.AsSpan(i * v, v);
            if (i == 0)
            {
                var fed = _pending.Count;
                _draft.Feed(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pending), _pendingRows.AsSpan(0, fed * v));
                _pendingRows.AsSpan((fed - 1) * v, v).CopyTo(qi);
                _pending.Clear();
            }
            else
            {
                one[0] = _proposal[i];
                _draft.Feed(one, qi);
            }
            _proposal[i + 1] = TokenSampler.SampleFrom(qi, rng);
        }

        // Target: p_i for i = 0..γ in one pass over [last, x_0..x_{γ−1}].
        _target.Feed(_proposal.AsSpan(0, gamma + 1), _p.AsSpan(0, (gamma + 1) * v));
        var stats = Statistics;
        stats.Rounds++;
        stats.DraftPasses += gamma;
        var emitted = 0;
        var kept = 0;
        for (var i = 0; i < gamma; i++)
        {
            var pi = _p.AsSpan(i * v, v);
            var qi = _q.AsSpan(i * v, v);
            var x = _proposal[i + 1];
            stats.Trials++;
            stats.ExpectedAcceptance += OverlapMass(pi, qi);
            // Accept with probability min(1, p/q): u·q < p for u uniform on [0, 1) (q(x) > 0 since x ~ q).
            if (_variant == SpeculativeVariant.AlwaysAccept || rng.NextDouble() * qi[x] < pi[x])
            {
                stats.Accepted++;
                kept++;
                Emit(x, output);
                emitted++;
                continue;
            }
            Emit(TokenSampler.SampleFrom(Residual(pi, qi), rng), output);
            emitted++;
            break;
        }
        if (kept == gamma)
        {
            Emit(TokenSampler.SampleFrom(_p.AsSpan(gamma * v, v), rng), output);
            emitted++;
        }
        stats.Emitted += emitted;

        // Roll back to the invariant: the target keeps the history less its new last token; so does the draft,
        // except after a full accept, when it has not yet seen x_{γ−1}, which joins the pending tokens (with γ = 0, at
        // a window's edge, the draft ran no pass and its pending tokens stay).
        _target.Rollback(t0 + 1 + kept);
        if (kept < gamma)
        {
            _draft.Rollback(t0 + 1 + kept);
        }
        else if (gamma > 0)
        {
            _pending.Add(_proposal[gamma]);
        }
        _pending.Add(_history[^1]);
        return emitted;
    }

    private void Emit(int token, List<int> output)
    {
        output.Add(token);
        _history.Add(token);
    }

    /// <summary>norm(max(0, p − q)) up to its normalisation (<see cref="TokenSampler.SampleFrom"/> normalises). When
    /// rounding leaves no positive mass (p = q, where a rejection has probability 0) it falls back to p. The
    /// "resample from p" control returns p always.</summary>
    private ReadOnlySpan<double> Residual(ReadOnlySpan<double> p, ReadOnlySpan<double> q)
    {
        if (_variant == SpeculativeVariant.ResampleFromTarget) return p;
        var any = false;
        for (var j = 0; j < p.Length; j++)
        {
            _residual[j] = Math.Max(0, p[j] - q[j]);
            any |= _residual[j] > 0;
        }
        return any ? _residual : p;
    }

    /// <summary>β = Σ_x min(p(x), q(x)), the probability that a draft token from q is accepted (Leviathan et al., Def. 3.1).</summary>
    public static double OverlapMass(ReadOnlySpan<double> p, ReadOnlySpan<double> q)
    {
        var beta = 0.0;
        for (var j = 0; j < p.Length; j++) beta += Math.Min(p[j], q[j]);
        return beta;
    }

    /// <summary>Moves the window start to <paramref name="start"/>: resets both models and feeds them the history from
    /// there less its last token, which is pending.</summary>
    private void Refeed(int start)
    {
        _windowStart = start;
        var window = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_history)[start..];
        _target.Reset();
        _draft.Reset();
        _target.Feed(window[..^1], []);
        _draft.Feed(window[..^1], []);
        _pending.Clear();
        _pending.Add(window[^1]);
    }
}

/// <summary>Counts of a <see cref="SpeculativeSampler"/>: α̂ = Accepted/Trials is the maximum-likelihood acceptance
/// rate (each round is a run of Bernoulli(α) trials stopped at the first failure, so the likelihood is
/// α^accepted·(1−α)^rejected); its standard error is √(α̂(1−α̂)/Trials). Tokens per target pass = Emitted/Rounds,
/// with expectation (1 − α^(γ+1))/(1 − α) when every position has the same α (Leviathan et al., eq. 1).</summary>
public sealed class SpeculativeStatistics
{
    /// <summary>Rounds, i.e. target passes.</summary>
    public long Rounds { get; internal set; }

    /// <summary>Draft tokens put to the accept test (the round's drafts up to the first rejection).</summary>
    public long Trials { get; internal set; }

    public long Accepted { get; internal set; }

    /// <summary>Tokens emitted, including the surplus of a last round past the requested count.</summary>
    public long Emitted { get; internal set; }

    /// <summary>Σ over trials of β = Σ_x min(p, q), the exact acceptance probability of each trial.</summary>
    public double ExpectedAcceptance { get; internal set; }

    /// <summary>Draft passes: γ per round, fewer in a round cut short at a window's edge.</summary>
    public long DraftPasses { get; internal set; }

    public double AcceptanceRate => Trials == 0 ? double.NaN : (double)Accepted / Trials;

    public double AcceptanceStandardError => Trials == 0 ? double.NaN : Math.Sqrt(AcceptanceRate * (1 - AcceptanceRate) / Trials);

    /// <summary>Mean β over the trials: what <see cref="AcceptanceRate"/> estimates.</summary>
    public double MeanOverlap => Trials == 0 ? double.NaN : ExpectedAcceptance / Trials;

    public double TokensPerTargetPass => Rounds == 0 ? double.NaN : (double)Emitted / Rounds;

    /// <summary>Expected tokens per target pass at a constant acceptance α: (1 − α^(γ+1))/(1 − α) (γ+1 at α = 1).</summary>
    public static double ExpectedTokensPerPass(double alpha, int gamma) =>
        alpha >= 1 ? gamma + 1 : (1 - Math.Pow(alpha, gamma + 1)) / (1 - alpha);

    /// <summary>Expected wall-clock speedup over the target alone (Leviathan et al., Theorem 3.8):
    /// (1 − α^(γ+1)) / ((1 − α)(γc + 1)), c = cost of a draft pass / cost of a target pass.</summary>
    public static double TheoreticalSpeedup(double alpha, int gamma, double costRatio) =>
        ExpectedTokensPerPass(alpha, gamma) / (gamma * costRatio + 1);

    /// <summary>Expected speedup with the target's verify pass over γ+1 tokens costed as <paramref name="verifyCost"/>
    /// plain target steps: (1 − α^(γ+1)) / ((1 − α)(γc + v)). Leviathan et al.'s Theorem 3.8 is v = 1 (a step bound by
    /// reading the weights); on a CPU a block of γ+1 tokens does γ+1 times the arithmetic and v grows with γ.</summary>
    public static double TheoreticalSpeedup(double alpha, int gamma, double costRatio, double verifyCost) =>
        ExpectedTokensPerPass(alpha, gamma) / (gamma * costRatio + verifyCost);

    /// <summary>The γ in 1..<paramref name="maxGamma"/> that maximises <see cref="TheoreticalSpeedup(double, int, double)"/> (the smallest on ties).</summary>
    public static int OptimalGamma(double alpha, double costRatio, int maxGamma) => OptimalGamma(alpha, costRatio, maxGamma, _ => 1);

    /// <summary>The γ in 1..<paramref name="maxGamma"/> that maximises (1 − α^(γ+1)) / ((1 − α)(γc + v(γ))), v(γ) =
    /// <paramref name="verifyCost"/> (the smallest on ties). With v ≡ 1 this is the (Leviathan et al.'s) rule.</summary>
    public static int OptimalGamma(double alpha, double costRatio, int maxGamma, Func<int, double> verifyCost)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxGamma, 1);
        ArgumentNullException.ThrowIfNull(verifyCost);
        var best = 1;
        var bestSpeedup = TheoreticalSpeedup(alpha, 1, costRatio, verifyCost(1));
        for (var g = 2; g <= maxGamma; g++)
        {
            var speedup = TheoreticalSpeedup(alpha, g, costRatio, verifyCost(g));
            if (speedup > bestSpeedup)
            {
                best = g;
                bestSpeedup = speedup;
            }
        }
        return best;
    }
}

/// <summary>The exact sampler and two deliberately wrong ones that the exactness tests must reject.</summary>
internal enum SpeculativeVariant
{
    Exact,

    /// <summary>Keeps every draft token: emits q's distribution, not p's.</summary>
    AlwaysAccept,

    /// <summary>After a rejection draws from p instead of the residual: over-weights tokens where q > p.</summary>
    ResampleFromTarget,
}
