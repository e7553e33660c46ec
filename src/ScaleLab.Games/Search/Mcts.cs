using ScaleLab.Engine;
using ScaleLab.Games.Hex;

namespace ScaleLab.Games.Search;

/// <summary>How the search picks a child: Grill et al. 2020's regularised policy (λ_N = c·√N/(N+|A|)), the variant
/// Jones (2021) ran (λ_N = c·N/(N+|A|)), or AlphaZero's PUCT (Silver et al. 2018).</summary>
public enum MctsVariant
{
    Grill,
    Jones,
    Puct,
}

/// <summary>Search settings. <see cref="Nodes"/> counts network evaluations per move, the root included (Jones's
/// "nodes"). Dirichlet noise Dir(α) is mixed into the root priors with weight <see cref="NoiseFraction"/> (0: none).</summary>
public sealed record MctsOptions(MctsVariant Variant = MctsVariant.Jones, double C = 2.0, int Nodes = 64,
    double DirichletAlpha = 0.5, double NoiseFraction = 0.25)
{
    public void Validate()
    {
        if (Nodes is < 1 or > 1_000_000) throw new ArgumentException($"search nodes must be 1 to 1000000, got {Nodes}");
        if (!(C > 0) || !double.IsFinite(C)) throw new ArgumentException($"search constant c must be positive, got {C}");
        if (!(DirichletAlpha > 0)) throw new ArgumentException($"Dirichlet alpha must be positive, got {DirichletAlpha}");
        if (NoiseFraction is < 0 or > 1) throw new ArgumentException($"root noise fraction must be 0 to 1, got {NoiseFraction}");
    }
}

/// <summary>
/// Monte-Carlo tree search over many games at once: every simulation step descends one path in each game's tree,
/// and all the new leaves are evaluated in ONE evaluator call (one GEMM per network layer), which is the speed.
/// Edge statistics are from the chooser's side: a leaf's value v (the leaf mover's) is backed up as −v to the edge
/// into it, +v to the one above, and so on; a move that ends the game is worth +1 to its chooser. An unvisited
/// edge's q is the node's own network value (first-play urgency = the parent's value).
/// Child selection: PUCT takes argmax q + c·P·√N/(1+n); the regularised variants compute π̄ (<see cref="RegularizedPolicy"/>)
/// and take argmax π̄(a) − n(a)/(1+N), the child whose visit share lags π̄ most, so visit counts track π̄
/// deterministically (Grill et al. sample from π̄ instead; tracking keeps runs reproducible with less variance).
/// The search policy (the policy target and what is played) is π̄ at the root for the regularised variants and
/// the visit distribution for PUCT.
/// </summary>
public sealed class Mcts
{
    private readonly MctsOptions _options;
    private readonly IHexEvaluator _evaluator;

    public Mcts(MctsOptions options, IHexEvaluator evaluator)
    {
        options.Validate();
        _options = options;
        _evaluator = evaluator;
    }

    public MctsOptions Options => _options;

    private sealed class Node
    {
        public required int[] Moves;
        public required double[] Prior;
        public required int[] Visits;
        public required double[] ValueSum;
        public required Node?[] Children;
        public required double Value;
        public int Total;
    }

    /// <summary>Searches every root (none may be over) and writes each one's search policy over its cells into
    /// <paramref name="policies"/> (B, n²). <paramref name="rngs"/>: one stream per game for the root noise.</summary>
    public void Search(IReadOnlyList<HexBoard> roots, IReadOnlyList<Rng> rngs, Span<float> policies, bool rootNoise)
    {
        var games = roots.Count;
        if (games == 0) return;
        var cells = roots[0].CellCount;
        var priors = new float[games * cells];
        var values = new float[games];
        _evaluator.Evaluate(roots, priors, values);
        var trees = new Node[games];
        for (var g = 0; g < games; g++)
        {
            if (roots[g].IsOver) throw new ArgumentException("cannot search a finished game");
            trees[g] = NewNode(roots[g], priors.AsSpan(g * cells, cells), values[g]);
            if (rootNoise && _options.NoiseFraction > 0) AddNoise(trees[g], rngs[g]);
        }
        var scratch = roots.Select(r => r.Clone()).ToArray();
        var paths = Enumerable.Range(0, games).Select(_ => new List<(Node Node, int Edge)>()).ToArray();
        var leafValue = new double[games];
        var pendingGames = new List<int>(games);
        var pendingBoards = new List<HexBoard>(games);
        for (var sim = 1; sim < _options.Nodes; sim++)
        {
            pendingGames.Clear();
            pendingBoards.Clear();
            for (var g = 0; g < games; g++)
            {
                var board = scratch[g];
                board.CopyFrom(roots[g]);
                var path = paths[g];
                path.Clear();
                var node = trees[g];
                while (true)
                {
                    var edge = Select(node);
                    path.Add((node, edge));
                    board.Play(node.Moves[edge]);
                    if (board.IsOver)
                    {
                        leafValue[g] = 1.0;   // the chooser of the last edge has won
                        break;
                    }
                    var child = node.Children[edge];
                    if (child is null)
                    {
                        pendingGames.Add(g);
                        pendingBoards.Add(board);
                        leafValue[g] = double.NaN;
                        break;
                    }
                    node = child;
                }
            }
            if (pendingBoards.Count > 0)
            {
                _evaluator.Evaluate(pendingBoards, priors.AsSpan(0, pendingBoards.Count * cells), values.AsSpan(0, pendingBoards.Count));
                for (var i = 0; i < pendingGames.Count; i++)
                {
                    var g = pendingGames[i];
                    var (parent, edge) = paths[g][^1];
                    parent.Children[edge] = NewNode(scratch[g], priors.AsSpan(i * cells, cells), values[i]);
                    leafValue[g] = -values[i];   // the leaf mover's value, seen by the chooser of the edge into it
                }
            }
            for (var g = 0; g < games; g++)
            {
                var u = leafValue[g];
                var path = paths[g];
                for (var k = path.Count - 1; k >= 0; k--)
                {
                    var (node, edge) = path[k];
                    node.Visits[edge]++;
                    node.ValueSum[edge] += u;
                    node.Total++;
                    u = -u;
                }
            }
        }
        for (var g = 0; g < games; g++)
        {
            var target = policies.Slice(g * cells, cells);
            target.Clear();
            var root = trees[g];
            var pi = RootPolicy(root);
            for (var a = 0; a < root.Moves.Length; a++) target[root.Moves[a]] = (float)pi[a];
        }
    }

    private static Node NewNode(HexBoard board, ReadOnlySpan<float> priors, float value)
    {
        var moves = board.LegalMoves().ToArray();
        var prior = new double[moves.Length];
        var sum = 0.0;
        for (var a = 0; a < moves.Length; a++) sum += prior[a] = priors[moves[a]];
        for (var a = 0; a < moves.Length; a++) prior[a] = sum > 0 ? prior[a] / sum : 1.0 / moves.Length;
        return new Node
        {
            Moves = moves, Prior = prior, Visits = new int[moves.Length], ValueSum = new double[moves.Length],
            Children = new Node?[moves.Length], Value = value,
        };
    }

    private void AddNoise(Node root, Rng rng)
    {
        var k = root.Moves.Length;
        var noise = Dirichlet.Sample(rng, _options.DirichletAlpha, k);
        var eps = _options.NoiseFraction;
        for (var a = 0; a < k; a++) root.Prior[a] = (1 - eps) * root.Prior[a] + eps * noise[a];
    }

    private double[] Q(Node node)
    {
        var q = new double[node.Moves.Length];
        for (var a = 0; a < q.Length; a++) q[a] = node.Visits[a] > 0 ? node.ValueSum[a] / node.Visits[a] : node.Value;
        return q;
    }

    private double Lambda(Node node) => _options.Variant == MctsVariant.Grill
        ? RegularizedPolicy.GrillLambda(_options.C, node.Total, node.Moves.Length)
        : RegularizedPolicy.JonesLambda(_options.C, node.Total, node.Moves.Length);

    private int Select(Node node)
    {
        var k = node.Moves.Length;
        var q = Q(node);
        var best = 0;
        var bestScore = double.NegativeInfinity;
        if (_options.Variant == MctsVariant.Puct)
        {
            var sqrtN = Math.Sqrt(Math.Max(1, node.Total));
            for (var a = 0; a < k; a++)
            {
                var score = q[a] + _options.C * node.Prior[a] * sqrtN / (1 + node.Visits[a]);
                if (score > bestScore) { bestScore = score; best = a; }
            }
            return best;
        }
        var pi = node.Total == 0 ? node.Prior : Regularized(node, q);
        for (var a = 0; a < k; a++)
        {
            var score = pi[a] - node.Visits[a] / (1.0 + node.Total);
            if (score > bestScore) { bestScore = score; best = a; }
        }
        return best;
    }

    private double[] Regularized(Node node, double[] q)
    {
        var pi = new double[q.Length];
        RegularizedPolicy.Compute(node.Prior, q, Lambda(node), pi);
        return pi;
    }

    private double[] RootPolicy(Node root)
    {
        var k = root.Moves.Length;
        if (_options.Variant == MctsVariant.Puct || root.Total == 0)
        {
            var pi = new double[k];
            for (var a = 0; a < k; a++) pi[a] = root.Total == 0 ? root.Prior[a] : root.Visits[a] / (double)root.Total;
            return pi;
        }
        return Regularized(root, Q(root));
    }
}

/// <summary>Dirichlet(α, …, α) draws as normalised Gamma(α) variates (Marsaglia and Tsang 2000; for α &lt; 1 the
/// boost Gamma(α) = Gamma(α+1)·U^(1/α)).</summary>
public static class Dirichlet
{
    public static double[] Sample(Rng rng, double alpha, int k)
    {
        var x = new double[k];
        var sum = 0.0;
        for (var i = 0; i < k; i++) sum += x[i] = Gamma(rng, alpha);
        for (var i = 0; i < k; i++) x[i] = sum > 0 ? x[i] / sum : 1.0 / k;
        return x;
    }

    public static double Gamma(Rng rng, double alpha)
    {
        if (alpha < 1)
        {
            var u = rng.NextDouble();
            return Gamma(rng, alpha + 1) * Math.Pow(Math.Max(u, 1e-300), 1 / alpha);
        }
        var d = alpha - 1.0 / 3;
        var c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double z, v;
            do
            {
                z = rng.NextGaussian();
                v = 1 + c * z;
            } while (v <= 0);
            v = v * v * v;
            var u = rng.NextDouble();
            if (Math.Log(Math.Max(u, 1e-300)) < 0.5 * z * z + d - d * v + d * Math.Log(v)) return d * v;
        }
    }
}
