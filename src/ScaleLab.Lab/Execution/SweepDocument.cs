using System.Text.Json;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Lab.Execution;

/// <summary>
/// The JSON documents of <c>scalelab sweep --json</c> (snake_case, indented, non-finite numbers as null, as
/// <see cref="RunsDocument"/>): the runs a spec would enqueue (<c>--dry-run</c>), and the summary of a sweep's session.
/// </summary>
public static class SweepDocument
{
    /// <summary>The language-model runs of a spec: key, shape, steps, tokens, learning rate, seed, N, N_total and FLOP.</summary>
    public static string DryRun(SweepSpec spec, IReadOnlyList<RunSpec> runs)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(runs);
        return JsonSerializer.Serialize(new
        {
            study = spec.Study,
            runs = runs.Select(r => new
            {
                key = r.Key,
                r.Layers,
                d_model = r.DModel,
                r.Heads,
                r.Steps,
                r.Tokens,
                learning_rate = r.LearningRate,
                r.Seed,
                n = r.Model.NonEmbeddingParameterCount,
                n_total = r.Model.ParameterCount,
                flops = r.Model.FlopsPerToken * r.Tokens,
            }),
        }, RunsDocument.Json);
    }

    /// <summary>The runs of a spec of another kind: key, seed and the kind's config of each.</summary>
    public static string KindDryRun(SweepSpec spec, IReadOnlyList<NewRun> runs)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(runs);
        return JsonSerializer.Serialize(new
        {
            study = spec.Study,
            kind = spec.Kind,
            runs = runs.Select(r => new { key = r.Key, seed = r.Seed, config = JsonDocument.Parse(r.ConfigJson).RootElement }),
        }, RunsDocument.Json);
    }

    /// <summary>What a sweep's session left: the spec's runs (<paramref name="plan"/>), the study's counts after it, the
    /// workers that trained them and the session's wall time.</summary>
    public static string Summary(EnqueueResult plan, string registry, StatusCounts counts, int workers, int threadsPerWorker, TimeSpan wall)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return JsonSerializer.Serialize(new
        {
            study = plan.Study,
            registry,
            runs = plan.Runs,
            added = plan.Added,
            done = counts.Done,
            failed = counts.Failed,
            queued = counts.Queued,
            running = counts.Running,
            workers,
            threads_per_worker = threadsPerWorker,
            wall_seconds = wall.TotalSeconds,
        }, RunsDocument.Json);
    }
}
