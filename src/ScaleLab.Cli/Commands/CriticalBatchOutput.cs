using System.Globalization;
using ScaleLab.Engine;
using ScaleLab.Lab.Studies.CriticalBatch;
using Spectre.Console;

namespace ScaleLab.Cli.Commands;

/// <summary>critical-batch's human output: the per-target fits, the fastest run per batch size, and B_crit(L).</summary>
internal static class CriticalBatchOutput
{
    public static void Write(IAnsiConsole console, CriticalBatchAnalysis analysis, GptConfig model, string corpus)
    {
        console.MarkupLine(Markup.Escape(
            $"{corpus}; model L={model.Layers} C={model.DModel} T={model.SeqLen}; batch sizes in sequences; fits: least squares on ln S, 95% profile intervals"));
        var table = new Table().AddColumns("target loss", "batch sizes", "S_min (steps)", "E_min (sequences)", "B_crit (sequences)", "95% interval", "B_simple", "B_crit/B_simple");
        foreach (var t in analysis.Targets)
        {
            var fit = t.Fit;
            table.AddRow(
                Inv($"{t.TargetLoss:F3}"),
                t.Runs.Count.ToString(CultureInfo.InvariantCulture),
                fit is null ? "—" : Inv($"{fit.SMin:G4}"),
                fit is null ? "—" : Inv($"{fit.EMin:G4}"),
                fit is null ? "—" : Inv($"{fit.BCrit:G4}"),
                fit is null ? "—" : Markup.Escape(Inv($"[{fit.BCritInterval.Lo:G3}, {Bound(fit.BCritInterval.Hi)}]")),
                t.BSimple is { } b ? Inv($"{b:G4}") : "—",
                fit is not null && t.BSimple is { } b2 ? Inv($"{fit.BCrit / b2:G3}") : "—");
        }
        console.Write(table);
        var runs = new Table().AddColumns("target loss", "B", "best lr", "steps S", "examples E");
        foreach (var t in analysis.Targets)
        {
            for (var i = 0; i < t.Runs.Count; i++)
            {
                runs.AddRow(Inv($"{t.TargetLoss:F3}"), Inv($"{t.Runs[i].BatchSize}"),
                    Inv($"{t.BestLearningRates[i]:G3}"), Inv($"{t.Runs[i].Steps:F1}"), Inv($"{t.Runs[i].Examples:F0}"));
            }
        }
        console.Write(runs);
        if (analysis.Ratio is { } ratio)
        {
            console.MarkupLine(Markup.Escape(Inv(
                $"geometric means over targets: B_crit {analysis.MeanBCrit:G4}, B_simple {analysis.MeanBSimple:G4}, ratio {ratio:G3}")));
        }
        if (analysis.LossScaling is { } s)
        {
            console.MarkupLine(Markup.Escape(Inv(
                $"B_crit ∝ L^{s.Slope:F2} (α_B = {s.AlphaB:G3}, 95% [{s.AlphaBInterval.Lo:G3}, {Bound(s.AlphaBInterval.Hi)}]); Kaplan et al. 2020 report α_B ≈ 0.21")));
        }
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string Bound(double v) => double.IsFinite(v) ? v.ToString("G3", CultureInfo.InvariantCulture) : "∞";
}
