using System.Diagnostics;
using ScaleLab.Games.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Laws.Games;

namespace ScaleLab.Games.Study;

/// <summary>A study's outcome: per-board ratings, the fitted frontier (null with the reason when the data do not
/// support a fit), the runs' state and where the time went.</summary>
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
    double FitSeconds);

/// <summary>
/// <c>hex study</c> end to end, after Jones (2021): train every agent of the plan as runs of the registry (the "hex"
/// kind, any executor; rerunning resumes), rate all snapshots against the reference players and their neighbours
/// (<see cref="HexRating"/>), and fit the change-point compute frontier across boards (<see cref="FrontierFitter"/>,
/// x = log10 Jones compute, Elo against perfect play). Boards without the exact solver are rated against their strongest
/// agent and left out of the frontier fit, whose ceiling is perfect play.
/// </summary>
public static class HexStudy
{
    public static int Enqueue(IRunStore store, HexStudyPlan plan)
    {
        var runs = new HexRunKind().Expand(plan.Study, plan.Settings());
        store.CreateStudy(plan.Study, null);
        return store.Enqueue(plan.Study, runs);
    }

    /// <summary>Rates and fits what the registry holds for the plan's study (the runs trained already).</summary>
    public static HexStudyResult Analyse(IRunStore store, HexStudyPlan plan, ExecutorOptions executor, double trainSeconds,
        Action<string>? log, int bootstrap = 200)
    {
        RunKinds.Register(new HexRunKind());
        var clock = Stopwatch.StartNew();
        var runs = store.ListRuns(plan.Study).Where(r => r.KindName == HexRunKind.KindName).ToList();
        var agents = HexRating.Agents(store, plan.Study, executor);
        var games = HexRating.PlayMatches(store, plan, agents, log);
        var boards = HexRating.Fit(store, plan.Study, agents);
        var rateSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        FrontierFit? frontier = null;
        string? note = null;
        var points = boards.Where(b => b.Anchor == "perfect")
            .SelectMany(b => b.Agents.Where(a => a.Agent.JonesCompute > 0)
                .Select(a => new EloPoint(Math.Log10(a.Agent.JonesCompute), b.Board, a.Elo, a.Agent.Name)))
            .ToList();
        try
        {
            frontier = FrontierFitter.Fit(points, new FrontierFitOptions { Bootstrap = bootstrap, Seed = 1, MaxDegreeOfParallelism = 1 });
        }
        catch (InvalidDataException ex)
        {
            note = ex.Message;
        }
        return new HexStudyResult(plan, boards, frontier, note, runs.Count, runs.Count(r => r.Status == RunStatus.Failed), games,
            trainSeconds, rateSeconds, clock.Elapsed.TotalSeconds);
    }
}
