using System.Runtime.InteropServices;
using System.Text.Json;
using ScaleLab.Engine.Data;
using ScaleLab.Engine.Files;

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
/// The container is <see cref="SealedFile"/>'s: saved to a temporary file in the same folder, flushed and renamed over
/// the target, so a crash leaves the old checkpoint or the new one, never half of one.
/// </summary>
public sealed class Checkpoint
{
    public const int FormatVersion = 1;
    private const string Magic = "SLCK";
    private const string Remedy = "pass a checkpoint written by scalelab train --checkpoint (an earlier one, or retrain)";

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
        if (M.Length != Parameters.Length || V.Length != Parameters.Length)
        {
            throw new InvalidOperationException("optimizer moments and parameters differ in length");
        }
        SealedFile.Save(path, Magic, FormatVersion, WritePayload);
    }

    /// <summary>
    /// Reads and verifies a checkpoint. Any problem (missing, truncated, altered, foreign or newer file) is
    /// one line: <see cref="FileNotFoundException"/> or <see cref="InvalidDataException"/>.
    /// </summary>
    public static Checkpoint Load(string path)
    {
        var checkpoint = SealedFile.Load(path, Magic, FormatVersion, "checkpoint", Remedy, (r, _) => Parse(r));
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

    private void WritePayload(BinaryWriter w)
    {
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
        w.Write(Parameters.Length);
        w.Write(MemoryMarshal.AsBytes(Parameters.AsSpan()));
        w.Write(MemoryMarshal.AsBytes(M.AsSpan()));
        w.Write(MemoryMarshal.AsBytes(V.AsSpan()));
    }

    private static Checkpoint Parse(BinaryReader r)
    {
        var config = new GptConfig(r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32());
        config.Validate();
        TrainOptions options;
        try
        {
            options = JsonSerializer.Deserialize<TrainOptions>(r.ReadString()) ?? throw new InvalidDataException("train options are missing");
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            throw new InvalidDataException($"train options: {ex.Message}", ex);
        }
        var fingerprint = r.ReadString();
        var step = r.ReadInt64();
        var tokens = r.ReadInt64();
        var elapsed = r.ReadDouble();
        var rng = ReadState(r);
        var dataRng = ReadState(r);
        var batches = r.ReadInt64();
        var optimizerStep = r.ReadInt64();
        var n = r.ReadInt32();
        var left = r.BaseStream.Length - r.BaseStream.Position;
        if (n < 0 || (long)n * 12 != left)
        {
            throw new EndOfStreamException($"parameter count {n} does not match the remaining {left} bytes");
        }
        var parameters = new float[n];
        var m = new float[n];
        var v = new float[n];
        SealedFile.ReadExactly<float>(r, parameters);
        SealedFile.ReadExactly<float>(r, m);
        SealedFile.ReadExactly<float>(r, v);
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
            Parameters = parameters,
            M = m,
            V = v,
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
}
