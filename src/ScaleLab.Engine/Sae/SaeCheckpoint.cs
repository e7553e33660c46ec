using System.Runtime.InteropServices;
using System.Text.Json;
using ScaleLab.Engine.Files;

namespace ScaleLab.Engine.Sae;

/// <summary>
/// A trained (or half-trained) SAE and everything needed to continue it bit for bit, in ONE file. Layout (little-endian):
/// <code>
/// offset 0   4 bytes   magic "SLSA"
///        4   int32     format version (1)
///        8   int64     payload length P
///       16   P bytes   payload:
///                        SAE config as JSON, train options as JSON (length-prefixed UTF-8 each)
///                        model identity (length-prefixed UTF-8), site: kind, layer (2 × int32)
///                        step (int64), elapsed seconds (double)
///                        n parameters (int32), parameters, Adam m, Adam v (n floats each)
///                        L latents (int32), tokens since each fired (L × int64)
///   16 + P   32 bytes  SHA-256 of bytes [0, 16 + P)
/// </code>
/// The container is <see cref="SealedFile"/>'s: saved atomically (temporary file, then rename), verified on load.
/// </summary>
public sealed class SaeCheckpoint
{
    public const int FormatVersion = 1;
    private const string Magic = "SLSA";

    public required SaeConfig Config { get; init; }
    public required SaeTrainOptions Options { get; init; }
    public required string ModelIdentity { get; init; }
    public required ActivationSite Site { get; init; }
    public required long Step { get; init; }
    public required double ElapsedSeconds { get; init; }
    public required float[] Parameters { get; init; }
    public required float[] M { get; init; }
    public required float[] V { get; init; }
    public required long[] TokensSinceFired { get; init; }

    /// <summary>The state of <paramref name="trainer"/> as a checkpoint.</summary>
    public static SaeCheckpoint Of(SaeTrainer trainer, string modelIdentity, ActivationSite site, double elapsedSeconds)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        return new SaeCheckpoint
        {
            Config = trainer.Config, Options = trainer.Options, ModelIdentity = modelIdentity, Site = site, Step = trainer.Step,
            ElapsedSeconds = elapsedSeconds, Parameters = [.. trainer.Model.Parameters], M = [.. trainer.Optimizer.M],
            V = [.. trainer.Optimizer.V], TokensSinceFired = [.. trainer.TokensSinceFired],
        };
    }

    public void Save(string path) => SealedFile.Save(path, Magic, FormatVersion, w =>
    {
        w.Write(JsonSerializer.Serialize(Config));
        w.Write(JsonSerializer.Serialize(Options));
        w.Write(ModelIdentity);
        w.Write((int)Site.Kind);
        w.Write(Site.Layer);
        w.Write(Step);
        w.Write(ElapsedSeconds);
        w.Write(Parameters.Length);
        w.Write(MemoryMarshal.AsBytes(Parameters.AsSpan()));
        w.Write(MemoryMarshal.AsBytes(M.AsSpan()));
        w.Write(MemoryMarshal.AsBytes(V.AsSpan()));
        w.Write(TokensSinceFired.Length);
        w.Write(MemoryMarshal.AsBytes(TokensSinceFired.AsSpan()));
    });

    /// <summary>Reads and verifies an SAE checkpoint; any problem is one line (<see cref="FileNotFoundException"/> or
    /// <see cref="InvalidDataException"/>).</summary>
    public static SaeCheckpoint Load(string path) =>
        SealedFile.Load(path, Magic, FormatVersion, "SAE file", "write it again with scalelab sae train", (r, _) => Parse(r));

    private static SaeCheckpoint Parse(BinaryReader r)
    {
        var config = FromJson<SaeConfig>(r.ReadString(), "SAE config");
        config.Validate();
        var options = FromJson<SaeTrainOptions>(r.ReadString(), "SAE train options");
        var identity = r.ReadString();
        var site = new ActivationSite((ActivationKind)r.ReadInt32(), r.ReadInt32());
        var step = r.ReadInt64();
        var elapsed = r.ReadDouble();
        var n = r.ReadInt32();
        if (n != config.ParameterCount) throw new InvalidDataException($"{n} parameters stored, the config says {config.ParameterCount}");
        var p = ReadArray<float>(r, n);
        var m = ReadArray<float>(r, n);
        var v = ReadArray<float>(r, n);
        var latents = r.ReadInt32();
        if (latents != config.Latents) throw new InvalidDataException($"{latents} latent clocks stored, the config says {config.Latents}");
        var clocks = ReadArray<long>(r, latents);
        return new SaeCheckpoint
        {
            Config = config, Options = options, ModelIdentity = identity, Site = site, Step = step, ElapsedSeconds = elapsed,
            Parameters = p, M = m, V = v, TokensSinceFired = clocks,
        };
    }

    /// <summary>A JSON field, with a malformed one as <see cref="InvalidDataException"/> (which the sealed file reports in one line).</summary>
    private static T FromJson<T>(string json, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json) ?? throw new InvalidDataException($"{what} is missing");
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            throw new InvalidDataException($"{what}: {ex.Message}", ex);
        }
    }

    private static T[] ReadArray<T>(BinaryReader r, int n) where T : unmanaged
    {
        var values = new T[n];
        SealedFile.ReadExactly<T>(r, values);
        return values;
    }

    /// <summary>A model for inference with this SAE's weights, for batches of up to <paramref name="maxRows"/> rows.</summary>
    public SparseAutoencoder ToModel(int maxRows, int threads = 1)
    {
        var sae = new SparseAutoencoder(Config, maxRows, threads);
        Parameters.CopyTo(sae.Parameters);
        return sae;
    }
}

/// <summary>Site names on the command line: GPT-2's module naming <c>h.L.resid_post</c> / <c>h.L.mlp.hidden</c>, or the
/// short <c>resid:L</c> / <c>mlp:L</c>.</summary>
public static class SiteNames
{
    public static ActivationSite Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim();
        string? kind = null, layer = null;
        if (t.StartsWith("h.", StringComparison.Ordinal))
        {
            var rest = t[2..];
            var dot = rest.IndexOf('.', StringComparison.Ordinal);
            if (dot > 0)
            {
                layer = rest[..dot];
                kind = rest[(dot + 1)..] switch { "resid_post" => "resid", "mlp.hidden" => "mlp", _ => null };
            }
        }
        else if (t.Split(':') is [var k, var l])
        {
            kind = k is "resid" or "mlp" ? k : null;
            layer = l;
        }
        if (kind is null || !int.TryParse(layer, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index))
        {
            throw new FormatException($"site '{text}' is not a site name: use h.L.resid_post, h.L.mlp.hidden, resid:L or mlp:L with L a block number from 0");
        }
        return kind == "resid" ? ActivationSite.ResidualAfter(index) : ActivationSite.MlpHidden(index);
    }
}
