using System.Security.Cryptography;
using System.Text;

namespace ScaleLab.Engine.Files;

/// <summary>
/// The binary container of our files, after <see cref="Training.Checkpoint"/>, for new formats to share rather than copy.
/// Layout (little-endian):
/// <code>
/// offset 0   4 bytes   magic (4 ASCII bytes)
///        4   int32     format version
///        8   int64     payload length P
///       16   P bytes   payload (the format's own fields)
///   16 + P   32 bytes  SHA-256 of bytes [0, 16 + P)
/// </code>
/// Saved to a temporary file in the target's folder, flushed and renamed over the target, so a crash leaves the old file
/// or the new one. A missing, foreign, newer, truncated, padded or altered file is refused in one line
/// (<see cref="FileNotFoundException"/> or <see cref="InvalidDataException"/>) that ends with what to do.
/// The whole file is held in memory (payloads up to about 2 GB).
/// </summary>
public static class SealedFile
{
    private const int HeaderLength = 16;
    private const int HashLength = 32;

    /// <summary>Writes <paramref name="magic"/>, <paramref name="version"/>, the payload <paramref name="write"/> writes,
    /// and the checksum, atomically.</summary>
    public static void Save(string path, string magic, int version, Action<BinaryWriter> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        if (magic.Length != 4) throw new ArgumentException($"magic must be 4 ASCII characters, got '{magic}'");
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ScaleLab files are written on little-endian machines only");
        using var body = new MemoryStream();
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Encoding.ASCII.GetBytes(magic));
            w.Write(version);
            w.Write(0L);
            write(w);
        }
        if (body.Length > Array.MaxLength - HashLength) throw new InvalidOperationException($"{body.Length:N0} bytes do not fit one file of this format (at most about 2 GB)");
        var bytes = body.GetBuffer().AsSpan(0, (int)body.Length);
        BitConverter.TryWriteBytes(bytes[8..], (long)(bytes.Length - HeaderLength));
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        var tmp = full + $".tmp{Environment.ProcessId}";
        using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(bytes);
            stream.Write(SHA256.HashData(bytes));
            stream.Flush(flushToDisk: true);
        }
        File.Move(tmp, full, overwrite: true);
    }

    /// <summary>
    /// Reads and verifies a file written by <see cref="Save"/> and parses its payload with <paramref name="read"/> (given the
    /// reader and the file's version). <paramref name="what"/> names the kind in errors ("teacher logit cache"),
    /// <paramref name="remedy"/> says what to do ("write it again with scalelab distill --write-teacher-cache").
    /// Versions 1..<paramref name="maxVersion"/> are read. An <see cref="EndOfStreamException"/>, <see cref="ArgumentException"/>,
    /// <see cref="OverflowException"/> or <see cref="InvalidDataException"/> from <paramref name="read"/> becomes one line.
    /// </summary>
    public static T Load<T>(string path, string magic, int maxVersion, string what, string remedy, Func<BinaryReader, int, T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        if (!File.Exists(path)) throw new FileNotFoundException($"{what} {path} does not exist; {remedy}", path);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8 || Encoding.ASCII.GetString(bytes, 0, 4) != magic)
        {
            throw new InvalidDataException($"{path} is not a ScaleLab {what} (no {magic} magic number); {remedy}");
        }
        var version = BitConverter.ToInt32(bytes, 4);
        if (version > maxVersion) throw new InvalidDataException($"{what} {path} has format version {version}, newer than this build reads ({maxVersion}); upgrade scalelab");
        if (version < 1) throw new InvalidDataException($"{what} {path} has unknown format version {version}: the file is damaged; {remedy}");
        var payload = bytes.Length >= HeaderLength ? BitConverter.ToInt64(bytes, 8) : -1;
        if (payload < 0 || bytes.LongLength != HeaderLength + payload + HashLength)
        {
            throw new InvalidDataException($"{what} {path} is truncated or padded ({bytes.Length} bytes, header says {HeaderLength + Math.Max(payload, 0) + HashLength}); {remedy}");
        }
        var bodyLength = (int)(HeaderLength + payload);
        if (!SHA256.HashData(bytes.AsSpan(0, bodyLength)).AsSpan().SequenceEqual(bytes.AsSpan(bodyLength)))
        {
            throw new InvalidDataException($"{what} {path} fails its SHA-256 checksum: the file was altered or damaged; {remedy}");
        }
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes, HeaderLength, (int)payload, writable: false), Encoding.UTF8);
            var value = read(r, version);
            if (r.BaseStream.Position != r.BaseStream.Length) throw new InvalidDataException($"{r.BaseStream.Length - r.BaseStream.Position} bytes left after the last field");
            return value;
        }
        catch (Exception ex) when (ex is EndOfStreamException or ArgumentException or OverflowException or InvalidDataException)
        {
            throw new InvalidDataException($"{what} {path} passes its checksum but cannot be parsed ({ex.Message}); it was written by an incompatible build; {remedy}", ex);
        }
    }

    /// <summary>Reads exactly <paramref name="destination"/>.Length values of an unmanaged type (little-endian bytes).</summary>
    public static void ReadExactly<TValue>(BinaryReader reader, Span<TValue> destination) where TValue : unmanaged
    {
        ArgumentNullException.ThrowIfNull(reader);
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(destination);
        if (reader.Read(bytes) != bytes.Length) throw new EndOfStreamException($"{bytes.Length} bytes expected");
    }
}
