using System.Text.Json;
using ScaleLab.Engine.Training;
using ScaleLab.Laws;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Studies.GradientNoise;

namespace ScaleLab.Lab.Training;

/// <summary>
/// The JSON documents of <c>scalelab train --json</c> (System.Text.Json, snake_case, indented; non-finite numbers are
/// null by the one rule, <see cref="JsonNumbers"/>): a standalone run's summary, or a registry run as recorded.
/// </summary>
public static class TrainRunDocument
{
    private static readonly JsonSerializerOptions Json = JsonNumbers.With(new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    });

    /// <summary>
    /// A standalone run: corpus, shape, optimiser settings, losses beside the corpus's floors (the gaps are null when the
    /// floor is unknown), parameters and 6·N·D FLOPs both ways, throughput, checkpoint and every evaluation; with
    /// gradient-noise tracking, the B_simple record sampled at each evaluation (in sequences and in tokens).
    /// </summary>
    public static string Standalone(TrainSummary s, TrainOptions o, IReadOnlyList<EvalMetrics> evals, string corpusSpec,
        IReadOnlyList<GradientNoiseRecord>? noise)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(evals);
        var doc = new Dictionary<string, object?>
        {
            ["command"] = "train",
            ["corpus"] = s.Corpus,
            ["corpus_spec"] = corpusSpec,
            ["config"] = new { layers = s.Model.Layers, d_model = s.Model.DModel, heads = s.Model.Heads, seq_len = s.Model.SeqLen, vocab = s.Model.Vocab },
            ["batch"] = o.Batch,
            ["micro_batches"] = o.MicroBatches,
            ["learning_rate"] = o.LearningRate,
            ["optimizer"] = o.Optimizer == OptimizerKind.Sgd ? "sgd" : "adamw",
            ["momentum"] = o.Optimizer == OptimizerKind.Sgd ? o.Momentum : null,
            ["warmup_steps"] = o.EffectiveWarmupSteps,
            ["min_lr_fraction"] = o.MinLearningRateFraction,
            ["seed"] = o.Seed,
            ["steps"] = s.Steps,
            ["tokens"] = s.Tokens,
            ["final_train_loss"] = s.FinalTrainLoss,
            ["final_validation_loss"] = s.FinalValidationLoss,
            ["entropy_rate"] = s.EntropyRate,
            ["loss_floor"] = s.LossFloor,
            ["gap_to_floor"] = s.LossFloor is { } f ? s.FinalValidationLoss - f : null,
            ["validation_floor"] = s.ValidationFloor,
            ["gap_to_validation_floor"] = s.ValidationFloor is { } vf ? s.FinalValidationLoss - vf : null,
            ["parameters"] = s.Parameters,
            ["non_embedding_parameters"] = s.NonEmbeddingParameters,
            ["flops_6nd_non_embedding"] = s.FlopsNonEmbedding,
            ["flops_6nd_total"] = s.FlopsTotal,
            ["flops_with_attention"] = s.FlopsWithAttention,
            ["wall_seconds"] = s.WallSeconds,
            ["tokens_per_second"] = s.TokensPerSecond,
            ["threads"] = s.Threads,
            ["checkpoint"] = o.CheckpointPath,
            ["evals"] = evals.Select(e => new { step = e.Step, tokens = e.Tokens, validation_loss = e.ValidationLoss }).ToList(),
        };
        if (noise is not null)
        {
            doc["gns"] = noise.Select(r => new { step = r.Step, grad_norm_sq = r.GradNormSqEma, trace_cov = r.TraceCovEma, b_simple = r.BSimple, b_simple_tokens = r.BSimple * o.Model.SeqLen }).ToList();
        }
        return JsonSerializer.Serialize(doc, Json);
    }

    /// <summary>A registry run as recorded: its key, status, size, final loss, last validation loss and last B_simple.</summary>
    public static string InRegistry(string registry, string study, RunRecord run, long steps, IReadOnlyList<MetricRow> metrics)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(metrics);
        var lastEval = metrics.LastOrDefault(m => m.ValLoss is not null);
        return JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["registry"] = registry,
            ["study"] = study,
            ["run"] = run.Key,
            ["status"] = run.Status.ToString().ToLowerInvariant(),
            ["steps"] = steps,
            ["tokens"] = run.Tokens,
            ["parameters"] = run.Parameters,
            ["non_embedding_parameters"] = run.NonEmbeddingParameters,
            ["final_loss"] = run.FinalLoss,
            ["final_validation_loss"] = lastEval?.ValLoss,
            ["b_simple"] = metrics.Count > 0 ? metrics[^1].BSimple : null,
        }, Json);
    }
}
