using System.Buffers.Binary;
using System.Text.Json;
using ScaleLab.Engine;
using ScaleLab.Engine.Data;
using ScaleLab.Engine.Sampling;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Lab.Studies.Speculative;

/// <summary>One model of a draft/target pair: the language-model run it came from, its checkpoint (and the checkpoint's
/// SHA-256 as the registry recorded it, so a retrained model makes a new run key), its validation loss and size.</summary>
public sealed record SpeculativeModel(string Run, string Checkpoint, string? Sha256, double Loss, long Parameters);

/// <summary>A speculative-sampling run's whole configuration: one draft/target pair measured at each γ of
/// <see cref="Gammas"/> and, when <see cref="Auto"/>, once more at the γ chosen by the auto rule. <see cref="Threads"/>:
/// the target's products split over that many threads (null = one, and then left out of the JSON, so a one-thread run
/// keeps its key).</summary>
public sealed record SpeculativePairConfig(
    string Study,
    SpeculativeModel Target,
    SpeculativeModel Draft,
    IReadOnlyList<int> Gammas,
    bool Auto,
    int Tokens,
    int Repeats,
    double Temperature,
    int TopK,
    long Seed,
    bool CpuTime,
    string Prompt,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] int? Threads = null)
{
    /// <summary>Steps of the run: one measurement per γ, plus the auto one.</summary>
    public int Steps => Gammas.Count + (Auto ? 1 : 0);

    /// <summary>The γ of step <paramref name="index"/> (0-based), or null for the auto step (the last).</summary>
    public int? GammaAt(int index) => index < Gammas.Count ? Gammas[index] : null;
}

/// <summary>
/// The run kind "speculate": a draft/target pair of trained language models measured by <see cref="SpeculativeMeasurement"/>
/// (speculative against plain target sampling, same process) at γ = 1..8 and auto, one γ per step, each step's figures
/// logged as named metrics. A step is a few seconds of timing; the checkpoint is the count of steps done, so a killed
/// run resumes at the next γ (the counts of a fixed γ are seeded and come out the same; the timings are measurements
/// and do not). The run's final value is the pooled acceptance rate Σ accepted / Σ trials over its fixed-γ steps
/// (deterministic, so a resumed run records the same value). Settings: <c>pairs</c> (objects with <c>target</c> and
/// <c>draft</c>, each {run, checkpoint, sha256, loss, parameters}), <c>gammas</c>, <c>auto</c>, <c>tokens</c>,
/// <c>repeats</c>, <c>temperature</c>, <c>top_k</c>, <c>seed</c>, <c>cpu_time</c>, <c>prompt</c>, <c>threads</c> (the
/// target's, default 1; the draft always decodes on one): one run per pair.
/// </summary>
public sealed class SpeculativePairKind : IRunKind
{
    public const string KindName = "speculate";

    /// <summary>The metrics each step logs (step = 1 + the γ's index; the auto step is the last).</summary>
    public static readonly IReadOnlyList<string> Metrics =
    [
        "gamma", "auto", "acceptance", "accepted", "trials", "mean_overlap", "tokens_per_pass", "tokens_per_pass_theory",
        "cost_ratio", "verify_cost", "speedup", "speedup_low", "speedup_high", "theory", "theory_at_verify_cost",
    ];

    internal static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public string Name => KindName;

    public IReadOnlyList<string> MetricNames => Metrics;

    public IReadOnlyList<NewRun> Expand(string study, JsonElement settings)
    {
        if (settings.ValueKind != JsonValueKind.Object) throw new InvalidDataException("speculate settings must be a table");
        foreach (var p in settings.EnumerateObject())
        {
            if (p.Name is not ("pairs" or "gammas" or "auto" or "tokens" or "repeats" or "temperature" or "top_k" or "seed" or "cpu_time" or "prompt" or "threads"))
            {
                throw new InvalidDataException($"unknown speculate setting '{p.Name}'");
            }
        }
        int Int(string name, int fallback, int min) =>
            !settings.TryGetProperty(name, out var v) ? fallback
            : v.TryGetInt32(out var i) && i >= min ? i : throw new InvalidDataException($"speculate setting {name} must be an integer ≥ {min}");
        var gammas = settings.TryGetProperty("gammas", out var g)
            ? g.ValueKind == JsonValueKind.Array ? g.EnumerateArray().Select(e => e.TryGetInt32(out var k) && k >= 1 ? k : throw new InvalidDataException("speculate setting gammas must hold integers ≥ 1")).ToList()
                : throw new InvalidDataException("speculate setting gammas must be an array of integers ≥ 1")
            : [1, 2, 3, 4, 5, 6, 7, 8];
        var auto = !settings.TryGetProperty("auto", out var a) || (a.ValueKind is JsonValueKind.True or JsonValueKind.False ? a.GetBoolean() : throw new InvalidDataException("speculate setting auto must be true or false"));
        if (gammas.Count == 0 && !auto) throw new InvalidDataException("speculate settings measure nothing: gammas is empty and auto is false");
        var temperature = settings.TryGetProperty("temperature", out var t) ? (t.TryGetDouble(out var tv) && tv >= 0 && double.IsFinite(tv) ? tv : throw new InvalidDataException("speculate setting temperature must be a number ≥ 0")) : 1.0;
        var cpuTime = settings.TryGetProperty("cpu_time", out var c) && (c.ValueKind is JsonValueKind.True or JsonValueKind.False ? c.GetBoolean() : throw new InvalidDataException("speculate setting cpu_time must be true or false"));
        var prompt = settings.TryGetProperty("prompt", out var pr) ? (pr.ValueKind == JsonValueKind.String && pr.GetString() is { Length: > 0 } s ? s : throw new InvalidDataException("speculate setting prompt must be a non-empty string")) : "a";
        var (tokens, repeats, topK, seed) = (Int("tokens", 200, 1), Int("repeats", 3, 1), Int("top_k", 0, 0), Int("seed", 1, 0));
        var threads = Int("threads", 1, 1);
        if (!settings.TryGetProperty("pairs", out var pairs) || pairs.ValueKind != JsonValueKind.Array || pairs.GetArrayLength() == 0)
        {
            throw new InvalidDataException("speculate settings need pairs: an array of {target, draft} models");
        }
        var runs = new List<NewRun>();
        foreach (var pair in pairs.EnumerateArray())
        {
            var target = Model(pair, "target");
            var draft = Model(pair, "draft");
            var config = new SpeculativePairConfig(study, target, draft, gammas, auto, tokens, repeats, temperature, topK, seed, cpuTime, prompt, threads > 1 ? threads : null);
            var json = JsonSerializer.Serialize(config, Json);
            runs.Add(new NewRun(RunKeys.Of(json), runs.Count, json, seed, target.Parameters, draft.Parameters, (long)tokens * config.Steps, 0, KindName));
        }
        return runs;
    }

    private static SpeculativeModel Model(JsonElement pair, string role)
    {
        if (pair.ValueKind != JsonValueKind.Object || !pair.TryGetProperty(role, out var m) || m.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"every speculate pair needs a {role} table");
        }
        try
        {
            var model = m.Deserialize<SpeculativeModel>(Json);
            return model is { Run.Length: > 0, Checkpoint.Length: > 0, Parameters: > 0 } && double.IsFinite(model.Loss)
                ? model : throw new InvalidDataException($"a speculate pair's {role} needs run, checkpoint, loss and parameters > 0");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"a speculate pair's {role} is malformed: {ex.Message}", ex);
        }
    }

    public IRunSession Open(RunContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var config = JsonSerializer.Deserialize<SpeculativePairConfig>(context.Run.ConfigJson, Json)
            ?? throw new InvalidDataException($"run {context.Run.Key}: empty speculate configuration");
        return new SpeculativePairSession(config, context);
    }
}

/// <summary>A pair being measured: both models loaded once, one γ per step.</summary>
internal sealed class SpeculativePairSession : IRunSession
{
    private const uint Magic = 0x43455053; // "SPEC"
    private readonly SpeculativePairConfig _config;
    private readonly RunContext _context;
    private readonly Gpt _target;
    private readonly Gpt _draft;
    private readonly Dictionary<long, (double Accepted, double Trials)> _counts = [];

    public SpeculativePairSession(SpeculativePairConfig config, RunContext context)
    {
        _config = config;
        _context = context;
        var target = Load("target", config.Target.Checkpoint);
        var draft = Load("draft", config.Draft.Checkpoint);
        if (target.Config.Vocab != draft.Config.Vocab || target.Config.SeqLen != draft.Config.SeqLen)
        {
            throw new InvalidDataException($"the target ({target.Config.Vocab} tokens, context {target.Config.SeqLen}) and the draft ({draft.Config.Vocab}, {draft.Config.SeqLen}) differ in vocabulary or context");
        }
        if (config.Gammas.Any(g => g >= target.Config.SeqLen))
        {
            throw new InvalidDataException($"γ = {config.Gammas.Max()} must be below the context of {target.Config.SeqLen} tokens");
        }
        if (File.Exists(context.CheckpointPath))
        {
            Step = ReadStep(context.CheckpointPath, config.Steps);
            // The fixed-γ counts of the steps done before the resume, for the pooled final value.
            foreach (var m in context.Store.ReadRunMetrics(context.Run.Key).Where(m => m.Step <= Step))
            {
                var (acc, tri) = _counts.GetValueOrDefault(m.Step);
                _counts[m.Step] = m.Name switch { "accepted" => (m.Value, tri), "trials" => (acc, m.Value), _ => (acc, tri) };
            }
            context.Log?.Invoke($"run {config.Study}/{context.Run.Key}: resuming at step {Step + 1} of {config.Steps}");
        }
        _target = Gpt.FromCheckpoint(target, maxBatch: 1);
        _target.Threads = config.Threads ?? 1;
        try
        {
            _draft = Gpt.FromCheckpoint(draft, maxBatch: 1);
        }
        catch
        {
            _target.Dispose();
            throw;
        }
    }

    private static Checkpoint Load(string role, string path)
    {
        if (!File.Exists(path)) throw new IOException($"the {role}'s checkpoint {path} does not exist");
        return Checkpoint.Load(path);
    }

    public long Step { get; private set; }

    public long Steps => _config.Steps;

    public bool Done => Step >= _config.Steps;

    public RunStepResult TrainStep()
    {
        var gamma = _config.GammaAt((int)Step);
        var options = new SpeculativeMeasurementOptions(ByteTokenizer.Encode(_config.Prompt), _config.Tokens, gamma,
            new SamplingOptions(_config.Temperature, _config.TopK), (ulong)_config.Seed, _config.Repeats, _config.CpuTime);
        var m = SpeculativeMeasurement.Run(_target, _draft, options, TimeProvider.System);
        Step++;
        if (gamma is not null) _counts[Step] = (m.Accepted, m.Trials);
        _context.Log?.Invoke(FormattableString.Invariant(
            $"{_config.Draft.Parameters:N0} → {_config.Target.Parameters:N0} params, γ = {m.Gamma}{(gamma is null ? " (auto)" : "")}: α̂ {m.AcceptanceRate:F3}, c {m.CostRatio:F3}, speedup {m.Speedup:F2}× (theory {m.TheoreticalSpeedup:F2}×)"));
        RunMetric Metric(string name, double value) => new(Step, name, value);
        return new RunStepResult(Step, null,
        [
            Metric("gamma", m.Gamma), Metric("auto", gamma is null ? 1 : 0), Metric("acceptance", m.AcceptanceRate),
            Metric("accepted", m.Accepted), Metric("trials", m.Trials), Metric("mean_overlap", m.MeanOverlap),
            Metric("tokens_per_pass", m.TokensPerTargetPass), Metric("tokens_per_pass_theory", m.ExpectedTokensPerTargetPass),
            Metric("cost_ratio", m.CostRatio), Metric("verify_cost", m.MeasuredVerifyCost), Metric("speedup", m.Speedup),
            Metric("speedup_low", m.SpeedupLow), Metric("speedup_high", m.SpeedupHigh), Metric("theory", m.TheoreticalSpeedup),
            Metric("theory_at_verify_cost", m.TheoreticalSpeedupAtMeasuredVerifyCost),
        ]);
    }

    /// <summary>Σ accepted / Σ trials over the fixed-γ steps (the auto step's γ depends on timing, so it is left out).</summary>
    public double FinalValue()
    {
        var fixedSteps = _counts.Where(kv => kv.Key <= _config.Gammas.Count).Select(kv => kv.Value).ToList();
        var trials = fixedSteps.Sum(c => c.Trials);
        return trials > 0 ? fixedSteps.Sum(c => c.Accepted) / trials : double.NaN;
    }

    public void SaveCheckpoint(string path)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[4..], 1);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[8..], Step);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, bytes.ToArray());
        File.Move(temporary, path, overwrite: true);
    }

    private static long ReadStep(string path, long steps)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length != 16 || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic || BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)) != 1)
        {
            throw new InvalidDataException($"{path} is not a speculate run's checkpoint (delete it to start the run over)");
        }
        var step = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8));
        return step >= 0 && step <= steps ? step : throw new InvalidDataException($"{path} says step {step} of a run of {steps} steps (delete it to start the run over)");
    }

    public void Dispose()
    {
        _target.Dispose();
        _draft.Dispose();
    }
}
