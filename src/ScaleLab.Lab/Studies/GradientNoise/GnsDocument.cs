using System.Text.Json;
using ScaleLab.Lab.Studies.CriticalBatch;

namespace ScaleLab.Lab.Studies.GradientNoise;

/// <summary>
/// The JSON documents of <c>scalelab gns --json</c>: one run's B_simple trajectory (every step's raw two-batch estimates
/// of |G|² and tr(Σ), their bias-corrected EMAs and B_simple, McCandlish et al. 2018, App. A.1) with the registry run
/// it was read from, or the <c>--compare-per-example</c> document with both trajectories and their ratio.
/// </summary>
public static class GnsDocument
{
    /// <summary>One registry run's document: <see cref="Trajectory"/>, then the study, the run key, whether this
    /// command trained it, and the step it resumed from.</summary>
    public static string ToJson(GradientNoiseTrajectory result, double emaDecay, string study, SweepOutcome run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var document = Trajectory(result, emaDecay);
        document["study"] = study;
        document["run_key"] = run.RunKey;
        document["trained_now"] = run.TrainedNow;
        document["resumed_from_step"] = run.ResumedFromStep;
        return JsonSerializer.Serialize(document, StudyJson.Options);
    }

    /// <summary><c>--compare-per-example</c>'s document: both trajectories, the per-step ratio (per-example / micro)
    /// and the means over <see cref="PerExampleComparison.SecondHalf"/>.</summary>
    public static string ToJson(PerExampleComparison comparison, double emaDecay)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        var mean = comparison.SecondHalfMean();
        var document = new Dictionary<string, object?>
        {
            ["command"] = "gns",
            ["comparison"] = "B_simple with micro-batches of B/M sequences vs one sequence (B_small = 1), same seed and batches",
            ["micro"] = Trajectory(comparison.Micro, emaDecay),
            ["per_example"] = Trajectory(comparison.PerExample, emaDecay),
            ["ratio_per_example_over_micro"] = comparison.Ratios.ToList(),
            ["mean_from_step"] = comparison.SecondHalf.From,
            ["mean_b_simple_micro"] = mean.Micro,
            ["mean_b_simple_per_example"] = mean.PerExample,
            ["mean_ratio"] = mean.Ratio,
        };
        return JsonSerializer.Serialize(document, StudyJson.Options);
    }

    /// <summary>A trajectory with the settings it was trained with; B_simple also in tokens (× T).</summary>
    private static Dictionary<string, object?> Trajectory(GradientNoiseTrajectory result, double emaDecay)
    {
        ArgumentNullException.ThrowIfNull(result);
        var o = result.Options;
        return new Dictionary<string, object?>
        {
            ["command"] = "gns",
            ["corpus"] = result.Corpus,
            ["model"] = new { layers = o.Model.Layers, d_model = o.Model.DModel, heads = o.Model.Heads, seq = o.Model.SeqLen },
            ["batch"] = o.Batch,
            ["micro_batches"] = o.MicroBatches,
            ["micro_batch_size"] = o.MicroBatchSize,
            ["steps"] = o.Steps,
            ["learning_rate"] = o.LearningRate,
            ["seed"] = o.Seed,
            ["ema_decay"] = emaDecay,
            ["batch_unit"] = "sequences",
            ["estimator"] = "two-batch (McCandlish et al. 2018 App. A.1), ratio of bias-corrected EMAs",
            ["validation_loss"] = result.ValidationLoss,
            ["trajectory"] = result.Points.Select(p => new Dictionary<string, object?>
            {
                ["step"] = p.Step,
                ["tokens"] = p.Tokens,
                ["loss"] = p.Loss,
                ["grad_norm_sq_est"] = p.Record.GradNormSq,
                ["trace_cov_est"] = p.Record.TraceCov,
                ["grad_norm_sq_ema"] = p.Record.GradNormSqEma,
                ["trace_cov_ema"] = p.Record.TraceCovEma,
                ["b_simple"] = p.Record.BSimple,
                ["b_simple_tokens"] = p.Record.BSimple * o.Model.SeqLen,
            }).ToList(),
        };
    }
}
