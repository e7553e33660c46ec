using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;

[assembly: RunKindExport(typeof(ScaleLab.Cli.Tests.Kinds.LinearRegressionKind))]

namespace ScaleLab.Cli.Tests.Kinds;

/// <summary>
/// A test-only run kind: linear regression y = w*·x + ε (ε ~ N(0, σ²), σ = 0.1) with F features, trained from w = 0
/// by mini-batch SGD on the squared error. It exists to show that the lab runs a kind it has never heard of
/// (registered from this assembly, <see cref="RunKindExportAttribute"/>) on every executor, and resumes it bit for
/// bit. Every random draw is a pure function of (seed, purpose, index) through SplitMix64, so the session's only
/// state is (step, w): a resume needs no generator state. Metrics per step: "train_mse" (the mini-batch's mean
/// squared error before the update) and "weight_error" (|w − w*|²); every eval_interval steps and at the end,
/// "val_mse" on 256 fixed held-out examples, which is also the run's final value.
/// </summary>
public sealed class LinearRegressionKind : IRunKind
{
    public const string KindName = "linreg";

    public string Name => KindName;

    public IReadOnlyList<string> MetricNames => ["train_mse", "weight_error", "val_mse"];

    /// <summary>Settings: features, steps, batch, eval_interval, step_delay_ms (wall time per step, to give the
    /// kill tests a run to interrupt), learning_rates [..], seeds [..]. One run per (learning rate, seed).</summary>
    public IReadOnlyList<NewRun> Expand(string study, JsonElement settings)
    {
        long Int(string name, long fallback) =>
            settings.TryGetProperty(name, out var v) ? (v.TryGetInt64(out var l) && l > 0 ? l : throw new InvalidDataException($"{name} must be a positive integer")) : fallback;
        foreach (var property in settings.EnumerateObject())
        {
            if (property.Name is not ("features" or "steps" or "batch" or "eval_interval" or "step_delay_ms" or "learning_rates" or "seeds"))
            {
                throw new InvalidDataException($"unknown linreg setting '{property.Name}'");
            }
        }
        var features = Int("features", 8);
        var steps = Int("steps", 50);
        var batch = Int("batch", 16);
        var evalInterval = Int("eval_interval", 10);
        var delay = settings.TryGetProperty("step_delay_ms", out var d) ? d.GetInt64() : 0;
        var lrs = settings.TryGetProperty("learning_rates", out var l) ? l.EnumerateArray().Select(e => e.GetDouble()).ToList() : [0.05];
        var seeds = settings.TryGetProperty("seeds", out var s) ? s.EnumerateArray().Select(e => e.GetInt64()).ToList() : [1L];
        var runs = new List<NewRun>();
        foreach (var lr in lrs)
        {
            foreach (var seed in seeds)
            {
                var config = JsonSerializer.Serialize(new Config(study, features, steps, batch, evalInterval, delay, lr, seed), Json);
                runs.Add(new NewRun(RunKeys.Of(config), runs.Count, config, seed, features, features, steps * batch, 2.0 * 3 * features * steps * batch, KindName));
            }
        }
        return runs;
    }

    public IRunSession Open(RunContext context) => new Session(JsonSerializer.Deserialize<Config>(context.Run.ConfigJson, Json)!, context);

    public sealed record Config(string Study, long Features, long Steps, long Batch, long EvalInterval, long StepDelayMs, double Lr, long Seed);

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>A uniform double in [0, 1) from (seed, purpose, index): SplitMix64 of their mix.</summary>
    private static double Uniform(long seed, ulong purpose, long index)
    {
        var z = (ulong)seed * 0x9E3779B97F4A7C15UL ^ purpose * 0xBF58476D1CE4E5B9UL ^ (ulong)index * 0x94D049BB133111EBUL;
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }

    private static double Normal(long seed, ulong purpose, long index) =>
        Math.Sqrt(-2 * Math.Log(1 - Uniform(seed, purpose, 2 * index))) * Math.Cos(2 * Math.PI * Uniform(seed, purpose, 2 * index + 1));

    private sealed class Session : IRunSession
    {
        private const uint Magic = 0x474E524C; // "LRNG"
        private const double Noise = 0.1;
        private readonly Config _c;
        private readonly RunContext _context;
        private readonly double[] _truth;
        private double[] _w;
        private double? _lastVal;

        public Session(Config config, RunContext context)
        {
            _c = config;
            _context = context;
            _truth = [.. Enumerable.Range(0, (int)config.Features).Select(i => Normal(config.Seed, 1, i))];
            _w = new double[config.Features];
            if (File.Exists(context.CheckpointPath))
            {
                (Step, _w) = Load(context.CheckpointPath, (int)config.Features);
                context.Log?.Invoke($"run {config.Study}/{context.Run.Key}: resuming from step {Step} ({context.CheckpointPath})");
            }
        }

        public long Step { get; private set; }

        public long Steps => _c.Steps;

        public bool Done => Step >= _c.Steps;

        /// <summary>Example i of a stream (purpose 2: training, 3: validation): x ~ N(0, I), y = w*·x + σ ε.</summary>
        private (double[] X, double Y) Example(ulong purpose, long i)
        {
            var x = new double[_c.Features];
            var y = 0.0;
            for (var j = 0; j < x.Length; j++)
            {
                x[j] = Normal(_c.Seed, purpose * 1000 + 7, i * x.Length + j);
                y += _truth[j] * x[j];
            }
            return (x, y + Noise * Normal(_c.Seed, purpose * 1000 + 9, i));
        }

        private double Mse(IEnumerable<(double[] X, double Y)> examples)
        {
            double sum = 0;
            var n = 0;
            foreach (var (x, y) in examples)
            {
                var r = Dot(x) - y;
                sum += r * r;
                n++;
            }
            return sum / n;
        }

        private double Dot(double[] x)
        {
            double p = 0;
            for (var j = 0; j < x.Length; j++)
            {
                p += _w[j] * x[j];
            }
            return p;
        }

        public RunStepResult TrainStep()
        {
            if (_c.StepDelayMs > 0)
            {
                Thread.Sleep((int)_c.StepDelayMs);
            }
            var batch = Enumerable.Range(0, (int)_c.Batch).Select(b => Example(2, Step * _c.Batch + b)).ToList();
            var train = Mse(batch);
            // ∂/∂w of mean (w·x − y)² = (2/B) Σ (w·x − y) x
            var gradient = new double[_w.Length];
            foreach (var (x, y) in batch)
            {
                var r = Dot(x) - y;
                for (var j = 0; j < x.Length; j++)
                {
                    gradient[j] += 2 * r * x[j] / batch.Count;
                }
            }
            for (var j = 0; j < _w.Length; j++)
            {
                _w[j] -= _c.Lr * gradient[j];
            }
            Step++;
            if (!double.IsFinite(train))
            {
                throw new InvalidOperationException($"linreg diverged at step {Step}; lower the learning rate");
            }
            var error = _w.Select((w, j) => (w - _truth[j]) * (w - _truth[j])).Sum();
            List<RunMetric> metrics = [new(Step, "train_mse", train), new(Step, "weight_error", error)];
            if (Step % _c.EvalInterval == 0 || Step == _c.Steps)
            {
                _lastVal = Validate();
                metrics.Add(new RunMetric(Step, "val_mse", _lastVal.Value));
            }
            return new RunStepResult(Step, null, metrics);
        }

        private double Validate() => Mse(Enumerable.Range(0, 256).Select(i => Example(3, i)));

        public double FinalValue() => _lastVal ??= Validate();

        /// <summary>Magic, version 1, step, F, the F weights (little-endian doubles), SHA-256 of all before it;
        /// written to a temporary file and renamed over the old one.</summary>
        public void SaveCheckpoint(string path)
        {
            var body = new byte[4 + 4 + 8 + 4 + 8 * _w.Length];
            BinaryPrimitives.WriteUInt32LittleEndian(body, Magic);
            BinaryPrimitives.WriteInt32LittleEndian(body.AsSpan(4), 1);
            BinaryPrimitives.WriteInt64LittleEndian(body.AsSpan(8), Step);
            BinaryPrimitives.WriteInt32LittleEndian(body.AsSpan(16), _w.Length);
            for (var j = 0; j < _w.Length; j++)
            {
                BinaryPrimitives.WriteDoubleLittleEndian(body.AsSpan(20 + 8 * j), _w[j]);
            }
            var temporary = path + ".tmp";
            File.WriteAllBytes(temporary, [.. body, .. SHA256.HashData(body)]);
            File.Move(temporary, path, overwrite: true);
        }

        private static (long Step, double[] W) Load(string path, int features)
        {
            var bytes = File.ReadAllBytes(path);
            var body = bytes.AsSpan(0, Math.Max(0, bytes.Length - 32));
            if (bytes.Length != 20 + 8 * features + 32 || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic
                || !SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(body.Length)))
            {
                throw new InvalidDataException($"{path}: not a linreg checkpoint of {features} features, or damaged; delete it to start the run over");
            }
            var w = new double[features];
            for (var j = 0; j < features; j++)
            {
                w[j] = BinaryPrimitives.ReadDoubleLittleEndian(body[(20 + 8 * j)..]);
            }
            return (BinaryPrimitives.ReadInt64LittleEndian(body[8..]), w);
        }

        public void Dispose()
        {
        }

        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"linreg step {Step}/{Steps}");
    }
}
