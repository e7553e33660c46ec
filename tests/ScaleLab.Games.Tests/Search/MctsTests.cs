using ScaleLab.Engine;
using ScaleLab.Games.Hex;
using ScaleLab.Games.Search;

namespace ScaleLab.Games.Tests.Search;

public class MctsTests
{
    [Theory]
    [InlineData(0.3, 0.7, 0.2, -0.4, 0.5)]
    [InlineData(0.5, 0.5, 0.0, 0.0, 1.0)]
    [InlineData(0.9, 0.1, -0.5, 0.6, 0.05)]
    public void Compute_TwoActions_MatchesClosedForm(double p1, double p2, double q1, double q2, double lambda)
    {
        // Given two actions: λp₁/(α−q₁) + λp₂/(α−q₂) = 1 ⇔ α² − (q₁+q₂+λ)α + q₁q₂ + λ(p₁q₂ + p₂q₁) = 0 (p₁+p₂ = 1),
        // whose larger root is α (it must exceed both q + λp)
        var b = q1 + q2 + lambda;
        var c = q1 * q2 + lambda * (p1 * q2 + p2 * q1);
        var alpha = (b + Math.Sqrt(b * b - 4 * c)) / 2;
        // When
        var pi = new double[2];
        var got = RegularizedPolicy.Compute([p1, p2], [q1, q2], lambda, pi);
        // Then
        Assert.Equal(alpha, got, 9);
        Assert.Equal(lambda * p1 / (alpha - q1), pi[0], 9);
        Assert.Equal(lambda * p2 / (alpha - q2), pi[1], 9);
    }

    [Fact]
    public void Compute_RandomInputs_SumsToOneAndFavoursHigherQ()
    {
        var rng = new Random(5);
        for (var trial = 0; trial < 500; trial++)
        {
            // Given random priors, values and λ
            var k = rng.Next(1, 40);
            var prior = Enumerable.Range(0, k).Select(_ => rng.NextDouble() + 1e-3).ToArray();
            var s = prior.Sum();
            for (var i = 0; i < k; i++) prior[i] /= s;
            var q = Enumerable.Range(0, k).Select(_ => 2 * rng.NextDouble() - 1).ToArray();
            var lambda = Math.Pow(10, -3 + 4 * rng.NextDouble());
            var pi = new double[k];
            // When
            RegularizedPolicy.Compute(prior, q, lambda, pi);
            // Then π̄ is a distribution, and π̄/π_θ rises with q (it is λ/(α − q))
            Assert.Equal(1.0, pi.Sum(), 9);
            Assert.All(pi, v => Assert.True(v >= 0));
            for (var a = 0; a < k; a++)
            for (var b2 = 0; b2 < k; b2++)
                if (q[a] > q[b2]) Assert.True(pi[a] / prior[a] >= pi[b2] / prior[b2] - 1e-9);
        }
    }

    [Fact]
    public void Lambdas_FollowTheirFormulas()
    {
        Assert.Equal(2.0 * Math.Sqrt(16) / (16 + 9), RegularizedPolicy.GrillLambda(2.0, 16, 9), 12);
        Assert.Equal(2.0 * 16 / (16 + 9.0), RegularizedPolicy.JonesLambda(2.0, 16, 9), 12);
    }

    private static List<HexBoard> WinningPositions(int n, int count, int seed, HexSolver solver)
    {
        var rng = new Random(seed);
        var list = new List<HexBoard>();
        while (list.Count < count)
        {
            var board = new HexBoard(n);
            var plies = rng.Next(0, n * n / 2);
            for (var i = 0; i < plies && !board.IsOver; i++)
            {
                var m = board.LegalMoves();
                board.Play(m[rng.Next(m.Count)]);
            }
            // Positions where the mover wins but not every move wins (so a wrong pick is possible)
            if (!board.IsOver && solver.MoverWins(board) && solver.WinningMoves(board).Count < board.LegalMoves().Count) list.Add(board);
        }
        return list;
    }

    [Theory]
    [InlineData(MctsVariant.Grill)]
    [InlineData(MctsVariant.Jones)]
    [InlineData(MctsVariant.Puct)]
    public void Search_PerfectValueOracle_PicksASolverWinningMove(MctsVariant variant)
    {
        // Given the solver as a value oracle and 4x4 positions the mover wins (batched: all searched at once)
        var solver = new HexSolver(4);
        var positions = WinningPositions(4, 40, 17, solver);
        var mcts = new Mcts(new MctsOptions(variant, C: 2.0, Nodes: 64), new SolverEvaluator(new HexSolver(4)));
        var policies = new float[positions.Count * 16];
        // When searched
        mcts.Search(positions, positions.Select((_, i) => new Rng((ulong)i)).ToList(), policies, rootNoise: false);
        // Then each policy's most probable move is one of the solver's winning moves, and sums to 1
        for (var g = 0; g < positions.Count; g++)
        {
            var pi = policies.AsSpan(g * 16, 16).ToArray();
            Assert.Equal(1.0, pi.Sum(), 4);
            var best = Array.IndexOf(pi, pi.Max());
            Assert.Contains(best, solver.WinningMoves(positions[g]));
        }
    }

    [Fact]
    public void Search_UniformRandomValues_DoesNotAlwaysPickWinningMoves()
    {
        // Given a negative control: an evaluator with random values (no knowledge)
        var solver = new HexSolver(4);
        var positions = WinningPositions(4, 40, 17, solver);
        var mcts = new Mcts(new MctsOptions(MctsVariant.Jones, Nodes: 8), new NoiseEvaluator());
        var policies = new float[positions.Count * 16];
        // When
        mcts.Search(positions, positions.Select((_, i) => new Rng((ulong)i)).ToList(), policies, rootNoise: false);
        // Then some picks lose (the oracle test above is not trivially satisfied)
        var wrong = Enumerable.Range(0, positions.Count).Count(g =>
        {
            var pi = policies.AsSpan(g * 16, 16).ToArray();
            return !solver.WinningMoves(positions[g]).Contains(Array.IndexOf(pi, pi.Max()));
        });
        Assert.True(wrong >= 5, $"only {wrong} of {positions.Count} picks lose");
    }

    private sealed class NoiseEvaluator : IHexEvaluator
    {
        private readonly Random _rng = new(3);

        public long Evaluations { get; private set; }

        public void Evaluate(IReadOnlyList<HexBoard> boards, Span<float> priors, Span<float> values)
        {
            for (var b = 0; b < boards.Count; b++)
            {
                var cells = boards[b].CellCount;
                var legal = boards[b].LegalMoves();
                priors.Slice(b * cells, cells).Clear();
                foreach (var m in legal) priors[b * cells + m] = 1f / legal.Count;
                values[b] = (float)(2 * _rng.NextDouble() - 1);
            }
            Evaluations += boards.Count;
        }
    }

    [Fact]
    public void Dirichlet_Sample_HasTheRightMean()
    {
        // Given Dir(0.3) over 4 actions: each component has mean 1/4 and variance (1/4)(3/4)/(1.2+1)
        var rng = new Rng(9);
        var draws = Enumerable.Range(0, 20000).Select(_ => Dirichlet.Sample(rng, 0.3, 4)).ToList();
        var mean = draws.Average(d => d[0]);
        var variance = draws.Average(d => (d[0] - mean) * (d[0] - mean));
        Assert.Equal(0.25, mean, 2);
        Assert.Equal(0.25 * 0.75 / 2.2, variance, 2);
    }
}
