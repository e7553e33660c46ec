using ScaleLab.Engine.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Lab.Tests.Sweeps;

public sealed class SweepSpecOptimizerTests
{
    private const string Head = """
        study = "vintage"
        corpus = "synthetic:7"
        seq_len = 32
        batch_size = 8
        tokens = [25_600]
        seeds = [1]

        [[models]]
        layers = 1
        d_model = 32
        heads = 2

        [schedule]
        warmup_steps = 5

        """;

    /// <summary>The config JSON this spec's run had before the optimizer existed (the run key is its SHA-256 prefix).</summary>
    private const string AdamWConfig =
        """{"study":"vintage","corpus":"synthetic:7","corpus_sha256":null,"layers":1,"d_model":32,"heads":2,"seq_len":32,"vocab":256,"batch_size":8,"steps":100,"learning_rate":0.003,"warmup_steps":5,"min_lr_fraction":0.1,"weight_decay":0.1,"grad_clip":1,"eval_interval":50,"eval_batches":4,"seed":1}""";

    [Theory]
    [InlineData("")]
    [InlineData("optimizer = \"adamw\"\n")]
    public void Expand_AdamWWrittenOrNot_ConfigJsonByteIdenticalToBeforeSgd(string line)
    {
        // Given a spec without an optimizer, and the same spec saying adamw
        var spec = SweepSpec.Parse(Head + line);

        // When
        var run = Assert.Single(spec.Expand());

        // Then: the config JSON (so the key) is the one recorded before SGD existed; the engine trains AdamW
        Assert.Equal(AdamWConfig, run.ConfigJson);
        Assert.Equal(RunKeys.Of(AdamWConfig), run.Key);
        Assert.Equal(OptimizerKind.AdamW, RunExecution.ToTrainOptions(run, 1).Optimizer);
    }

    [Fact]
    public void Expand_Sgd_RunsCarryOptimizerAndMomentumAndTrainWithSgd()
    {
        // Given
        var spec = SweepSpec.Parse(Head + "optimizer = \"sgd\"\nmomentum = 0.8\n");

        // When
        var run = Assert.Single(spec.Expand());
        var options = RunExecution.ToTrainOptions(run, 1);

        // Then: a new key; the JSON ends with the optimizer and its momentum; the engine gets SGD, μ = 0.8
        Assert.NotEqual(RunKeys.Of(AdamWConfig), run.Key);
        Assert.EndsWith(""","optimizer":"sgd","momentum":0.8}""", run.ConfigJson, StringComparison.Ordinal);
        Assert.Equal(OptimizerKind.Sgd, options.Optimizer);
        Assert.Equal(0.8, options.Momentum);
        Assert.Equal(run, RunSpec.FromJson(run.ConfigJson));
    }

    [Fact]
    public void Expand_SgdWithoutMomentum_TakesTheEngineDefault()
    {
        var run = Assert.Single(SweepSpec.Parse(Head + "optimizer = \"sgd\"\n").Expand());
        Assert.Equal(new SgdOptions().Momentum, run.Momentum);
    }

    [Theory]
    [InlineData("optimizer = \"adam\"\n", "must be \"adamw\" or \"sgd\"")]
    [InlineData("optimizer = 1\n", "must be a string")]
    [InlineData("optimizer = \"sgd\"\nmomentum = 1.0\n", "schedule.momentum")]
    [InlineData("optimizer = \"sgd\"\nmomentum = -0.1\n", "schedule.momentum")]
    [InlineData("momentum = 0.9\n", "is SGD's")]
    public void Parse_BadOptimizerSettings_IsOneClearError(string lines, string expected)
    {
        var ex = Assert.Throws<InvalidDataException>(() => SweepSpec.Parse(Head + lines));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void ToTrainOptions_UnknownOptimizerInARecordedConfig_IsRefused()
    {
        var run = RunSpec.FromJson(AdamWConfig[..^1] + ""","optimizer":"lion"}""");
        var ex = Assert.Throws<InvalidDataException>(() => RunExecution.ToTrainOptions(run, 1));
        Assert.Contains("lion", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StudySettings_SgdAndAdamWRuns_AreNotComparable()
    {
        // Given the settings of an AdamW run and an SGD run of the same shape
        var adamw = StudySettings.Of(null, AdamWConfig);
        var sgd = StudySettings.Of(null, Assert.Single(SweepSpec.Parse(Head + "optimizer = \"sgd\"\n").Expand()).ConfigJson);

        // Then: they differ exactly in optimizer and momentum
        var differing = adamw.Zip(sgd).Where(p => p.First.Value != p.Second.Value).Select(p => p.First.Name).ToList();
        Assert.Equal(["optimizer", "momentum"], differing);
    }

    [Fact]
    public void Expand_ConstantRate_NoWarmupFloorAtPeakSameKeyAsByHand()
    {
        // Given the SGD-with-a-constant-rate vintage, and the same schedule written by hand
        var head = Head.Replace("warmup_steps = 5\n", "", StringComparison.Ordinal);
        var constant = Assert.Single(SweepSpec.Parse(head + "lr_schedule = \"constant\"\noptimizer = \"sgd\"\n").Expand());
        var byHand = Assert.Single(SweepSpec.Parse(head + "warmup_steps = 0\nmin_lr_fraction = 1.0\noptimizer = \"sgd\"\n").Expand());

        // When
        var schedule = RunExecution.ToTrainOptions(constant, 1).Schedule;

        // Then
        Assert.Equal(0, constant.WarmupSteps);
        Assert.Equal(1.0, constant.MinLrFraction);
        Assert.Equal(byHand.Key, constant.Key);
        Assert.All(Enumerable.Range(0, (int)constant.Steps), s => Assert.Equal(constant.LearningRate, schedule.At(s)));
    }

    [Theory]
    [InlineData("lr_schedule = \"linear\"\n", "must be \"cosine\" or \"constant\"")]
    [InlineData("lr_schedule = \"constant\"\n", "schedule.warmup_steps")]
    [InlineData("lr_schedule = \"constant\"\nmin_lr_fraction = 0.5\n", "no warmup and no decay")]
    public void Parse_BadConstantRate_IsOneClearError(string lines, string expected)
    {
        // Head has warmup_steps = 5, which a constant rate refuses
        var ex = Assert.Throws<InvalidDataException>(() => SweepSpec.Parse(Head + lines));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
