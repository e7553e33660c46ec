using System.Text.Json;
using Microsoft.Data.Sqlite;
using ScaleLab.Engine;
using ScaleLab.Engine.Data;
using ScaleLab.Engine.Sae;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Studies.Sae;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Lab.Tests.Sae;

/// <summary>The "sae" run kind: its spec's runs, its refusals, and a crashed run resumed bit for bit.</summary>
public sealed class SaeRunKindTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("scalelab-sae-kind-").FullName;
    private readonly string _activations;

    public SaeRunKindTests()
    {
        // Activations of a small random model's MLP (width 64) over 40 windows of 16 tokens.
        var config = new GptConfig(1, 16, 2, 16);
        using var trainable = new Gpt(config, 1);
        trainable.InitWeights(new Rng(3));
        using var model = Gpt.ForInference(config, trainable.Parameters, 8, 16);
        _activations = Path.Combine(_directory, "acts.slac");
        ActivationFile.Capture(model, ActivationSite.MlpHidden(0), SyntheticCorpus.Default, 40, 16, 1).Save(_activations);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private string Spec(string extra = "latents = [32, 64]\nk = [4, 8]\nseeds = [1, 2]") => $$"""
        study = "saes"
        kind = "sae"
        checkpoint_interval = 10
        [settings]
        activations = "{{_activations}}"
        steps = 30
        batch = 32
        {{extra}}
        """;

    [Fact]
    public void Expand_LatentsTimesKTimesSeeds_OneRunEachWithStableKeys()
    {
        // When
        var runs = SweepSpec.Parse(Spec()).NewRuns();

        // Then: 2 × 2 × 2 runs of kind sae, distinct keys, the same keys again; compute (2n + 10k)·D per token.
        Assert.Equal(8, runs.Count);
        Assert.All(runs, r => Assert.Equal(SaeRunKind.KindName, r.Kind));
        Assert.Equal(8, runs.Select(r => r.Key).Distinct().Count());
        Assert.Equal(runs.Select(r => r.Key), SweepSpec.Parse(Spec()).NewRuns().Select(r => r.Key));
        Assert.Contains(runs, r => r.Flops == 30.0 * 32 * (2 * 64 + 10 * 8) * 64);
    }

    [Fact]
    public void Expand_LrScaling_InverseSqrtOfLatentsWhenAskedFixedByDefault()
    {
        // When: 1/√n scaling (lr = 1e-3 at n = 512), a base rate at another reference, and the default (no scaling).
        static double Rate(NewRun r) => JsonSerializer.Deserialize<SaeRunConfig>(r.ConfigJson, SaeRunKind.Json)!.Train.LearningRate;
        static int N(NewRun r) => JsonSerializer.Deserialize<SaeRunConfig>(r.ConfigJson, SaeRunKind.Json)!.Sae.Latents;
        var scaled = SweepSpec.Parse(Spec("latents = [32, 128]\nk = 4\nlr_scaling = \"inverse_sqrt_n\"")).NewRuns();
        var rebased = SweepSpec.Parse(Spec("latents = [32, 128]\nk = 4\nlr = 2e-3\nlr_reference_latents = 32\nlr_scaling = \"inverse_sqrt_n\"")).NewRuns();
        var fixedRate = SweepSpec.Parse(Spec("latents = [32, 128]\nk = 4")).NewRuns();
        var fixedNamed = SweepSpec.Parse(Spec("latents = [32, 128]\nk = 4\nlr_scaling = \"none\"")).NewRuns();

        // Then: n = 32 gets 1e-3·√16 = 4e-3 and n = 128 2e-3; rebased 2e-3 and 1e-3; by default both 1e-3 with the same
        // keys as "none" says explicitly, and the keys differ from the scaled ones (the rate is part of the run).
        Assert.Equal([(32, 4e-3), (128, 2e-3)], scaled.Select(r => (N(r), Math.Round(Rate(r), 12))));
        Assert.Equal([(32, 2e-3), (128, 1e-3)], rebased.Select(r => (N(r), Math.Round(Rate(r), 12))));
        Assert.Equal([1e-3, 1e-3], fixedRate.Select(Rate));
        Assert.Equal(fixedRate.Select(r => r.Key), fixedNamed.Select(r => r.Key));
        Assert.Empty(scaled.Select(r => r.Key).Intersect(fixedRate.Select(r => r.Key)));
    }

    [Fact]
    public void Expand_StepsExponent_LargerDictionariesTrainLongerWithAsManyEvaluations()
    {
        // When: steps ∝ n^0.5 from n = 32 (the smallest by default; eval every 10 steps there), and the default (no growth).
        static SaeRunConfig Config(NewRun r) => JsonSerializer.Deserialize<SaeRunConfig>(r.ConfigJson, SaeRunKind.Json)!;
        var grown = SweepSpec.Parse(Spec("latents = [32, 128, 512]\nk = 4\neval_interval = 10\nsteps_exponent = 0.5\naux_coefficient = 0.25")).NewRuns();
        var rebased = SweepSpec.Parse(Spec("latents = [32, 128]\nk = 4\nsteps_exponent = 1\nsteps_reference_latents = 64")).NewRuns();
        var flat = SweepSpec.Parse(Spec("latents = [32, 128, 512]\nk = 4\neval_interval = 10")).NewRuns();
        var flatNamed = SweepSpec.Parse(Spec("latents = [32, 128, 512]\nk = 4\neval_interval = 10\nsteps_exponent = 0")).NewRuns();

        // Then: 30, 60 and 120 steps (30·√(n/32)), evaluated every 10, 20 and 40 steps (three times each), tokens and
        // compute following the steps, warmup a tenth of each run, AuxK's α as given; rebased at n_ref = 64 with p = 1:
        // 15 and 60 steps; without growth every run takes 30 steps, α is Gao et al.'s 1/32, and the keys equal those of an
        // explicit steps_exponent = 0.
        Assert.Equal([30L, 60L, 120L], grown.Select(r => Config(r).Train.Steps));
        Assert.Equal([10, 20, 40], grown.Select(r => Config(r).EvalInterval));
        Assert.Equal([30L * 32, 60L * 32, 120L * 32], grown.Select(r => r.Tokens));
        Assert.Equal(120.0 * 32 * (2 * 512 + 10 * 4) * 64, grown[2].Flops);
        Assert.Equal([3, 6, 12], grown.Select(r => Config(r).Train.WarmupSteps));
        Assert.All(grown, r => Assert.Equal(0.25, Config(r).Sae.AuxCoefficient));
        Assert.Equal([15L, 60L], rebased.Select(r => Config(r).Train.Steps));
        Assert.All(flat, r => Assert.Equal(30L, Config(r).Train.Steps));
        Assert.All(flat, r => Assert.Equal(1.0 / 32, Config(r).Sae.AuxCoefficient));
        Assert.Equal(flat.Select(r => r.Key), flatNamed.Select(r => r.Key));
        Assert.Empty(grown.Select(r => r.Key).Intersect(flat.Select(r => r.Key)));
    }

    [Fact]
    public void StepsAt_RoundsAndKeepsAtLeastOne()
    {
        // 1000·(100/64)^0.6 = 1306.9 → 1307; the interval 250 → 326.7 → 327; a tiny n still gets one step; interval 0 stays 0.
        Assert.Equal((1307L, 327), SaeRunKind.StepsAt(100, 1000, 250, 0.6, 64));
        Assert.Equal((1L, 1), SaeRunKind.StepsAt(1, 10, 5, 2, 1000));
        Assert.Equal((2000L, 0), SaeRunKind.StepsAt(256, 1000, 0, 0.5, 64));
        Assert.Throws<ArgumentException>(() => SaeRunKind.StepsAt(64, 1000, 10, -0.5, 64));
    }

    [Theory]
    [InlineData("steps_exponent = -1", "steps_exponent")]
    [InlineData("steps_exponent = [0.5, 1]", "steps_exponent")]
    [InlineData("aux_coefficient = -0.5", "aux_coefficient")]
    [InlineData("lr_scaling = \"cubic\"", "lr_scaling")]
    [InlineData("latents = 8\nk = 16", "larger than latents")]
    [InlineData("colour = 1", "unknown sae setting")]
    [InlineData("family = \"dense\"", "family")]
    [InlineData("holdout = 1.5", "holdout")]
    public void Parse_BadSetting_RefusedInOneLine(string extra, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => SweepSpec.Parse(Spec(extra)));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    private ExecutorOptions Options(string name) => new()
    {
        Workers = 1,
        CheckpointDirectory = Path.Combine(_directory, name + "-ck"),
        CheckpointInterval = 10,
        HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        StaleAfter = TimeSpan.FromSeconds(5),
        PollInterval = TimeSpan.FromMilliseconds(50),
    };

    private string Registry(string name) => "sqlite:" + Path.Combine(_directory, name + ".db");

    [Fact]
    public void Points_StepsNotAMultipleOfTheInterval_LastIntervalSkipsTheExtraFinalEvaluation()
    {
        // Given: 31 steps evaluated every 10, so at steps 10, 20, 30 and again at the end, 31.
        var text = Spec("latents = 64\nk = 4\neval_interval = 10").Replace("steps = 30", "steps = 31", StringComparison.Ordinal);
        using var store = RunStores.Open(Registry("odd"));
        SweepPlan.Enqueue(store, SweepSpec.Parse(text));
        Assert.True(InProcessExecutor.Run(() => RunStores.Open(Registry("odd")), "saes", Options("odd")).Complete);

        // When
        var point = Assert.Single(SaeScaling.Points(store, "saes"));

        // Then: the fall is read from step 20 to 31 (11 steps), not from 30 to 31 (one step, which would always pass).
        var run = Assert.Single(store.ListRuns("saes"));
        var evals = store.ReadRunMetrics(run.Key).Where(m => m.Name == "heldout_fvu").OrderBy(m => m.Step).ToList();
        Assert.Equal([10L, 20L, 30L, 31L], evals.Select(m => m.Step));
        Assert.Equal(11L, point.LastIntervalSteps);
        Assert.Equal((evals[1].Value - evals[3].Value) / evals[1].Value, point.LastIntervalFall);
    }

    [Fact]
    public void Train_ResumedAfterCrash_MatchesUninterruptedBitForBit()
    {
        // Given: an uninterrupted reference, and a crashed attempt on a second registry (a checkpoint at step 10, then the
        // worker died).
        var text = Spec("latents = 64\nk = 4\neval_interval = 10");
        using var refStore = RunStores.Open(Registry("ref"));
        SweepPlan.Enqueue(refStore, SweepSpec.Parse(text));
        Assert.True(InProcessExecutor.Run(() => RunStores.Open(Registry("ref")), "saes", Options("ref")).Complete);
        var target = Assert.Single(refStore.ListRuns("saes"));
        var point = Assert.Single(SaeScaling.Points(refStore, "saes"));   // the compute table's row: FLOP estimate and wall time
        Assert.Equal(target.Flops, point.Flops);
        Assert.Equal((target.FinishedAt!.Value - target.StartedAt!.Value).TotalSeconds, point.WallSeconds);
        Assert.True(point.WallSeconds > 0);
        var fvus = refStore.ReadRunMetrics(target.Key).Where(m => m.Name == "heldout_fvu").OrderBy(m => m.Step).Select(m => m.Value).ToList();
        Assert.Equal(3, fvus.Count);   // steps 10, 20, 30: the convergence check reads the last two
        Assert.Equal((fvus[1] - fvus[2]) / fvus[1], point.LastIntervalFall);
        Assert.Equal(10L, point.LastIntervalSteps);

        using var store = RunStores.Open(Registry("crash"));
        SweepPlan.Enqueue(store, SweepSpec.Parse(text));
        var options = Options("crash");
        Assert.Equal(target.Key, store.Claim("saes", "dead", options.StaleAfter)!.Key);
        var path = options.CheckpointPath("saes", target.Key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (var session = new SaeRunKind().Open(new RunContext(target, path, 1, store, null)))
        {
            for (var i = 0; i < 10; i++) session.TrainStep();
            session.SaveCheckpoint(path);
        }
        store.ReleaseWorker("dead");
        var run = store.Claim("saes", "alive", options.StaleAfter)!;

        // When
        var outcome = RunExecution.Train(store, run, "alive", options);

        // Then: the same final value (held-out FVU), the same named metrics after step 10, the same SAE.
        Assert.Equal((RunEnd.Done, 10L), (outcome.End, outcome.ResumedFromStep));
        var final = store.GetRun(target.Key)!.FinalLoss;
        Assert.Equal(refStore.GetRun(target.Key)!.FinalLoss, final);
        Assert.InRange(final!.Value, 0.0, 1.5);
        Assert.Equal(refStore.ReadRunMetrics(target.Key).Where(m => m.Step > 10), store.ReadRunMetrics(target.Key).Where(m => m.Step > 10));
        Assert.Contains(store.ReadRunMetrics(target.Key), m => m.Name == "heldout_fvu" && m.Step == 30);
        Assert.Equal(SaeCheckpoint.Load(Options("ref").CheckpointPath("saes", target.Key)).Parameters, SaeCheckpoint.Load(path).Parameters);
    }
}
