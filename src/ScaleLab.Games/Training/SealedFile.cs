using System.Security.Cryptography;
using System.Text;

namespace ScaleLab.Games.Training;

/// <summary>
/// The binary container of the Games files (agents, self-play checkpoints), after Engine's Checkpoint. Layout
/// (little-endian): magic (4 ASCII bytes), int32 format version, int64 payload length P, P bytes of payload,
/// SHA-256 of everything before it (32 bytes). Saved to a temporary file, flushed and renamed over the target, so
/// a crash leaves the old file or the new one. A foreign, newer, truncated or altered file is refused in one line
/// (<see cref="InvalidDataException"/>) that says what to do.
/// </summary>
internal static class SealedFile
{
    private const int HeaderLength = 16;
    private const int HashLength = 32;

    public static void Save(string path, string magic, int version, Action<BinaryWriter> write)
    {
        using var body = new MemoryStream();
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Encoding.ASCII.GetBytes(magic));
            w.Write(version);
            w.Write(0L);
            write(w);
        }
        var bytes = body.ToArray();
        BitConverter.TryWriteBytes(bytes.AsSpan(8), (long)(bytes.Length - HeaderLength));
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = full + $".tmp{Environment.ProcessId}";
        using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(bytes);
            stream.Write(SHA256.HashData(bytes));
            stream.Flush(flushToDisk: true);
        }
        File.Move(tmp, full, overwrite: true);
    }

    /// <summary>Reads and verifies; <paramref name="what"/> names the file kind in errors ("Hex agent").</summary>
    public static T Load<T>(string path, string magic, int version, string what, Func<BinaryReader, T> read)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{what} file {path} does not exist", path);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8 || Encoding.ASCII.GetString(bytes, 0, 4) != magic)
        {
            throw new InvalidDataException($"{path} is not a {what} file (no {magic} magic number); pass a file written by scalelab hex train");
        }
        var v = BitConverter.ToInt32(bytes, 4);
        if (v != version)
        {
            throw new InvalidDataException($"{what} file {path} has format version {v}, this build reads {version}; retrain it with this build");
        }
        var payload = bytes.Length >= HeaderLength ? BitConverter.ToInt64(bytes, 8) : -1;
        if (payload < 0 || bytes.Length != HeaderLength + payload + HashLength)
        {
            throw new InvalidDataException($"{what} file {path} is truncated or padded ({bytes.Length} bytes); retrain it or use an earlier snapshot");
        }
        var bodyLength = (int)(HeaderLength + payload);
        if (!SHA256.HashData(bytes.AsSpan(0, bodyLength)).AsSpan().SequenceEqual(bytes.AsSpan(bodyLength)))
        {
            throw new InvalidDataException($"{what} file {path} fails its SHA-256 checksum: it was altered or damaged; retrain it or use an earlier snapshot");
        }
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes, HeaderLength, (int)payload), Encoding.UTF8);
            return read(r);
        }
        catch (Exception ex) when (ex is EndOfStreamException or ArgumentException)
        {
            throw new InvalidDataException($"{what} file {path} passes its checksum but cannot be parsed ({ex.Message}); it was written by an incompatible build", ex);
        }
    }

    public static void WriteFloats(BinaryWriter w, ReadOnlySpan<float> values)
    {
        w.Write(values.Length);
        w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
    }

    public static float[] ReadFloats(BinaryReader r, int maxLength)
    {
        var n = r.ReadInt32();
        if (n < 0 || n > maxLength) throw new ArgumentException($"array length {n} out of range");
        var bytes = r.ReadBytes(n * sizeof(float));
        if (bytes.Length != n * sizeof(float)) throw new EndOfStreamException();
        var values = new float[n];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
    }
}
