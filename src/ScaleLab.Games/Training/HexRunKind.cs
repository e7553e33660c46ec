using System.Text.Json;
using ScaleLab.Games.Agent;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;

[assembly: RunKindExport(typeof(ScaleLab.Games.Training.HexRunKind))]

namespace ScaleLab.Games.Training;

/// <summary>
/// The run kind "hex": one self-play agent per run (<see cref="SelfPlayTrainer"/>), a step = one generation (or a part of the first: early_snapshots). Settings
/// (the spec's [settings] table): <c>boards</c>, <c>sizes</c> (an array of [width, depth]), <c>seeds</c>,
/// <c>generations</c>, and optionally <c>games</c>, <c>nodes</c>, <c>variant</c>, <c>c</c>, <c>batch</c>,
/// <c>learning_rate</c>, <c>weight_decay</c>, <c>buffer</c>, <c>reuse</c>, <c>early_snapshots</c> (snapshots inside the
/// first generation: <see cref="HexTrainConfig.EarlySnapshots"/>), <c>references</c> (default true: per board a
/// "random" player run and, where the solver reaches, a "perfect" one; they train nothing and finish at once, and
/// exist so matches against them can be recorded). Snapshots (agent files) are written beside the run's checkpoint
/// at log-spaced generations (<see cref="SnapshotPath"/>) and logged as the metric "snapshot" at their step, with the
/// compute reached (metrics "compute_jones", "train_flops").
/// </summary>
public sealed class HexRunKind : IRunKind
{
    public const string KindName = "hex";

    public static readonly IReadOnlyList<string> Metrics =
    [
        "policy_loss", "value_loss", "samples", "updates", "black_win_rate", "compute_jones", "train_flops", "samples_trained",
        "seconds", "snapshot",
    ];

    internal static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static readonly string[] Known =
    [
        "boards", "sizes", "seeds", "generations", "games", "nodes", "variant", "c", "batch", "learning_rate", "weight_decay",
        "buffer", "reuse", "references", "early_snapshots",
    ];

    public string Name => KindName;

    public IReadOnlyList<string> MetricNames => Metrics;

    /// <summary>The agent file of a run's snapshot after <paramref name="generation"/> generations.</summary>
    public static string SnapshotPath(string checkpointPath, long generation) =>
        Path.ChangeExtension(checkpointPath, null) + $".g{generation:D6}.agent";

    public IReadOnlyList<NewRun> Expand(string study, JsonElement settings)
    {
        if (settings.ValueKind != JsonValueKind.Object) throw new InvalidDataException("hex settings must be a table");
        foreach (var p in settings.EnumerateObject())
        {
            if (!Known.Contains(p.Name)) throw new InvalidDataException($"unknown hex setting '{p.Name}' (known: {string.Join(", ", Known)})");
        }
        var boards = IntArray(settings, "boards", required: true);
        var seeds = settings.TryGetProperty("seeds", out _) ? IntArray(settings, "seeds", required: false) : [1];
        if (!settings.TryGetProperty("sizes", out var sizes) || sizes.ValueKind != JsonValueKind.Array || sizes.GetArrayLength() == 0)
        {
            throw new InvalidDataException("hex settings need sizes: an array of [width, depth] pairs");
        }
        var shapes = sizes.EnumerateArray().Select(s =>
            s.ValueKind == JsonValueKind.Array && s.GetArrayLength() == 2 && s[0].TryGetInt32(out var w) && s[1].TryGetInt32(out var d)
                ? (w, d) : throw new InvalidDataException("hex setting sizes must hold [width, depth] pairs of integers")).ToList();
        var defaults = new HexTrainConfig(study, 3, 1, 0, 1, 1);
        int Int(string name, int fallback) => !settings.TryGetProperty(name, out var v) ? fallback
            : v.TryGetInt32(out var i) ? i : throw new InvalidDataException($"hex setting {name} must be an integer");
        double Num(string name, double fallback) => !settings.TryGetProperty(name, out var v) ? fallback
            : v.TryGetDouble(out var x) && double.IsFinite(x) ? x : throw new InvalidDataException($"hex setting {name} must be a number");
        var variant = settings.TryGetProperty("variant", out var vv) ? vv.GetString() ?? "" : defaults.Variant;
        var references = !settings.TryGetProperty("references", out var refs) || (refs.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? refs.GetBoolean() : throw new InvalidDataException("hex setting references must be true or false"));
        if (!settings.TryGetProperty("generations", out _)) throw new InvalidDataException("hex settings need generations (self-play generations per agent)");
        var runs = new List<NewRun>();
        void Add(HexTrainConfig config)
        {
            try
            {
                config.Validate();
            }
            catch (ArgumentException ex)
            {
                // ArgumentOutOfRangeException appends "(Parameter 'x')" and the value on further lines: keep the sentence.
                throw new InvalidDataException($"hex settings: {ex.Message.Split(" (Parameter '", 2)[0].Trim()}", ex);
            }
            var json = JsonSerializer.Serialize(config, Json);
            var parameters = config.IsReference ? 0 : config.Shape.ParameterCount;
            runs.Add(new NewRun(RunKeys.Of(json), runs.Count, json, config.Seed, parameters, parameters, 0, 0, KindName));
        }
        foreach (var board in boards)
        {
            if (references)
            {
                if (board <= Hex.HexSolver.MaxSolvableSize) Add(new HexTrainConfig(study, board, 1, 0, 0, 1, Player: "perfect"));
                Add(new HexTrainConfig(study, board, 1, 0, 0, 1, Player: "random"));
            }
            foreach (var (width, depth) in shapes)
            {
                foreach (var seed in seeds)
                {
                    Add(new HexTrainConfig(study, board, width, depth, seed, Int("generations", 0), Int("games", defaults.Games), Int("nodes", defaults.Nodes),
                        variant, Num("c", defaults.C), Int("batch", defaults.Batch), Num("learning_rate", defaults.LearningRate),
                        Num("weight_decay", defaults.WeightDecay), Int("buffer", defaults.Buffer), Num("reuse", defaults.Reuse),
                        EarlySnapshots: Int("early_snapshots", defaults.EarlySnapshots)));
                }
            }
        }
        return runs;
    }

    private static List<int> IntArray(JsonElement settings, string name, bool required)
    {
        if (!settings.TryGetProperty(name, out var v))
        {
            return required ? throw new InvalidDataException($"hex settings need {name}: an array of integers") : [];
        }
        if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() == 0)
        {
            throw new InvalidDataException($"hex setting {name} must be a non-empty array of integers");
        }
        return v.EnumerateArray().Select(e => e.TryGetInt32(out var i) ? i : throw new InvalidDataException($"hex setting {name} must hold integers")).ToList();
    }

    public static HexTrainConfig ConfigOf(RunRecord run) =>
        JsonSerializer.Deserialize<HexTrainConfig>(run.ConfigJson, Json) ?? throw new InvalidDataException($"run {run.Key}: empty hex configuration");

    public IRunSession Open(RunContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var config = ConfigOf(context.Run);
        config.Validate();
        return config.IsReference ? new ReferenceSession() : new HexRunSession(config, context);
    }

    /// <summary>A reference player's run: nothing to train.</summary>
    private sealed class ReferenceSession : IRunSession
    {
        public long Step => 0;

        public long Steps => 0;

        public bool Done => true;

        public RunStepResult TrainStep() => throw new InvalidOperationException("a reference player has no training steps");

        public double FinalValue() => 0;

        public void SaveCheckpoint(string path) => SealedFile.Save(path, "SLHR", 1, _ => { });

        public void Dispose()
        {
        }
    }
}

/// <summary>An agent being trained: one generation per step, snapshots at the log-spaced generations.</summary>
internal sealed class HexRunSession : IRunSession
{
    private readonly SelfPlayTrainer _trainer;
    private readonly RunContext _context;
    private readonly HashSet<long> _snapshots;
    private double _lastLoss = double.NaN;

    public HexRunSession(HexTrainConfig config, RunContext context)
    {
        _trainer = new SelfPlayTrainer(config);
        _context = context;
        _snapshots = [.. config.SnapshotGenerations()];
        if (File.Exists(context.CheckpointPath))
        {
            _trainer.LoadCheckpoint(context.CheckpointPath);
            // The final value of a run resumed after its last step is the loss logged before the kill.
            var logged = context.Store.ReadRunMetrics(context.Run.Key).Where(m => m.Step <= _trainer.Generation && m.Name is "policy_loss" or "value_loss")
                .GroupBy(m => m.Step).Where(g => g.Count() == 2 && g.All(m => !double.IsNaN(m.Value))).OrderBy(g => g.Key).LastOrDefault();
            if (logged is not null) _lastLoss = logged.Sum(m => m.Value);
            context.Log?.Invoke($"run {config.Study}/{context.Run.Key}: resuming at step {_trainer.Generation + 1} of {config.Steps}");
        }
    }

    public long Step => _trainer.Generation;

    public long Steps => _trainer.Config.Steps;

    public bool Done => Step >= Steps;

    public RunStepResult TrainStep()
    {
        var r = _trainer.RunGeneration();
        var step = r.Generation;
        if (!double.IsNaN(r.PolicyLoss)) _lastLoss = r.PolicyLoss + r.ValueLoss;
        List<RunMetric> metrics =
        [
            new(step, "policy_loss", r.PolicyLoss), new(step, "value_loss", r.ValueLoss), new(step, "samples", r.NewSamples),
            new(step, "updates", r.Updates), new(step, "black_win_rate", r.BlackWinRate), new(step, "compute_jones", r.JonesCompute),
            new(step, "train_flops", r.TrainFlops), new(step, "samples_trained", r.SamplesTrained), new(step, "seconds", r.Seconds),
        ];
        if (_snapshots.Contains(step))
        {
            _trainer.Snapshot().Save(HexRunKind.SnapshotPath(_context.CheckpointPath, step));
            metrics.Add(new RunMetric(step, "snapshot", 1));
        }
        return new RunStepResult(step, null, metrics);
    }

    /// <summary>The last generation's training loss (policy cross-entropy + value squared error), NaN if none trained.</summary>
    public double FinalValue() => _lastLoss;

    public void SaveCheckpoint(string path) => _trainer.SaveCheckpoint(path);

    public void Dispose()
    {
    }
}
