using ScaleLab.Engine.Sae;
using static ScaleLab.Engine.Tests.Kernels.GradCheck;

namespace ScaleLab.Engine.Tests.Sae;

public sealed class SaeTrainerTests
{
    private const int D = 12, L = 20, Rows = 300;

    private static SaeTrainer Trainer(SaeFamily family, int threads = 1, long steps = 40)
    {
        var data = ToFloat(Gaussian(new Rng(61), Rows * D));
        var config = new SaeConfig(family, D, L, K: 4, AuxK: family == SaeFamily.TopK ? 8 : 0, L1Coefficient: family == SaeFamily.ReluL1 ? 0.01 : 0);
        var trainer = new SaeTrainer(config, new SaeTrainOptions(steps, BatchRows: 32, LearningRate: 1e-2, WarmupSteps: 5, DeadAfterTokens: 64, Seed: 3), data, threads);
        trainer.Initialize();
        return trainer;
    }

    [Fact]
    public void Initialize_TiesEncoderToUnitNormDecoder()
    {
        // Given / When
        using var trainer = Trainer(SaeFamily.TopK);

        // Then
        Assert.Equal(trainer.Model.DecoderWeight.ToArray(), trainer.Model.EncoderWeight.ToArray());
        for (var l = 0; l < L; l++) Assert.Equal(1f, System.Numerics.Tensors.TensorPrimitives.Norm(trainer.Model.DecoderWeight.Slice(l * D, D)), 1e-5f);
        Assert.All(trainer.Model.EncoderBias.ToArray(), b => Assert.Equal(0f, b));
    }

    [Theory]
    [InlineData(SaeFamily.TopK)]
    [InlineData(SaeFamily.ReluL1)]
    public void TrainStep_Resumed_ContinuesBitForBit(SaeFamily family)
    {
        // Given: one run of 40 steps, and one stopped at 20 whose state is restored into a fresh trainer.
        using var straight = Trainer(family);
        while (!straight.Done) straight.TrainStep();
        using var first = Trainer(family);
        for (var i = 0; i < 20; i++) first.TrainStep();

        // When
        using var resumed = Trainer(family, threads: 2);
        resumed.Restore(first.Step, first.Model.Parameters, first.Optimizer.M, first.Optimizer.V, first.TokensSinceFired);
        while (!resumed.Done) resumed.TrainStep();

        // Then
        Assert.Equal(straight.Model.Parameters, resumed.Model.Parameters);
        Assert.Equal(straight.TokensSinceFired, resumed.TokensSinceFired);
    }

    [Fact]
    public void Resample_DeadLatents_PointedAtDataRowsWithFreshAdamState()
    {
        // Given: a ReLU+L1 SAE after a few steps with latents 3 and 7 marked dead.
        using var trainer = Trainer(SaeFamily.ReluL1);
        for (var i = 0; i < 5; i++) trainer.TrainStep();
        for (var l = 0; l < L; l++) trainer.TokensSinceFired[l] = l is 3 or 7 ? 1_000 : 0;
        var untouched = trainer.Model.DecoderWeight.Slice(5 * D, D).ToArray();

        // When
        var resampled = trainer.Resample();

        // Then: exactly those two, each decoder row the unit direction of some x − b_pre, moments cleared, clocks reset.
        Assert.Equal(2, resampled);
        Assert.Equal(untouched, trainer.Model.DecoderWeight.Slice(5 * D, D).ToArray());
        var data = ToFloat(Gaussian(new Rng(61), Rows * D));
        foreach (var l in new[] { 3, 7 })
        {
            var row = trainer.Model.DecoderWeight.Slice(l * D, D).ToArray();
            var matches = Enumerable.Range(0, Rows).Any(r =>
            {
                var v = new float[D];
                System.Numerics.Tensors.TensorPrimitives.Subtract(data.AsSpan(r * D, D), trainer.Model.PreBias, v);
                return System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(v, row) > 0.99999f;
            });
            Assert.True(matches, $"latent {l}'s decoder row is no data direction");
            Assert.Equal(0f, trainer.Model.EncoderBias[l]);
            Assert.All(trainer.Optimizer.M.AsSpan(trainer.Config.DecoderWeightOffset + l * D, D).ToArray(), m => Assert.Equal(0f, m));
            Assert.Equal(0, trainer.TokensSinceFired[l]);
        }
    }
    [Fact]
    public void TopKResampling_LatentsSilencedByBias_RevivedWhereAuxKAloneLeavesThemDead()
    {
        // Given: TopK SAEs whose latents 0..7 get an encoder bias of −100 after initialisation: their pre-activation is
        // negative on every row, so neither TopK nor AuxK (ReLU'd) ever selects them. One trainer resamples every 10
        // steps, the control does not.
        static SaeTrainer Silenced(int resampleEvery)
        {
            var data = ToFloat(Gaussian(new Rng(61), Rows * D));
            var config = new SaeConfig(SaeFamily.TopK, D, L, K: 4, AuxK: 8);
            var trainer = new SaeTrainer(config, new SaeTrainOptions(60, BatchRows: 32, LearningRate: 1e-2, WarmupSteps: 5, DeadAfterTokens: 64, ResampleEvery: resampleEvery, Seed: 3), data);
            trainer.Initialize();
            for (var l = 0; l < 8; l++) trainer.Model.EncoderBias[l] = -100;
            return trainer;
        }
        using var resampled = Silenced(10);
        using var control = Silenced(0);

        // When
        while (!resampled.Done) resampled.TrainStep();
        while (!control.Done) control.TrainStep();

        // Then: the control's 8 silenced latents never fired (60 steps × 32 rows); with resampling (last at step 30, which
        // resets the clock) each of them fired after step 30, and its encoder bias is back in the live range (not −100).
        Assert.All(Enumerable.Range(0, 8), l => Assert.Equal(60 * 32, control.TokensSinceFired[l]));
        Assert.All(Enumerable.Range(0, 8), l => Assert.True(resampled.TokensSinceFired[l] < 30 * 32, $"latent {l} did not fire in the last 30 steps"));
        Assert.All(Enumerable.Range(0, 8), l => Assert.True(resampled.Model.EncoderBias[l] > -10, $"latent {l}: bias {resampled.Model.EncoderBias[l]}"));
    }

    [Theory]
    [InlineData(512, 1e-3)]
    [InlineData(2048, 5e-4)]
    [InlineData(128, 2e-3)]
    public void ScaledLearningRate_InverseSquareRootOfLatents_HalvesPerFourfoldN(int latents, double expected)
    {
        // Gao et al.'s rule lr ∝ 1/√n anchored at 1e-3 for n = 512: ×4 latents halves the rate (a 1/n rule would quarter it).
        Assert.Equal(expected, SaeTrainOptions.ScaledLearningRate(latents), 15);
        Assert.Equal(2 * expected, SaeTrainOptions.ScaledLearningRate(latents, 2e-3), 15);
    }

    [Fact]
    public void ScaledLearningRate_BadInputs_RefusedInOneLine()
    {
        foreach (var act in new Action[] { () => SaeTrainOptions.ScaledLearningRate(0), () => SaeTrainOptions.ScaledLearningRate(64, -1), () => SaeTrainOptions.ScaledLearningRate(64, 1e-3, 0) })
        {
            var e = Assert.Throws<ArgumentException>(act);
            Assert.DoesNotContain('\n', e.Message);
        }
    }
}
