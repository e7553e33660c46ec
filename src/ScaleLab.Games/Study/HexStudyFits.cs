using ScaleLab.Laws.Games;

namespace ScaleLab.Games.Study;

/// <summary>A board's RL scaling fit (Hilton et al. 2023): the fit (its <see cref="RlScalingFit.Identified"/> says
/// whether the exponents are results) or null with the reason it was not fitted.</summary>
public sealed record HexRlBoard(int Board, RlScalingFit? Fit, string? Note, int Snapshots);

/// <summary>
/// The fits of a rated study. <see cref="Frontier"/>: the change-point frontier across the boards anchored on perfect
/// play, its bootstrap resampling whole training runs (the snapshots of one run share its noise: the cluster bootstrap,
/// <see cref="FrontierFitOptions.GroupOf"/>). <see cref="Backtests"/>: each board n+1 forecast from the boards ≤ n
/// (needs at least three boards on perfect play: two to fit the board terms, one to forecast). <see cref="Rl"/>: per
/// board, intrinsic performance from Elo and the law I^(−β) = (N_c/N)^α_N + (E_c/E)^α_E over the snapshots (N
/// parameters, E self-play samples to the snapshot, C Jones compute).
/// </summary>
public static class HexStudyFits
{
    /// <summary>Elo above random play (and, on boards anchored on perfect play, below it) that the RL fit keeps:
    /// on the random-play plateau and at the ceiling the frontier is flat and intrinsic performance is not defined.</summary>
    public const double RlWindowMargin = 50;

    /// <summary>The frontier points: every snapshot with training compute on the boards anchored on perfect play.</summary>
    public static List<EloPoint> FrontierPoints(IReadOnlyList<HexBoardRatings> boards) =>
        boards.Where(b => b.Anchor == "perfect")
            .SelectMany(b => b.Agents.Where(a => a.Agent.JonesCompute > 0)
                .Select(a => new EloPoint(Math.Log10(a.Agent.JonesCompute), b.Board, a.Elo, a.Agent.Name)))
            .ToList();

    public static FrontierFitOptions FrontierOptions(IReadOnlyList<HexBoardRatings> boards, int bootstrap)
    {
        var runOf = boards.SelectMany(b => b.Agents).ToDictionary(a => a.Agent.Name, a => a.Agent.Run, StringComparer.Ordinal);
        return new FrontierFitOptions
        {
            Bootstrap = bootstrap,
            Seed = 1,
            MaxDegreeOfParallelism = 1,
            GroupOf = p => p.Agent is { } name && runOf.TryGetValue(name, out var run) ? run : p.Agent ?? "",
        };
    }

    public static (FrontierFit? Fit, string? Note) Frontier(IReadOnlyList<HexBoardRatings> boards, int bootstrap) =>
        FitOrNote(() => FrontierFitter.Fit(FrontierPoints(boards), FrontierOptions(boards, bootstrap)));

    /// <summary>The fit, or null and the reason in words when the data do not identify it (the fitters throw
    /// <see cref="InvalidDataException"/> for that, and only for that).</summary>
    internal static (T? Fit, string? Note) FitOrNote<T>(Func<T> fit) where T : class
    {
        try
        {
            return (fit(), null);
        }
        catch (InvalidDataException e)
        {
            return (null, e.Message);
        }
    }

    /// <summary>The frontier model comparison on the same points and bootstrap unit as <see cref="Frontier"/>: Jones's
    /// change-point model against an incline slope per board and a two-segment incline (<see cref="FrontierComparison"/>).</summary>
    public static (FrontierComparisonResult? Result, string? Note) Models(IReadOnlyList<HexBoardRatings> boards, int bootstrap) =>
        FitOrNote(() => FrontierComparison.Compare(FrontierPoints(boards), FrontierOptions(boards, bootstrap)));

    /// <summary>Back-tests of every board that has at least two smaller boards on perfect play; else the reason in words.</summary>
    public static (IReadOnlyList<FrontierBacktest> Backtests, IReadOnlyList<string> Notes) Backtests(IReadOnlyList<HexBoardRatings> boards, int bootstrap)
    {
        var perfect = boards.Where(b => b.Anchor == "perfect").Select(b => b.Board).Order().ToList();
        var notes = new List<string>();
        var result = new List<FrontierBacktest>();
        if (perfect.Count < 3)
        {
            var others = boards.Where(b => b.Anchor != "perfect").Select(b => $"{b.Board}x{b.Board}").ToList();
            notes.Add($"no back-test: it fits the frontier on two boards or more and forecasts the next, so it needs three boards anchored on perfect play; " +
                $"this study has {perfect.Count} ({string.Join(", ", perfect.Select(n => $"{n}x{n}"))})" +
                (others.Count > 0 ? $", and {string.Join(", ", others)} beyond the exact solver's reach are rated against their strongest agent" : ""));
            return (result, notes);
        }
        var points = FrontierPoints(boards);
        var options = FrontierOptions(boards, bootstrap);
        for (var k = 2; k < perfect.Count; k++)
        {
            try
            {
                result.Add(FrontierBacktester.Run(points.Where(p => p.Board <= perfect[k]), perfect[k - 1], options));
            }
            catch (InvalidDataException e)
            {
                notes.Add($"back-test of {perfect[k]}x{perfect[k]} from boards ≤ {perfect[k - 1]}: not possible ({e.Message})");
            }
        }
        return (result, notes);
    }

    /// <summary>The RL scaling law per board from its snapshots.</summary>
    public static IReadOnlyList<HexRlBoard> Rl(IReadOnlyList<HexBoardRatings> boards, int bootstrap)
    {
        var result = new List<HexRlBoard>();
        foreach (var b in boards)
        {
            var points = b.Agents.Where(a => a.Agent.JonesCompute > 0 && a.Agent.Samples > 0)
                .Select(a => new RlPoint(a.Agent.Run, a.Agent.Parameters, a.Agent.Samples, a.Agent.JonesCompute, a.Elo)).ToList();
            var options = new RlScalingOptions
            {
                Bootstrap = bootstrap,
                Seed = 1,
                MinElo = b.RandomElo is { } r ? r + RlWindowMargin : null,
                MaxElo = b.Anchor == "perfect" ? -RlWindowMargin : null,
            };
            try
            {
                result.Add(new HexRlBoard(b.Board, RlScaling.FitElo(points, options), null, points.Count));
            }
            catch (InvalidDataException e)
            {
                result.Add(new HexRlBoard(b.Board, null, e.Message, points.Count));
            }
        }
        return result;
    }
}
