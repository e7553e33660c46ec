using System.Globalization;
using ScaleLab.Lab.Studies.Distillation;
using ScaleLab.Laws;
using ScaleLab.Laws.Distillation;
using ScottPlot;

namespace ScaleLab.Report.Plots;

/// <summary>
/// The two figures of <c>scalelab distill --study S --plot FILE</c> and of the report's distillation section.
/// Figure 1: seed-mean validation loss against log10 compute counted as the issue does (6·N_S·D + 2·N_T·D), one colour per
/// teacher (black: trained on samples), one marker per student size; each crossover of that view where the curves cross,
/// at the crossing compute with its 95% bootstrap interval as a horizontal bar; and the oracle-teacher limit, the exact
/// loss floor of the validation windows (the corpus's known entropy floor), as a dashed line. When the study was read
/// with laws, each teacher's fitted law L(N_S, D) is the line through its markers (<see cref="LawCurve"/>, dotted past the
/// data) and the law-based crossovers are crosses with their 95% bootstrap intervals as dotted bars.
/// Figure 2 (<see cref="CapacityGapPath"/>): the capacity gap for the smallest student: its loss at the largest budget
/// against each teacher's own loss (± 1.96 standard errors over seeds), with the student trained on samples as a line.
/// </summary>
public static class DistillationPlot
{
    private const int Width = 900;
    private const int Height = 600;

    /// <summary>The compute view figure 1 draws and marks crossovers in: the issue's count.</summary>
    public const ComputeView View = ComputeView.WithTeacherForward;

    /// <summary>Path of the second figure: FILE.png → FILE-capacity-gap.png.</summary>
    public static string CapacityGapPath(string path) =>
        Path.Combine(Path.GetDirectoryName(path) ?? "", Path.GetFileNameWithoutExtension(path) + "-capacity-gap" + Path.GetExtension(path));

    public static void Save(DistillationStudyResult result, string path)
    {
        var (curves, gap) = Build(result);
        Save(curves, path);
        Save(gap, CapacityGapPath(path));
    }

    /// <summary>Compute of a point in <see cref="View"/>.</summary>
    public static double Compute(DistillationPoint p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return p.StudentFlops + p.TeacherForwardFlops;
    }

    /// <summary>The seed-mean curve of one student size and teacher: (log10 compute, mean loss) by token budget.</summary>
    public static (double[] LogCompute, double[] Loss) Curve(IEnumerable<DistillationPoint> points) =>
        points.GroupBy(p => p.Tokens).OrderBy(g => g.Key)
            .Select(g => (X: Math.Log10(g.Average(Compute)), Y: g.Average(p => p.Loss)))
            .Aggregate((X: new List<double>(), Y: new List<double>()), (acc, q) => { acc.X.Add(q.X); acc.Y.Add(q.Y); return acc; },
                acc => (acc.X.ToArray(), acc.Y.ToArray()));

    /// <summary>The oracle teacher's loss (the exact floor of the validation windows) where the study has the oracle.</summary>
    public static double? OracleFloor(DistillationStudyResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.CapacityGap.FirstOrDefault(r => r.Teacher == DistillationTeacher.Oracle && r.TeacherLoss is { } l && double.IsFinite(l))?.TeacherLoss;
    }

    public static (Plot LossVsCompute, Plot CapacityGap) Build(DistillationStudyResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var palette = new ScottPlot.Palettes.Category10();
        var shapes = new[] { MarkerShape.FilledCircle, MarkerShape.FilledSquare, MarkerShape.FilledTriangleUp, MarkerShape.FilledDiamond, MarkerShape.OpenCircle, MarkerShape.OpenSquare };
        var teachers = result.Points.Select(p => p.Teacher).Distinct().OrderBy(t => t == DistillationCrossovers.Scratch ? "" : t, StringComparer.Ordinal).ToList();
        var sizes = result.Points.Select(p => p.StudentParameters).Distinct().Order().ToList();
        Color ColorOf(string teacher) => teacher == DistillationCrossovers.Scratch ? Colors.Black : palette.GetColor(teachers.IndexOf(teacher) - (teachers.Contains(DistillationCrossovers.Scratch) ? 1 : 0));

        var lawsNamed = false;
        var curves = new Plot();
        curves.Title("distillation: student loss against compute");
        curves.XLabel("log10 compute 6·N_S·D + 2·N_T·D (FLOP; teacher's forward passes counted)");
        curves.YLabel("validation loss (nats/token, mean over seeds)");
        foreach (var size in sizes)
        {
            var shape = shapes[sizes.IndexOf(size) % shapes.Length];
            foreach (var teacher in teachers)
            {
                var (x, y) = Curve(result.Points.Where(p => p.StudentParameters == size && p.Teacher == teacher));
                if (x.Length == 0) continue;
                var line = curves.Add.Scatter(x, y);
                line.Color = ColorOf(teacher);
                line.MarkerShape = shape;
                line.MarkerSize = 8;
                line.LegendText = string.Create(CultureInfo.InvariantCulture, $"N_S = {NumberStyle.Format(size)}, {(teacher == DistillationCrossovers.Scratch ? "trained on samples" : "teacher " + teacher)}");
                if (result.Laws?.StudentLaws.FirstOrDefault(l => l.Teacher == teacher) is not { } law) continue;
                // With a fitted law the measured means are markers and the law is the line through them.
                line.LineWidth = 0;
                var (inside, beyond) = LawCurve(law, size, result.Points.Where(p => p.StudentParameters == size && p.Teacher == teacher).ToList());
                var fitted = curves.Add.Scatter(inside.LogCompute, inside.Loss);
                fitted.Color = ColorOf(teacher);
                fitted.MarkerSize = 0;
                var extrapolated = curves.Add.Scatter(beyond.LogCompute, beyond.Loss);
                extrapolated.Color = ColorOf(teacher);
                extrapolated.MarkerSize = 0;
                extrapolated.LinePattern = LinePattern.Dotted;
                if (!lawsNamed)
                {
                    fitted.LegendText = "fitted law L = E + A/N_S^α + B/D^β of each teacher (dotted: up to 10x past the data)";
                    lawsNamed = true;
                }
            }
        }
        var lawMarked = false;
        foreach (var c in result.Laws?.Crossovers.Where(c => c.View == View && c.Compute is not null && c.Kind is CrossoverKind.StopsPaying or CrossoverKind.StartsPaying) ?? [])
        {
            if (result.Laws!.StudentLaws.FirstOrDefault(l => l.Teacher == DistillationCrossovers.Scratch) is not { } scratch) break;
            var at = Math.Log10(c.Compute!.Value);
            var loss = scratch.Predict(c.StudentParameters, c.Compute.Value / (6.0 * c.StudentParameters));
            var marker = curves.Add.Marker(at, loss, MarkerShape.Cross, 16);
            marker.Color = ColorOf(c.Teacher);
            if (c.Low is { } lo && c.High is { } hi)
            {
                var bar = curves.Add.Line(Math.Log10(lo), loss, Math.Log10(hi), loss);
                bar.Color = ColorOf(c.Teacher);
                bar.LinePattern = LinePattern.Dotted;
            }
            if (!lawMarked) marker.LegendText = "crossover of the fitted laws, 95% bootstrap interval";
            lawMarked = true;
        }
        var marked = false;
        foreach (var c in result.Crossovers.Where(c => c.View == View && c.Compute is not null && c.Kind is CrossoverKind.StopsPaying or CrossoverKind.StartsPaying))
        {
            var (x, y) = Curve(result.Points.Where(p => p.StudentParameters == c.StudentParameters && p.Teacher == DistillationCrossovers.Scratch));
            if (x.Length == 0) continue;
            var at = Math.Log10(c.Compute!.Value);
            var loss = Interpolate(x, y, at);
            var marker = curves.Add.Marker(at, loss, MarkerShape.OpenCircle, 18);
            marker.Color = ColorOf(c.Teacher);
            if (c.Low is { } lo && c.High is { } hi) curves.Add.Line(Math.Log10(lo), loss, Math.Log10(hi), loss).Color = ColorOf(c.Teacher);
            if (!marked) marker.LegendText = "crossover, 95% bootstrap interval over seeds";
            marked = true;
        }
        if (OracleFloor(result) is { } floor)
        {
            var limit = curves.Add.HorizontalLine(floor);
            limit.Color = Colors.Gray;
            limit.LinePattern = LinePattern.Dashed;
            limit.LegendText = string.Create(CultureInfo.InvariantCulture, $"oracle-teacher limit: exact floor of the validation windows, {NumberStyle.Format(floor)}");
        }
        curves.ShowLegend(Alignment.UpperRight);
        return (curves, BuildCapacityGap(result, ColorOf));
    }

    private static Plot BuildCapacityGap(DistillationStudyResult result, Func<string, Color> colorOf)
    {
        var plot = new Plot();
        var smallest = result.CapacityGap.Count == 0 ? 0 : result.CapacityGap.Min(r => r.StudentParameters);
        var rows = result.CapacityGap.Where(r => r.StudentParameters == smallest).ToList();
        plot.Title(string.Create(CultureInfo.InvariantCulture, $"capacity gap: student N_S = {NumberStyle.Format(smallest)} against its teacher"));
        plot.XLabel("teacher's own validation loss (nats/token; oracle: the exact floor)");
        plot.YLabel("student validation loss at the largest budget (± 1.96 s.e.)");
        foreach (var r in rows.Where(r => r.TeacherLoss is { } t && double.IsFinite(t)).OrderBy(r => r.TeacherLoss))
        {
            var x = r.TeacherLoss!.Value;
            var dot = plot.Add.Marker(x, r.StudentLoss, MarkerShape.FilledCircle, 10);
            dot.Color = colorOf(r.Teacher);
            dot.LegendText = r.Teacher;
            if (double.IsFinite(r.StandardError))
            {
                plot.Add.Line(x, r.StudentLoss - 1.96 * r.StandardError, x, r.StudentLoss + 1.96 * r.StandardError).Color = colorOf(r.Teacher);
            }
        }
        if (rows.FirstOrDefault(r => r.Teacher == DistillationCrossovers.Scratch) is { } scratch)
        {
            var line = plot.Add.HorizontalLine(scratch.StudentLoss);
            line.Color = Colors.Black;
            line.LinePattern = LinePattern.Dashed;
            line.LegendText = string.Create(CultureInfo.InvariantCulture, $"same student trained on samples, {NumberStyle.Format(scratch.StudentLoss)}");
        }
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    /// <summary>
    /// A teacher's fitted law for one student size in <see cref="View"/>: at compute C the student has seen
    /// D = C / (6·N_S + 2·N_T) tokens (N_T = 0 on samples and for the oracle), so L(C) = E + A/N_S^α + B/D^β. Drawn over the
    /// compute measured for this size and teacher (inside), then on to 10 times its largest (beyond, where the law
    /// crossovers are searched): 40 log-spaced points each.
    /// </summary>
    public static ((double[] LogCompute, double[] Loss) Inside, (double[] LogCompute, double[] Loss) Beyond) LawCurve(StudentLossLaw law, long size,
        IReadOnlyList<DistillationPoint> points)
    {
        ArgumentNullException.ThrowIfNull(law);
        ArgumentNullException.ThrowIfNull(points);
        var perToken = 6.0 * size + points.Average(p => p.TeacherForwardFlops / (2.0 * p.Tokens)) * 2.0;
        var lo = Math.Log10(points.Min(Compute));
        var hi = Math.Log10(points.Max(Compute));
        (double[], double[]) Span(double from, double to)
        {
            var x = Enumerable.Range(0, 40).Select(i => from + (to - from) * i / 39).ToArray();
            return (x, x.Select(v => law.Predict(size, Math.Pow(10, v) / perToken)).ToArray());
        }
        return (Span(lo, hi), Span(hi, hi + Math.Log10(DistillationLaws.SearchWidening)));
    }

    /// <summary>Linear interpolation of y at x on knots sorted by x (clamped at the ends).</summary>
    internal static double Interpolate(double[] xs, double[] ys, double x)
    {
        if (x <= xs[0]) return ys[0];
        for (var i = 1; i < xs.Length; i++)
        {
            if (x <= xs[i]) return ys[i - 1] + (ys[i] - ys[i - 1]) * (x - xs[i - 1]) / (xs[i] - xs[i - 1]);
        }
        return ys[^1];
    }

    private static void Save(Plot plot, string path)
    {
        if (Path.GetExtension(path).Equals(".svg", StringComparison.OrdinalIgnoreCase))
        {
            plot.SaveSvg(path, Width, Height);
        }
        else
        {
            plot.SavePng(path, Width, Height);
        }
    }
}
