using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ScaleLab.Engine.Data;

namespace ScaleLab.Engine.Training;

/// <summary>
/// Everything needed to continue a run bit for bit, in ONE file. Layout (little-endian):
/// <code>
/// offset 0   4 bytes   magic "SLCK"
///        4   int32     format version (1)
///        8   int64     payload length P
///       16   P bytes   payload:
///                        config: layers, d_model, heads, seq_len, vocab (5 × int32)
///                        train options as JSON (length-prefixed UTF-8), corpus fingerprint (same)
///                        step, tokens (int64), elapsed seconds (double)
///                        trainer RNG state (4 × uint64), data RNG state (4 × uint64), data batches (int64)
///                        AdamW step t (int64), n (int32), parameters, m, v (n floats each)
///   16 + P   32 bytes  SHA-256 of bytes [0, 16 + P)
/// </code>
/// <see cref="Save"/> writes to a temporary file in the same folder, flushes it to disk and renames it over
/// the target, so a crash leaves the old checkpoint or the new one, never half of one.
/// </summary>
public sealed class Checkpoint
{
    public const int FormatVersion = 1;
    private static readonly byte[] MagicBytes = "SLCK"u8.ToArray();
    private const int HeaderLength = 16;
    private const int HashLength = 32;

    public required GptConfig Config { get; init; }
    public required TrainOptions Options { get; init; }
    public required string CorpusFingerprint { get; init; }
    public required long Step { get; init; }
    public required long Tokens { get; init; }
    public required double ElapsedSeconds { get; init; }
    public required ulong[] RngState { get; init; }
    public required DataPosition Data { get; init; }
    public required long OptimizerStep { get; init; }
    public required float[] Parameters { get; init; }
    public required float[] M { get; init; }
    public required float[] V { get; init; }

    public void Save(string path)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("checkpoints are written on little-endian machines only");
        }
        var bytes = Serialize();
        var full = Path.GetFullPath(path);
        var tmp = full + $".tmp{Environment.ProcessId}";
        using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        File.Move(tmp, full, overwrite: true);
    }

    /// <summary>
    /// Reads and verifies a checkpoint. Any problem (missing, truncated, altered, foreign or newer file) is
    /// one line: <see cref="FileNotFoundException"/> or <see cref="InvalidDataException"/>.
    /// </summary>
    public static Checkpoint Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"checkpoint {path} does not exist", path);
        }
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8 || !bytes.AsSpan(0, 4).SequenceEqual(MagicBytes))
        {
            throw new InvalidDataException($"{path} is not a ScaleLab checkpoint (no SLCK magic number); pass a file written by scalelab train --checkpoint");
        }
        var version = BitConverter.ToInt32(bytes, 4);
        if (version > FormatVersion)
        {
            throw new InvalidDataException($"checkpoint {path} has format version {version}, newer than this build reads ({FormatVersion}); upgrade scalelab to resume it");
        }
        if (version < 1)
        {
            throw new InvalidDataException($"checkpoint {path} has unknown format version {version}; the file is damaged");
        }
        var payload = bytes.Length >= HeaderLength ? BitConverter.ToInt64(bytes, 8) : -1;
        if (payload < 0 || bytes.Length != HeaderLength + payload + HashLength)
        {
            throw new InvalidDataException($"checkpoint {path} is truncated or padded ({bytes.Length} bytes, header says {HeaderLength + Math.Max(payload, 0) + HashLength}); resume from an earlier checkpoint or retrain");
        }
        var body = bytes.AsSpan(0, (int)(HeaderLength + payload));
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan((int)(HeaderLength + payload))))
        {
            throw new InvalidDataException($"checkpoint {path} fails its SHA-256 checksum: the file was altered or damaged; resume from an earlier checkpoint or retrain");
        }
        Checkpoint checkpoint;
        try
        {
            checkpoint = Parse(bytes.AsMemory(HeaderLength, (int)payload));
            checkpoint.Config.Validate();
        }
        catch (Exception ex) when (ex is EndOfStreamException or JsonException or ArgumentException or NotSupportedException)
        {
            throw new InvalidDataException($"checkpoint {path} passes its checksum but cannot be parsed ({ex.Message}); it was written by an incompatible build", ex);
        }
        if (checkpoint.Parameters.Length != checkpoint.Config.ParameterCount)
        {
            // A header that disagrees with the weights (an altered file re-hashed, or a writer bug) would otherwise be
            // read as a model of the wrong shape: garbage out, or NUL bytes from sample.
            throw new InvalidDataException($"checkpoint {path} says {Describe(checkpoint.Config)} ({checkpoint.Config.ParameterCount} parameters) " +
                $"but holds {checkpoint.Parameters.Length}; it was altered or written by an incompatible build; retrain");
        }
        return checkpoint;
    }

    /// <summary>
    /// Throws one line if this checkpoint was trained with another model shape than <paramref name="expected"/>.
    /// </summary>
    public void EnsureConfig(GptConfig expected, string path)
    {
        if (Config != expected)
        {
            throw new InvalidDataException(
                $"checkpoint {path} is for {Describe(Config)}, not {Describe(expected)}; drop the size flags to resume it, or start a new run without --resume");
        }
    }

    public static string Describe(GptConfig c) =>
        $"layers={c.Layers} d_model={c.DModel} heads={c.Heads} seq={c.SeqLen} vocab={c.Vocab}";

    private byte[] Serialize()
    {
        using var stream = new MemoryStream();
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(MagicBytes);
        w.Write(FormatVersion);
        w.Write(0L); // payload length, patched below
        w.Write(Config.Layers);
        w.Write(Config.DModel);
        w.Write(Config.Heads);
        w.Write(Config.SeqLen);
        w.Write(Config.Vocab);
        w.Write(JsonSerializer.Serialize(Options));
        w.Write(CorpusFingerprint);
        w.Write(Step);
        w.Write(Tokens);
        w.Write(ElapsedSeconds);
        WriteState(w, RngState);
        WriteState(w, Data.RngState);
        w.Write(Data.Batches);
        w.Write(OptimizerStep);
        if (M.Length != Parameters.Length || V.Length != Parameters.Length)
        {
            throw new InvalidOperationException("optimizer moments and parameters differ in length");
        }
        w.Write(Parameters.Length);
        w.Write(MemoryMarshal.AsBytes(Parameters.AsSpan()));
        w.Write(MemoryMarshal.AsBytes(M.AsSpan()));
        w.Write(MemoryMarshal.AsBytes(V.AsSpan()));
        w.Flush();
        var payload = stream.Length - HeaderLength;
        stream.Position = 8;
        w.Write(payload);
        w.Flush();
        var body = stream.ToArray();
        var result = new byte[body.Length + HashLength];
        body.CopyTo(result, 0);
        SHA256.HashData(body, result.AsSpan(body.Length));
        return result;
    }

    private static Checkpoint Parse(ReadOnlyMemory<byte> payload)
    {
        using var stream = new MemoryStream(payload.ToArray(), writable: false);
        using var r = new BinaryReader(stream, Encoding.UTF8);
        var config = new GptConfig(r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32());
        var options = JsonSerializer.Deserialize<TrainOptions>(r.ReadString())
            ?? throw new InvalidDataException("train options are missing");
        var fingerprint = r.ReadString();
        var step = r.ReadInt64();
        var tokens = r.ReadInt64();
        var elapsed = r.ReadDouble();
        var rng = ReadState(r);
        var dataRng = ReadState(r);
        var batches = r.ReadInt64();
        var optimizerStep = r.ReadInt64();
        var n = r.ReadInt32();
        if (n < 0 || (long)n * 12 != stream.Length - stream.Position)
        {
            throw new EndOfStreamException($"parameter count {n} does not match the remaining {stream.Length - stream.Position} bytes");
        }
        return new Checkpoint
        {
            Config = config,
            Options = options,
            CorpusFingerprint = fingerprint,
            Step = step,
            Tokens = tokens,
            ElapsedSeconds = elapsed,
            RngState = rng,
            Data = new DataPosition(dataRng, batches),
            OptimizerStep = optimizerStep,
            Parameters = ReadFloats(r, n),
            M = ReadFloats(r, n),
            V = ReadFloats(r, n),
        };
    }

    private static void WriteState(BinaryWriter w, ulong[] state)
    {
        if (state.Length != 4)
        {
            throw new InvalidOperationException("RNG state must be four words");
        }
        foreach (var word in state)
        {
            w.Write(word);
        }
    }

    private static ulong[] ReadState(BinaryReader r) => [r.ReadUInt64(), r.ReadUInt64(), r.ReadUInt64(), r.ReadUInt64()];

    private static float[] ReadFloats(BinaryReader r, int n)
    {
        var values = new float[n];
        var bytes = MemoryMarshal.AsBytes(values.AsSpan());
        if (r.Read(bytes) != bytes.Length)
        {
            throw new EndOfStreamException("parameter block ends early");
        }
        return values;
    }
}
