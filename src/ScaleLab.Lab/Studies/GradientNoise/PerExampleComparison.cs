using ScaleLab.Engine.Data;
using ScaleLab.Engine.Training;

namespace ScaleLab.Lab.Studies.GradientNoise;

/// <summary>
/// The two ways to get B_simple out of one accumulated batch of B sequences, side by side: the small batch is a
/// micro-batch of B/M sequences (<see cref="Micro"/>), or a single sequence (<see cref="PerExample"/>, M = B, the
/// B_small = 1 variant of McCandlish et al. 2018, App. A.1, whose tr(Σ) estimate is the Bessel-corrected per-example
/// formula). Both estimate the same tr(Σ)/|G|², so their ratio should hover around 1; the per-example one has
/// the lower variance (its small-batch norm averages B per-example norms instead of M micro-batch norms).
/// </summary>
/// <param name="Micro">The run with the configured micro-batches.</param>
/// <param name="PerExample">The same run (same seed, so the same initial weights and the same B sequences at every
/// step) with one sequence per micro-batch. Its parameters drift from <see cref="Micro"/>'s only by the float
/// summation order of the accumulated gradient.</param>
public sealed record PerExampleComparison(GradientNoiseTrajectory Micro, GradientNoiseTrajectory PerExample)
{
    /// <summary>Per step: B_simple (per-example) / B_simple (micro-batch).</summary>
    public IReadOnlyList<double> Ratios =>
        PerExample.Points.Zip(Micro.Points, (p, m) => p.Record.BSimple / m.Record.BSimple).ToList();

    /// <summary>Mean B_simple of each run over steps [from, to] and the ratio of the means (per-example / micro).</summary>
    public (double PerExample, double Micro, double Ratio) MeanOver(long from, long to)
    {
        var p = PerExample.Points.Where(x => x.Step >= from && x.Step <= to).Select(x => x.Record.BSimple).DefaultIfEmpty(double.NaN).Average();
        var m = Micro.Points.Where(x => x.Step >= from && x.Step <= to).Select(x => x.Record.BSimple).DefaultIfEmpty(double.NaN).Average();
        return (p, m, p / m);
    }

    /// <summary>The steps the comparison's means are taken over: the second half of training, (S/2, S], after the
    /// EMAs and the early transient have settled.</summary>
    public (long From, long To) SecondHalf => (Micro.Options.Steps / 2 + 1, Micro.Options.Steps);

    /// <summary><see cref="MeanOver"/> the <see cref="SecondHalf"/>.</summary>
    public (double PerExample, double Micro, double Ratio) SecondHalfMean() => MeanOver(SecondHalf.From, SecondHalf.To);

    /// <summary>Trains <paramref name="options"/> (2 ≤ M &lt; B, so the micro-batch holds several sequences) and the
    /// same run with M = B, tracking B_simple in both with EMA decay <paramref name="emaDecay"/>.</summary>
    public static PerExampleComparison Run(TrainOptions options, ICorpus corpus, double emaDecay,
        Action<string, GradientNoisePoint>? onStep = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MicroBatches < 2 || options.MicroBatchSize < 2)
        {
            throw new ArgumentException(
                $"the comparison needs micro-batches of 2 or more sequences and at least 2 of them, got {options.MicroBatches} of {options.MicroBatchSize}",
                nameof(options));
        }
        var micro = GradientNoiseRun.Train(options, corpus, emaDecay, p => onStep?.Invoke("micro", p), cancellationToken: cancellationToken);
        var perExample = GradientNoiseRun.Train(options with { MicroBatches = options.Batch }, corpus, emaDecay,
            p => onStep?.Invoke("per-example", p), cancellationToken: cancellationToken);
        return new PerExampleComparison(micro, perExample);
    }
}
