using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace ScaleLab.Lab.Sweeps;

/// <summary>
/// Reads and validates a sweep spec (TOML). Every error is one line, "FILE:LINE: key 'K': what is wrong",
/// raised as <see cref="InvalidDataException"/> before anything runs. A value left out is the shared run default
/// (<see cref="ScaleLab.Engine.Training.RunDefaults"/>, the same as train's and gns's). The format:
/// <code>
/// study = "demo"                  # required; letters, digits, '_', '-', '.'
/// corpus = "synthetic:1"          # "synthetic", "synthetic:SEED" or a text file (relative to the spec)
/// seq_len = 64                    # default 64
/// batch_size = 16                 # default 16
/// tokens = [200_000, 800_000]     # token budgets; or tokens_per_parameter = [10, 20] (× non-embedding N);
///                                 # or compute = [1e10, 1e11] (FLOP; each model trains D = C / (6·N) tokens)
/// seeds = [1, 2]                  # default [1]
/// learning_rates = [3e-3]         # default [3e-3] (the engine's default)
/// eval_interval = 50              # steps between validation evaluations (default 50; 0 = only after the last step)
/// eval_batches = 4                # validation batches per evaluation (default 4)
/// threads_per_run = 1             # default 1
/// checkpoint_interval = 100       # steps between checkpoints (default 100)
/// micro_batches = 4               # split each step's batch into 4 accumulated micro-batches (default 1; must divide batch_size)
/// gns = true                      # log the gradient noise scale B_simple per step (needs micro_batches >= 2)
/// gns_ema = 0.99                  # EMA decay of the |G|² and tr(Σ) estimates behind B_simple (default 0.99)
///
/// [[models]]                      # a list of shapes (or models = [{ layers = 1, d_model = 32, heads = 2 }]) ...
/// layers = 2
/// d_model = 64
/// heads = 4
/// compute = [1e11]                # optional, per model: its own compute budgets (an isoFLOP design)
/// learning_rates = [1e-2, 2e-2]   # optional, per model: its own learning rates
///
/// [grid]                          # ... or a grid: every combination of the lists
/// layers = [1, 2]
/// d_model = [32, 64]
/// heads = [2]
///
/// [schedule]
/// warmup_fraction = 0.1           # or warmup_steps = 20 (default fraction 0.1)
/// min_lr_fraction = 0.1           # cosine floor as a fraction of the peak (default 0.1)
/// weight_decay = 0.1              # decoupled weight decay on matrices, AdamW or SGD (default 0.1)
/// lr_schedule = "constant"        # "cosine" (the default: warmup then cosine) or "constant": the peak rate at every
///                                 # step, no warmup, no decay (same runs as warmup_steps = 0, min_lr_fraction = 1)
/// optimizer = "sgd"               # "adamw" (the default) or "sgd": heavy-ball momentum, no Nesterov
/// momentum = 0.9                  # SGD only, in [0, 1) (default 0.9)
/// grad_clip = 1.0                 # global gradient-norm clip (default 1.0; 0 = no clipping)
/// </code>
/// </summary>
public sealed partial class SweepSpecReader
{
    private static readonly string[] RootKeys =
    [
        "study", "corpus", "seq_len", "batch_size", "tokens", "tokens_per_parameter", "seeds", "learning_rates",
        "eval_interval", "eval_batches", "threads_per_run", "checkpoint_interval", "models", "grid", "schedule",
        "micro_batches", "gns", "gns_ema", "compute",
    ];
    private static readonly string[] ShapeKeys = ["layers", "d_model", "heads"];
    private static readonly string[] ModelKeys = ["layers", "d_model", "heads", "compute", "learning_rates"];
    private static readonly string[] ScheduleKeys = ["warmup_steps", "warmup_fraction", "min_lr_fraction", "weight_decay", "grad_clip", "optimizer", "momentum", "lr_schedule"];

    /// <summary>Every value a spec leaves out: the shared run defaults of train and gns too.</summary>
    private static readonly ScaleLab.Engine.Training.RunDefaults Defaults = ScaleLab.Engine.Training.RunDefaults.Shared;

    private readonly string _source;

    private SweepSpecReader(string source) => _source = source;

    [GeneratedRegex("^[A-Za-z0-9_.-]+$")]
    private static partial Regex StudyName();

    internal static SweepSpec Read(string text, string sourceName, string baseDirectory)
    {
        var root = TomlTree.Parse(text, sourceName);
        return new SweepSpecReader(sourceName).Read(root, baseDirectory);
    }

    /// <summary>A language-model spec given as JSON with the TOML keys (the "lm" run kind's settings).</summary>
    internal static SweepSpec FromJson(string study, System.Text.Json.JsonElement settings, string baseDirectory)
    {
        var root = TomlTree.FromJson(settings);
        root.Entries.RemoveAll(e => e.Key == "study");
        root.Entries.Insert(0, ("study", 0, new TomlScalar(0, study)));
        return new SweepSpecReader("settings").Read(root, baseDirectory);
    }

    private SweepSpec Read(TomlTable root, string baseDirectory)
    {
        if (root.Get("kind") is not null)
        {
            var kind = String(root, "kind", required: true)!;
            if (kind != Execution.LanguageModelRunKind.KindName)
            {
                return ReadKind(root, kind);
            }
            // kind = "lm" is the default said aloud: the same spec, the same runs and keys as without it.
            root.Entries.RemoveAll(e => e.Key == "kind");
        }
        CheckKeys(root, RootKeys, "");
        var study = String(root, "study", required: true)!;
        if (!StudyName().IsMatch(study))
        {
            throw Error(root.LineOf("study"), "study", $"'{study}' may only hold letters, digits, '_', '-' and '.'");
        }
        var (corpus, corpusSha) = Corpus(root, baseDirectory);
        var seqLen = (int)(Integer(root, "seq_len", min: 1, max: 1 << 16) ?? Defaults.SeqLen);
        var batch = (int)(Integer(root, "batch_size", min: 1, max: 1 << 16) ?? Defaults.Batch);
        var perModel = new List<ModelOverrides?>();
        var models = Models(root, seqLen, perModel);

        var hasTokens = root.Get("tokens") is not null;
        var hasRatio = root.Get("tokens_per_parameter") is not null;
        var hasCompute = root.Get("compute") is not null;
        var everyModelHasCompute = perModel.Count == models.Count && perModel.All(o => o?.Compute is not null);
        var given = (hasTokens ? 1 : 0) + (hasRatio ? 1 : 0) + (hasCompute ? 1 : 0);
        if (given > 1 || (given == 0 && !everyModelHasCompute))
        {
            var key = hasTokens && hasRatio ? "tokens_per_parameter" : hasCompute && given > 1 ? "compute" : "tokens";
            throw Error(given > 1 ? root.LineOf(key) : 1, key,
                "give exactly one of 'tokens' (token budgets), 'tokens_per_parameter' (ratios) and 'compute' (FLOP budgets), or 'compute' in every model");
        }
        if (perModel.Any(o => o?.Compute is not null) && (hasTokens || hasRatio))
        {
            throw Error(root.LineOf(hasTokens ? "tokens" : "tokens_per_parameter"), hasTokens ? "tokens" : "tokens_per_parameter",
                "a model lists its own 'compute' budgets, so the sweep's budgets must be 'compute' too");
        }
        var budgets = hasTokens ? IntegerList(root, "tokens", min: 1) : [];
        var ratios = hasRatio ? NumberList(root, "tokens_per_parameter", positive: true) : [];
        var compute = hasCompute ? NumberList(root, "compute", positive: true) : [];
        Unique(root, "compute", compute);
        var seeds = root.Get("seeds") is null ? [(long)Defaults.Seed] : IntegerList(root, "seeds", min: 0);
        var lrs = root.Get("learning_rates") is null ? [Defaults.LearningRate] : NumberList(root, "learning_rates", positive: true);
        Unique(root, "seeds", seeds);
        Unique(root, "tokens", budgets);
        Unique(root, "tokens_per_parameter", ratios);
        Unique(root, "learning_rates", lrs);

        var evalInterval = (int)(Integer(root, "eval_interval", min: 0, max: int.MaxValue) ?? Defaults.EvalInterval);
        var evalBatches = (int)(Integer(root, "eval_batches", min: 1, max: 1 << 20) ?? Defaults.EvalBatches);
        var threads = (int)(Integer(root, "threads_per_run", min: 1, max: 1024) ?? 1);
        var checkpointInterval = (int)(Integer(root, "checkpoint_interval", min: 1, max: int.MaxValue) ?? 100);
        var microBatches = (int)(Integer(root, "micro_batches", min: 1, max: batch) ?? Defaults.MicroBatches);
        if (batch % microBatches != 0)
        {
            throw Error(root.LineOf("micro_batches"), "micro_batches", $"{microBatches} does not divide batch_size {batch}");
        }
        var gns = Boolean(root, "gns") ?? false;
        if (gns && microBatches < 2)
        {
            throw Error(root.LineOf("gns"), "gns",
                "needs micro_batches of 2 or more (the micro-batch is the small batch of the two-batch estimator)");
        }
        if (!gns && root.Get("gns_ema") is not null)
        {
            throw Error(root.LineOf("gns_ema"), "gns_ema", "only applies with gns = true");
        }
        double? gnsEma = gns ? Number(root, "gns_ema", Defaults.GnsEma, 0, 1, upperOpen: true, "") : null;
        if (gnsEma is <= 0)
        {
            throw Error(root.LineOf("gns_ema"), "gns_ema", $"must be in (0, 1), got {gnsEma}");
        }

        var schedule = root.Get("schedule") as TomlTable ?? new TomlTable(1, "schedule");
        if (root.Get("schedule") is { } s and not TomlTable)
        {
            throw Error(root.LineOf("schedule"), "schedule", $"must be a table ([schedule]), got {s.TypeName}");
        }
        CheckKeys(schedule, ScheduleKeys, "schedule.");
        if (schedule.Get("warmup_steps") is not null && schedule.Get("warmup_fraction") is not null)
        {
            throw Error(schedule.LineOf("warmup_fraction"), "schedule.warmup_fraction", "give warmup_steps or warmup_fraction, not both");
        }
        var warmupSteps = (int?)Integer(schedule, "warmup_steps", min: 0, max: int.MaxValue, prefix: "schedule.");
        var warmupFraction = Number(schedule, "warmup_fraction", Defaults.WarmupFraction, 0, 1, upperOpen: true, "schedule.");
        var minLr = Number(schedule, "min_lr_fraction", Defaults.MinLrFraction, 0, 1, upperOpen: false, "schedule.");
        if (ReadConstantRate(schedule))
        {
            // No new config field: a constant rate IS the cosine schedule with no warmup and its floor at the peak
            // (LearningRateSchedule gives η_min + ½(η − η_min)(1 + cos) = η exactly), so its runs share keys with
            // specs that say so by hand.
            (warmupSteps, minLr) = (0, 1.0);
        }
        var weightDecay = Number(schedule, "weight_decay", Defaults.WeightDecay, 0, double.MaxValue, upperOpen: false, "schedule.");
        var gradClip = Number(schedule, "grad_clip", Defaults.GradClip, 0, double.MaxValue, upperOpen: false, "schedule.");

        var (optimizer, momentum) = ReadOptimizer(schedule);

        var spec = new SweepSpec(study, corpus, corpusSha, models, seqLen, batch, budgets, ratios, seeds, lrs,
            warmupSteps, warmupFraction, minLr, weightDecay, gradClip, evalInterval, evalBatches, threads, checkpointInterval,
            microBatches, gnsEma, compute, perModel.Any(o => o is not null) ? perModel : null)
        {
            Optimizer = optimizer,
            Momentum = momentum,
        };

        for (var m = 0; m < models.Count; m++)
        {
            var shape = models[m];
            if (spec.BudgetsAt(m).Any(t => t < 1))
            {
                throw Error(root.LineOf("compute"), "compute",
                    $"a budget gives model {shape.Layers}x{shape.DModel} less than one token (D = C / 6N); raise it or drop the model");
            }
        }

        // A fixed warmup must leave at least one step of decay in every run.
        if (warmupSteps is { } w)
        {
            foreach (var shape in models)
            {
                foreach (var tokens in spec.BudgetsFor(shape))
                {
                    if (w >= spec.StepsFor(tokens))
                    {
                        throw Error(schedule.LineOf("warmup_steps"), "schedule.warmup_steps",
                            $"{w} warmup steps leave no decay in a {spec.StepsFor(tokens)}-step run ({tokens} tokens, model {shape.Layers}x{shape.DModel})");
                    }
                }
            }
        }
        return spec;
    }

    private (string Corpus, string? Sha) Corpus(TomlTable root, string baseDirectory)
    {
        var corpus = String(root, "corpus", required: false) ?? "synthetic";
        var line = root.LineOf("corpus");
        if (corpus == "synthetic")
        {
            return (corpus, null);
        }
        if (corpus.StartsWith("synthetic:", StringComparison.Ordinal))
        {
            if (!ulong.TryParse(corpus["synthetic:".Length..], out _))
            {
                throw Error(line, "corpus", $"'{corpus}': the seed after 'synthetic:' must be a non-negative integer");
            }
            return (corpus, null);
        }
        var path = Path.GetFullPath(Path.Combine(baseDirectory, corpus));
        if (!File.Exists(path))
        {
            throw Error(line, "corpus", $"'{corpus}' is neither 'synthetic[:SEED]' nor an existing file ({path})");
        }
        using var stream = File.OpenRead(path);
        return (path, Convert.ToHexStringLower(SHA256.HashData(stream)));
    }
}
