using System.Globalization;
using ScaleLab.Cli.Commands;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Sweeps;
using ScaleLab.Lab.Training;

namespace ScaleLab.Cli.Tests;

/// <summary>One set of defaults: train, gns and a sweep spec that leave a value out all take it from <see cref="RunDefaults.Shared"/>.</summary>
public sealed class RunDefaultsTests
{
    private static readonly RunDefaults Shared = RunDefaults.Shared;

    /// <summary>The run the shared defaults describe, at <paramref name="steps"/> steps, as the registry records it.</summary>
    private static RunSpec Expected(long steps, RunDefaults d) => new(
        "s", 0, "synthetic", null, d.Layers, d.DModel, d.Heads, d.SeqLen, SweepSpec.Vocab, d.Batch, steps, d.LearningRate,
        d.WarmupStepsFor(steps), d.MinLrFraction, d.WeightDecay, d.GradClip, d.EvalInterval, d.EvalBatches, (long)d.Seed,
        d.MicroBatches == 1 ? null : d.MicroBatches, null, null);

    [Fact]
    public void Train_NoFlags_IsTheSharedDefaultRun()
    {
        // Given: train with no flags
        var options = TrainCommand.NewRunOptions(new TrainCommand.Settings());

        // When: described as the registry describes a run
        var run = RegistryTraining.ToRunSpec("s", "synthetic", options, gnsEma: null);

        // Then: the shared defaults, evaluation windows included (train states them as sequences: EvalBatches·B)
        Assert.Equal(Shared.EvalSequencesFor(Shared.Batch), run.EvalSequences);
        Assert.Equal(Expected(Shared.Steps, Shared), run with { EvalSequences = null });
        Assert.Equal(Shared.GnsEma, new TrainCommand.Settings().GnsEma);
    }

    [Fact]
    public void Distill_NoFlags_IsTheSharedDefaultRun()
    {
        // Given: distill with no flags (its --help: model and schedule flags and defaults are train's)
        var options = new DistillCommand.Settings().ToTrainOptions();

        // When: described as the registry describes a run
        var run = RegistryTraining.ToRunSpec("s", "synthetic", options, gnsEma: null);

        // Then: the shared defaults, as train's are, and the same options as train's
        Assert.Equal(Shared.EvalSequencesFor(Shared.Batch), run.EvalSequences);
        Assert.Equal(Expected(Shared.Steps, Shared), run with { EvalSequences = null });
        Assert.Equal(TrainCommand.NewRunOptions(new TrainCommand.Settings()), options);
    }

    [Fact]
    public void Train_DefaultWarmup_IsAFractionThatFollowsAResumedRunsSteps()
    {
        // Given: a default train run of 200 steps, and the options of a checkpoint written before the shared defaults
        var options = TrainCommand.NewRunOptions(new TrainCommand.Settings { Steps = 200 });
        var legacy = new TrainOptions { Model = options.Model, Steps = 1000 };

        // When / Then: 10% of the run, also when a resume changes the run's length (a checkpoint stores the fraction,
        // not a step count that a shorter resumed run could not reach); the old rule (5%, at most 200) is kept for old checkpoints.
        Assert.Equal(20, options.EffectiveWarmupSteps);
        Assert.Equal(5, (options with { Steps = 50 }).EffectiveWarmupSteps);
        Assert.Equal(50, legacy.EffectiveWarmupSteps);
    }

    [Fact]
    public void SweepSpec_OnlyRequiredKeys_IsTheSharedDefaultRun()
    {
        // Given: a spec naming only its study, one model of the shared shape and a budget of the shared steps
        var tokens = Shared.Steps * Shared.Batch * Shared.SeqLen;
        var spec = SweepSpec.Parse($"""
            study = "s"
            tokens = [{tokens}]
            models = [{'{'} layers = {Shared.Layers}, d_model = {Shared.DModel}, heads = {Shared.Heads} {'}'}]
            """);

        // When
        var run = spec.Expand().Single();

        // Then: every value it left out (seq_len and batch_size included) is the shared default
        Assert.Equal(Expected(Shared.Steps, Shared), run);
        var gns = SweepSpec.Parse($"""
            study = "s"
            tokens = [{tokens}]
            models = [{'{'} layers = {Shared.Layers}, d_model = {Shared.DModel}, heads = {Shared.Heads} {'}'}]
            micro_batches = 2
            gns = true
            """).Expand().Single();
        Assert.Equal(Shared.GnsEma, gns.GnsEma);
    }

    [Fact]
    public void Gns_NoFlags_IsTheSharedDefaultRunWithItsTwoStatedOverrides()
    {
        // Given: gns with no flags
        var settings = new GnsCommand.Settings();

        // When
        var options = settings.ToTrainOptions(settings.Batch, settings.LearningRate, settings.Steps);
        var run = RegistryTraining.ToRunSpec("s", "synthetic", options, gnsEma: null);

        // Then: the shared run, except the two overrides its --help states (micro-batches and steps), and the shared EMA
        Assert.Equal(Shared with { MicroBatches = 8, Steps = 300 }, GnsCommand.Defaults);
        Assert.Equal(Expected(300, GnsCommand.Defaults), run with { EvalSequences = null });
        Assert.Equal(Shared.EvalSequencesFor(Shared.Batch), run.EvalSequences);
        Assert.Equal(Shared.GnsEma, settings.Ema);
    }

    [Fact]
    public void CriticalBatch_Defaults_DifferOnlyWhereItsHelpSaysWhy()
    {
        // Given / When
        var help = FitCli.Run("critical-batch", "--help").Out;

        // Then: the model, micro-batches, steps and EMA overrides are its own and named in its description
        Assert.Equal(Shared with { DModel = 32, Heads = 2, SeqLen = 32, MicroBatches = 8, Steps = 300, GnsEma = 0.95 }, CriticalBatchCommand.Defaults);
        Assert.Contains("calibrated", help, StringComparison.Ordinal);
        var settings = new CriticalBatchCommand.Settings();
        Assert.Equal((32, 2, 32, 0.95), (settings.DModel, settings.Heads, settings.Seq, settings.Ema));
    }

    public static TheoryData<string, string, string> HelpDefaults() => new()
    {
        { "train", "--layers", V(Shared.Layers) },
        { "train", "--d-model", V(Shared.DModel) },
        { "train", "--heads", V(Shared.Heads) },
        { "train", "--seq", V(Shared.SeqLen) },
        { "train", "--batch", V(Shared.Batch) },
        { "train", "--micro-batches", V(Shared.MicroBatches) },
        { "train", "--steps", V(Shared.Steps) },
        { "train", "--lr", V(Shared.LearningRate) },
        { "train", "--warmup", V(100 * Shared.WarmupFraction) + "% of the run" },
        { "train", "--min-lr-fraction", V(Shared.MinLrFraction) },
        { "train", "--weight-decay", V(Shared.WeightDecay) },
        { "train", "--clip", V(Shared.GradClip) },
        { "train", "--eval-interval", V(Shared.EvalInterval) },
        { "train", "--eval-sequences", $"{V(Shared.EvalBatches)} batches" },
        { "train", "--seed", V(Shared.Seed) },
        { "train", "--gns-ema", V(Shared.GnsEma) },
        { "gns", "--layers", V(GnsCommand.Defaults.Layers) },
        { "gns", "--d-model", V(GnsCommand.Defaults.DModel) },
        { "gns", "--heads", V(GnsCommand.Defaults.Heads) },
        { "gns", "--seq", V(GnsCommand.Defaults.SeqLen) },
        { "gns", "--batch", V(GnsCommand.Defaults.Batch) },
        { "gns", "--micro-batches", V(GnsCommand.Defaults.MicroBatches) },
        { "gns", "--steps", V(GnsCommand.Defaults.Steps) },
        { "gns", "--lr", V(GnsCommand.Defaults.LearningRate) },
        { "gns", "--warmup", V(100 * GnsCommand.Defaults.WarmupFraction) + "% of the run" },
        { "gns", "--ema", V(GnsCommand.Defaults.GnsEma) },
        { "gns", "--seed", V(GnsCommand.Defaults.Seed) },
    };

    [Theory]
    [MemberData(nameof(HelpDefaults))]
    public void Help_EachRunFlag_ShowsItsDefault(string verb, string option, string value)
    {
        // When
        var help = FitCli.Run(verb, "--help");

        // Then: the option's line says "(default VALUE", the value the verb resolves to
        Assert.Equal(0, help.Code);
        var line = help.Out.Split('\n').Single(l => l.TrimStart().StartsWith(option + " <", StringComparison.Ordinal));
        Assert.Contains($"(default {value}", line, StringComparison.Ordinal);
    }

    [Fact]
    public void SweepHelp_SpecKeys_ShowTheSharedDefaults()
    {
        // When
        var help = FitCli.Run("sweep", "--help");

        // Then: every spec key that has a default names the shared value
        Assert.Equal(0, help.Code);
        var text = string.Join(" ", help.Out.Split('\n').Select(l => l.Trim()));
        foreach (var expected in new[]
        {
            $"seq_len {V(Shared.SeqLen)}", $"batch_size {V(Shared.Batch)}", $"seeds [{V(Shared.Seed)}]", $"learning_rates [{V(Shared.LearningRate)}]",
            $"eval_interval {V(Shared.EvalInterval)}", $"eval_batches {V(Shared.EvalBatches)}", $"micro_batches {V(Shared.MicroBatches)}",
            $"gns_ema {V(Shared.GnsEma)}", $"warmup_fraction {V(Shared.WarmupFraction)}", $"min_lr_fraction {V(Shared.MinLrFraction)}",
            $"weight_decay {V(Shared.WeightDecay)}", $"grad_clip {V(Shared.GradClip)}",
        })
        {
            Assert.Contains(expected, text, StringComparison.Ordinal);
        }
    }

    /// <summary>A default as the help writes it: small rates as 3e-3, everything else plain.</summary>
    private static string V(double x) => x is > 0 and < 0.01
        ? x.ToString("0.##e-0", CultureInfo.InvariantCulture)
        : x.ToString(CultureInfo.InvariantCulture);
}
