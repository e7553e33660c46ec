using ScaleLab.Engine.Sae;
using static ScaleLab.Engine.Tests.Kernels.GradCheck;

namespace ScaleLab.Engine.Tests.Sae;

public sealed class LossRecoveredTests
{
    private static readonly GptConfig Config = new(Layers: 2, DModel: 16, Heads: 2, SeqLen: 8, Vocab: 13);

    private static Gpt Model(int threads)
    {
        var trainable = new Gpt(Config, 1);
        trainable.InitWeights(new Rng(81));
        foreach (var t in trainable.Layout.Where(t => t.IsMatrix))
        {
            for (var i = t.Offset; i < t.Offset + t.Length; i++) trainable.Parameters[i] *= 8;
        }
        return Gpt.ForInference(Config, trainable.Parameters, maxBatch: 3, maxSeqLen: 8, threads);
    }

    private static (int[] Inputs, int[] Targets) Windows(int sequences)
    {
        var rng = new Rng(82);
        return (Tokens(rng, sequences * 8, 13), Tokens(rng, sequences * 8, 13));
    }

    public static TheoryData<ActivationKind, int> Sites() => new() { { ActivationKind.Residual, 0 }, { ActivationKind.MlpHidden, 1 }, { ActivationKind.Residual, 1 } };

    [Theory]
    [MemberData(nameof(Sites))]
    public void Measure_ActivationItself_RecoversExactlyOneWithCleanLossBitForBit(ActivationKind kind, int layer)
    {
        // Given: 7 windows in batches of 3 (the last one short)
        using var model = Model(2);
        var site = new ActivationSite(kind, layer);
        var (inputs, targets) = Windows(7);
        var mean = ReconstructionMetrics.MeanRow(Activations.Collect(model, site, inputs, 7, 8), site.Width(Config));

        // When
        var result = LossRecovered.Measure(model, site, inputs, targets, 7, 8, mean, (a, r) => a.CopyTo(r));

        // Then
        Assert.Equal(56, result.Tokens);
        Assert.Equal(result.CleanLoss, result.ReplacedLoss);
        Assert.Equal(0.0, result.KlToClean);
        Assert.Equal(1.0, result.LossRecoveredZero);
        Assert.Equal(1.0, result.LossRecoveredMean);
        Assert.True(result.ZeroAblationLoss != result.CleanLoss && result.MeanAblationLoss != result.CleanLoss);
    }

    [Theory]
    [MemberData(nameof(Sites))]
    public void Measure_TheAblationItself_RecoversExactlyZero(ActivationKind kind, int layer)
    {
        // Given
        using var model = Model(1);
        var site = new ActivationSite(kind, layer);
        var (inputs, targets) = Windows(5);
        var width = site.Width(Config);
        var mean = ReconstructionMetrics.MeanRow(Activations.Collect(model, site, inputs, 5, 8), width);

        // When
        var zero = LossRecovered.Measure(model, site, inputs, targets, 5, 8, mean, (a, r) => r.Clear());
        var meanAblated = LossRecovered.Measure(model, site, inputs, targets, 5, 8, mean, (a, r) =>
        {
            for (var i = 0; i < r.Length / width; i++) mean.CopyTo(r.Slice(i * width, width));
        });

        // Then
        Assert.Equal(0.0, zero.LossRecoveredZero);
        Assert.Equal(0.0, meanAblated.LossRecoveredMean);
        Assert.True(zero.KlToClean > 0);
    }

    [Fact]
    public void Evaluate_RandomSae_ChangesTheLossWithPositiveKl()
    {
        // Given: a random (untrained) SAE is a poor reconstruction: it must move the model's predictions. (On a random
        // model with random targets the spliced loss may even fall below the clean one, so no bound on loss recovered.)
        using var model = Model(2);
        var site = ActivationSite.ResidualAfter(0);
        var (inputs, targets) = Windows(6);
        var config = new SaeConfig(SaeFamily.TopK, 16, 32, K: 2);
        using var sae = new SparseAutoencoder(config, 64);
        ToFloat(Gaussian(new Rng(83), config.ParameterCount, 0.3)).CopyTo(sae.Parameters);
        sae.NormalizeDecoderRows();

        // When
        var result = SaeEvaluation.Evaluate(model, site, sae, inputs, targets, 6, 8);

        // Then
        Assert.NotEqual(result.Splice.CleanLoss, result.Splice.ReplacedLoss);
        Assert.True(result.Splice.KlToClean > 0);
        Assert.True(result.Reconstruction.Fvu > 0.1);
        Assert.Equal(48, result.Reconstruction.Tokens);
        Assert.InRange(result.Reconstruction.L0, 0.0, 2.0);
    }
}
