using ScaleLab.Engine;
using ScaleLab.Engine.Training;

namespace ScaleLab.Lab.Sweeps;

/// <summary>One model shape of a sweep.</summary>
public sealed record ModelShape(int Layers, int DModel, int Heads);

/// <summary>
/// Settings of one model shape that replace the sweep-wide lists: its own compute budgets (an isoFLOP design
/// brackets each budget's optimum with the sizes near it, so not every size runs at every budget) and its own
/// learning rates (a rate chosen per size by a rule, or a small rate sweep at some sizes only).
/// </summary>
public sealed record ModelOverrides(IReadOnlyList<double>? Compute, IReadOnlyList<double>? LearningRates);

/// <summary>
/// A validated sweep: model shapes × token budgets (absolute, or a ratio of tokens per non-embedding
/// parameter) × learning rates × seeds, with one schedule and evaluation setting for all runs.
/// Read one with <see cref="Load"/> or <see cref="Parse"/> (format: <see cref="SweepSpecReader"/>).
/// <see cref="MicroBatches"/> splits every step into micro-batches; with <see cref="GnsEma"/> set, every run
/// also logs the gradient noise scale per step (its micro-batch is the small batch of the estimator).
/// </summary>
public sealed record SweepSpec(
    string Study,
    string Corpus,
    string? CorpusSha256,
    IReadOnlyList<ModelShape> Models,
    int SeqLen,
    int BatchSize,
    IReadOnlyList<long> TokenBudgets,
    IReadOnlyList<double> TokensPerParameter,
    IReadOnlyList<long> Seeds,
    IReadOnlyList<double> LearningRates,
    int? WarmupSteps,
    double WarmupFraction,
    double MinLrFraction,
    double WeightDecay,
    double GradClip,
    int EvalInterval,
    int EvalBatches,
    int ThreadsPerRun,
    int CheckpointInterval,
    int MicroBatches = 1,
    double? GnsEma = null,
    IReadOnlyList<double>? ComputeBudgets = null,
    IReadOnlyList<ModelOverrides?>? PerModel = null)
{
    /// <summary>Byte-level vocabulary: every corpus is read through the engine's byte tokenizer.</summary>
    public const int Vocab = 256;

    /// <summary>[schedule] optimizer: null = AdamW (every spec written before SGD), <see cref="RunSpec.Sgd"/> = SGD with
    /// heavy-ball momentum <see cref="Momentum"/>. Null values stay out of the runs' config JSON, so AdamW keys do not change.</summary>
    public string? Optimizer { get; init; }

    /// <summary>SGD's momentum (null with AdamW).</summary>
    public double? Momentum { get; init; }

    /// <summary>The spec's run kind: null for the language-model run (every spec written before kinds, and
    /// <c>kind = "lm"</c>); otherwise the name of a registered <see cref="Execution.IRunKind"/>, whose runs are
    /// <see cref="KindRuns"/> and whose settings (the spec's [settings] table as JSON) are <see cref="KindSettings"/>.</summary>
    public string? Kind { get; init; }

    /// <summary>The [settings] table of a spec of another kind, as JSON (null for a language-model spec).</summary>
    public System.Text.Json.JsonElement? KindSettings { get; init; }

    /// <summary>The runs of a spec of another kind, expanded by the kind when the spec was read.</summary>
    public IReadOnlyList<Registry.NewRun>? KindRuns { get; init; }

    /// <summary>A spec of a kind other than the language model: no language-model fields, its runs expanded.</summary>
    internal static SweepSpec OfKind(string study, string kind, System.Text.Json.JsonElement settings, IReadOnlyList<Registry.NewRun> runs,
        int threadsPerRun, int checkpointInterval) =>
        new(study, "", null, [], 0, 0, [], [], [], [], null, 0, 0, 0, 0, 0, 0, threadsPerRun, checkpointInterval)
        {
            Kind = kind,
            KindSettings = settings,
            KindRuns = runs,
        };

    /// <summary>The runs to enqueue, of any kind, in claim order.</summary>
    public IReadOnlyList<Registry.NewRun> NewRuns() => KindRuns ?? Expand().Select(r => r.ToNewRun()).ToList();

    /// <summary>Reads and validates a spec file; errors are <see cref="InvalidDataException"/> naming
    /// file, line and key in one line.</summary>
    public static SweepSpec Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: sweep spec not found", path);
        }
        return Parse(File.ReadAllText(path), path, Path.GetDirectoryName(Path.GetFullPath(path)));
    }

    /// <summary>Validates spec text; a relative corpus path resolves against <paramref name="baseDirectory"/>.</summary>
    public static SweepSpec Parse(string text, string sourceName = "spec.toml", string? baseDirectory = null) =>
        SweepSpecReader.Read(text, sourceName, baseDirectory ?? Directory.GetCurrentDirectory());

    /// <summary>Steps for a token budget: ⌈D / (B·T)⌉, the engine's rule (<see cref="TrainOptions.StepsForTokens"/>).</summary>
    public long StepsFor(long tokens) => TrainOptions.StepsForTokens(tokens, BatchSize, SeqLen);

    /// <summary>
    /// The token budgets of one model: the absolute budgets, ratio·N (non-embedding N), or for compute budgets
    /// D = C / (6·N) rounded to whole tokens (the model's own budgets where it lists them).
    /// </summary>
    public IReadOnlyList<long> BudgetsFor(ModelShape shape) =>
        Enumerable.Range(0, Models.Count).Where(i => Models[i] == shape).SelectMany(BudgetsAt).Distinct().ToList();

    /// <summary>The token budgets of the model listed at <paramref name="index"/> (a shape may be listed more than
    /// once, with disjoint compute budgets, e.g. to run a learning-rate check at one budget only).</summary>
    public IReadOnlyList<long> BudgetsAt(int index)
    {
        var shape = Models[index];
        var n = new GptConfig(shape.Layers, shape.DModel, shape.Heads, SeqLen, Vocab).NonEmbeddingParameterCount;
        var compute = OverridesAt(index)?.Compute ?? (ComputeBudgets is { Count: > 0 } ? ComputeBudgets : null);
        if (compute is not null)
        {
            return compute.Select(c => (long)Math.Round(c / (6.0 * n))).ToList();
        }
        if (TokenBudgets.Count > 0)
        {
            return TokenBudgets;
        }
        return TokensPerParameter.Select(r => (long)Math.Round(r * n)).ToList();
    }

    /// <summary>The learning rates of the model listed at <paramref name="index"/>: its own list where the spec gives one, else the sweep's.</summary>
    public IReadOnlyList<double> LearningRatesAt(int index) => OverridesAt(index)?.LearningRates ?? LearningRates;

    private ModelOverrides? OverridesAt(int index) => PerModel is { } p && index < p.Count ? p[index] : null;

    /// <summary>
    /// The runs, in a fixed order: model (as listed), budget, learning rate, seed. Deterministic, so
    /// expanding the same spec twice gives the same keys in the same order.
    /// </summary>
    public IReadOnlyList<RunSpec> Expand()
    {
        if (Kind is not null)
        {
            throw new InvalidOperationException($"spec of study {Study} is of kind '{Kind}', not language-model runs; use NewRuns()");
        }
        var runs = new List<RunSpec>();
        for (var m = 0; m < Models.Count; m++)
        {
            var shape = Models[m];
            foreach (var tokens in BudgetsAt(m))
            {
                var steps = StepsFor(tokens);
                var warmup = WarmupSteps ?? (int)Math.Round(WarmupFraction * steps);
                foreach (var lr in LearningRatesAt(m))
                {
                    foreach (var seed in Seeds)
                    {
                        runs.Add(new RunSpec(Study, runs.Count, Corpus, CorpusSha256, shape.Layers, shape.DModel,
                            shape.Heads, SeqLen, Vocab, BatchSize, steps, lr, warmup, MinLrFraction, WeightDecay, GradClip,
                            EvalInterval, EvalBatches, seed, MicroBatches == 1 ? null : MicroBatches, GnsEma,
                            Optimizer: Optimizer, Momentum: Momentum));
                    }
                }
            }
        }
        return runs;
    }
}
