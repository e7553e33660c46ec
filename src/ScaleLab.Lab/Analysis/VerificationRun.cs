using ScaleLab.Engine;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Lab.Analysis;

/// <summary>
/// The run that checks a forecast: the model shape whose non-embedding N is nearest (in log) to the plan's N*,
/// trained on D = C / (6·N) tokens so it spends exactly the planned compute, with everything else (corpus,
/// context, batch, schedule, evaluation windows, seed) copied from the study's runs so its loss is comparable
/// (the validation curve is sampled more sparsely; the final loss is on the same windows).
/// </summary>
/// <param name="Run">The run, in study <see cref="StudyName"/> (kept apart so it is never fitted on).</param>
/// <param name="PlannedN">The plan's N* the shape approximates.</param>
/// <param name="Compute">The planned budget (6·N·D of the run, up to rounding to whole steps).</param>
public sealed record VerificationRun(RunSpec Run, double PlannedN, double Compute)
{
    /// <summary>The study that holds a study's verification runs.</summary>
    public static string StudyName(string study) => study + ".verify";

    public long N => Run.Model.NonEmbeddingParameterCount;

    public long D => Run.Tokens;

    /// <summary>
    /// Plans the run. <paramref name="learningRate"/> is the study's rule evaluated at the chosen width (the
    /// caller says which rule). Throws <see cref="ArgumentException"/> when the budget cannot buy at least
    /// <paramref name="minSteps"/> optimizer steps of the chosen model.
    /// </summary>
    public static VerificationRun Plan(RunSpec template, double plannedN, double compute, Func<ModelShape, double> learningRate,
        int minSteps = 200)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(plannedN);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(compute);
        var shape = ShapeFamily.Nearest(plannedN, template.SeqLen, template.Vocab);
        var n = new GptConfig(shape.Layers, shape.DModel, shape.Heads, template.SeqLen, template.Vocab).NonEmbeddingParameterCount;
        var tokens = (long)Math.Round(compute / (6.0 * n));
        var tokensPerStep = (long)template.BatchSize * template.SeqLen;
        var steps = (tokens + tokensPerStep - 1) / tokensPerStep;
        if (steps < minSteps)
        {
            throw new ArgumentException(
                $"C = {compute:0.##e+0} FLOP buys the planned model ({shape.Layers}x{shape.DModel}, N = {n}) only {steps} steps of {tokensPerStep} tokens (at least {minSteps} needed)");
        }
        var warmupFraction = template.Steps > 0 ? (double)template.WarmupSteps / template.Steps : 0.1;
        var run = template with
        {
            Study = StudyName(template.Study),
            Ordinal = 0,
            Layers = shape.Layers,
            DModel = shape.DModel,
            Heads = shape.Heads,
            Steps = steps,
            WarmupSteps = (int)Math.Round(warmupFraction * steps),
            LearningRate = learningRate(shape),
            // About 20 points of the validation curve: the run is scored on its loss after the last step (always
            // evaluated), and at the study's interval a run 10x longer would spend a tenth of its time evaluating.
            EvalInterval = Math.Max(template.EvalInterval, (int)(steps / 20)),
        };
        return new VerificationRun(run, plannedN, compute);
    }
}
