using System.Globalization;
using ScaleLab.Laws;
using ScottPlot;

namespace ScaleLab.Report.Plots;

/// <summary>
/// A law fit on log axes: the data (loss against the law's axis), the fitted curve extended one decade past the
/// largest point (dashed beyond it), and the percentile band of the bootstrap draws when the fit has them.
/// Axis: x for one-variable laws (N, D or C); compute C for chinchilla, where the curve is the compute-optimal
/// frontier L(N_opt(C), D_opt(C)) (Hoffmann et al. 2022 eq. 4); C for kaplan with the fitted value at each run
/// (its frontier has no closed form); t (linear) for the exponential trend. Back-tested points are drawn in red.
/// </summary>
public static class LawFitPlot
{
    public const int Width = 900;
    public const int Height = 600;

    /// <summary>Writes the figure to <paramref name="path"/>: PNG or SVG chosen by the extension.</summary>
    public static void Save(string path, LawFit fit, ScalingDataset data, BacktestResult? backtest = null,
        int width = Width, int height = Height)
    {
        var format = PlotFile.FormatOf(path);
        PlotFile.Save(Build(fit, data, backtest), path, format, width, height);
    }

    public static Plot Build(LawFit fit, ScalingDataset data, BacktestResult? backtest = null)
    {
        var law = fit.Form;
        var (axis, label, logX) = Axis(law, data);
        double X(double v) => logX ? Math.Log10(v) : v;
        var plot = new Plot();
        plot.Title($"{law.Name}: {law.Formula}");
        plot.XLabel(label);
        plot.YLabel("loss");

        var heldRows = backtest?.Points.Select(p => p.Row).ToHashSet() ?? [];
        var train = Enumerable.Range(0, data.Count).Where(i => !heldRows.Contains(data.Rows[i])).ToArray();
        var dots = plot.Add.ScatterPoints(train.Select(i => X(axis[i])).ToArray(), train.Select(i => Math.Log10(data.Y[i])).ToArray());
        dots.Color = Colors.SteelBlue;
        dots.MarkerSize = 5;
        dots.LegendText = $"data ({train.Length} points)";
        if (backtest is not null)
        {
            var held = Enumerable.Range(0, data.Count).Where(i => heldRows.Contains(data.Rows[i])).ToArray();
            var h = plot.Add.ScatterPoints(held.Select(i => X(axis[i])).ToArray(), held.Select(i => Math.Log10(data.Y[i])).ToArray());
            h.Color = Colors.Red;
            h.MarkerSize = 7;
            h.LegendText = string.Create(CultureInfo.InvariantCulture,
                $"held out ({held.Length}): coverage {NumberStyle.Percent(backtest.Coverage, 2)}, mean |rel. error| {NumberStyle.Percent(backtest.MeanAbsRelativeError, 3)}");
        }

        double lo = axis.Min(), hi = axis.Max();
        if (law is KaplanLaw)
        {
            var fitted = plot.Add.ScatterPoints(Enumerable.Range(0, data.Count).Select(i => X(axis[i])).ToArray(),
                Enumerable.Range(0, data.Count).Select(i => Math.Log10(fit.Predict(LawPoint.At(data, i)))).ToArray());
            fitted.Color = Colors.DarkOrange;
            fitted.MarkerShape = MarkerShape.OpenCircle;
            fitted.LegendText = "fitted value";
        }
        else
        {
            double end = logX ? hi * 10 : hi + 0.5 * (hi - lo);
            var xs = Enumerable.Range(0, 120).Select(k => logX
                ? Math.Pow(10, Math.Log10(lo) + (Math.Log10(end) - Math.Log10(lo)) * k / 119.0)
                : lo + (end - lo) * k / 119.0).ToArray();
            Func<double[], double, double> curve = law is ChinchillaLaw ? Frontier : (v, x) => law.Predict(v, PointAt(law, x));
            if (fit.Bootstrap is { Draws.Length: > 1 } boot)
            {
                var band = xs.Select(x => Quantile.Percentile(boot.Draws.Select(d => curve(d, x)), boot.Level)).ToArray();
                var fill = plot.Add.FillY(xs.Select(X).ToArray(), band.Select(b => Math.Log10(b.Lo)).ToArray(),
                    band.Select(b => Math.Log10(b.Hi)).ToArray());
                fill.FillColor = Colors.DarkOrange.WithAlpha(0.25);
                fill.LegendText = string.Create(CultureInfo.InvariantCulture, $"{NumberStyle.Percent(boot.Level, 2)} bootstrap band ({boot.Draws.Length} draws)");
            }
            var inside = xs.Where(x => x <= hi).ToArray();
            var outside = xs.Where(x => x >= hi).Prepend(hi).ToArray();
            var line = plot.Add.ScatterLine(inside.Select(X).ToArray(), inside.Select(x => Math.Log10(curve(fit.Values, x))).ToArray());
            line.Color = Colors.DarkOrange;
            line.LineWidth = 2;
            line.LegendText = law is ChinchillaLaw ? "fit: compute-optimal frontier" : "fit";
            var extra = plot.Add.ScatterLine(outside.Select(X).ToArray(), outside.Select(x => Math.Log10(curve(fit.Values, x))).ToArray());
            extra.Color = Colors.DarkOrange;
            extra.LineWidth = 2;
            extra.LinePattern = LinePattern.Dashed;
            extra.LegendText = "extrapolation";
        }
        if (logX)
        {
            plot.Axes.Bottom.TickGenerator = LogTicks();
        }
        plot.Axes.Left.TickGenerator = LogTicks();
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    /// <summary>Chinchilla loss on the compute-optimal frontier at compute c for parameters (E, A, B, alpha, beta).</summary>
    private static double Frontier(double[] v, double c)
    {
        var (n, d) = ComputePlanner.Optimal(v[1], v[2], v[3], v[4], c);
        return v[0] + v[1] / Math.Pow(n, v[3]) + v[2] / Math.Pow(d, v[4]);
    }

    private static LawPoint PointAt(IScalingLaw law, double x) => law.Inputs switch
    {
        LawInputs.N => new LawPoint(N: x),
        LawInputs.D => new LawPoint(D: x),
        LawInputs.T => new LawPoint(T: x),
        _ => new LawPoint(C: x),
    };

    private static (double[] Axis, string Label, bool Log) Axis(IScalingLaw law, ScalingDataset data) => law.Inputs switch
    {
        LawInputs.N => (data.N!, "parameters N", true),
        LawInputs.D => (data.D!, "tokens D", true),
        LawInputs.T => (data.T!, "t", false),
        _ => (data.C ?? data.N!.Zip(data.D!, (n, d) => 6 * n * d).ToArray(), "compute C (FLOP)", true),
    };

    private static ScottPlot.TickGenerators.NumericAutomatic LogTicks() => new()
    {
        LabelFormatter = PlotFile.Pow10Label,
        MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
    };
}
