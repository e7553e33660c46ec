using System.Diagnostics;
using ScaleLab.Games.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Laws.Games;

namespace ScaleLab.Games.Study;

/// <summary>A study's outcome: per-board ratings, the informative pairing's extra games, the fitted frontier (null with
/// the reason when the data do not support a fit), its back-tests (or why none), the train–test trade-off and the RL
/// scaling law per board, the runs' state and where the time went.</summary>
public sealed record HexStudyResult(
    HexStudyPlan Plan,
    IReadOnlyList<HexBoardRatings> Boards,
    FrontierFit? Frontier,
    string? FrontierNote,
    int Runs,
    int FailedRuns,
    long GamesPlayed,
    double TrainSeconds,
    double RateSeconds,
    double FitSeconds)
{
    public IReadOnlyList<HexPairingBoard> Pairing { get; init; } = [];

    public IReadOnlyList<FrontierBacktest> Backtests { get; init; } = [];

    public IReadOnlyList<string> BacktestNotes { get; init; } = [];

    public IReadOnlyList<HexTrainTestBoard> TrainTest { get; init; } = [];

    public IReadOnlyList<HexRlBoard> Rl { get; init; } = [];

    /// <summary>The frontier model comparison (change-point, per-board slopes, two-segment incline: AIC/BIC, intervals,
    /// back-tests per model); null with <see cref="ModelsNote"/> when it could not run.</summary>
    public FrontierComparisonResult? Models { get; init; }

    public string? ModelsNote { get; init; }

    /// <summary>Every rated snapshot on the boards anchored on perfect play, as the frontier fit saw them.</summary>
    public IReadOnlyList<EloPoint> FrontierPoints { get; init; } = [];
}

/// <summary>
/// <c>hex study</c> end to end, after Jones (2021): train every agent of the plan as runs of the registry (the "hex"
/// kind, any executor; rerunning resumes), rate all snapshots against the reference players and their neighbours
/// (<see cref="HexRating"/>), and fit the change-point compute frontier across boards (<see cref="FrontierFitter"/>,
/// x = log10 Jones compute, Elo against perfect play), back-test it board by board, and fit the train–test trade-off
/// and the RL scaling law (<see cref="HexStudyFits"/>, <see cref="HexTrainTest"/>). Boards without the exact solver
/// are rated against their strongest agent and left out of the frontier fit, whose ceiling is perfect play.
/// </summary>
public static class HexStudy
{
    public static int Enqueue(IRunStore store, HexStudyPlan plan)
    {
        var runs = new HexRunKind().Expand(plan.Study, plan.Settings());
        store.CreateStudy(plan.Study, null);
        return store.Enqueue(plan.Study, runs);
    }

    /// <summary>Rates and fits what the registry holds for the plan's study (the runs trained already): the fixed
    /// rating design, the informative pairing, the train–test evaluations, then the fits.</summary>
    public static HexStudyResult Analyse(IRunStore store, HexStudyPlan plan, ExecutorOptions executor, double trainSeconds,
        Action<string>? log, int bootstrap = 200)
    {
        RunKinds.Register(new HexRunKind());
        var clock = Stopwatch.StartNew();
        var runs = store.ListRuns(plan.Study).Where(r => r.KindName == HexRunKind.KindName).ToList();
        var agents = HexRating.Agents(store, plan.Study, executor);
        var games = HexRating.PlayMatches(store, plan, agents, log);
        var pairing = HexPairing.Spend(store, plan, agents, log);
        games += pairing.Sum(p => p.GamesPlayed);
        var boards = HexRating.Fit(store, plan.Study, agents);
        var trainTest = HexTrainTest.Run(store, plan, agents, bootstrap, log);
        games += trainTest.Sum(t => t.Games);
        var rateSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var (frontier, note) = HexStudyFits.Frontier(boards, bootstrap);
        var (backtests, backtestNotes) = HexStudyFits.Backtests(boards, bootstrap);
        var rl = HexStudyFits.Rl(boards, bootstrap);
        var (models, modelsNote) = HexStudyFits.Models(boards, bootstrap);
        return new HexStudyResult(plan, boards, frontier, note, runs.Count, runs.Count(r => r.Status == RunStatus.Failed), games,
            trainSeconds, rateSeconds, clock.Elapsed.TotalSeconds)
        {
            Pairing = pairing,
            Backtests = backtests,
            BacktestNotes = backtestNotes,
            TrainTest = trainTest,
            Rl = rl,
            Models = models,
            ModelsNote = modelsNote,
            FrontierPoints = HexStudyFits.FrontierPoints(boards),
        };
    }
}
