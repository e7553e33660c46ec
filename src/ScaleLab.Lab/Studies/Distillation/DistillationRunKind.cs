using System.Text.Json;
using System.Text.Json.Nodes;
using ScaleLab.Engine;
using ScaleLab.Engine.Data;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Lab.Studies.Distillation;

/// <summary>
/// A distillation run's teacher: <see cref="None"/> (the student trains on the sampled next tokens, as a plain language
/// model does), <see cref="Oracle"/> (the synthetic source's exact conditional distribution) or a trained model's
/// checkpoint, with the checkpoint's SHA-256 (a retrained teacher makes a new run key), its non-embedding parameters
/// N_T, the tokens D_T it was trained on and its own validation loss when known.
/// </summary>
public sealed record DistillationTeacher(string Name, string? Checkpoint = null, string? Sha256 = null, long NonEmbeddingParameters = 0,
    long TrainTokens = 0, double? Loss = null)
{
    public const string None = "none";
    public const string Oracle = "oracle";

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsNone => Name == None && Checkpoint is null;
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsOracle => Name == Oracle && Checkpoint is null;

    /// <summary>The teacher's own training compute 6·N_T·D_T (0 for none and the oracle).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double TrainFlops => 6.0 * NonEmbeddingParameters * TrainTokens;

    /// <summary>A teacher named in settings or on the command line: "none", "oracle" or a checkpoint path (read now, so a
    /// missing or corrupt file is refused before anything runs).</summary>
    public static DistillationTeacher Parse(string text, string? name = null)
    {
        if (text is None or Oracle) return new DistillationTeacher(text);
        if (!File.Exists(text)) throw new InvalidDataException($"teacher checkpoint {text} does not exist (give a checkpoint file, a run of the registry, 'oracle' or 'none')");
        var checkpoint = Engine.Training.Checkpoint.Load(text);
        return new DistillationTeacher(name ?? Path.GetFileNameWithoutExtension(text), Path.GetFullPath(text), RunExecution.Sha256(text),
            checkpoint.Config.NonEmbeddingParameterCount, checkpoint.Tokens);
    }
}

/// <summary>One distillation run: a student language-model run (<see cref="RunSpec"/>: shape, data, schedule, seed), a
/// teacher, the temperature T and weight λ of (1 − λ)·CE + λ·T²·KL, and an optional top-k truncation of the teacher.</summary>
public sealed record DistillationRunConfig(RunSpec Student, DistillationTeacher Teacher, double Temperature, double Lambda, int? TopK)
{
    /// <summary>The teacher's top-k logits read from this cache instead of running the teacher (null: the teacher runs);
    /// <see cref="TopK"/> is then the cache's k.</summary>
    public DistillationTeacherCache? TeacherCache { get; init; }

    /// <summary>Student compute 6·N_S·D_S plus the teacher's forward passes 2·N_T·D_S (the convention; the oracle
    /// and no teacher add nothing).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double Flops => 6.0 * Student.Model.NonEmbeddingParameterCount * Student.Tokens + 2.0 * Teacher.NonEmbeddingParameters * Student.Tokens;

    /// <summary>Canonical JSON: the student's own config JSON (so its fields and defaults are the lm run's) under "student".</summary>
    public string ToJson()
    {
        var node = new JsonObject
        {
            ["student"] = JsonNode.Parse(Student.ConfigJson),
            ["teacher"] = JsonSerializer.SerializeToNode(Teacher, DistillationRunKind.Json),
            ["temperature"] = Temperature,
            ["lambda"] = Lambda,
        };
        if (TopK is { } k) node["top_k"] = k;
        // Only a cached run carries the key, so every other run's JSON and run key stay as they were.
        if (TeacherCache is { } cache) node["teacher_cache"] = JsonSerializer.SerializeToNode(cache, DistillationRunKind.Json);
        return node.ToJsonString();
    }

    public static DistillationRunConfig FromJson(string json, int ordinal = 0)
    {
        var node = JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException("distill run config is not a JSON object");
        var student = RunSpec.FromJson(node["student"]?.ToJsonString() ?? throw new InvalidDataException("distill run config has no student"), ordinal);
        var teacher = node["teacher"].Deserialize<DistillationTeacher>(DistillationRunKind.Json) ?? throw new InvalidDataException("distill run config has no teacher");
        return new DistillationRunConfig(student, teacher, node["temperature"]!.GetValue<double>(), node["lambda"]!.GetValue<double>(),
            node["top_k"]?.GetValue<int>())
        {
            TeacherCache = node["teacher_cache"]?.Deserialize<DistillationTeacherCache>(DistillationRunKind.Json),
        };
    }

    /// <summary>Refuses (one line, <see cref="ArgumentException"/>) what cannot run: T ≤ 0, λ outside [0, 1], an oracle on a
    /// corpus without a known source, a teacher of another vocabulary or context length.</summary>
    public void Validate(GptConfig? teacherConfig)
    {
        new DistillationOptions(Temperature, Lambda, TopK).Validate();
        if (Teacher.IsOracle && !Student.Corpus.StartsWith("synthetic", StringComparison.Ordinal))
        {
            throw new ArgumentException($"the oracle teacher needs the synthetic corpus (its exact source); corpus {Student.Corpus} has none");
        }
        if (teacherConfig is not null)
        {
            if (teacherConfig.Vocab != Student.Vocab) throw new ArgumentException($"teacher {Teacher.Name} has vocabulary {teacherConfig.Vocab}, the student {Student.Vocab}; distill between models of one tokenizer");
            if (teacherConfig.SeqLen != Student.SeqLen) throw new ArgumentException($"teacher {Teacher.Name} has context length {teacherConfig.SeqLen}, the student {Student.SeqLen}; use seq_len = {teacherConfig.SeqLen}");
        }
    }
}

/// <summary>
/// The run kind "distill": a student GPT trained by the engine's <see cref="Trainer"/> with the
/// <see cref="DistillationObjective"/> (teacher none: the plain cross-entropy on samples, the same trajectory as an "lm"
/// run of the same student). Resumable bit for bit from the trainer's checkpoint (the teacher is a fixed function of the
/// inputs, re-opened on resume and checked against the SHA-256 recorded at planning), on every executor.
/// Settings: <c>student</c> (a table with the keys of a language-model spec: corpus, seq_len, batch_size, tokens,
/// models or grid, schedule, …) or <c>student_spec</c> (such a spec's file), <c>teachers</c> (array of "none", "oracle" or checkpoint paths), <c>temperature</c> and
/// <c>lambda</c> (a number or an array: swept), <c>top_k</c> (optional), <c>teacher_cache</c> (optional: a teacher logit
/// cache file, or an array of them, e.g. one per seed, written by <c>distill --write-teacher-cache</c>; a checkpoint teacher's
/// runs then read its top-k logits from the cache that covers their windows, checked as <c>distill --teacher-cache</c> checks
/// them, see <see cref="DistillationTeacherCaches"/>). One run per student × teacher × T × λ; a teacher
/// "none" gives one run per student. Per step it logs the standard row (train loss = the objective) and the named
/// metrics train_ce (cross-entropy on the sampled targets) and kl (KL(teacher ‖ student) at T).
/// </summary>
public sealed class DistillationRunKind : IRunKind
{
    public const string KindName = "distill";

    public static readonly IReadOnlyList<string> Metrics = ["train_ce", "kl"];

    internal static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public string Name => KindName;

    public IReadOnlyList<string> MetricNames => Metrics;

    public IReadOnlyList<NewRun> Expand(string study, JsonElement settings)
    {
        if (settings.ValueKind != JsonValueKind.Object) throw new InvalidDataException("distill settings must be a table");
        foreach (var p in settings.EnumerateObject())
        {
            if (p.Name is not ("student" or "student_spec" or "teachers" or "temperature" or "lambda" or "top_k" or "teacher_cache"))
            {
                throw new InvalidDataException($"unknown distill setting '{p.Name}' (known: student, student_spec, teachers, temperature, lambda, top_k, teacher_cache)");
            }
        }
        var students = Students(study, settings);
        if (!settings.TryGetProperty("teachers", out var teachersSetting) || teachersSetting.ValueKind != JsonValueKind.Array || teachersSetting.GetArrayLength() == 0)
        {
            throw new InvalidDataException("distill settings need teachers: an array of \"none\", \"oracle\" or checkpoint paths");
        }
        var teachers = teachersSetting.EnumerateArray()
            .Select(t => t.ValueKind == JsonValueKind.String ? DistillationTeacher.Parse(t.GetString()!) : throw new InvalidDataException("distill setting teachers must hold strings"))
            .ToList();
        var temperatures = Numbers(settings, "temperature", 1.0);
        var lambdas = Numbers(settings, "lambda", 1.0);
        int? topK = settings.TryGetProperty("top_k", out var k) ? (k.TryGetInt32(out var kv) && kv >= 1 ? kv : throw new InvalidDataException("distill setting top_k must be an integer ≥ 1")) : null;
        var caches = DistillationTeacherCaches.Read(settings, teachers);
        var configs = new List<DistillationRunConfig>();
        foreach (var student in students)
        {
            foreach (var teacher in teachers)
            {
                if (teacher.IsNone)
                {
                    configs.Add(new DistillationRunConfig(student, teacher, 1.0, 0.0, null));
                    continue;
                }
                var teacherConfig = teacher.Checkpoint is null ? null : Engine.Training.Checkpoint.Load(teacher.Checkpoint).Config;
                var cache = caches.For(teacher, student, topK);
                foreach (var t in temperatures)
                {
                    foreach (var l in lambdas) configs.Add(new DistillationRunConfig(student, teacher, t, l, cache?.TopK ?? topK) { TeacherCache = cache?.Cache });
                }
                foreach (var c in configs.TakeLast(temperatures.Count * lambdas.Count)) c.Validate(teacherConfig);
            }
        }
        return configs.Select((c, i) => ToNewRun(c, i)).ToList();
    }

    /// <summary>The student runs: <c>student</c>, a table with the keys of a language-model spec (in TOML an inline table,
    /// as the spec reader takes no dotted table headers), or <c>student_spec</c>, the path of a language-model spec file.</summary>
    private static IReadOnlyList<RunSpec> Students(string study, JsonElement settings)
    {
        var inline = settings.TryGetProperty("student", out var student);
        var file = settings.TryGetProperty("student_spec", out var path);
        if (inline == file) throw new InvalidDataException("distill settings need exactly one of student (a table of language-model spec keys) and student_spec (a spec file)");
        if (inline)
        {
            return student.ValueKind == JsonValueKind.Object
                ? SweepSpecReader.FromJson(study, student, Directory.GetCurrentDirectory()).Expand()
                : throw new InvalidDataException("distill setting student must be a table with the keys of a language-model spec");
        }
        if (path.ValueKind != JsonValueKind.String || !File.Exists(path.GetString())) throw new InvalidDataException($"distill setting student_spec must name an existing spec file, got {path}");
        var spec = SweepSpec.Load(path.GetString()!);
        if (spec.Kind is not null) throw new InvalidDataException($"student_spec {path.GetString()} is a spec of kind '{spec.Kind}', not of language-model runs");
        return spec.Expand().Select(r => r with { Study = study }).ToList();
    }

    /// <summary>The registry row of a run: the student's sizes and tokens, compute <see cref="DistillationRunConfig.Flops"/>.</summary>
    public static NewRun ToNewRun(DistillationRunConfig config, int ordinal)
    {
        ArgumentNullException.ThrowIfNull(config);
        var json = config.ToJson();
        var model = config.Student.Model;
        return new NewRun(RunKeys.Of(json), ordinal, json, config.Student.Seed, model.ParameterCount, model.NonEmbeddingParameterCount,
            config.Student.Tokens, config.Flops, KindName);
    }

    private static List<double> Numbers(JsonElement settings, string name, double fallback)
    {
        if (!settings.TryGetProperty(name, out var v)) return [fallback];
        var items = v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().ToList() : [v];
        if (items.Count == 0) throw new InvalidDataException($"distill setting {name} is an empty array");
        return items.Select(e => e.TryGetDouble(out var d) ? d : throw new InvalidDataException($"distill setting {name} must be a number or an array of numbers")).ToList();
    }

    public IRunSession Open(RunContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return DistillationSession.Open(context);
    }
}

/// <summary>A distillation run being trained: the engine's trainer with the distillation objective, evaluated on the
/// corpus's validation windows (cross-entropy, nats per token) at the lm run's points.</summary>
internal sealed class DistillationSession : IRunSession
{
    private readonly DistillationRunConfig _config;
    private readonly Trainer _trainer;
    private readonly DistillationObjective? _objective;
    private double? _lastValidation;

    private DistillationSession(DistillationRunConfig config, Trainer trainer, DistillationObjective? objective)
    {
        _config = config;
        _trainer = trainer;
        _objective = objective;
    }

    public static DistillationSession Open(RunContext context)
    {
        var config = DistillationRunConfig.FromJson(context.Run.ConfigJson, context.Run.Ordinal);
        var student = config.Student;
        var corpus = Corpora.Open(student);
        var objective = OpenObjective(config, corpus, student.BatchSize / (student.MicroBatches ?? 1), context.Threads);
        try
        {
            var trainer = StartOrResume(student, corpus, context);
            if (objective is not null) trainer.Objective = objective;
            return new DistillationSession(config, trainer, objective);
        }
        catch
        {
            objective?.Dispose();
            throw;
        }
    }

    /// <summary>The objective of a run (null for teacher none: the trainer's cross-entropy).</summary>
    internal static DistillationObjective? OpenObjective(DistillationRunConfig config, ICorpus corpus, int microBatch, int threads)
    {
        var teacher = config.Teacher;
        if (teacher.IsNone) return null;
        ITeacher model;
        if (config.TeacherCache is { } cached)
        {
            // The cache holds the truncated logits already: no top-k on top of it.
            model = DistillationTeacherCaches.Open(cached, corpus, RunExecution.ToTrainOptions(config.Student, threads));
            var fromCache = new DistillationObjective(model, new DistillationOptions(config.Temperature, config.Lambda, null));
            fromCache.CheckStudent(config.Student.Model);
            return fromCache;
        }
        if (teacher.IsOracle)
        {
            model = corpus is SyntheticCorpus synthetic ? new OracleTeacher(synthetic, config.Student.Vocab)
                : throw new InvalidDataException($"the oracle teacher needs the synthetic corpus; {corpus.Description} has no known source");
        }
        else
        {
            var path = teacher.Checkpoint!;
            if (!File.Exists(path)) throw new IOException($"teacher checkpoint {path} does not exist");
            if (teacher.Sha256 is { } sha && RunExecution.Sha256(path) != sha)
            {
                throw new InvalidDataException($"teacher checkpoint {path} changed since the run was planned (its SHA-256 differs); plan the run again");
            }
            var checkpoint = Engine.Training.Checkpoint.Load(path);
            config.Validate(checkpoint.Config);
            model = new GptTeacher(checkpoint, microBatch, threads, teacher.Name);
        }
        var objective = new DistillationObjective(model, new DistillationOptions(config.Temperature, config.Lambda, config.TopK));
        objective.CheckStudent(config.Student.Model);
        return objective;
    }

    public long Step => _trainer.Step;

    public long Steps => _config.Student.Steps;

    public bool Done => _trainer.Step >= _config.Student.Steps;

    public RunStepResult TrainStep()
    {
        var step = _trainer.TrainStep();
        double? validation = null;
        var spec = _config.Student;
        // Same evaluation points as Trainer.Run and the lm kind: every EvalInterval steps and after the last step.
        if ((spec.EvalInterval > 0 && step.Step % spec.EvalInterval == 0) || step.Step == spec.Steps)
        {
            validation = _lastValidation = _trainer.Evaluate();
        }
        var row = new MetricRow(step.Step, step.Tokens, step.Loss, validation, step.LearningRate, step.GradNorm);
        List<RunMetric> metrics = _objective is null
            ? [new RunMetric(step.Step, "train_ce", step.Loss)]
            : [new RunMetric(step.Step, "train_ce", _objective.LastCrossEntropy), new RunMetric(step.Step, "kl", _objective.LastKl)];
        return new RunStepResult(step.Step, row, metrics);
    }

    public double FinalValue() => _lastValidation ??= _trainer.Evaluate();

    public void SaveCheckpoint(string path) => _trainer.SaveCheckpoint(path);

    public void Dispose()
    {
        _trainer.Dispose();
        _objective?.Dispose();
    }

    private static Trainer StartOrResume(RunSpec spec, ICorpus corpus, RunContext context)
    {
        var checkpoint = context.CheckpointPath;
        if (File.Exists(checkpoint))
        {
            try
            {
                var resumed = Trainer.Resume(checkpoint, corpus, o => o with { Threads = context.Threads });
                context.Log?.Invoke($"run {spec.Study}/{context.Run.Key}: resuming from step {resumed.Step} ({checkpoint})");
                return resumed;
            }
            catch (InvalidDataException ex)
            {
                context.Log?.Invoke($"run {spec.Study}/{context.Run.Key}: checkpoint unusable, starting over: {RunExecution.OneLine(ex.Message)}");
            }
        }
        return new Trainer(RunExecution.ToTrainOptions(spec, context.Threads), corpus);
    }
}
