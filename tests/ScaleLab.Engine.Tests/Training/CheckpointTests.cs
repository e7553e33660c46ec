using ScaleLab.Engine.Training;

namespace ScaleLab.Engine.Tests.Training;

public sealed class CheckpointTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("scalelab-ckpt-");

    public void Dispose() => _dir.Delete(true);

    private string SavedCheckpoint(out Trainer trainer)
    {
        var path = Path.Combine(_dir.FullName, "run.ckpt");
        trainer = new Trainer(TrainerTests.Tiny(20), TrainerTests.SmallCorpus);
        for (var i = 0; i < 5; i++) trainer.TrainStep();
        trainer.SaveCheckpoint(path);
        return path;
    }

    [Fact]
    public void SaveLoad_RoundTrip_KeepsEveryField()
    {
        // Given
        var path = SavedCheckpoint(out var trainer);
        using var _ = trainer;

        // When
        var loaded = Checkpoint.Load(path);

        // Then
        Assert.Equal(trainer.Options, loaded.Options);
        Assert.Equal(trainer.Options.Model, loaded.Config);
        Assert.Equal(5, loaded.Step);
        Assert.Equal(5, loaded.OptimizerStep);
        Assert.Equal(5L * 8 * 16, loaded.Tokens);
        Assert.Equal(trainer.Model.Parameters, loaded.Parameters);
        Assert.Equal(trainer.Optimizer.M, loaded.M);
        Assert.Equal(trainer.Optimizer.V, loaded.V);
        Assert.Equal(TrainerTests.SmallCorpus.Fingerprint, loaded.CorpusFingerprint);
        Assert.Equal(5, loaded.Data.Batches);
        Assert.False(File.Exists(path + $".tmp{Environment.ProcessId}"));
    }

    [Fact]
    public void Load_TruncatedFile_IsRefusedWithOneLine()
    {
        // Given a checkpoint cut short by 100 bytes
        var path = SavedCheckpoint(out var trainer);
        trainer.Dispose();
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^100]);

        // When
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));

        // Then
        Assert.Contains("truncated", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData(20)]      // config
    [InlineData(2000)]    // parameters
    [InlineData(-40)]     // the last optimizer moments
    public void Load_OneFlippedBit_IsRefusedByTheChecksum(int offset)
    {
        // Given
        var path = SavedCheckpoint(out var trainer);
        trainer.Dispose();
        var bytes = File.ReadAllBytes(path);
        var at = offset >= 0 ? offset : bytes.Length + offset;
        bytes[at] ^= 0x01;
        File.WriteAllBytes(path, bytes);

        // When
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));

        // Then
        Assert.Contains("checksum", error.Message);
    }

    [Fact]
    public void Load_NewerVersionOrForeignFile_IsRefusedSayingWhy()
    {
        // Given a checkpoint whose version field says 2, and a file that is not a checkpoint
        var path = SavedCheckpoint(out var trainer);
        trainer.Dispose();
        var bytes = File.ReadAllBytes(path);
        BitConverter.GetBytes(Checkpoint.FormatVersion + 1).CopyTo(bytes, 4);
        File.WriteAllBytes(path, bytes);
        var foreign = Path.Combine(_dir.FullName, "notes.txt");
        File.WriteAllText(foreign, "hello");

        // When / Then
        Assert.Contains("upgrade", Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path)).Message);
        Assert.Contains("not a ScaleLab checkpoint", Assert.Throws<InvalidDataException>(() => Checkpoint.Load(foreign)).Message);
        Assert.Throws<FileNotFoundException>(() => Checkpoint.Load(Path.Combine(_dir.FullName, "missing.ckpt")));
    }

    [Fact]
    public void Resume_OtherConfigOrOtherCorpus_IsRefused()
    {
        // Given
        var path = SavedCheckpoint(out var trainer);
        trainer.Dispose();
        var wider = new GptConfig(1, 32, 2, 16);

        // When
        var config = Assert.Throws<InvalidDataException>(() => Trainer.Resume(path, TrainerTests.SmallCorpus, o => o with { Model = wider }));
        var corpus = Assert.Throws<InvalidDataException>(() => Trainer.Resume(path, ScaleLab.Engine.Data.SyntheticCorpus.Default));

        // Then
        Assert.Contains("d_model=16", config.Message);
        Assert.Contains("d_model=32", config.Message);
        Assert.Contains("other data", corpus.Message);
    }
}
