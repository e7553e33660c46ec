namespace ScaleLab.Laws.Games;

/// <summary>
/// One frontier point of the held-out board: its compute, the Elo it reached, the forecast and the forecast's bootstrap
/// percentile interval for the fitted curve (the uncertainty of the mean frontier, not of one agent's noise), and the
/// baseline forecast (the largest training board's curve, i.e. no change with board size).
/// </summary>
public sealed record FrontierBacktestPoint(double Log10Compute, double Actual, double Predicted, Interval Curve, double Baseline);

/// <summary>
/// A back-test of the board-size extrapolation: the change-point model fitted on boards ≤ <see cref="TrainedUpToBoard"/>
/// predicts the frontier of <see cref="TargetBoard"/>. <see cref="Rmse"/> and <see cref="MeanError"/> (actual −
/// predicted) in Elo; <see cref="BaselineRmse"/> is the naive forecast's; <see cref="Covered"/> the fraction of held-out
/// points inside the curve interval widened by ±z·(the fit's residual RMS), an approximate prediction interval.
/// <see cref="Log10ComputeToPerfect"/> is the forecast compute for perfect play on the target board with its interval.
/// </summary>
public sealed record FrontierBacktest(
    int TrainedUpToBoard,
    int TargetBoard,
    FrontierFit Fit,
    IReadOnlyList<FrontierBacktestPoint> Points,
    double Rmse,
    double MeanError,
    double BaselineRmse,
    double Covered,
    Estimate Log10ComputeToPerfect);

public static class FrontierBacktester
{
    /// <summary>
    /// Fits on boards ≤ <paramref name="trainUpToBoard"/> and forecasts the frontier of the next board present in the data
    /// (usually +1). Refused (one line) when no larger board has points.
    /// </summary>
    public static FrontierBacktest Run(IEnumerable<EloPoint> points, int trainUpToBoard, FrontierFitOptions? options = null)
    {
        options ??= new FrontierFitOptions();
        var all = points.ToList();
        var target = all.Where(p => p.Board > trainUpToBoard).Select(p => p.Board).DefaultIfEmpty(-1).Min();
        if (target < 0)
        {
            throw new InvalidDataException($"frontier back-test: no board larger than {trainUpToBoard} to forecast");
        }
        var fit = FrontierFitter.Fit(all.Where(p => p.Board <= trainUpToBoard), options);
        var held = options.FrontierOnly ? FrontierFitter.Select(all.Where(p => p.Board == target)) : all.Where(p => p.Board == target).ToList();
        double z = MathNet.Numerics.Distributions.Normal.InvCDF(0, 1, 0.5 + options.Level / 2);
        int largest = fit.Boards[^1];
        var rows = new List<FrontierBacktestPoint>();
        int covered = 0;
        foreach (var p in held)
        {
            double predicted = fit.Parameters.Predict(p.Log10Compute, target);
            var curve = fit.IntervalOf(m => m.Predict(p.Log10Compute, target));
            rows.Add(new FrontierBacktestPoint(p.Log10Compute, p.Elo, predicted, curve, fit.Parameters.Predict(p.Log10Compute, largest)));
            double lo = double.IsNaN(curve.Lo) ? predicted : curve.Lo, hi = double.IsNaN(curve.Hi) ? predicted : curve.Hi;
            covered += p.Elo >= lo - z * fit.ResidualRms && p.Elo <= hi + z * fit.ResidualRms ? 1 : 0;
        }
        double Rms(Func<FrontierBacktestPoint, double> e) => Math.Sqrt(rows.Average(r => e(r) * e(r)));
        var perfect = new Estimate(fit.Parameters.Log10ComputeToPerfect(target), fit.IntervalOf(m => m.Log10ComputeToPerfect(target)));
        return new FrontierBacktest(trainUpToBoard, target, fit, rows, Rms(r => r.Actual - r.Predicted),
            rows.Average(r => r.Actual - r.Predicted), Rms(r => r.Actual - r.Baseline), (double)covered / rows.Count, perfect);
    }
}
