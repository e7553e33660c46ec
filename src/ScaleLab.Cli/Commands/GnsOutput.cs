using System.Globalization;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Studies.GradientNoise;
using Spectre.Console;

namespace ScaleLab.Cli.Commands;

/// <summary>gns's human output: the B_simple table of one run, or <c>--compare-per-example</c>'s side-by-side table,
/// each a row every <c>every</c>-th step and at the last.</summary>
internal static class GnsOutput
{
    /// <summary>Whether step <paramref name="step"/> gets a table row (and a progress line): every
    /// <paramref name="every"/>-th step and the last of <paramref name="steps"/>.</summary>
    public static bool Shown(long step, int every, long steps) => step % every == 0 || step == steps;

    /// <summary>The row interval when --every is left out: about 20 rows.</summary>
    public static int DefaultEvery(long steps) => (int)Math.Max(1, steps / 20);

    /// <summary>One run: |G|² and tr(Σ) EMAs and B_simple in sequences and tokens.</summary>
    public static void Write(IAnsiConsole console, GradientNoiseTrajectory result, TrainOptions options, string corpus, double ema, int every)
    {
        var seq = options.Model.SeqLen;
        var table = new Table().AddColumns("step", "train loss", "|G|² (EMA)", "tr(Σ) (EMA)", "B_simple (seq)", "B_simple (tokens)");
        foreach (var p in result.Points.Where(p => Shown(p.Step, every, options.Steps)))
        {
            table.AddRow(p.Step.ToString(CultureInfo.InvariantCulture), Inv($"{p.Loss:F4}"), Inv($"{p.Record.GradNormSqEma:G4}"),
                Inv($"{p.Record.TraceCovEma:G4}"), Inv($"{p.Record.BSimple:G4}"), Inv($"{p.Record.BSimple * seq:G4}"));
        }
        console.MarkupLine(Markup.Escape(
            $"{corpus}; model L={options.Model.Layers} C={options.Model.DModel} T={seq}; " +
            $"B={options.Batch} sequences as {options.MicroBatches} micro-batches of {options.MicroBatchSize}; EMA decay {ema}"));
        console.Write(table);
        console.MarkupLine(Markup.Escape(Inv(
            $"validation loss {result.ValidationLoss:F4}; B_simple = EMA(tr Σ)/EMA(|G|²) from the two-batch estimators (McCandlish et al. 2018, App. A.1)")));
    }

    /// <summary>--compare-per-example: both runs' losses and B_simple, their ratio, and the means over the second half.</summary>
    public static void WriteComparison(IAnsiConsole console, PerExampleComparison comparison, TrainOptions options, string corpus, double ema, int every)
    {
        var (from, to) = comparison.SecondHalf;
        var mean = comparison.SecondHalfMean();
        var table = new Table().AddColumns("step", "train loss (micro)", "train loss (per-example)",
            Inv($"B_simple, B_small = {options.MicroBatchSize}"), "B_simple, B_small = 1", "ratio");
        var points = comparison.Micro.Points.Zip(comparison.PerExample.Points, (m, p) => (m, p)).Zip(comparison.Ratios, (x, r) => (x.m, x.p, r));
        foreach (var (m, p, r) in points.Where(x => Shown(x.m.Step, every, options.Steps)))
        {
            table.AddRow(m.Step.ToString(CultureInfo.InvariantCulture), Inv($"{m.Loss:F4}"), Inv($"{p.Loss:F4}"),
                Inv($"{m.Record.BSimple:G4}"), Inv($"{p.Record.BSimple:G4}"), Inv($"{r:F3}"));
        }
        console.MarkupLine(Markup.Escape(
            $"{corpus}; model L={options.Model.Layers} C={options.Model.DModel} T={options.Model.SeqLen}; " +
            $"B={options.Batch} sequences as {options.MicroBatches} micro-batches of {options.MicroBatchSize} vs {options.Batch} of 1; seed {options.Seed}; EMA decay {ema}"));
        console.Write(table);
        console.MarkupLine(Markup.Escape(Inv(
            $"mean B_simple over steps {from}-{to}: {mean.Micro:G4} (B_small = {options.MicroBatchSize}), {mean.PerExample:G4} (B_small = 1), ratio {mean.Ratio:F3}")));
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
