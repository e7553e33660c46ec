using System.Globalization;
using ScaleLab.Games.Study;
using ScaleLab.Laws;
using ScaleLab.Laws.Games;
using Spectre.Console;

namespace ScaleLab.Cli.Commands.Hex;

/// <summary>
/// The parts of a Hex study's document beyond ratings and frontier: the informative pairing's games, the board n+1
/// back-tests (or why none), the train–test trade-off and the RL scaling law per board. A fit the data do not support
/// is null with its reason in words; an unidentified exponent is never given as a number.
/// </summary>
public static class HexStudyFitsDocument
{
    /// <summary>A value with its interval (null without one).</summary>
    public sealed record EstimateDoc(double Value, double[]? Interval);

    public sealed record PairedMatchDoc(string A, string B, long Games, string Reason);

    public sealed record PairingDoc(int Board, int Rounds, long GamesPlayed, long GamesSpent, long Budget, int SkippedRepeats,
        IReadOnlyList<PairedMatchDoc> Matches, string? Note);

    public sealed record BacktestPointDoc(double Log10Compute, double Elo, double Predicted, double[]? CurveInterval, double Baseline);

    public sealed record BacktestDoc(int TrainedUpToBoard, int TargetBoard, double RmseElo, double MeanErrorElo, double BaselineRmseElo,
        double CoveredFraction, EstimateDoc Log10ComputeToPerfect, IReadOnlyList<BacktestPointDoc> Points);

    public sealed record IsoEloDoc(double Elo, int Agents, EstimateDoc? Slope);

    /// <summary>One evaluation behind the train–test fit: a snapshot at one search-node count, its Elo on the board's scale.</summary>
    public sealed record TrainTestEvaluationDoc(string Agent, double Log10TrainCompute, double Log10TestCompute, double Elo);

    /// <summary>Jones's construction: the frontier of the least test compute reaching each Elo level, and the plane fitted through it.</summary>
    public sealed record TrainTestFrontierDoc(EstimateDoc? Slope, EstimateDoc? EloCoefficient, int Clusters, IReadOnlyList<TrainTestFrontierPointDoc> Points,
        IReadOnlyList<string> Notes, string? Note);

    public sealed record TrainTestFrontierPointDoc(double Elo, double Log10TrainCompute, double Log10TestCompute);

    public sealed record TrainTestDoc(int Board, IReadOnlyList<int> Nodes, long Games, int Points, IReadOnlyList<double> Levels,
        EstimateDoc? Slope, IReadOnlyList<IsoEloDoc> Curves, IReadOnlyList<string> Notes, string? Note, IReadOnlyList<TrainTestEvaluationDoc> Evaluations,
        TrainTestFrontierDoc Frontier);

    public sealed record RlDoc(int Board, int Snapshots, bool Identified, int Points, int Runs, EstimateDoc? AlphaN, EstimateDoc? AlphaE,
        EstimateDoc? Beta, EstimateDoc? NOptExponent, EstimateDoc? Log10Nc, EstimateDoc? Log10Ec, double? ResidualRmsLog10,
        IReadOnlyList<string> Notes, string? Note);

    public sealed record NamedEstimateDoc(string Name, double Value, double[]? Interval);

    /// <summary>One frontier model's fit: parameters with 95% bootstrap intervals, slopes, the perfect-play compute
    /// multiplier per +1 board (averaged over the fitted boards) and log10 compute to perfect play per board, RSS, AIC,
    /// BIC and their differences to the best model (0 = preferred).</summary>
    public sealed record ModelDoc(string Model, string Formula, IReadOnlyList<NamedEstimateDoc> Parameters, IReadOnlyList<NamedEstimateDoc> SlopesEloPerDecade,
        EstimateDoc PerfectPlayMultiplier, IReadOnlyList<NamedEstimateDoc> Log10ComputeToPerfect, int Points, double ResidualRmsElo, double Aic, double Bic,
        double DeltaAic, double DeltaBic, int BootstrapFailed);

    public sealed record ModelBacktestDoc(string Model, int TrainedUpToBoard, int TargetBoard, int Points, double RmseElo, double MeanErrorElo,
        double BaselineRmseElo, EstimateDoc Log10ComputeToPerfect);

    public sealed record ModelsDoc(IReadOnlyList<ModelDoc> Fits, IReadOnlyList<ModelBacktestDoc> Backtests, IReadOnlyList<string> Notes);

    public static ModelsDoc? Models(HexStudyResult r) => r.Models is not { } c ? null : new ModelsDoc(
        c.Fits.Select(f => new ModelDoc(f.Model, f.Formula,
            f.Symbols.Select((s, k) => new NamedEstimateDoc(s, f.Parameters[k], f.Intervals is { } iv ? Iv(iv[k]) : null)).ToList(),
            f.Slopes.Select(s => new NamedEstimateDoc(s.Name, s.Value.Value, Iv(s.Value.Interval))).ToList(),
            E(f.PerfectPlayMultiplier),
            f.Log10ComputeToPerfect.Select(b => new NamedEstimateDoc($"{b.Board}x{b.Board}", b.Log10Compute.Value, Iv(b.Log10Compute.Interval))).ToList(),
            f.Points, f.ResidualRms, f.Aic, f.Bic, c.DeltaAic(f.Model), c.DeltaBic(f.Model), f.BootstrapFailed)).ToList(),
        c.Backtests.Select(b => new ModelBacktestDoc(b.Model, b.TrainedUpToBoard, b.TargetBoard, b.Points, b.Rmse, b.MeanError, b.BaselineRmse,
            E(b.Log10ComputeToPerfect))).ToList(),
        c.Notes);

    private static double[]? Iv(Interval? i) => i is null || double.IsNaN(i.Lo) ? null : [i.Lo, i.Hi];

    private static EstimateDoc E(Estimate e) => new(e.Value, Iv(e.Interval));

    public static IReadOnlyList<PairingDoc> Pairing(HexStudyResult r) =>
        r.Pairing.Select(p => new PairingDoc(p.Board, p.Rounds, p.GamesPlayed, p.GamesSpent, p.Budget, p.SkippedRepeats,
            p.Played.Select(m => new PairedMatchDoc(m.A, m.B, m.Games, m.Reason)).ToList(), p.Note)).ToList();

    public static IReadOnlyList<BacktestDoc> Backtests(HexStudyResult r) =>
        r.Backtests.Select(b => new BacktestDoc(b.TrainedUpToBoard, b.TargetBoard, b.Rmse, b.MeanError, b.BaselineRmse, b.Covered,
            E(b.Log10ComputeToPerfect), b.Points.Select(p => new BacktestPointDoc(p.Log10Compute, p.Actual, p.Predicted, Iv(p.Curve), p.Baseline)).ToList()))
            .ToList();

    public static IReadOnlyList<TrainTestDoc> TrainTest(HexStudyResult r) =>
        r.TrainTest.Select(t => new TrainTestDoc(t.Board, t.Nodes, t.Games, t.Points.Count, t.Levels, t.Fit is { } f ? E(f.Slope) : null,
            t.Fit?.Curves.Select(c => new IsoEloDoc(c.Elo, c.Points.Count, c.Slope is { } s ? E(s) : null)).ToList() ?? [],
            t.Fit?.Notes ?? [], t.Note,
            t.Points.Select(p => new TrainTestEvaluationDoc(p.Agent, p.Log10TrainCompute, p.Log10TestCompute, p.Elo)).ToList(),
            t.Frontier is { } j
                ? new TrainTestFrontierDoc(E(j.Slope), E(j.EloCoefficient), j.Clusters,
                    j.Points.Select(p => new TrainTestFrontierPointDoc(p.Elo, p.Log10TrainCompute, p.Log10TestCompute)).ToList(), j.Notes, null)
                : new TrainTestFrontierDoc(null, null, 0, [], [], t.FrontierNote ?? "not fitted"))).ToList();

    public static IReadOnlyList<RlDoc> Rl(HexStudyResult r) =>
        r.Rl.Select(b =>
        {
            if (b.Fit is not { } f) return new RlDoc(b.Board, b.Snapshots, false, 0, 0, null, null, null, null, null, null, null, [], b.Note);
            var ok = f.Identified;
            return new RlDoc(b.Board, b.Snapshots, ok, f.Points, f.Runs, ok ? E(f.AlphaN) : null, ok ? E(f.AlphaE) : null, ok ? E(f.Beta) : null,
                ok ? E(f.OptimalSizeExponent) : null, ok ? E(f.Log10Nc) : null, ok ? E(f.Log10Ec) : null, f.ResidualRmsLog10, f.Notes,
                ok ? null : "the law's exponents are not identified by these snapshots (see notes)");
        }).ToList();

    private static string F(double x) => NumberStyle.Format(x, 3);

    private static string F(EstimateDoc e) => e.Interval is { } i ? $"{F(e.Value)} [{F(i[0])}, {F(i[1])}]" : $"{F(e.Value)} (no interval)";

    public static void Print(IAnsiConsole console, HexStudyDocument d)
    {
        foreach (var p in d.Pairing)
        {
            console.WriteLine($"pairing {p.Board}x{p.Board}: {p.Rounds} round(s), {p.GamesPlayed} games now, {p.GamesSpent} of a {p.Budget}-game budget spent in all; " +
                $"{p.SkippedRepeats} proposal(s) skipped (would repeat two deterministic agents' games)" + (p.Note is { } n ? $"; stopped: {n}" : ""));
        }
        if (d.Backtests.Count == 0)
        {
            foreach (var n in d.BacktestNotes) console.WriteLine($"back-test: {n}");
        }
        foreach (var b in d.Backtests)
        {
            console.WriteLine($"back-test {b.TargetBoard}x{b.TargetBoard} from boards ≤ {b.TrainedUpToBoard}: RMSE {F(b.RmseElo)} Elo over {b.Points.Count} frontier points " +
                $"(mean error {F(b.MeanErrorElo)}; no-change baseline RMSE {F(b.BaselineRmseElo)}); {b.CoveredFraction:P0} inside the approximate 95% prediction band; " +
                $"forecast log10 compute to perfect play {F(b.Log10ComputeToPerfect)}");
        }
        if (d.FrontierModels is { } models)
        {
            console.WriteLine("frontier models compared on the same frontier points (95% bootstrap intervals over training runs; ΔAIC/ΔBIC to the best model, lower is better):");
            foreach (var m in models.Fits)
            {
                console.WriteLine($"  {m.Model}: {m.Formula}");
                console.WriteLine($"    ΔAIC {F(m.DeltaAic)}, ΔBIC {F(m.DeltaBic)} (AIC {F(m.Aic)}, BIC {F(m.Bic)}), residual RMS {F(m.ResidualRmsElo)} Elo over {m.Points} points; " +
                    $"slopes (Elo per decade): {string.Join(", ", m.SlopesEloPerDecade.Select(s => $"{s.Name} {F(new EstimateDoc(s.Value, s.Interval))}"))}");
                console.WriteLine($"    perfect-play compute multiplier per +1 board {F(m.PerfectPlayMultiplier)}; log10 compute to perfect play: " +
                    string.Join(", ", m.Log10ComputeToPerfect.Select(b => $"{b.Name} {F(new EstimateDoc(b.Value, b.Interval))}")));
            }
            foreach (var b in models.Backtests)
            {
                console.WriteLine($"  back-test {b.Model}: {b.TargetBoard}x{b.TargetBoard} from boards ≤ {b.TrainedUpToBoard}, RMSE {F(b.RmseElo)} Elo over {b.Points} points " +
                    $"(mean error {F(b.MeanErrorElo)}; carry-forward baseline {F(b.BaselineRmseElo)}); forecast log10 compute to perfect play {F(b.Log10ComputeToPerfect)}");
            }
            foreach (var n in models.Notes) console.WriteLine($"  note: {n}");
        }
        else if (d.FrontierModelsNote is { } mn)
        {
            console.WriteLine($"frontier models: not compared ({mn})");
        }
        foreach (var t in d.TrainTest)
        {
            var levels = string.Join(", ", t.Levels.Select(l => l.ToString("0", CultureInfo.InvariantCulture)));
            console.WriteLine($"train-test {t.Board}x{t.Board}: snapshots rated at {string.Join(", ", t.Nodes)} search nodes ({t.Games} extra games); iso-Elo levels {levels}");
            console.WriteLine(t.Frontier.Slope is { } js
                ? $"  Jones's frontier (least test compute reaching each level, per 0.1 decade of train compute): slope d log10(test)/d log10(train) = {F(js)} " +
                  $"(95%, bootstrap over {t.Frontier.Clusters} runs; Jones: about -1.2; never positive by construction), {t.Frontier.Points.Count} frontier points"
                : $"  Jones's frontier: slope not identified ({t.Frontier.Note})");
            console.WriteLine(t.Slope is { } s
                ? $"  per agent (each snapshot's own Elo-vs-search curve, all model sizes): slope {F(s)} (95%, bootstrap over agents)"
                : $"  per agent: slope not identified: {t.Note}");
            foreach (var c in t.Curves)
            {
                console.WriteLine($"  Elo {c.Elo:0}: {c.Agents} agents reach it" + (c.Slope is { } cs ? $", own slope {F(cs)}" : ", too few for its own slope"));
            }
        }
        foreach (var r in d.RlScaling)
        {
            if (r.Identified)
            {
                console.WriteLine($"RL scaling {r.Board}x{r.Board} ({r.Points} points, {r.Runs} runs): alpha_N {F(r.AlphaN!)}, alpha_E {F(r.AlphaE!)}, " +
                    $"N_opt ∝ C^{F(r.NOptExponent!)} (95%, bootstrap over runs), residual RMS {F(r.ResidualRmsLog10!.Value)} in log10 I");
            }
            else
            {
                console.WriteLine($"RL scaling {r.Board}x{r.Board}: not identified ({r.Note})" + (r.Notes.Count > 0 ? $"; {string.Join("; ", r.Notes)}" : ""));
            }
        }
    }
}
