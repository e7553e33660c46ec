using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using ScaleLab.Engine.Data;

namespace ScaleLab.Engine.Sae;

/// <summary>
/// Activations of one model at one site, captured for SAE training, in ONE file. Layout (little-endian):
/// <code>
/// offset 0   4 bytes   magic "SLAC"
///        4   int32     format version (1)
///        8   int64     payload length P
///       16   P bytes   payload:
///                        model identity (length-prefixed UTF-8: SHA-256 hex of the model's config and weights)
///                        config: layers, d_model, heads, seq_len, vocab (5 × int32)
///                        site: kind, layer (2 × int32)
///                        corpus fingerprint (length-prefixed UTF-8), capture seed (uint64), window length (int32)
///                        rows (int64), width (int32), rows × width floats (row-major, one row per token)
///   16 + P   32 bytes  SHA-256 of bytes [0, 16 + P)
/// </code>
/// Written to a temporary file in the same folder and renamed over the target (a crash leaves the old file or the new
/// one), as <see cref="Training.Checkpoint"/> is.
/// </summary>
public sealed class ActivationFile
{
    public const int FormatVersion = 1;
    private static readonly byte[] MagicBytes = "SLAC"u8.ToArray();
    private const int HeaderLength = 16;
    private const int HashLength = 32;

    public required string ModelIdentity { get; init; }
    public required GptConfig Config { get; init; }
    public required ActivationSite Site { get; init; }
    public required string CorpusFingerprint { get; init; }
    public required ulong Seed { get; init; }
    public required int SeqLen { get; init; }
    public required int Width { get; init; }

    /// <summary>rows × width activations, one row per token.</summary>
    public required float[] Data { get; init; }

    public long Rows => Data.LongLength / Width;

    /// <summary>The identity of a model: SHA-256 (hex) of its shape and weights, so a file captured from one model is
    /// never read as another's (two runs that differ only in seed differ here).</summary>
    public static string IdentityOf(GptConfig config, ReadOnlySpan<float> parameters)
    {
        ArgumentNullException.ThrowIfNull(config);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<int> shape = [config.Layers, config.DModel, config.Heads, config.SeqLen, config.Vocab];
        hash.AppendData(MemoryMarshal.AsBytes(shape));
        hash.AppendData(MemoryMarshal.AsBytes(parameters));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public void Save(string path)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("activation files are written on little-endian machines only");
        if (Data.Length % Width != 0) throw new InvalidOperationException($"{Data.Length} activations are not whole rows of width {Width}");
        var full = Path.GetFullPath(path);
        var tmp = full + $".tmp{Environment.ProcessId}";
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            using var head = new MemoryStream();
            using (var w = new BinaryWriter(head, Encoding.UTF8, leaveOpen: true))
            {
                w.Write(ModelIdentity);
                w.Write(Config.Layers);
                w.Write(Config.DModel);
                w.Write(Config.Heads);
                w.Write(Config.SeqLen);
                w.Write(Config.Vocab);
                w.Write((int)Site.Kind);
                w.Write(Site.Layer);
                w.Write(CorpusFingerprint);
                w.Write(Seed);
                w.Write(SeqLen);
                w.Write(Rows);
                w.Write(Width);
            }
            var payload = head.Length + 4L * Data.LongLength;
            var header = new byte[HeaderLength];
            MagicBytes.CopyTo(header, 0);
            BitConverter.TryWriteBytes(header.AsSpan(4), FormatVersion);
            BitConverter.TryWriteBytes(header.AsSpan(8), payload);
            Write(stream, hash, header);
            Write(stream, hash, head.ToArray());
            Write(stream, hash, MemoryMarshal.AsBytes(Data.AsSpan()));
            stream.Write(hash.GetHashAndReset());
            stream.Flush(flushToDisk: true);
        }
        File.Move(tmp, full, overwrite: true);
    }

    private static void Write(FileStream stream, IncrementalHash hash, ReadOnlySpan<byte> bytes)
    {
        hash.AppendData(bytes);
        stream.Write(bytes);
    }

    /// <summary>Reads and verifies an activation file. Any problem (missing, truncated, altered, foreign or newer file) is
    /// one line: <see cref="FileNotFoundException"/> or <see cref="InvalidDataException"/>.</summary>
    public static ActivationFile Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"activation file {path} does not exist; write one with scalelab sae capture", path);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8 || !bytes.AsSpan(0, 4).SequenceEqual(MagicBytes))
        {
            throw new InvalidDataException($"{path} is not a ScaleLab activation file (no SLAC magic number); write one with scalelab sae capture");
        }
        var version = BitConverter.ToInt32(bytes, 4);
        if (version > FormatVersion) throw new InvalidDataException($"activation file {path} has format version {version}, newer than this build reads ({FormatVersion}); upgrade scalelab");
        if (version < 1) throw new InvalidDataException($"activation file {path} has unknown format version {version}; the file is damaged; capture it again");
        var payload = bytes.Length >= HeaderLength ? BitConverter.ToInt64(bytes, 8) : -1;
        if (payload < 0 || bytes.LongLength != HeaderLength + payload + HashLength)
        {
            throw new InvalidDataException($"activation file {path} is truncated or padded ({bytes.Length} bytes, header says {HeaderLength + Math.Max(payload, 0) + HashLength}); capture it again");
        }
        var body = bytes.AsSpan(0, (int)(HeaderLength + payload));
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan((int)(HeaderLength + payload))))
        {
            throw new InvalidDataException($"activation file {path} fails its SHA-256 checksum: the file was altered or damaged; capture it again");
        }
        try
        {
            using var stream = new MemoryStream(bytes, HeaderLength, (int)payload, writable: false);
            using var r = new BinaryReader(stream, Encoding.UTF8);
            var identity = r.ReadString();
            var config = new GptConfig(r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32());
            config.Validate();
            var site = new ActivationSite((ActivationKind)r.ReadInt32(), r.ReadInt32());
            if (!Enum.IsDefined(site.Kind) || (uint)site.Layer >= (uint)config.Layers) throw new InvalidDataException($"site {site} does not exist in the model it names");
            var fingerprint = r.ReadString();
            var seed = r.ReadUInt64();
            var seqLen = r.ReadInt32();
            var rows = r.ReadInt64();
            var width = r.ReadInt32();
            if (width != site.Width(config) || rows < 0 || rows * width * 4 != stream.Length - stream.Position)
            {
                throw new EndOfStreamException($"{rows} rows of width {width} do not match the site's width {site.Width(config)} or the remaining {stream.Length - stream.Position} bytes");
            }
            var data = new float[rows * width];
            r.Read(MemoryMarshal.AsBytes(data.AsSpan()));
            return new ActivationFile
            {
                ModelIdentity = identity, Config = config, Site = site, CorpusFingerprint = fingerprint, Seed = seed, SeqLen = seqLen,
                Width = width, Data = data,
            };
        }
        catch (Exception ex) when (ex is EndOfStreamException or ArgumentException or OverflowException)
        {
            throw new InvalidDataException($"activation file {path} passes its checksum but cannot be parsed ({ex.Message}); it was written by an incompatible build; capture it again", ex);
        }
    }

    /// <summary>Throws one line if this file was captured from another model than the one with
    /// <paramref name="identity"/>.</summary>
    public void EnsureModel(string identity, string path)
    {
        if (!string.Equals(ModelIdentity, identity, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"activation file {path} was captured from another model (identity {ModelIdentity[..12]}…, this one is {identity[..Math.Min(12, identity.Length)]}…); capture it again from this checkpoint");
        }
    }

    /// <summary>Captures the activations at <paramref name="site"/> of <paramref name="windows"/> training windows of
    /// <paramref name="seqLen"/> tokens drawn from <paramref name="corpus"/> with a stream seeded by <paramref name="seed"/>,
    /// run in batches of the model's MaxBatch. <paramref name="progress"/> is told the windows done.</summary>
    public static ActivationFile Capture(Gpt model, ActivationSite site, ICorpus corpus, int windows, int seqLen, ulong seed, Action<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(corpus);
        var width = site.Width(model.Config);
        if ((uint)site.Layer >= (uint)model.Config.Layers) throw new ArgumentException($"site {site} does not exist: the model has blocks 0..{model.Config.Layers - 1}");
        if (windows < 1) throw new ArgumentException($"capture needs ≥ 1 window, got {windows}");
        if (seqLen < 1 || seqLen > model.MaxSeqLen) throw new ArgumentException($"window length must be in 1..{model.MaxSeqLen}, got {seqLen}");
        if ((long)windows * seqLen * width > Array.MaxLength) throw new ArgumentException($"{windows} windows of {seqLen} tokens at width {width} exceed one buffer; capture fewer tokens");
        corpus.CheckSequenceLength(seqLen);
        var rng = new Rng(seed);
        var data = new float[(long)windows * seqLen * width];
        var inputs = new int[model.MaxBatch * seqLen];
        var targets = new int[model.MaxBatch * seqLen];
        for (var start = 0; start < windows; start += model.MaxBatch)
        {
            var b = Math.Min(model.MaxBatch, windows - start);
            corpus.SampleTrain(rng, inputs.AsSpan(0, b * seqLen), targets.AsSpan(0, b * seqLen), b, seqLen);
            model.Forward(inputs.AsSpan(0, b * seqLen), default, b, seqLen);
            model.Activation(site).CopyTo(data.AsSpan(start * seqLen * width, b * seqLen * width));
            progress?.Invoke(start + b);
        }
        return new ActivationFile
        {
            ModelIdentity = IdentityOf(model.Config, model.Parameters), Config = model.Config, Site = site,
            CorpusFingerprint = corpus.Fingerprint, Seed = seed, SeqLen = seqLen, Width = width, Data = data,
        };
    }
}
