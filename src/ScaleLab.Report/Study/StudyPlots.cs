using ScottPlot;

namespace ScaleLab.Report.Study;

/// <summary>
/// The report's figures, rendered with ScottPlot to PNG bytes so the HTML can inline them. Log axes are
/// drawn the ScottPlot 5 way: plot log10 of the data and label ticks with 10^x.
/// </summary>
public static class StudyPlots
{
    public const int Width = 900;
    public const int Height = 520;

    /// <summary>Training loss against tokens seen, one line per run, on log-log axes.</summary>
    public static byte[] TrainingCurves(IReadOnlyList<RunRow> runs, double? trueEntropy)
    {
        var plot = NewPlot("Training curves", "tokens", "train loss (nats/token)");
        var palette = new ScottPlot.Palettes.Category10();
        var i = 0;
        foreach (var run in runs.OrderBy(r => r.NonEmbeddingParams).ThenBy(r => r.Tokens))
        {
            var pts = run.Curve.Where(p => p.Tokens > 0 && p.TrainLoss > 0).ToArray();
            if (pts.Length < 2)
            {
                continue;
            }
            var line = plot.Add.ScatterLine(pts.Select(p => Math.Log10(p.Tokens)).ToArray(), pts.Select(p => Math.Log10(p.TrainLoss)).ToArray());
            line.Color = palette.GetColor(i++);
            line.LineWidth = 1.5f;
            line.LegendText = $"{run.Shape} N={Estimate.Format(run.NonEmbeddingParams)}";
        }
        AddEntropyLine(plot, trueEntropy);
        LogAxes(plot, logX: true, logY: true);
        if (runs.Count <= 12)
        {
            plot.ShowLegend(Alignment.UpperRight);
        }
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>Final loss against compute with every law's curve, its band, and where extrapolation begins.</summary>
    public static byte[] LossVsCompute(IReadOnlyList<RunRow> runs, IReadOnlyList<LawSummary> laws, double? trueEntropy)
    {
        var plot = NewPlot("Final loss vs compute", "training compute C = 6ND (FLOP)", "final loss (nats/token)");
        var palette = new ScottPlot.Palettes.Category10();
        var k = 1;
        foreach (var law in laws)
        {
            var color = palette.GetColor(k++);
            var curve = law.Curve.Where(p => p.Compute > 0 && p.Loss > 0).ToArray();
            if (curve.Length < 2)
            {
                continue;
            }
            var xs = curve.Select(p => Math.Log10(p.Compute)).ToArray();
            if (curve.All(p => p.Lo is > 0 && p.Hi is > 0))
            {
                var band = plot.Add.FillY(xs, curve.Select(p => Math.Log10(p.Lo!.Value)).ToArray(), curve.Select(p => Math.Log10(p.Hi!.Value)).ToArray());
                band.FillColor = color.WithAlpha(0.2);
                band.LineColor = Colors.Transparent;
            }
            var line = plot.Add.ScatterLine(xs, curve.Select(p => Math.Log10(p.Loss)).ToArray());
            line.Color = color;
            line.LineWidth = 2;
            line.LegendText = $"{law.Law} fit";
        }
        var done = runs.Where(r => r.Flops > 0 && r.FinalTrainLoss > 0).ToArray();
        var points = plot.Add.ScatterPoints(done.Select(r => Math.Log10(r.Flops)).ToArray(), done.Select(r => Math.Log10(r.FinalValLoss ?? r.FinalTrainLoss)).ToArray());
        points.Color = Colors.Black;
        points.MarkerSize = 7;
        points.LegendText = "runs";
        if (laws.Count > 0 && laws[0].LargestObservedCompute > 0)
        {
            var edge = plot.Add.VerticalLine(Math.Log10(laws[0].LargestObservedCompute));
            edge.Color = Colors.Gray;
            edge.LinePattern = LinePattern.Dotted;
            edge.LegendText = "largest run (extrapolation beyond)";
        }
        AddEntropyLine(plot, trueEntropy);
        LogAxes(plot, logX: true, logY: true);
        // Bootstrap bands of a poorly constrained law can span orders of magnitude far from the data; keep
        // the y range on the runs and the known floor so the fit near the data stays readable.
        var losses = done.Select(r => r.FinalValLoss ?? r.FinalTrainLoss).Append(trueEntropy ?? double.NaN).Where(x => x > 0).ToArray();
        if (losses.Length > 0)
        {
            plot.Axes.SetLimitsY(Math.Log10(losses.Min() / 1.1), Math.Log10(losses.Max() * 1.15));
        }
        plot.ShowLegend(Alignment.UpperRight);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>Held-out runs: predicted against observed with interval whiskers, and the line y = x.</summary>
    public static byte[] Backtest(BacktestSummary backtest)
    {
        var plot = NewPlot($"Back-test ({backtest.Law}): held-out largest runs", "observed loss", "predicted loss");
        var rows = backtest.Rows;
        var all = rows.SelectMany(r => new[] { r.Observed, r.Predicted.Lo ?? r.Predicted.Value, r.Predicted.Hi ?? r.Predicted.Value }).ToArray();
        if (all.Length > 0)
        {
            var (lo, hi) = (all.Min(), all.Max());
            var pad = Math.Max((hi - lo) * 0.1, 1e-3);
            var diag = plot.Add.ScatterLine(new[] { lo - pad, hi + pad }, new[] { lo - pad, hi + pad });
            diag.Color = Colors.Gray;
            diag.LinePattern = LinePattern.Dashed;
            diag.LegendText = "perfect prediction";
        }
        foreach (var row in rows)
        {
            if (row.Predicted.Lo is { } l && row.Predicted.Hi is { } h)
            {
                var whisker = plot.Add.ScatterLine(new[] { row.Observed, row.Observed }, new[] { l, h });
                whisker.Color = row.Covered ? Colors.SeaGreen : Colors.Crimson;
                whisker.LineWidth = 2;
            }
        }
        var pts = plot.Add.ScatterPoints(rows.Select(r => r.Observed).ToArray(), rows.Select(r => r.Predicted.Value).ToArray());
        pts.Color = Colors.Black;
        pts.MarkerSize = 8;
        pts.LegendText = "held-out run";
        plot.ShowLegend(Alignment.UpperLeft);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    private static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        return plot;
    }

    private static void AddEntropyLine(Plot plot, double? trueEntropy)
    {
        if (trueEntropy is > 0)
        {
            var floor = plot.Add.HorizontalLine(Math.Log10(trueEntropy.Value));
            floor.Color = Colors.DarkRed;
            floor.LinePattern = LinePattern.Dashed;
            floor.LegendText = $"true entropy rate {trueEntropy.Value:0.###}";
        }
    }

    private static void LogAxes(Plot plot, bool logX, bool logY)
    {
        static string Pow10(double v)
        {
            var x = Math.Pow(10, v);
            return Math.Abs(v) >= 3 ? x.ToString("0.#e+0", System.Globalization.CultureInfo.InvariantCulture) : x.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
        }
        if (logX)
        {
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = Pow10 };
        }
        if (logY)
        {
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = Pow10 };
        }
    }
}
