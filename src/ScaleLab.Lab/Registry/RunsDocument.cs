using System.Text.Json;
using ScaleLab.Laws;

namespace ScaleLab.Lab.Registry;

/// <summary>
/// The JSON documents of <c>scalelab runs --json</c> (System.Text.Json, snake_case, indented; non-finite numbers are
/// null by the one rule, <see cref="JsonNumbers"/>): the registry's studies, one study's runs, and their per-step
/// metrics (language-model rows, or the named metrics of another run kind).
/// </summary>
public static class RunsDocument
{
    /// <summary>snake_case, indented, non-finite numbers as null: the settings of runs' and sweep's documents.</summary>
    internal static readonly JsonSerializerOptions Json = JsonNumbers.With(new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    });

    /// <summary>Every study of a registry with its run counts by status.</summary>
    public static string Studies(string registry, IEnumerable<(StudyRecord Study, StatusCounts Counts)> rows) =>
        JsonSerializer.Serialize(new
        {
            registry,
            studies = rows.Select(r => new
            {
                name = r.Study.Name,
                created_at = r.Study.CreatedAt,
                runs = r.Counts.Total,
                done = r.Counts.Done,
                running = r.Counts.Running,
                queued = r.Counts.Queued,
                failed = r.Counts.Failed,
            }),
        }, Json);

    /// <summary>A study's runs: key, status, configuration, N (non-embedding), N_total, D, C = 6·N·D, FLOPs, loss, tries.</summary>
    public static string Runs(string study, string registry, IEnumerable<RunRecord> runs) =>
        JsonSerializer.Serialize(new
        {
            study,
            registry,
            runs = runs.Select(r => new
            {
                key = r.Key,
                status = r.Status.ToString().ToLowerInvariant(),
                config = JsonDocument.Parse(r.ConfigJson).RootElement,
                seed = r.Seed,
                n = r.NonEmbeddingParameters,
                n_total = r.Parameters,
                d = r.Tokens,
                c = 6.0 * r.NonEmbeddingParameters * r.Tokens,
                flops = r.Flops,
                final_loss = r.FinalLoss,
                attempts = r.Attempts,
                worker = r.Worker,
                started_at = r.StartedAt,
                finished_at = r.FinishedAt,
                error = r.Error,
            }),
        }, Json);

    /// <summary>Per-step rows of language-model runs (null where a step has no evaluation or no B_simple).</summary>
    public static string Metrics(string study, IEnumerable<(string RunKey, IReadOnlyList<MetricRow> Rows)> metrics) =>
        PerRun(study, metrics.Select(m => new
        {
            key = m.RunKey,
            metrics = m.Rows.Select(r => new
            {
                step = r.Step,
                tokens = r.Tokens,
                train_loss = r.TrainLoss,
                val_loss = r.ValLoss,
                lr = r.LearningRate,
                grad_norm = r.GradNorm,
                grad_norm_sq_est = r.GradNormSqEstimate,
                trace_cov_est = r.TraceCovEstimate,
                b_simple = r.BSimple,
            }),
        }));

    /// <summary>Per-step named metrics of runs of another kind than the language model, with each run's kind.</summary>
    public static string NamedMetrics(string study, IEnumerable<(string RunKey, string Kind, IReadOnlyList<RunMetric> Metrics)> metrics) =>
        PerRun(study, metrics.Select(m => new
        {
            key = m.RunKey,
            kind = m.Kind,
            metrics = m.Metrics.Select(r => new { step = r.Step, name = r.Name, value = r.Value }),
        }));

    /// <summary>The shape of both metric documents: the study, then one entry per run.</summary>
    private static string PerRun<T>(string study, IEnumerable<T> runs) => JsonSerializer.Serialize(new { study, runs }, Json);
}
