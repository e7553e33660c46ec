using ScaleLab.Engine;
using ScaleLab.Engine.Training;

namespace ScaleLab.Lab.Sweeps;

/// <summary>One model shape of a sweep.</summary>
public sealed record ModelShape(int Layers, int DModel, int Heads);

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
    double? GnsEma = null)
{
    /// <summary>Byte-level vocabulary: every corpus is read through the engine's byte tokenizer.</summary>
    public const int Vocab = 256;

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

    /// <summary>The token budgets of one model: the absolute budgets, or ratio·N (non-embedding N).</summary>
    public IReadOnlyList<long> BudgetsFor(ModelShape shape)
    {
        if (TokenBudgets.Count > 0)
        {
            return TokenBudgets;
        }
        var n = new GptConfig(shape.Layers, shape.DModel, shape.Heads, SeqLen, Vocab).NonEmbeddingParameterCount;
        return TokensPerParameter.Select(r => (long)Math.Round(r * n)).ToList();
    }

    /// <summary>
    /// The runs, in a fixed order: model (as listed), budget, learning rate, seed. Deterministic, so
    /// expanding the same spec twice gives the same keys in the same order.
    /// </summary>
    public IReadOnlyList<RunSpec> Expand()
    {
        var runs = new List<RunSpec>();
        foreach (var shape in Models)
        {
            foreach (var tokens in BudgetsFor(shape))
            {
                var steps = StepsFor(tokens);
                var warmup = WarmupSteps ?? (int)Math.Round(WarmupFraction * steps);
                foreach (var lr in LearningRates)
                {
                    foreach (var seed in Seeds)
                    {
                        runs.Add(new RunSpec(Study, runs.Count, Corpus, CorpusSha256, shape.Layers, shape.DModel,
                            shape.Heads, SeqLen, Vocab, BatchSize, steps, lr, warmup, MinLrFraction, WeightDecay, GradClip,
                            EvalInterval, EvalBatches, seed, MicroBatches == 1 ? null : MicroBatches, GnsEma));
                    }
                }
            }
        }
        return runs;
    }
}
