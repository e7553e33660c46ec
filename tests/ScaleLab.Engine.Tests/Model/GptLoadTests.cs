using ScaleLab.Engine.Tests.Training;
using ScaleLab.Engine.Training;
using static ScaleLab.Engine.Tests.Kernels.GradCheck;

namespace ScaleLab.Engine.Tests.Model;

public sealed class GptLoadTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("scalelab-load-");

    public void Dispose() => _dir.Delete(true);

    [Theory]
    [InlineData(1, 16)]
    [InlineData(5, 16)]    // a batch other than the training batch of 8
    [InlineData(12, 9)]    // larger than the training batch, shorter context
    public void Load_TrainedCheckpoint_ForwardBitIdenticalToTrainingModel(int batch, int seqLen)
    {
        // Given: a run trained 3 steps and saved; the training model's forward on the same tokens, by prefixes of
        // at most its own batch of 8 (every row of a forward is computed independently of the others).
        var path = Path.Combine(_dir.FullName, "run.ckpt");
        using var trainer = new Trainer(TrainerTests.Tiny(3), TrainerTests.SmallCorpus);
        for (var i = 0; i < 3; i++) trainer.TrainStep();
        trainer.SaveCheckpoint(path);
        var tokens = Tokens(new Rng(3), batch * seqLen, 256);
        var targets = Tokens(new Rng(4), batch * seqLen, 256);
        var expected = new List<float>();
        var expectedLosses = new List<float>();
        for (var first = 0; first < batch; first += 8)
        {
            var rows = Math.Min(8, batch - first);
            trainer.Model.Forward(tokens.AsSpan(first * seqLen, rows * seqLen), targets.AsSpan(first * seqLen, rows * seqLen), rows, seqLen);
            expected.AddRange(trainer.Model.Logits.ToArray());
            expectedLosses.AddRange(trainer.Model.Losses.ToArray());
        }

        // When
        using var model = Gpt.Load(path, maxBatch: batch, maxSeqLen: seqLen);
        model.Forward(tokens, targets, batch, seqLen);

        // Then
        Assert.False(model.IsTrainable);
        Assert.Equal((batch, seqLen), (model.MaxBatch, model.MaxSeqLen));
        Assert.Equal(trainer.Model.Parameters, model.Parameters);
        Assert.Equal(expected.ToArray(), model.Logits.ToArray());
        Assert.Equal(expectedLosses.ToArray(), model.Losses.ToArray());
    }

    [Fact]
    public void ForInference_ShorterContext_AllocatesLessThanTrainableModel()
    {
        // Given
        var config = new GptConfig(2, 32, 4, 64, 256);
        using var trainable = new Gpt(config, 4);
        var weights = new float[config.ParameterCount];

        // When
        using var inference = Gpt.ForInference(config, weights, 4, 16);

        // Then: no gradients, and activations for 16 of the 64 positions.
        Assert.Empty(inference.Gradients);
        Assert.True(inference.AllocatedBytes < trainable.AllocatedBytes / 2, $"{inference.AllocatedBytes} vs {trainable.AllocatedBytes}");
    }

    [Fact]
    public void ForInference_Misuse_ThrowsOneLineNamingTheLimit()
    {
        // Given
        var config = new GptConfig(1, 8, 2, 8, 11);
        using var model = Gpt.ForInference(config, new float[config.ParameterCount], 2, 4);

        // When / Then
        Assert.Contains("1..4", Assert.Throws<ArgumentException>(() => model.Forward(new int[5], [], 1, 5)).Message);
        model.Forward(new int[4], new int[4], 1, 4);
        Assert.Contains("inference", Assert.Throws<InvalidOperationException>(model.Backward).Message);
        Assert.Contains("1..8", Assert.Throws<ArgumentException>(() => Gpt.ForInference(config, new float[config.ParameterCount], 1, 9)).Message);
        Assert.Contains("parameters", Assert.Throws<ArgumentException>(() => Gpt.ForInference(config, new float[3], 1, 4)).Message);
        Assert.Throws<FileNotFoundException>(() => Gpt.Load(Path.Combine(_dir.FullName, "missing.ckpt"), 1));
    }
}
