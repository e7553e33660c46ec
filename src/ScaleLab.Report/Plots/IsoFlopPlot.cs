using System.Globalization;
using ScaleLab.Laws;
using ScaleLab.Laws.IsoFlop;
using ScottPlot;

namespace ScaleLab.Report.Plots;

/// <summary>
/// Two panels side by side (Hoffmann et al. 2022, Figure 3 layout): left, loss against N for each compute
/// budget with its fitted parabola and vertex; right, N_opt and D_opt against C on log-log axes with the
/// fitted power laws N_opt = k·C^a and D_opt = k'·C^b.
/// </summary>
public static class IsoFlopPlot
{
    public const int Width = 1400;
    public const int Height = 600;

    /// <summary>Writes the figure to <paramref name="path"/>: PNG or SVG chosen by the extension.</summary>
    public static void Save(IsoFlopResult result, string path, int width = Width, int height = Height)
    {
        var format = PlotFile.FormatOf(path);
        var (profiles, frontier) = Build(result);
        PlotFile.SaveColumns(profiles, frontier, path, format, width, height);
    }

    public static (Plot Profiles, Plot Frontier) Build(IsoFlopResult result)
    {
        var palette = new ScottPlot.Palettes.Category10();
        var profiles = new Plot();
        profiles.Title("IsoFLOP profiles (parabola in log10 N)");
        profiles.XLabel("parameters N");
        profiles.YLabel("loss");
        var i = 0;
        foreach (var budget in result.Budgets)
        {
            var color = palette.GetColor(i++);
            var dots = profiles.Add.ScatterPoints(
                budget.Runs.Select(r => Math.Log10(r.Params)).ToArray(),
                budget.Runs.Select(r => r.Loss).ToArray());
            dots.Color = budget.Accepted ? color : Colors.Gray;
            dots.MarkerSize = 6;
            dots.LegendText = $"C = {Sci(budget.Compute)}{(budget.Accepted ? "" : " (rejected)")}";
            if (budget.Parabola is { } p && budget.Accepted)
            {
                var lo = budget.Runs.Min(r => Math.Log10(r.Params));
                var hi = budget.Runs.Max(r => Math.Log10(r.Params));
                var xs = Enumerable.Range(0, 50).Select(k => lo + (hi - lo) * k / 49.0).ToArray();
                var curve = profiles.Add.ScatterLine(xs, xs.Select(p.Evaluate).ToArray());
                curve.Color = color;
                curve.LineWidth = 2;
                var vertex = profiles.Add.Marker(Math.Log10(budget.NOpt!.Value), budget.LossAtOpt!.Value);
                vertex.Color = Colors.Black;
                vertex.Shape = MarkerShape.FilledDiamond;
                vertex.Size = 10;
            }
        }
        profiles.Axes.Bottom.TickGenerator = LogTicks();
        profiles.ShowLegend(Alignment.UpperRight);
        profiles.Legend.FontSize = 10;

        var frontier = new Plot();
        frontier.Title("Compute-optimal N and D (Approach 2)");
        frontier.XLabel("compute C (FLOP)");
        frontier.YLabel("N_opt (parameters), D_opt (tokens)");
        var accepted = result.Accepted.ToList();
        var logC = accepted.Select(b => Math.Log10(b.Compute)).ToArray();
        var n = frontier.Add.ScatterPoints(logC, accepted.Select(b => Math.Log10(b.NOpt!.Value)).ToArray());
        n.Color = Colors.SteelBlue;
        n.MarkerSize = 9;
        n.LegendText = "N_opt";
        var d = frontier.Add.ScatterPoints(logC, accepted.Select(b => Math.Log10(b.DOpt!.Value)).ToArray());
        d.Color = Colors.DarkOrange;
        d.MarkerSize = 9;
        d.LegendText = "D_opt = C/(6·N_opt)";
        var ends = new[] { logC.Min() - 0.25, logC.Max() + 0.25 };
        var nLine = frontier.Add.ScatterLine(ends, ends.Select(result.NFit.Predict).ToArray());
        nLine.Color = Colors.SteelBlue;
        nLine.LineWidth = 2;
        nLine.LegendText = string.Create(CultureInfo.InvariantCulture,
            $"N_opt ∝ C^a, a = {NumberStyle.Format(result.NExponent.Value, 3)} [{NumberStyle.Format(result.NExponent.Lo, 3)}, {NumberStyle.Format(result.NExponent.Hi, 3)}]");
        var dLine = frontier.Add.ScatterLine(ends, ends.Select(result.DFit.Predict).ToArray());
        dLine.Color = Colors.DarkOrange;
        dLine.LineWidth = 2;
        dLine.LegendText = string.Create(CultureInfo.InvariantCulture,
            $"D_opt ∝ C^b, b = {NumberStyle.Format(result.DExponent.Value, 3)} [{NumberStyle.Format(result.DExponent.Lo, 3)}, {NumberStyle.Format(result.DExponent.Hi, 3)}]");
        frontier.Axes.Bottom.TickGenerator = LogTicks();
        frontier.Axes.Left.TickGenerator = LogTicks();
        frontier.ShowLegend(Alignment.UpperLeft);
        return (profiles, frontier);
    }

    private static ScottPlot.TickGenerators.NumericAutomatic LogTicks() => new()
    {
        LabelFormatter = PlotFile.Pow10Label,
        MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
    };

    private static string Sci(double v) => NumberStyle.Format(v, 3);
}
