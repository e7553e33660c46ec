using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ScaleLab.Engine.Data;
using ScaleLab.Engine.Sae;
using ScaleLab.Engine.Training;

namespace ScaleLab.Engine.Tests.Files;

/// <summary>
/// The checkpoint (SLCK) and SAE file (SLSA) formats, written from their documented layouts by hand here (header, payload
/// fields in order, SHA-256 trailer), against what <see cref="Checkpoint.Save"/> and <see cref="SaeCheckpoint.Save"/> write
/// and what their <c>Load</c> reads. Files written by earlier builds keep loading only while these hold.
/// </summary>
public sealed class SealedFormatLayoutTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("scalelab-layout-");

    public void Dispose() => _dir.Delete(true);

    /// <summary>magic, version 1, payload length, payload, SHA-256 of all before it.</summary>
    private static byte[] Sealed(string magic, Action<BinaryWriter> payload)
    {
        using var body = new MemoryStream();
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            payload(w);
        }
        using var file = new MemoryStream();
        using (var w = new BinaryWriter(file, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Encoding.ASCII.GetBytes(magic));
            w.Write(1);
            w.Write(body.Length);
            w.Write(body.ToArray());
        }
        var bytes = file.ToArray();
        return [.. bytes, .. SHA256.HashData(bytes)];
    }

    private static float[] Ramp(int n, float scale) => [.. Enumerable.Range(0, n).Select(i => scale * (i - n / 3f))];

    [Fact]
    public void Checkpoint_SavesItsDocumentedLayout_AndLoadsOne()
    {
        // Given: a checkpoint of a 1-layer model with every field set to a distinct value
        var config = new GptConfig(1, 8, 2, 4, 5);
        var n = (int)config.ParameterCount;
        var options = new TrainOptions { Model = config, Batch = 3, Steps = 11, LearningRate = 0.02 };
        var checkpoint = new Checkpoint
        {
            Config = config, Options = options, CorpusFingerprint = "corpus-fp", Step = 7, Tokens = 84, ElapsedSeconds = 1.5,
            RngState = [1, 2, 3, 4], Data = new DataPosition([5, 6, 7, 8], 9), OptimizerStep = 7,
            Parameters = Ramp(n, 0.5f), M = Ramp(n, 0.25f), V = Ramp(n, 0.125f),
        };
        var expected = Sealed("SLCK", w =>
        {
            foreach (var v in new[] { 1, 8, 2, 4, 5 }) w.Write(v);
            w.Write(JsonSerializer.Serialize(options));
            w.Write("corpus-fp");
            w.Write(7L);
            w.Write(84L);
            w.Write(1.5);
            foreach (var v in new ulong[] { 1, 2, 3, 4, 5, 6, 7, 8 }) w.Write(v);
            w.Write(9L);
            w.Write(7L);
            w.Write(n);
            w.Write(MemoryMarshal.AsBytes(Ramp(n, 0.5f).AsSpan()));
            w.Write(MemoryMarshal.AsBytes(Ramp(n, 0.25f).AsSpan()));
            w.Write(MemoryMarshal.AsBytes(Ramp(n, 0.125f).AsSpan()));
        });
        var saved = Path.Combine(_dir.FullName, "saved.ckpt");
        var handWritten = Path.Combine(_dir.FullName, "hand.ckpt");
        File.WriteAllBytes(handWritten, expected);

        // When
        checkpoint.Save(saved);
        var loaded = Checkpoint.Load(handWritten);

        // Then: byte for byte the layout, and the hand-written file reads back every field
        Assert.Equal(expected, File.ReadAllBytes(saved));
        Assert.Equal(config, loaded.Config);
        Assert.Equal(options, loaded.Options);
        Assert.Equal(("corpus-fp", 7L, 84L, 1.5, 7L), (loaded.CorpusFingerprint, loaded.Step, loaded.Tokens, loaded.ElapsedSeconds, loaded.OptimizerStep));
        Assert.Equal(new ulong[] { 1, 2, 3, 4 }, loaded.RngState);
        Assert.Equal(new ulong[] { 5, 6, 7, 8 }, loaded.Data.RngState);
        Assert.Equal(9, loaded.Data.Batches);
        Assert.Equal(checkpoint.Parameters, loaded.Parameters);
        Assert.Equal(checkpoint.M, loaded.M);
        Assert.Equal(checkpoint.V, loaded.V);
    }

    [Fact]
    public void SaeCheckpoint_SavesItsDocumentedLayout_AndLoadsOne()
    {
        // Given: a TopK SAE on width 3 with 4 latents, every field distinct
        var config = new SaeConfig(SaeFamily.TopK, 3, 4, K: 2);
        var options = new SaeTrainOptions(Steps: 20, BatchRows: 8);
        var n = config.ParameterCount;
        var sae = new SaeCheckpoint
        {
            Config = config, Options = options, ModelIdentity = "model-id", Site = ActivationSite.MlpHidden(1), Step = 13, ElapsedSeconds = 2.25,
            Parameters = Ramp(n, 0.5f), M = Ramp(n, 0.25f), V = Ramp(n, 0.125f), TokensSinceFired = [10, 20, 30, 40],
        };
        var expected = Sealed("SLSA", w =>
        {
            w.Write(JsonSerializer.Serialize(config));
            w.Write(JsonSerializer.Serialize(options));
            w.Write("model-id");
            w.Write((int)ActivationSite.MlpHidden(1).Kind);
            w.Write(1);
            w.Write(13L);
            w.Write(2.25);
            w.Write(n);
            w.Write(MemoryMarshal.AsBytes(Ramp(n, 0.5f).AsSpan()));
            w.Write(MemoryMarshal.AsBytes(Ramp(n, 0.25f).AsSpan()));
            w.Write(MemoryMarshal.AsBytes(Ramp(n, 0.125f).AsSpan()));
            w.Write(4);
            foreach (var v in new long[] { 10, 20, 30, 40 }) w.Write(v);
        });
        var saved = Path.Combine(_dir.FullName, "saved.slsa");
        var handWritten = Path.Combine(_dir.FullName, "hand.slsa");
        File.WriteAllBytes(handWritten, expected);

        // When
        sae.Save(saved);
        var loaded = SaeCheckpoint.Load(handWritten);

        // Then
        Assert.Equal(expected, File.ReadAllBytes(saved));
        Assert.Equal(config, loaded.Config);
        Assert.Equal(options, loaded.Options);
        Assert.Equal(("model-id", ActivationSite.MlpHidden(1), 13L, 2.25), (loaded.ModelIdentity, loaded.Site, loaded.Step, loaded.ElapsedSeconds));
        Assert.Equal(sae.Parameters, loaded.Parameters);
        Assert.Equal(sae.M, loaded.M);
        Assert.Equal(sae.V, loaded.V);
        Assert.Equal(sae.TokensSinceFired, loaded.TokensSinceFired);
    }

    [Fact]
    public void SaeCheckpoint_MalformedConfigJson_IsOneLine()
    {
        // Given: a sealed SLSA file (valid checksum) whose config field is not JSON
        var path = Path.Combine(_dir.FullName, "bad.slsa");
        File.WriteAllBytes(path, Sealed("SLSA", w => w.Write("{not json")));

        // When
        var error = Assert.Throws<InvalidDataException>(() => SaeCheckpoint.Load(path));

        // Then
        Assert.Contains("cannot be parsed", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }
}
