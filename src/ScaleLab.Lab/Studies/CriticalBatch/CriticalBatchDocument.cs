using System.Text.Json;
using ScaleLab.Engine;
using ScaleLab.Laws;

namespace ScaleLab.Lab.Studies.CriticalBatch;

/// <summary>
/// The JSON document of <c>scalelab critical-batch --json</c>: the per-target fits of S = S_min (1 + B_crit / B) with
/// their profile intervals, B_simple beside them, B_crit(L) across targets, and every run of the sweep with its
/// validation curve (so the analysis can be redone from the document alone).
/// </summary>
public static class CriticalBatchDocument
{
    /// <param name="model">The model every run of the sweep trains.</param>
    /// <param name="corpus">The corpus as it describes itself.</param>
    /// <param name="plots">The two figures written, or null.</param>
    /// <param name="study">The registry study of the runs.</param>
    /// <param name="registry">The registry, as given to <c>--registry</c> (resolved).</param>
    public static string ToJson(CriticalBatchAnalysis analysis, IReadOnlyList<SweepOutcome> outcomes, GptConfig model, string corpus,
        IReadOnlyList<string>? plots, string study, string registry)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        ArgumentNullException.ThrowIfNull(outcomes);
        ArgumentNullException.ThrowIfNull(model);
        var document = new Dictionary<string, object?>
        {
            ["command"] = "critical-batch",
            ["corpus"] = corpus,
            ["model"] = new { layers = model.Layers, d_model = model.DModel, heads = model.Heads, seq = model.SeqLen },
            ["batch_unit"] = "sequences",
            ["schedule"] = "linear warmup then constant learning rate",
            ["fit"] = "least squares on ln S of S = S_min (1 + B_crit / B); profile intervals",
            ["targets"] = analysis.Targets.Select(t => new Dictionary<string, object?>
            {
                ["target_loss"] = t.TargetLoss,
                ["runs"] = t.Runs.Select((r, i) => new { batch = r.BatchSize, steps = r.Steps, examples = r.Examples, learning_rate = t.BestLearningRates[i] }).ToList(),
                ["s_min"] = t.Fit?.SMin,
                ["s_min_interval"] = Interval(t.Fit?.SMinInterval),
                ["e_min"] = t.Fit?.EMin,
                ["e_min_interval"] = Interval(t.Fit?.EMinInterval),
                ["b_crit"] = t.Fit?.BCrit,
                ["b_crit_interval"] = Interval(t.Fit?.BCritInterval),
                ["b_crit_within_observed_range"] = t.Fit?.BCritWithinObservedRange,
                ["residual_sd_ln_steps"] = t.Fit?.ResidualStdDev,
                ["b_simple"] = t.BSimple,
            }).ToList(),
            ["plots"] = plots,
            ["mean_b_crit"] = analysis.MeanBCrit,
            ["mean_b_simple"] = analysis.MeanBSimple,
            ["ratio_b_crit_over_b_simple"] = analysis.Ratio,
            ["loss_scaling"] = analysis.LossScaling is { } s
                ? new Dictionary<string, object?>
                {
                    ["alpha_b"] = s.AlphaB,
                    ["alpha_b_interval"] = Interval(s.AlphaBInterval),
                    ["slope"] = s.Slope,
                    ["slope_se"] = s.SlopeStdError,
                    ["b_star"] = s.BStar,
                }
                : null,
            ["sweep"] = outcomes.Select(o => new Dictionary<string, object?>
            {
                ["run_key"] = o.RunKey,
                ["trained_now"] = o.TrainedNow,
                ["resumed_from_step"] = o.ResumedFromStep,
                ["batch"] = o.Batch,
                ["learning_rate"] = o.LearningRate,
                ["micro_batches"] = o.MicroBatches,
                ["step_cap"] = o.StepCap,
                ["steps_run"] = o.StepsRun,
                ["ending"] = o.Ending.ToString(),
                ["curve"] = o.Curve.Select(p => new { step = p.Step, validation_loss = p.Loss }).ToList(),
                ["b_simple_at_evals"] = o.NoiseScale.Select(p => new { validation_loss = p.Loss, b_simple = p.BSimple }).ToList(),
            }).ToList(),
            ["study"] = study,
            ["registry"] = registry,
        };
        return JsonSerializer.Serialize(document, StudyJson.Options);
    }

    private static object? Interval(Interval? interval) =>
        interval is { } i ? new { lo = i.Lo, hi = i.Hi } : null;
}
