using System.Globalization;
using ScaleLab.Laws;
using ScottPlot;

namespace ScaleLab.Report.Study;

/// <summary>
/// The report's figures, rendered with ScottPlot to PNG bytes (inlined in the HTML) and to SVG (written beside it).
/// Log axes are drawn the ScottPlot 5 way: plot log10 of the data, with ticks placed by hand at 1, 2 and 5 times
/// each power of ten and labelled in the data's units. Runs are coloured by model size and marked by compute
/// budget, each size and budget named once in a legend outside the data.
/// </summary>
public static class StudyPlots
{
    public const int Width = 900;
    public const int Height = 520;

    /// <summary>Training loss against tokens seen, one line per run, on log-log axes.</summary>
    public static byte[] TrainingCurves(IReadOnlyList<RunRow> runs, double? floor) => Png(BuildTrainingCurves(runs, floor));

    /// <summary>Final loss against compute with every law's curve, its band, the verification run and the floor.</summary>
    public static byte[] LossVsCompute(IReadOnlyList<RunRow> runs, IReadOnlyList<LawSummary> laws, double? floor, VerificationRow? verification = null) =>
        Png(BuildLossVsCompute(runs, laws, floor, verification));

    /// <summary>Held-out runs: predicted against observed with interval whiskers, and the line y = x.</summary>
    public static byte[] Backtest(BacktestSummary backtest) => Png(BuildBacktest(backtest));

    /// <summary>Log residuals ln L − ln L̂ of every law against compute (colour: model size; marker: law).</summary>
    public static byte[] Residuals(IReadOnlyList<LawSummary> laws) => Png(BuildResiduals(laws));

    /// <summary>Every figure of a report as (file name without extension, SVG text).</summary>
    public static IReadOnlyList<(string Name, string Svg)> Svgs(StudyReport report)
    {
        var figures = new List<(string, string)>
        {
            ("training-curves", Svg(BuildTrainingCurves(report.Runs, report.TrueEntropyNats))),
            ("loss-vs-compute", Svg(BuildLossVsCompute(report.Runs, report.Laws, report.TrueEntropyNats, report.Verification))),
        };
        if (report.Laws.Any(l => l.Residuals.Count > 0))
        {
            figures.Add(("residuals", Svg(BuildResiduals(report.Laws))));
        }
        figures.AddRange(report.Backtests.Select(b => ($"backtest-{FileSlug(b.Law)}", Svg(BuildBacktest(b)))));
        if (report.Speculative is { } speculative)
        {
            var (speedup, acceptance) = Plots.SpeculativePlot.Build(speculative);
            figures.Add(("speculative-speedup", Svg(speedup)));
            figures.Add(("speculative-acceptance", Svg(acceptance)));
        }
        if (report.Distillation is { } distillation)
        {
            var (curves, gap) = Plots.DistillationPlot.Build(distillation);
            figures.Add(("distillation-loss-vs-compute", Svg(curves)));
            figures.Add(("distillation-capacity-gap", Svg(gap)));
        }
        return figures;
    }

    /// <summary>A name safe as a file name: lower-case letters and digits, any other run of characters one hyphen
    /// ("chinchilla, largest budget held out" → "chinchilla-largest-budget-held-out").</summary>
    internal static string FileSlug(string name)
    {
        var slug = new System.Text.StringBuilder(name.Length);
        foreach (var c in name)
        {
            if (char.IsAsciiLetterOrDigit(c)) slug.Append(char.ToLowerInvariant(c));
            else if (slug.Length > 0 && slug[^1] != '-') slug.Append('-');
        }
        return slug.ToString().TrimEnd('-');
    }

    private static byte[] Png(Plot plot) => plot.GetImageBytes(Width, Height, ImageFormat.Png);

    private static string Svg(Plot plot) => plot.GetSvgXml(Width, Height);

    private static Plot BuildTrainingCurves(IReadOnlyList<RunRow> runs, double? floor)
    {
        var plot = NewPlot("Training curves (colour: model size)", "tokens", "train loss (nats/token)");
        var colours = SizeColours(runs);
        var named = new HashSet<long>();
        var xs = new List<double>();
        var ys = new List<double>();
        foreach (var run in runs.OrderBy(r => r.NonEmbeddingParams).ThenBy(r => r.Tokens))
        {
            var pts = run.Curve.Where(p => p.Tokens > 0 && p.TrainLoss > 0).ToArray();
            if (pts.Length < 2)
            {
                continue;
            }
            var line = plot.Add.ScatterLine(pts.Select(p => Math.Log10(p.Tokens)).ToArray(), pts.Select(p => Math.Log10(p.TrainLoss)).ToArray());
            line.Color = colours[run.NonEmbeddingParams];
            line.LineWidth = 1.2f;
            if (named.Add(run.NonEmbeddingParams))
            {
                line.LegendText = $"N = {Estimate.Format(run.NonEmbeddingParams)}";
            }
            xs.AddRange(pts.Select(p => p.Tokens));
            ys.AddRange(pts.Select(p => p.TrainLoss));
        }
        AddFloorLine(plot, floor);
        LogTicks(plot.Axes.Bottom, xs);
        LogTicks(plot.Axes.Left, ys.Append(floor ?? double.NaN));
        plot.ShowLegend(Edge.Right);
        return plot;
    }

    private static Plot BuildLossVsCompute(IReadOnlyList<RunRow> runs, IReadOnlyList<LawSummary> laws, double? floor, VerificationRow? verification)
    {
        var plot = NewPlot("Final loss vs compute (colour: model size, marker: compute budget)", "training compute C = 6ND (FLOP)", "final validation loss (nats/token)");
        var lawColours = new[] { Colors.DarkOrange, Colors.MediumPurple, Colors.Teal };
        var k = 0;
        var xs = new List<double>();
        foreach (var law in laws)
        {
            var color = lawColours[k++ % lawColours.Length];
            var curve = law.Curve.Where(p => p.Compute > 0 && p.Loss > 0).ToArray();
            if (curve.Length < 2)
            {
                continue;
            }
            var x = curve.Select(p => Math.Log10(p.Compute)).ToArray();
            if (curve.All(p => p.Lo is > 0 && p.Hi is > 0))
            {
                var band = plot.Add.FillY(x, curve.Select(p => Math.Log10(p.Lo!.Value)).ToArray(), curve.Select(p => Math.Log10(p.Hi!.Value)).ToArray());
                band.FillColor = color.WithAlpha(0.15);
                band.LineColor = Colors.Transparent;
            }
            var line = plot.Add.ScatterLine(x, curve.Select(p => Math.Log10(p.Loss)).ToArray());
            line.Color = color;
            line.LineWidth = 2;
            line.LegendText = law.Law == "chinchilla" ? "L(N,D) at the optimal N (95% band)" : $"{law.Law} L(C) on the frontier (95% band)";
            xs.AddRange(curve.Select(p => p.Compute));
        }
        var done = runs.Where(r => r.Flops > 0 && (r.FinalValLoss ?? r.FinalTrainLoss) > 0).ToList();
        var colours = SizeColours(done);
        var budgets = BudgetMarkers(done);
        var namedSizes = new HashSet<long>();
        var namedBudgets = new HashSet<int>();
        foreach (var r in done)
        {
            var (shape, budget) = budgets[r.Key];
            var m = plot.Add.Marker(Math.Log10(r.Flops), Math.Log10(r.FinalValLoss ?? r.FinalTrainLoss), shape, 8);
            m.Color = colours[r.NonEmbeddingParams];
            if (namedSizes.Add(r.NonEmbeddingParams))
            {
                m.LegendText = $"N = {Estimate.Format(r.NonEmbeddingParams)}";
            }
            if (namedBudgets.Add(budget))
            {
                var legend = plot.Add.Marker(double.NaN, double.NaN, shape, 8);
                legend.Color = Colors.Gray;
                legend.LegendText = $"budget {budget + 1}";
            }
            xs.Add(r.Flops);
        }
        var ys = done.Select(r => r.FinalValLoss ?? r.FinalTrainLoss).Append(floor ?? double.NaN).ToList();
        if (verification is { } v)
        {
            var vx = Math.Log10(v.Compute);
            if (v.Predicted.Lo is > 0 && v.Predicted.Hi is > 0)
            {
                var whisker = plot.Add.ScatterLine(new[] { vx, vx }, new[] { Math.Log10(v.Predicted.Lo), Math.Log10(v.Predicted.Hi) });
                whisker.Color = Colors.Crimson;
                whisker.LineWidth = 2;
                whisker.LegendText = $"predicted, {NumberStyle.Percent(v.Level, 2)} interval";
                ys.Add(v.Predicted.Lo);
                ys.Add(v.Predicted.Hi);
            }
            var predicted = plot.Add.Marker(vx, Math.Log10(v.Predicted.Value), MarkerShape.OpenCircle, 12);
            predicted.Color = Colors.Crimson;
            var observed = plot.Add.Marker(vx, Math.Log10(v.Observed), MarkerShape.FilledDiamond, 12);
            observed.Color = Colors.Black;
            observed.LegendText = "verification run (observed)";
            xs.Add(v.Compute);
            ys.Add(v.Observed);
        }
        if (laws.Count > 0 && laws[0].LargestObservedCompute > 0)
        {
            var edge = plot.Add.VerticalLine(Math.Log10(laws[0].LargestObservedCompute));
            edge.Color = Colors.Gray;
            edge.LinePattern = LinePattern.Dotted;
            edge.LegendText = "largest sweep run (extrapolation to the right)";
        }
        AddFloorLine(plot, floor);
        LogTicks(plot.Axes.Bottom, xs);
        // Bootstrap bands of a poorly constrained law can span orders of magnitude far from the data; keep
        // the y range on the runs, the verification and the floor so the fit near the data stays readable.
        var finite = ys.Where(y => y > 0 && double.IsFinite(y)).ToArray();
        if (finite.Length > 0)
        {
            plot.Axes.SetLimitsY(Math.Log10(finite.Min() / 1.02), Math.Log10(finite.Max() * 1.05));
        }
        LogTicks(plot.Axes.Left, finite);
        plot.ShowLegend(Edge.Right);
        return plot;
    }

    private static Plot BuildBacktest(BacktestSummary backtest)
    {
        var plot = NewPlot($"Back-test ({backtest.Law}): held-out runs, fitted on the smaller ones only", "observed loss (nats/token)", "predicted loss (nats/token)");
        var rows = backtest.Rows;
        var all = rows.SelectMany(r => new[] { r.Observed, r.Predicted.Value }).ToArray();
        if (all.Length > 0)
        {
            // Scaled to the points (the interval whiskers may run off the plot rather than squash the points).
            var (lo, hi) = (all.Min(), all.Max());
            var pad = Math.Max((hi - lo) * 0.25, 2e-3);
            var diag = plot.Add.ScatterLine(new[] { lo - pad, hi + pad }, new[] { lo - pad, hi + pad });
            diag.Color = Colors.Gray;
            diag.LinePattern = LinePattern.Dashed;
            diag.LegendText = "perfect prediction";
            plot.Axes.SetLimits(lo - pad, hi + pad, lo - pad, hi + pad);
        }
        foreach (var row in rows)
        {
            if (row.Predicted.Interval is { } iv)
            {
                var whisker = plot.Add.ScatterLine(new[] { row.Observed, row.Observed }, new[] { iv.Lo, iv.Hi });
                whisker.Color = row.Covered ? Colors.SeaGreen : Colors.Crimson;
                whisker.LineWidth = 2;
            }
        }
        var pts = plot.Add.ScatterPoints(rows.Select(r => r.Observed).ToArray(), rows.Select(r => r.Predicted.Value).ToArray());
        pts.Color = Colors.Black;
        pts.MarkerSize = 8;
        pts.LegendText = $"held-out run ({NumberStyle.Percent(backtest.Level, 2)} interval: green covers, red misses)";
        plot.ShowLegend(Edge.Bottom);
        return plot;
    }

    private static Plot BuildResiduals(IReadOnlyList<LawSummary> laws)
    {
        var plot = NewPlot("Residuals of the fitted laws (colour: model size, marker: law)", "training compute C = 6ND (FLOP)", "ln L − ln L̂ (relative error of the fit)");
        var colours = SizeColours(laws.SelectMany(l => l.Residuals).Select(r => r.N));
        var shapes = new[] { MarkerShape.FilledCircle, MarkerShape.OpenSquare, MarkerShape.FilledTriangleUp };
        var xs = new List<double>();
        // Solid: Skia's SVG canvas cannot write a dash effect and prints a complaint for every dashed path.
        var zero = plot.Add.HorizontalLine(0);
        zero.Color = Colors.Gray;
        var named = new HashSet<long>();
        for (var k = 0; k < laws.Count; k++)
        {
            var shape = shapes[k % shapes.Length];
            foreach (var r in laws[k].Residuals.Where(r => r.Compute > 0 && double.IsFinite(r.LogResidual)))
            {
                var m = plot.Add.Marker(Math.Log10(r.Compute), r.LogResidual, shape, 8);
                m.Color = colours[r.N];
                if (named.Add(r.N))
                {
                    m.LegendText = $"N = {Estimate.Format(r.N)}";
                }
                xs.Add(r.Compute);
            }
            var legend = plot.Add.Marker(double.NaN, double.NaN, shape, 8);
            legend.Color = Colors.Gray;
            legend.LegendText = laws[k].Law == "chinchilla" ? "L(N,D), every configuration" : $"{laws[k].Law} L(C), frontier";
        }
        LogTicks(plot.Axes.Bottom, xs);
        plot.ShowLegend(Edge.Right);
        return plot;
    }

    private static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        return plot;
    }

    /// <summary>One colour per model size, from small (light) to large (dark) along a sequential colormap.</summary>
    private static Dictionary<long, Color> SizeColours(IEnumerable<RunRow> runs) => SizeColours(runs.Select(r => r.NonEmbeddingParams));

    private static Dictionary<long, Color> SizeColours(IEnumerable<long> nonEmbeddingParams)
    {
        var sizes = nonEmbeddingParams.Distinct().Order().ToList();
        var map = new ScottPlot.Colormaps.Viridis();
        return sizes.Select((n, i) => (n, map.GetColor(sizes.Count == 1 ? 0.5 : 0.9 - (0.9 * i / (sizes.Count - 1))))).ToDictionary(x => x.n, x => x.Item2);
    }

    /// <summary>A marker shape per compute budget (runs within 3% of each other's compute share one).</summary>
    private static Dictionary<string, (MarkerShape Shape, int Budget)> BudgetMarkers(IReadOnlyList<RunRow> runs)
    {
        var shapes = new[] { MarkerShape.FilledCircle, MarkerShape.FilledSquare, MarkerShape.FilledTriangleUp, MarkerShape.FilledDiamond, MarkerShape.FilledTriangleDown, MarkerShape.OpenCircle, MarkerShape.OpenSquare };
        var result = new Dictionary<string, (MarkerShape, int)>();
        var budget = -1;
        var first = 0.0;
        foreach (var r in runs.OrderBy(r => r.Flops))
        {
            if (budget < 0 || r.Flops > first * 1.03)
            {
                budget++;
                first = r.Flops;
            }
            result[r.Key] = (shapes[budget % shapes.Length], budget);
        }
        return result;
    }

    private static void AddFloorLine(Plot plot, double? floor)
    {
        if (floor is > 0)
        {
            var line = plot.Add.HorizontalLine(Math.Log10(floor.Value));
            line.Color = Colors.DarkRed;
            line.LinePattern = LinePattern.Dashed;
            line.LegendText = $"floor on the validation windows {NumberStyle.Format(floor.Value, 4)}";
        }
    }

    /// <summary>
    /// Ticks of a log10 axis at 1, 2 and 5 × 10^k inside the data's range (labels in the data's units, e.g. "2e+10",
    /// "1.8"); where the range is under a factor of 2, at nice steps of the plain value instead.
    /// </summary>
    private static void LogTicks(IAxis axis, IEnumerable<double> values)
    {
        var v = values.Where(x => x > 0 && double.IsFinite(x)).ToArray();
        if (v.Length == 0)
        {
            return;
        }
        double lo = v.Min(), hi = v.Max();
        var ticks = new List<double>();
        if (hi / lo >= 2)
        {
            for (var k = (int)Math.Floor(Math.Log10(lo)); k <= (int)Math.Ceiling(Math.Log10(hi)); k++)
            {
                ticks.AddRange(new[] { 1.0, 2, 5 }.Select(m => m * Math.Pow(10, k)).Where(t => t >= lo / 1.05 && t <= hi * 1.05));
            }
        }
        if (ticks.Count < 3)
        {
            var step = NiceStep((hi - lo) / 5);
            ticks = [];
            for (var t = Math.Ceiling(lo / step) * step; t <= hi + step / 2; t += step)
            {
                ticks.Add(t);
            }
        }
        var manual = new ScottPlot.TickGenerators.NumericManual();
        foreach (var t in ticks)
        {
            manual.AddMajor(Math.Log10(t), Label(t));
        }
        axis.TickGenerator = manual;
    }

    private static double NiceStep(double raw)
    {
        if (!(raw > 0))
        {
            return 0.01;
        }
        var p = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        return new[] { 1.0, 2, 5, 10 }.Select(m => m * p).First(s => s >= raw);
    }

    private static string Label(double x) => NumberStyle.Format(x, 3);
}
