using System.Text.Json;
using ScaleLab.Engine;
using ScaleLab.Engine.Sae;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Lab.Studies.Sae;

/// <summary>One SAE run's whole configuration: the activation file (and the model identity it must carry), the SAE, how
/// it is trained, and the fraction of rows held out for its final figure.</summary>
public sealed record SaeRunConfig(string Study, string Activations, string ModelIdentity, string Site, SaeConfig Sae, SaeTrainOptions Train, double Holdout, int EvalInterval);

/// <summary>
/// The run kind "sae": one sparse autoencoder trained on one activation file (<see cref="SaeTrainingJob"/>), resumable from
/// its checkpoint (the SAE file) bit for bit, on every executor. Settings: <c>activations</c> (an activation file from
/// <c>scalelab sae capture</c>, required), <c>family</c> ("topk" or "relu"), <c>latents</c> (array), <c>k</c> (array, TopK)
/// or <c>l1</c> (array, ReLU+L1), <c>auxk</c> (default 2k), <c>seeds</c> (array), <c>steps</c>, <c>batch</c>, <c>lr</c>
/// (peak rate, default 1e-3), <c>lr_scaling</c> ("none", the default: every run uses lr; "inverse_sqrt_n": lr is the rate
/// at n = <c>lr_reference_latents</c>, default 512, and each run's rate is lr·√(reference / n), Gao et al. 2024's rule for
/// SAEs trained to convergence; on the demo's 2×64 model at a fixed 1M training tokens it did worse than a fixed 1e-3 at
/// n = 1024, so it is not the default),
/// <c>dead_after</c>, <c>aux_coefficient</c> (AuxK's α, default 1/32), <c>resample_every</c> (dead-latent resampling in
/// the first half of the run: default 250 steps for ReLU+L1, 0 (never) for TopK), <c>holdout</c> (default 0.1),
/// <c>eval_interval</c> (default 0: at the end), <c>steps_exponent</c> (default 0: every run takes <c>steps</c>; p &gt; 0: a
/// run of n latents takes round(steps·(n / n_ref)^p) steps, n_ref = <c>steps_reference_latents</c>, default the smallest
/// of <c>latents</c>, so larger dictionaries get the longer training they need to converge; its eval_interval scales by
/// the same factor, so every run is evaluated as many times): one run per latents × (k or λ) × seed. Per step it logs loss, reconstruction, aux and the training-window dead
/// fraction; at each evaluation the held-out FVU, L0 and dead fraction; the run's final value is the held-out FVU.
/// Compute per run: tokens × (2n + 10k)·D for TopK (the dense encoder plus five k-sparse products of our kernels),
/// tokens × 12·n·D for ReLU+L1 (dense bound).
/// </summary>
public sealed class SaeRunKind : IRunKind
{
    public const string KindName = "sae";

    /// <summary>The values of the <c>lr_scaling</c> setting.</summary>
    public const string LrScalingInverseSqrtN = "inverse_sqrt_n", LrScalingNone = "none";

    public static readonly IReadOnlyList<string> Metrics = ["loss", "reconstruction", "aux", "dead_fraction", "heldout_fvu", "heldout_l0", "heldout_dead_fraction"];

    internal static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static readonly string[] Known = ["activations", "family", "latents", "k", "l1", "auxk", "seeds", "steps", "batch", "lr", "lr_scaling", "lr_reference_latents", "dead_after", "aux_coefficient", "resample_every", "holdout", "eval_interval", "steps_exponent", "steps_reference_latents"];

    public string Name => KindName;

    public IReadOnlyList<string> MetricNames => Metrics;

    public IReadOnlyList<NewRun> Expand(string study, JsonElement settings)
    {
        if (settings.ValueKind != JsonValueKind.Object) throw new InvalidDataException("sae settings must be a table");
        foreach (var p in settings.EnumerateObject())
        {
            if (!Known.Contains(p.Name)) throw new InvalidDataException($"unknown sae setting '{p.Name}' (known: {string.Join(", ", Known)})");
        }
        if (!settings.TryGetProperty("activations", out var a) || a.GetString() is not { Length: > 0 } path)
        {
            throw new InvalidDataException("sae settings need activations = \"FILE\" (written by scalelab sae capture)");
        }
        var file = ActivationFile.Load(path);
        var family = settings.TryGetProperty("family", out var f) ? f.GetString() : "topk";
        if (family is not ("topk" or "relu")) throw new InvalidDataException($"sae setting family must be \"topk\" or \"relu\", got '{family}'");
        var latents = Ints(settings, "latents", [8 * file.Width], 1);
        var ks = Ints(settings, "k", [32], 1);
        var l1s = Doubles(settings, "l1", [0.01]);
        var seeds = Ints(settings, "seeds", [1], 0);
        int Int(string name, int fallback, int min) => Ints(settings, name, [fallback], min) is [var v] ? v : throw new InvalidDataException($"sae setting {name} must be one integer");
        var steps = Int("steps", 2000, 1);
        var batch = Int("batch", 512, 1);
        var resample = Int("resample_every", family == "relu" ? 250 : 0, 0);
        var evalInterval = Int("eval_interval", 0, 0);
        var deadAfter = Int("dead_after", 20_000, 1);
        var lr = Doubles(settings, "lr", [SaeTrainOptions.ReferenceLearningRate]) is [var l] && l > 0 ? l : throw new InvalidDataException("sae setting lr must be one positive number");
        var lrScaling = settings.TryGetProperty("lr_scaling", out var ls) ? ls.ValueKind == JsonValueKind.String ? ls.GetString() : null : LrScalingNone;
        if (lrScaling is not (LrScalingInverseSqrtN or LrScalingNone)) throw new InvalidDataException($"sae setting lr_scaling must be \"{LrScalingInverseSqrtN}\" or \"{LrScalingNone}\"");
        var lrReference = Int("lr_reference_latents", SaeTrainOptions.ReferenceLatents, 1);
        var auxCoefficient = Doubles(settings, "aux_coefficient", [SaeConfig.DefaultAuxCoefficient]) is [var ac] ? ac : throw new InvalidDataException("sae setting aux_coefficient must be one number ≥ 0");
        var stepsExponent = Doubles(settings, "steps_exponent", [0]) is [var se] && se <= 4 ? se : throw new InvalidDataException("sae setting steps_exponent must be one number in [0, 4]");
        var stepsReference = Int("steps_reference_latents", latents.Min(), 1);
        var holdout = Doubles(settings, "holdout", [0.1]) is [var h] && h is >= 0 and < 1 ? h : throw new InvalidDataException("sae setting holdout must be one number in [0, 1)");
        var runs = new List<NewRun>();
        foreach (var n in latents)
        {
            foreach (var variant in family == "topk" ? ks.Select(k => (double)k) : l1s)
            {
                foreach (var seed in seeds)
                {
                    SaeConfig sae;
                    if (family == "topk")
                    {
                        var k = (int)variant;
                        if (k > n) throw new InvalidDataException($"sae setting k = {k} is larger than latents = {n}");
                        var auxk = settings.TryGetProperty("auxk", out var ak) ? (ak.TryGetInt32(out var av) && av >= 0 ? Math.Min(av, n) : throw new InvalidDataException("sae setting auxk must be an integer ≥ 0")) : Math.Min(2 * k, n);
                        sae = new SaeConfig(SaeFamily.TopK, file.Width, n, K: k, AuxK: auxk, AuxCoefficient: auxCoefficient);
                    }
                    else
                    {
                        sae = new SaeConfig(SaeFamily.ReluL1, file.Width, n, K: 1, L1Coefficient: variant);
                    }
                    sae.Validate();
                    var rate = lrScaling == LrScalingNone ? lr : SaeTrainOptions.ScaledLearningRate(n, lr, lrReference);
                    var (runSteps, runEvalInterval) = StepsAt(n, steps, evalInterval, stepsExponent, stepsReference);
                    var train = new SaeTrainOptions(runSteps, batch, rate, WarmupSteps: (int)Math.Min(100, runSteps / 10), DeadAfterTokens: deadAfter,
                        ResampleEvery: resample, Seed: (ulong)seed);
                    var config = new SaeRunConfig(study, path, file.ModelIdentity, file.Site.ToString(), sae, train, holdout, runEvalInterval);
                    var json = JsonSerializer.Serialize(config, Json);
                    var tokens = runSteps * batch;
                    var flops = family == "topk" ? tokens * (2.0 * n + 10.0 * sae.K) * file.Width : tokens * 12.0 * n * file.Width;
                    runs.Add(new NewRun(RunKeys.Of(json), runs.Count, json, seed, sae.ParameterCount, sae.ParameterCount, tokens, flops, KindName));
                }
            }
        }
        return runs;
    }

    /// <summary>The steps and evaluation interval of a run of <paramref name="latents"/> latents: steps·(n / n_ref)^p and
    /// the interval scaled by the same factor (both rounded, at least 1; the interval stays 0 when it is 0).</summary>
    public static (long Steps, int EvalInterval) StepsAt(int latents, int steps, int evalInterval, double exponent, int referenceLatents)
    {
        if (latents < 1 || referenceLatents < 1 || steps < 1 || evalInterval < 0 || !(exponent >= 0) || double.IsInfinity(exponent))
        {
            throw new ArgumentException($"steps at n = {latents}: need n, n_ref and steps ≥ 1, eval interval ≥ 0 and a finite exponent ≥ 0 (got n_ref = {referenceLatents}, steps = {steps}, interval = {evalInterval}, exponent = {exponent})");
        }
        if (exponent == 0) return (steps, evalInterval);
        var factor = Math.Pow(latents / (double)referenceLatents, exponent);
        var runSteps = Math.Max(1, (long)Math.Round(steps * factor));
        return (runSteps, evalInterval == 0 ? 0 : (int)Math.Max(1, Math.Round(evalInterval * factor)));
    }

    private static int[] Ints(JsonElement settings, string name, int[] fallback, int min)
    {
        if (!settings.TryGetProperty(name, out var v)) return fallback;
        var items = v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().ToArray() : [v];
        return items.Length > 0 && items.All(e => e.TryGetInt32(out var i) && i >= min)
            ? [.. items.Select(e => e.GetInt32())]
            : throw new InvalidDataException($"sae setting {name} must be an integer ≥ {min} or an array of them");
    }

    private static double[] Doubles(JsonElement settings, string name, double[] fallback)
    {
        if (!settings.TryGetProperty(name, out var v)) return fallback;
        var items = v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().ToArray() : [v];
        return items.Length > 0 && items.All(e => e.TryGetDouble(out var d) && double.IsFinite(d) && d >= 0)
            ? [.. items.Select(e => e.GetDouble())]
            : throw new InvalidDataException($"sae setting {name} must be a number ≥ 0 or an array of them");
    }

    public IRunSession Open(RunContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var config = JsonSerializer.Deserialize<SaeRunConfig>(context.Run.ConfigJson, Json)
            ?? throw new InvalidDataException($"run {context.Run.Key}: empty sae configuration");
        return new SaeRunSession(config, context);
    }
}

/// <summary>An SAE being trained as a registry run.</summary>
internal sealed class SaeRunSession : IRunSession
{
    private readonly SaeRunConfig _config;
    private readonly SaeTrainingJob _job;
    private double? _lastHeldOut;

    public SaeRunSession(SaeRunConfig config, RunContext context)
    {
        _config = config;
        var file = ActivationFile.Load(config.Activations);
        file.EnsureModel(config.ModelIdentity, config.Activations);
        if (file.Site.ToString() != config.Site) throw new InvalidDataException($"{config.Activations} holds activations at {file.Site}, the run was planned at {config.Site}; capture it again");
        _job = SaeTrainingJob.Open(file, config.Sae, config.Train, context.Threads, context.CheckpointPath, config.Holdout);
        if (_job.Resumed) context.Log?.Invoke($"run {config.Study}/{context.Run.Key}: resuming {config.Sae.Describe()} at step {_job.Trainer.Step}");
    }

    public long Step => _job.Trainer.Step;

    public long Steps => _config.Train.Steps;

    public bool Done => _job.Trainer.Done;

    public RunStepResult TrainStep()
    {
        var trainer = _job.Trainer;
        var loss = trainer.TrainStep();
        var step = trainer.Step;
        List<RunMetric> metrics =
        [
            new(step, "loss", loss), new(step, "reconstruction", trainer.Model.ReconstructionLoss), new(step, "aux", trainer.Model.AuxLoss),
            new(step, "dead_fraction", trainer.DeadFraction),
        ];
        if ((_config.EvalInterval > 0 && step % _config.EvalInterval == 0) || trainer.Done)
        {
            var m = Evaluate();
            _lastHeldOut = m.Fvu;
            metrics.AddRange([new(step, "heldout_fvu", m.Fvu), new(step, "heldout_l0", m.L0), new(step, "heldout_dead_fraction", m.DeadFraction)]);
        }
        return new RunStepResult(step, null, metrics);
    }

    /// <summary>The SAE's figures on the held-out rows (on the training rows when nothing is held out).</summary>
    private ReconstructionMetrics Evaluate() =>
        SaeReconstruction.Evaluate(_job.Trainer.Model, _job.HeldOut.Length > 0 ? _job.HeldOut : _job.Activations.Data);

    public double FinalValue() => _lastHeldOut ??= Evaluate().Fvu;

    public void SaveCheckpoint(string path) => _job.Save(path);

    public void Dispose() => _job.Dispose();
}
