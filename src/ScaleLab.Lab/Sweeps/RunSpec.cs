using System.Text.Json;
using System.Text.Json.Serialization;
using ScaleLab.Engine;
using ScaleLab.Lab.Registry;

namespace ScaleLab.Lab.Sweeps;

/// <summary>
/// Everything that determines one training run's result: study, corpus, model shape, data budget, optimizer
/// schedule, evaluation and seed. <see cref="Key"/> hashes all of it (not <see cref="Ordinal"/>, the run's
/// position in its sweep), so the same configuration always gets the same key and re-running a sweep finds
/// its runs instead of duplicating them. Execution settings that do not change the result bit for bit on a
/// given thread count (threads, checkpoint interval) live in <see cref="Execution.ExecutorOptions"/>.
/// </summary>
/// <param name="Corpus">"synthetic" or "synthetic:SEED" (the built-in Markov source) or a text file path.</param>
/// <param name="CorpusSha256">SHA-256 of a text corpus file (null for synthetic), so an edited file is a new run.</param>
/// <param name="Steps">Optimizer steps; the run sees <see cref="Tokens"/> = Steps·BatchSize·SeqLen tokens.</param>
/// <param name="WarmupSteps">Linear warmup steps before the cosine decay to MinLrFraction·LearningRate.</param>
/// <param name="MicroBatches">M: each step's batch as M micro-batches of BatchSize/M sequences with accumulated
/// gradients (null = 1). It changes the float summation order, so it is part of the key.</param>
/// <param name="GnsEma">When set, the run tracks the gradient noise scale (micro-batch vs accumulated gradient,
/// McCandlish et al. 2018 App. A.1, needs M ≥ 2) and logs it per step; the value is the EMA decay behind B_simple.</param>
/// <param name="EvalSequences">Validation windows per evaluation (null = EvalBatches·BatchSize); a study that
/// compares batch sizes fixes it so every run is measured on the same windows.</param>
/// <param name="StopAtLoss">When set, the run stops (and is done) at the first evaluation whose validation loss
/// is at or below it, before <see cref="Steps"/>.</param>
/// <param name="Optimizer">null = AdamW; "sgd" = SGD with heavy-ball momentum <paramref name="Momentum"/>.</param>
/// <remarks>The last six are newer than schema 1 and left out of <see cref="ConfigJson"/> when null, so the keys of
/// runs that do not use them (every AdamW run) are what they were before.</remarks>
public sealed record RunSpec(
    string Study,
    [property: JsonIgnore] int Ordinal,
    string Corpus,
    string? CorpusSha256,
    int Layers,
    int DModel,
    int Heads,
    int SeqLen,
    int Vocab,
    int BatchSize,
    long Steps,
    double LearningRate,
    int WarmupSteps,
    double MinLrFraction,
    double WeightDecay,
    double GradClip,
    int EvalInterval,
    int EvalBatches,
    long Seed,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? MicroBatches = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? GnsEma = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? EvalSequences = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? StopAtLoss = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Optimizer = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Momentum = null)
{
    /// <summary>The <see cref="Optimizer"/> name of SGD with heavy-ball momentum; null (left out of the JSON) is AdamW.</summary>
    public const string Sgd = "sgd";

    /// <summary>The engine's optimizer for this run: AdamW when <see cref="Optimizer"/> is null (every run recorded before
    /// SGD existed), SGD for "sgd"; any other name is a config this build cannot train.</summary>
    [JsonIgnore]
    public ScaleLab.Engine.Training.OptimizerKind OptimizerKind => Optimizer switch
    {
        null => ScaleLab.Engine.Training.OptimizerKind.AdamW,
        Sgd => ScaleLab.Engine.Training.OptimizerKind.Sgd,
        var other => throw new InvalidDataException($"run config names optimizer '{other}'; this build trains adamw (no optimizer key) or sgd"),
    };

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    /// <summary>Training tokens D = steps · batch · sequence length.</summary>
    [JsonIgnore]
    public long Tokens => Steps * BatchSize * SeqLen;

    [JsonIgnore]
    public GptConfig Model => new(Layers, DModel, Heads, SeqLen, Vocab);

    /// <summary>Canonical JSON of the configuration (snake_case, declaration order, no ordinal).</summary>
    [JsonIgnore]
    public string ConfigJson => JsonSerializer.Serialize(this, Json);

    /// <summary>First 16 hex digits of SHA-256(<see cref="ConfigJson"/>): 64 bits, so a collision among a
    /// study's runs is out of reach (birthday bound ~2³² runs).</summary>
    [JsonIgnore]
    public string Key => RunKeys.Of(ConfigJson);

    /// <summary>The registry row for this run: both parameter counts, D, and training FLOP from the
    /// engine's per-token count (<see cref="GptConfig.FlopsPerToken"/>).</summary>
    public NewRun ToNewRun()
    {
        var model = Model;
        return new NewRun(Key, Ordinal, ConfigJson, Seed, model.ParameterCount, model.NonEmbeddingParameterCount,
            Tokens, model.FlopsPerToken * Tokens);
    }

    /// <summary>Reads a run back from the registry's config JSON (the ordinal comes from the registry row).</summary>
    public static RunSpec FromJson(string json, int ordinal = 0)
    {
        var spec = JsonSerializer.Deserialize<RunSpec>(json, Json)
            ?? throw new InvalidDataException("run config JSON is empty");
        return spec with { Ordinal = ordinal };
    }

    public static RunSpec FromRecord(RunRecord record) => FromJson(record.ConfigJson, record.Ordinal);
}
