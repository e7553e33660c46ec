using ScaleLab.Engine;
using ScaleLab.Games.Agent;
using ScaleLab.Games.Hex;
using ScaleLab.Games.Search;
using ScaleLab.Games.Training;

namespace ScaleLab.Games.Play;

/// <summary>A player of batched matches: one call chooses a move in each of several games.</summary>
public interface IHexPlayer
{
    string Name { get; }

    /// <summary>One move per board (none over); <paramref name="rngs"/> holds one stream per game.</summary>
    void ChooseMoves(IReadOnlyList<HexBoard> boards, IReadOnlyList<Rng> rngs, Span<int> moves);
}

/// <summary>
/// A trained agent with test-time search: the network inside <see cref="Mcts"/> (no root noise). It plays the
/// search policy's most probable move, except in the game's first <see cref="OpeningPlies"/> plies (default none),
/// where it draws its move from that policy. With the default the agent is deterministic: two agents play only two
/// distinct games (one per colour), so matches between agents need two games, and the games' variety comes from
/// the stochastic reference players (perfect, random).
/// </summary>
public sealed class MctsPlayer(string name, HexNet net, MctsOptions search, int openingPlies = 0) : IHexPlayer
{
    public string Name { get; } = name;

    public int OpeningPlies { get; } = openingPlies;

    public NetEvaluator Evaluator { get; } = new(net);

    public static MctsPlayer FromAgent(string name, AgentFile agent, int nodes, MctsVariant variant = MctsVariant.Jones, double c = 2.0) =>
        new(name, agent.Network(), new MctsOptions(variant, c, nodes, NoiseFraction: 0));

    public void ChooseMoves(IReadOnlyList<HexBoard> boards, IReadOnlyList<Rng> rngs, Span<int> moves)
    {
        if (boards.Count == 0) return;
        var cells = boards[0].CellCount;
        var policies = new float[boards.Count * cells];
        new Mcts(search, Evaluator).Search(boards, rngs, policies, rootNoise: false);
        for (var i = 0; i < boards.Count; i++)
        {
            var pi = policies.AsSpan(i * cells, cells);
            moves[i] = boards[i].MoveCount < OpeningPlies ? SelfPlayTrainer.SampleMove(pi, rngs[i]) : ArgMax(pi);
        }
    }

    private static int ArgMax(ReadOnlySpan<float> x)
    {
        var best = 0;
        for (var i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}

/// <summary>
/// Perfect play from the exact solver: in a won position one winning move (<see cref="HexSolver.WinningMove"/>: the
/// first proven win, most forcing first — deterministic; any winning move wins against every defence, so the outcome
/// is the same as drawing among all of them), else a uniformly random legal move (every move loses against perfect
/// defence). It anchors Elo at 0. Give every match of a board the same player (or solver): its transposition table then
/// carries over from position to position. A position beyond the solver's budget throws <see cref="SolverLimitException"/>.
/// </summary>
public sealed class PerfectPlayer(HexSolver solver) : IHexPlayer
{
    public string Name => "perfect";

    public HexSolver Solver { get; } = solver;

    public void ChooseMoves(IReadOnlyList<HexBoard> boards, IReadOnlyList<Rng> rngs, Span<int> moves)
    {
        for (var i = 0; i < boards.Count; i++)
        {
            var move = Solver.WinningMove(boards[i]);
            if (move < 0)
            {
                var legal = boards[i].LegalMoves();
                move = legal[rngs[i].NextInt(legal.Count)];
            }
            moves[i] = move;
        }
    }
}

/// <summary>Uniformly random legal moves: the floor of the Elo scale.</summary>
public sealed class RandomPlayer : IHexPlayer
{
    public string Name => "random";

    public void ChooseMoves(IReadOnlyList<HexBoard> boards, IReadOnlyList<Rng> rngs, Span<int> moves)
    {
        for (var i = 0; i < boards.Count; i++)
        {
            var legal = boards[i].LegalMoves();
            moves[i] = legal[rngs[i].NextInt(legal.Count)];
        }
    }
}

/// <summary>The games of one match from A's side, split by colour (Black moves first).</summary>
public sealed record MatchOutcome(long WinsAsBlack, long GamesAsBlack, long WinsAsWhite, long GamesAsWhite)
{
    public long Games => GamesAsBlack + GamesAsWhite;

    public long Wins => WinsAsBlack + WinsAsWhite;

    /// <summary>The symmetrised win rate: the mean of A's win rates as Black and as White.</summary>
    public double SymmetrisedWinRate => 0.5 * (WinsAsBlack / (double)Math.Max(1, GamesAsBlack) + WinsAsWhite / (double)Math.Max(1, GamesAsWhite));
}

/// <summary>Plays matches: all games of a match at once, each ply one batched call per player.</summary>
public static class Arena
{
    /// <summary><paramref name="games"/> games (rounded up to even), half with A as Black; seeded.</summary>
    public static MatchOutcome Play(IHexPlayer a, IHexPlayer b, int size, int games, ulong seed)
    {
        var half = (games + 1) / 2;
        var total = 2 * half;
        var boards = Enumerable.Range(0, total).Select(_ => new HexBoard(size)).ToArray();
        var seeds = new Rng(seed);
        var rngs = Enumerable.Range(0, total).Select(_ => new Rng(seeds.NextUInt64())).ToArray();
        // Games [0, half): A is Black; [half, total): A is White.
        bool AMoves(int g) => (boards[g].ToMove == Stone.Black) == (g < half);
        while (true)
        {
            var active = Enumerable.Range(0, total).Where(g => !boards[g].IsOver).ToList();
            if (active.Count == 0) break;
            foreach (var (player, mine) in new[] { (a, true), (b, false) })
            {
                var turn = active.Where(g => !boards[g].IsOver && AMoves(g) == mine).ToList();
                if (turn.Count == 0) continue;
                var moves = new int[turn.Count];
                player.ChooseMoves(turn.Select(g => boards[g]).ToList(), turn.Select(g => rngs[g]).ToList(), moves);
                for (var i = 0; i < turn.Count; i++) boards[turn[i]].Play(moves[i]);
            }
        }
        long winsBlack = 0, winsWhite = 0;
        for (var g = 0; g < total; g++)
        {
            var aWon = boards[g].Winner == (g < half ? Stone.Black : Stone.White);
            if (!aWon) continue;
            if (g < half) winsBlack++; else winsWhite++;
        }
        return new MatchOutcome(winsBlack, half, winsWhite, half);
    }
}
