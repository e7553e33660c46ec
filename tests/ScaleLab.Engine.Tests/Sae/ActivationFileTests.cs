using ScaleLab.Engine.Data;
using ScaleLab.Engine.Sae;

namespace ScaleLab.Engine.Tests.Sae;

public sealed class ActivationFileTests : IDisposable
{
    private static readonly GptConfig Config = new(Layers: 2, DModel: 16, Heads: 2, SeqLen: 8, Vocab: 256);
    private readonly string _dir = Directory.CreateTempSubdirectory("scalelab-slac-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Gpt Model(ulong seed)
    {
        using var trainable = new Gpt(Config, 1);
        trainable.InitWeights(new Rng(seed));
        return Gpt.ForInference(Config, trainable.Parameters, maxBatch: 3, maxSeqLen: 8);
    }

    private static ActivationFile Capture(Gpt model, ulong seed = 9) =>
        ActivationFile.Capture(model, ActivationSite.MlpHidden(1), SyntheticCorpus.Default, windows: 5, seqLen: 8, seed);

    [Fact]
    public void SaveLoad_RoundTrip_KeepsEveryField()
    {
        // Given
        using var model = Model(1);
        var file = Capture(model);
        var path = Path.Combine(_dir, "a.slac");

        // When
        file.Save(path);
        var loaded = ActivationFile.Load(path);

        // Then
        Assert.Equal(40, loaded.Rows);
        Assert.Equal(64, loaded.Width);
        Assert.Equal(file.Data, loaded.Data);
        Assert.Equal(file.ModelIdentity, loaded.ModelIdentity);
        Assert.Equal(Config, loaded.Config);
        Assert.Equal(ActivationSite.MlpHidden(1), loaded.Site);
        Assert.Equal(SyntheticCorpus.Default.Fingerprint, loaded.CorpusFingerprint);
        Assert.Equal(9UL, loaded.Seed);
        loaded.EnsureModel(ActivationFile.IdentityOf(model.Config, model.Parameters), path);
    }

    [Fact]
    public void Capture_SameSeed_SameActivationsAsTheModelGives()
    {
        // Given
        using var model = Model(1);
        var inputs = new int[5 * 8];
        var targets = new int[5 * 8];
        var rng = new Rng(9);
        for (var w = 0; w < 5; w += 3)
        {
            var b = Math.Min(3, 5 - w);
            SyntheticCorpus.Default.SampleTrain(rng, inputs.AsSpan(w * 8, b * 8), targets.AsSpan(w * 8, b * 8), b, 8);
        }

        // When
        var file = Capture(model);

        // Then
        Assert.Equal(Activations.Collect(model, ActivationSite.MlpHidden(1), inputs, 5, 8), file.Data);
        Assert.Equal(file.Data, Capture(model).Data);
        Assert.NotEqual(file.Data, Capture(model, seed: 10).Data);
    }

    [Fact]
    public void EnsureModel_FileFromAnotherSeed_RefusedInOneLine()
    {
        // Given: two models that differ only in their initialisation seed
        using var first = Model(1);
        using var second = Model(2);
        var path = Path.Combine(_dir, "a.slac");
        Capture(first).Save(path);
        var loaded = ActivationFile.Load(path);

        // When
        var error = Assert.Throws<InvalidDataException>(() => loaded.EnsureModel(ActivationFile.IdentityOf(second.Config, second.Parameters), path));

        // Then
        Assert.Contains("another model", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData("flip", "checksum")]
    [InlineData("truncate", "truncated")]
    [InlineData("magic", "not a ScaleLab activation file")]
    [InlineData("version", "newer than this build")]
    public void Load_DamagedFile_RefusedInOneLine(string damage, string expected)
    {
        // Given
        using var model = Model(1);
        var path = Path.Combine(_dir, "a.slac");
        Capture(model).Save(path);
        var bytes = File.ReadAllBytes(path);
        switch (damage)
        {
            case "flip": bytes[bytes.Length / 2] ^= 0x10; break;
            case "truncate": bytes = bytes[..^7]; break;
            case "magic": bytes[0] = (byte)'X'; break;
            case "version": bytes[4] = 9; break;
        }
        File.WriteAllBytes(path, bytes);

        // When
        var error = Assert.Throws<InvalidDataException>(() => ActivationFile.Load(path));

        // Then
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Capture_SiteNotInModel_RefusedInOneLine()
    {
        // Given
        using var model = Model(1);

        // When
        var error = Assert.Throws<ArgumentException>(() => ActivationFile.Capture(model, ActivationSite.ResidualAfter(2), SyntheticCorpus.Default, 2, 8, 1));

        // Then
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }
}
