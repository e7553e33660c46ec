using ScaleLab.Games.Play;
using ScaleLab.Games.Training;
using ScaleLab.Lab.Registry;
using ScaleLab.Laws.Ratings;

namespace ScaleLab.Games.Study;

/// <summary>
/// A board's informative pairing: the rounds run, the games spent (this call and before, against the plan's budget), the
/// matches played, the proposals skipped because they would repeat two deterministic agents' games, and why it stopped
/// early when it did.
/// </summary>
public sealed record HexPairingBoard(int Board, int Rounds, long GamesPlayed, long GamesSpent, long Budget, IReadOnlyList<ProposedMatch> Played,
    int SkippedRepeats, string? Note);

/// <summary>
/// Spends extra rating games where they inform the ratings most, after the fixed design (<see cref="HexRating.PlayMatches"/>):
/// per board, up to <see cref="HexStudyPlan.PairingRounds"/> rounds of <see cref="MatchPairing.Next"/> (greedy A-optimal
/// design on the current Bradley–Terry fit), each proposal played and recorded in the registry before the next round
/// is planned. The games are bounded by <see cref="HexStudyPlan.PairingBudget"/> per board; the games already spent are
/// the board's recorded games beyond the fixed design's, so a rerun continues the budget instead of starting it again.
/// Agents play deterministically (<see cref="MctsPlayer"/>), so a match between two agents is their two distinct games
/// (one per colour): the design values such a pair at 2 games (<see cref="PairingOptions.GamesOf"/>), never proposes a
/// pair that has met (<see cref="PairingOptions.Allowed"/>), and a round spends its share of the budget
/// (<see cref="HexStudyPlan.PairingPairs"/> × <see cref="HexStudyPlan.PairingGames"/> games, <see cref="PairingOptions.RoundGames"/>),
/// so the games agent pairs cannot use go to matches against a reference player (random play, or perfect play: random
/// in lost positions), which play <see cref="HexStudyPlan.PairingGames"/> games and are never exhausted.
/// </summary>
public static class HexPairing
{
    public static IReadOnlyList<HexPairingBoard> Spend(IRunStore store, HexStudyPlan plan, IReadOnlyList<HexAgentRef> agents, Action<string>? log)
    {
        var result = new List<HexPairingBoard>();
        if (plan.PairingRounds <= 0) return result;
        foreach (var board in agents.Select(a => a.Board).Distinct().Order())
        {
            var refs = HexRating.References(store, plan.Study, board);
            var onBoard = agents.Where(a => a.Board == board).OrderByDescending(a => a.JonesCompute).ThenBy(a => a.Name, StringComparer.Ordinal).ToList();
            var names = HexRating.BoardNames(onBoard, refs);
            var keyOf = names.ToDictionary(kv => kv.Value, kv => kv.Key, StringComparer.Ordinal);
            var agentOf = onBoard.ToDictionary(a => a.Name, StringComparer.Ordinal);
            // Expected strength order, the anchor first: perfect play, agents by decreasing compute, random play.
            var order = new List<string>();
            if (refs.ContainsKey("perfect")) order.Add("perfect");
            order.AddRange(onBoard.Select(a => a.Name));
            if (refs.ContainsKey("random")) order.Add("random");
            var recorded = store.ReadMatches(plan.Study);
            var results = HexRating.BoardResults(recorded, names);
            long spent = Math.Max(0, results.Sum(r => r.Games) - HexRating.DesignGames(plan, onBoard.Count, refs.Count));
            var players = new Dictionary<string, IHexPlayer>(StringComparer.Ordinal);
            IHexPlayer Player(string name)
            {
                if (!players.TryGetValue(name, out var p))
                {
                    p = agentOf.TryGetValue(name, out var a)
                        ? MctsPlayer.FromAgent(name, AgentFile.Load(a.Path, board), plan.TestNodes, HexRating.ParseVariant(plan.Variant), plan.C)
                        : HexRating.ReferencePlayer(name, board);
                    players[name] = p;
                }
                return p;
            }
            var played = new List<ProposedMatch>();
            int rounds = 0, skipped = 0;
            long games = 0;
            string? note = null;
            var perMatch = 2 * ((plan.PairingGames + 1) / 2);
            // Two agents (deterministic players) have two distinct games, one per colour: a pair that has met is not
            // proposed again, one that has not is worth (and plays) 2 games; each round spends its share of the budget
            // (pairs x games), so what agent pairs cannot use goes to matches against the reference players.
            bool TwoAgents(string a, string b) => agentOf.ContainsKey(a) && agentOf.ContainsKey(b);
            var met = results.Where(r => r.Games > 0 && TwoAgents(r.First, r.Second))
                .SelectMany(r => new[] { (r.First, r.Second), (r.Second, r.First) }).ToHashSet();
            var options = new PairingOptions
            {
                Pairs = int.MaxValue,
                GamesPerMatch = perMatch,
                GamesOf = (a, b) => TwoAgents(a, b) ? 2 : perMatch,
                Allowed = (a, b) => !met.Contains((a, b)),
                RoundGames = (long)plan.PairingPairs * perMatch,
                Rating = HexRating.Options(refs, HexRating.ColoursKnown(recorded, names)),
            };
            for (var round = 0; round < plan.PairingRounds && note is null; round++)
            {
                if (spent >= plan.PairingBudget)
                {
                    note = $"budget of {plan.PairingBudget} games spent";
                    break;
                }
                IReadOnlyList<ProposedMatch> proposals;
                try
                {
                    proposals = MatchPairing.Next(order, results, options);
                }
                catch (InvalidDataException e)
                {
                    note = e.Message;
                    break;
                }
                rounds++;
                var before = played.Count;
                foreach (var m in proposals)
                {
                    var twoAgents = TwoAgents(m.A, m.B);
                    if (twoAgents && met.Contains((m.A, m.B)))
                    {
                        skipped++; // a link proposal between agents that have met (the link phase ignores Allowed)
                        continue;
                    }
                    var n = twoAgents ? 2 : perMatch;
                    if (spent + n > plan.PairingBudget)
                    {
                        note = $"budget of {plan.PairingBudget} games spent";
                        break;
                    }
                    var o = Arena.Play(Player(m.A), Player(m.B), board, n, HexRating.Seed($"pairing|{m.A}|{m.B}|{spent}"));
                    var (ka, kb) = (keyOf[m.A], keyOf[m.B]);
                    store.RecordMatches(HexRating.Recorded(ka.Run, ka.Snapshot, kb.Run, kb.Snapshot, o));
                    results.AddRange(HexRating.Coloured(m.A, m.B, o));
                    if (twoAgents)
                    {
                        met.Add((m.A, m.B));
                        met.Add((m.B, m.A));
                    }
                    played.Add(m with { Games = o.Games });
                    spent += o.Games;
                    games += o.Games;
                }
                if (note is null && played.Count == before)
                {
                    note = "no match left to propose";
                }
            }
            log?.Invoke($"{board}x{board}: pairing {rounds} round(s), {games} games ({spent} of {plan.PairingBudget} budget spent), {skipped} repeat(s) of agent pairs skipped");
            result.Add(new HexPairingBoard(board, rounds, games, spent, plan.PairingBudget, played, skipped, note));
        }
        return result;
    }
}
