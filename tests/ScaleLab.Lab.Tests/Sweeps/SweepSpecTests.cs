using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Lab.Tests.Sweeps;

public sealed class SweepSpecTests
{
    private const string Full = """
        study = "demo"
        corpus = "synthetic:7"
        seq_len = 32
        batch_size = 8
        tokens = [25_600, 51_200]
        seeds = [1, 2]
        eval_interval = 10

        [[models]]
        layers = 1
        d_model = 32
        heads = 2

        [[models]]
        layers = 2
        d_model = 64
        heads = 4

        [schedule]
        warmup_steps = 5
        min_lr_fraction = 0.2
        """;

    [Fact]
    public void Expand_ListedModels_AllCombinationsInFixedOrder()
    {
        // Given
        var spec = SweepSpec.Parse(Full);

        // When
        var runs = spec.Expand();

        // Then: 2 models × 2 budgets × 1 lr × 2 seeds; steps = D / (B·T) = 25 600 / 256 = 100.
        Assert.Equal(8, runs.Count);
        Assert.Equal(Enumerable.Range(0, 8), runs.Select(r => r.Ordinal));
        Assert.Equal([(1, 100L, 1L), (1, 100, 2), (1, 200, 1), (1, 200, 2), (2, 100, 1), (2, 100, 2), (2, 200, 1), (2, 200, 2)],
            runs.Select(r => (r.Layers, r.Steps, r.Seed)));
        Assert.All(runs, r => Assert.Equal((r.Steps * 256, 5, 0.2, "synthetic:7", 3e-3), (r.Tokens, r.WarmupSteps, r.MinLrFraction, r.Corpus, r.LearningRate)));
        Assert.Equal(8, runs.Select(r => r.Key).Distinct().Count());
    }

    [Fact]
    public void Parse_ZeroGradClipAndEvalInterval_MeanOffAsInTrainOptions()
    {
        // Given: 0 is "no clipping" and "validate only after the last step", as TrainOptions documents.
        var text = Full.Replace("eval_interval = 10", "eval_interval = 0") + "\ngrad_clip = 0\n";

        // When
        var runs = SweepSpec.Parse(text).Expand();

        // Then
        Assert.All(runs, r => Assert.Equal((0.0, 0), (r.GradClip, r.EvalInterval)));
        Assert.NotEqual(SweepSpec.Parse(Full).Expand().Select(r => r.Key), runs.Select(r => r.Key));
    }

    [Theory]
    [InlineData("eval_interval = -1", "schedule.grad_clip = 1", "key 'eval_interval'")]
    [InlineData("eval_interval = 10", "grad_clip = -0.5", "key 'schedule.grad_clip'")]
    public void Parse_NegativeGradClipOrEvalInterval_Refused(string root, string schedule, string key)
    {
        // Given
        var text = Full.Replace("eval_interval = 10", root) + "\n" + schedule.Replace("schedule.", "") + "\n";

        // When
        var ex = Assert.Throws<InvalidDataException>(() => SweepSpec.Parse(text));

        // Then
        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Expand_SameSpecTwice_SameKeys()
    {
        // Given
        var first = SweepSpec.Parse(Full).Expand();

        // When
        var second = SweepSpec.Parse(Full.Replace("eval_interval = 10", "eval_interval = 10\nthreads_per_run = 2")).Expand();

        // Then: keys depend on the configuration only (threads are an execution setting).
        Assert.Equal(first.Select(r => r.Key), second.Select(r => r.Key));
        Assert.All(first, r => Assert.Matches("^[0-9a-f]{16}$", r.Key));
    }

    [Fact]
    public void Key_AnyConfigFieldChanged_KeyChanges_OrdinalIgnored()
    {
        // Given
        var run = SweepSpec.Parse(Full).Expand()[0];

        // When
        var variants = new[]
        {
            run with { Seed = 99 }, run with { LearningRate = 2e-3 }, run with { Steps = 101 }, run with { Heads = 4 },
            run with { Study = "other" }, run with { Corpus = "synthetic:8" }, run with { EvalBatches = 5 },
            run with { MinLrFraction = 0.3 }, run with { WarmupSteps = 6 },
        };

        // Then
        Assert.All(variants, v => Assert.NotEqual(run.Key, v.Key));
        Assert.Equal(run.Key, (run with { Ordinal = 42 }).Key);
    }

    [Fact]
    public void Key_SpecWithoutNewKeys_SameKeyAsBeforeSchemaTwo()
    {
        // Given: a run of a spec that uses none of the keys added later (micro_batches, gns, ...)
        var run = SweepSpec.Parse(Full).Expand()[0];

        // When
        var key = run.Key;

        // Then: the key (and so every registry row) of an existing sweep is unchanged, so re-running it resumes
        // instead of training everything again.
        Assert.Equal("b5cdc9f253c2cd57", key);
        Assert.DoesNotContain("micro_batches", run.ConfigJson);
    }

    [Fact]
    public void Expand_GnsSpec_RunsCarryMicroBatchesAndEmaInTheirKey()
    {
        // Given
        var gns = Full.Replace("eval_interval = 10", "eval_interval = 10\nmicro_batches = 4\ngns = true\ngns_ema = 0.95");

        // When
        var plain = SweepSpec.Parse(Full).Expand()[0];
        var run = SweepSpec.Parse(gns).Expand()[0];

        // Then
        Assert.Equal((4, 0.95), (run.MicroBatches, run.GnsEma));
        Assert.Equal(run, RunSpec.FromJson(run.ConfigJson, run.Ordinal));
        Assert.NotEqual(plain.Key, run.Key);
        Assert.NotEqual(run.Key, (run with { GnsEma = 0.99 }).Key);
        Assert.Equal(0.99, SweepSpec.Parse(gns.Replace("gns_ema = 0.95\n", "")).Expand()[0].GnsEma);
        Assert.Null(SweepSpec.Parse(Full.Replace("eval_interval = 10", "eval_interval = 10\nmicro_batches = 4")).Expand()[0].GnsEma);
    }

    [Fact]
    public void FromJson_ConfigJson_RoundTripsRun()
    {
        // Given
        var run = SweepSpec.Parse(Full).Expand()[5];

        // When
        var back = RunSpec.FromJson(run.ConfigJson, run.Ordinal);

        // Then
        Assert.Equal(run, back);
        Assert.Contains("\"d_model\":64", run.ConfigJson);
    }

    [Fact]
    public void ToNewRun_CountsFromModelShape()
    {
        // Given: L = 2, C = 64: N = L(12C² + 13C) + 2C = 2(49 152 + 832) + 128 = 100 096.
        var run = SweepSpec.Parse(Full).Expand()[4];

        // When
        var row = run.ToNewRun();

        // Then
        Assert.Equal(100_096, row.NonEmbeddingParameters);
        Assert.Equal(100_096 + 256 * 64 + 32 * 64, row.Parameters);
        Assert.Equal(25_600, row.Tokens);
        Assert.Equal(run.Model.FlopsPerToken * 25_600, row.Flops);
    }

    [Fact]
    public void Expand_GridAndTokensPerParameter_RatioTimesNonEmbeddingN()
    {
        // Given
        var spec = SweepSpec.Parse("""
            study = "grid"
            seq_len = 16
            batch_size = 4
            tokens_per_parameter = [20]
            learning_rates = [1e-3, 3e-3]
            [grid]
            layers = [1, 2]
            d_model = [32, 64]
            heads = [2]
            """);

        // When
        var runs = spec.Expand();

        // Then: 4 shapes × 1 ratio × 2 lr × 1 seed; 2x64 has N = 100 096 → D = 2 001 920, ⌈D/64⌉ = 31 280 steps.
        Assert.Equal(8, runs.Count);
        var big = runs.Single(r => r is { Layers: 2, DModel: 64, LearningRate: 3e-3 });
        Assert.Equal(31_280, big.Steps);
        var small = runs.Single(r => r is { Layers: 1, DModel: 32, LearningRate: 3e-3 });
        Assert.Equal((20L * (12 * 32 * 32 + 13 * 32 + 64) + 63) / 64, small.Steps);
        Assert.Equal(20.0 * 100_096, big.Tokens, 64.0);
        Assert.All(runs, r => Assert.Equal((int)Math.Round(0.1 * r.Steps), r.WarmupSteps));
    }

    [Fact]
    public void Expand_ComputeBudgetsWithPerModelOverrides_TokensAreCOver6NAndRatesPerModel()
    {
        // Given: an isoFLOP design; the small model runs at both budgets with a 3-rate sweep, the big one at
        // the larger budget only with its own rate.
        var spec = SweepSpec.Parse("""
            study = "iso"
            seq_len = 16
            batch_size = 4
            compute = [1e10, 1e11]
            learning_rates = [1e-2]
            [[models]]
            layers = 1
            d_model = 32
            heads = 2
            learning_rates = [5e-3, 1e-2, 2e-2]
            [[models]]
            layers = 2
            d_model = 64
            heads = 4
            compute = [1e11]
            learning_rates = [4e-3]
            """);

        // When
        var runs = spec.Expand();

        // Then: 2 budgets × 3 rates for 1x32, 1 budget × 1 rate for 2x64; D = C/(6N), rounded up to whole steps.
        Assert.Equal(7, runs.Count);
        var big = Assert.Single(runs, r => r.Layers == 2);
        Assert.Equal(4e-3, big.LearningRate);
        var bigTokens = Math.Round(1e11 / (6.0 * 100_096));
        Assert.Equal((long)Math.Ceiling(bigTokens / 64), big.Steps);
        var small = runs.Where(r => r.Layers == 1).ToList();
        Assert.Equal([5e-3, 1e-2, 2e-2], small.Select(r => r.LearningRate).Distinct().Order());
        Assert.Equal(2, small.Select(r => r.Steps).Distinct().Count());
    }

    [Fact]
    public void Parse_ShapeListedTwice_AllowedOnlyWithDisjointComputeBudgets()
    {
        // Given: the same shape at 1e10 with three rates and at 1e11 with one
        const string head = "study = \"x\"\nseq_len = 16\nbatch_size = 4\ncompute = [1e10]\n";
        const string shape = "[[models]]\nlayers = 1\nd_model = 32\nheads = 2\n";
        var spec = SweepSpec.Parse(head + shape + "compute = [1e10]\nlearning_rates = [1e-3, 2e-3, 4e-3]\n" + shape + "compute = [1e11]\n");

        // When
        var runs = spec.Expand();

        // Then: 3 runs at the small budget, 1 at the large one; overlapping or missing budgets are refused.
        Assert.Equal(4, runs.Count);
        Assert.Single(runs, r => r.Steps > runs.Min(x => x.Steps));
        var overlap = Assert.Throws<InvalidDataException>(() => SweepSpec.Parse(head + shape + "compute = [1e10]\n" + shape + "compute = [1e10, 1e11]\n"));
        Assert.Contains("listed twice", overlap.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => SweepSpec.Parse(head + shape + shape + "compute = [1e11]\n"));
    }

    [Theory]
    [InlineData("compute = [1e10]\ntokens = [100]", "compute")]
    [InlineData("", "tokens")]
    public void Parse_ComputeAndTokensTogetherOrNeither_OneLineError(string budgets, string key)
    {
        // Given
        var text = "study = \"x\"\nseq_len = 16\nbatch_size = 4\n" + budgets + "\n[[models]]\nlayers = 1\nd_model = 32\nheads = 2\n";

        // When
        var ex = Assert.Throws<InvalidDataException>(() => SweepSpec.Parse(text));

        // Then
        Assert.Contains($"key '{key}'", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Theory]
    [InlineData("study = \"s\"\nseq_len = 8\nbatch_size = 2\ntokens = [1000]\nmodels = [{layers = 1, d_model = 32, heads = 3}]\n",
        "spec.toml:5: key 'models[0]': heads 3 does not divide d_model 32")]
    [InlineData("study = \"s\"\nseq_len = 8\nbatch_size = 2\ntokens = [1000]\nlearning_rate = 0.1\nmodels = [{layers = 1, d_model = 32, heads = 2}]\n",
        "spec.toml:5: key 'learning_rate': unknown key")]
    [InlineData("study = \"s\"\nseq_len = \"64\"\nbatch_size = 2\ntokens = [1000]\nmodels = [{layers = 1, d_model = 32, heads = 2}]\n",
        "spec.toml:2: key 'seq_len': must be an integer, got string \"64\"")]
    [InlineData("study = \"s\"\nseq_len = 8\nbatch_size = 0\ntokens = [1000]\nmodels = [{layers = 1, d_model = 32, heads = 2}]\n",
        "spec.toml:3: key 'batch_size': must be positive, got 0")]
    [InlineData("study = \"s\"\nseq_len = 8\nbatch_size = 2\ntokens = [1000, -5]\nmodels = [{layers = 1, d_model = 32, heads = 2}]\n",
        "spec.toml:4: key 'tokens': must be positive, got -5")]
    [InlineData("study = \"s\"\nseq_len = 8\nbatch_size = 2\ntokens = [1000]\ntokens_per_parameter = [20]\nmodels = [{layers = 1, d_model = 32, heads = 2}]\n",
        "spec.toml:5: key 'tokens_per_parameter': give exactly one of")]
    [InlineData("seq_len = 8\nbatch_size = 2\ntokens = [1000]\nmodels = [{layers = 1, d_model = 32, heads = 2}]\n",
        "spec.toml:1: key 'study': missing")]
    [InlineData("study = \"s\"\nseq_len = 8\nbatch_size = 2\ntokens = [1000]\n\n[[models]]\nlayers = 1\nd_model = 32\nheads = 2\nwidth = 3\n",
        "spec.toml:10: key 'models[0].width': unknown key")]
    [InlineData("study = \"s\"\nseq_len = 8\nbatch_size = 2\ntokens = [1000]\nseeds = [1, 1]\nmodels = [{layers = 1, d_model = 32, heads = 2}]\n",
        "spec.toml:5: key 'seeds': value 1 is listed twice")]
    [InlineData("study = \"s\"\nseq_len = 8\nbatch_size = 2\ntokens = [64]\nmodels = [{layers = 1, d_model = 32, heads = 2}]\n[schedule]\nwarmup_steps = 4\n",
        "spec.toml:7: key 'schedule.warmup_steps': 4 warmup steps leave no decay in a 4-step run")]
    [InlineData("study = \"s\"\nseq_len = 8\nbatch_size = 2\ntokens = [1000]\nmodels = [{layers = 1, d_model = 32, heads = 2}]\n[schedule]\nmin_lr_fraction = 1.5\n",
        "spec.toml:7: key 'schedule.min_lr_fraction': must be in [0, 1], got 1.5")]
    [InlineData("study = \"s\"\nseq_len = 8\nbatch_size = 2\ntokens = [1000]\ncorpus = \"no-such-file.txt\"\nmodels = [{layers = 1, d_model = 32, heads = 2}]\n",
        "spec.toml:5: key 'corpus': 'no-such-file.txt' is neither")]
    [InlineData("study = \"s\"\nseq_len = 8\nbatch_size = 2\ntokens = [1000]\nmodels = [{layers = 1, d_model = 32, heads = 2}, {layers = 1, d_model = 32, heads = 2}]\n",
        "spec.toml:5: key 'models[1]': shape 1x32x2 is listed twice")]
    [InlineData("study = \"s\"\nseq_len = 8\nbatch_size = 4\ntokens = [1000]\ngns = true\nmodels = [{layers = 1, d_model = 32, heads = 2}]\n",
        "spec.toml:5: key 'gns': needs micro_batches of 2 or more")]
    [InlineData("study = \"s\"\nseq_len = 8\nbatch_size = 4\ntokens = [1000]\nmicro_batches = 3\nmodels = [{layers = 1, d_model = 32, heads = 2}]\n",
        "spec.toml:5: key 'micro_batches': 3 does not divide batch_size 4")]
    [InlineData("study = \"s\"\nseq_len = 8\nbatch_size = 4\ntokens = [1000]\nmicro_batches = 2\ngns = \"yes\"\nmodels = [{layers = 1, d_model = 32, heads = 2}]\n",
        "spec.toml:6: key 'gns': must be true or false, got string \"yes\"")]
    [InlineData("study = \"s\"\nseq_len = 8\nbatch_size = 4\ntokens = [1000]\nmicro_batches = 2\ngns_ema = 0.9\nmodels = [{layers = 1, d_model = 32, heads = 2}]\n",
        "spec.toml:6: key 'gns_ema': only applies with gns = true")]
    [InlineData("study = \"s\"\nseq_len = 8\nbatch_size = 4\ntokens = [1000]\nmicro_batches = 2\ngns = true\ngns_ema = 1\nmodels = [{layers = 1, d_model = 32, heads = 2}]\n",
        "spec.toml:7: key 'gns_ema': must be in [0, 1), got 1")]
    [InlineData("study = \"s\"\nseq_len = 8\nbatch_size = 2\ntokens = [1000\n",
        "spec.toml:5: Unexpected token")]
    public void Parse_InvalidSpec_OneLineWithFileLineAndKey(string toml, string expected)
    {
        // When
        var error = Assert.Throws<InvalidDataException>(() => SweepSpec.Parse(toml, "spec.toml", Path.GetTempPath()));

        // Then
        Assert.StartsWith(expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Load_TextCorpusRelativeToSpec_PathResolvedAndHashed()
    {
        // Given
        var directory = Directory.CreateTempSubdirectory("scalelab-spec-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(directory, "corpus.txt"), "hello world");
            var specPath = Path.Combine(directory, "sweep.toml");
            File.WriteAllText(specPath, Full.Replace("synthetic:7", "corpus.txt"));

            // When
            var spec = SweepSpec.Load(specPath);

            // Then: SHA-256("hello world").
            Assert.Equal(Path.Combine(directory, "corpus.txt"), spec.Corpus);
            Assert.Equal("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9", spec.CorpusSha256);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
