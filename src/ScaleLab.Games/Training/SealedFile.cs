namespace ScaleLab.Games.Training;

/// <summary>
/// The Games files (agents, self-play checkpoints) in the engine's container, <see cref="Engine.Files.SealedFile"/>
/// (magic, version, payload length, payload, SHA-256; atomic save; damage refused in one line), plus the float arrays
/// their payloads hold. A Games format is read at its own version only: the line says to retrain with this build.
/// </summary>
internal static class SealedFile
{
    private const string Remedy = "retrain it with this build or use an earlier snapshot";

    public static void Save(string path, string magic, int version, Action<BinaryWriter> write) =>
        Engine.Files.SealedFile.Save(path, magic, version, write);

    /// <summary>Reads and verifies; <paramref name="what"/> names the file kind in errors ("Hex agent").</summary>
    public static T Load<T>(string path, string magic, int version, string what, Func<BinaryReader, T> read) =>
        Engine.Files.SealedFile.Load(path, magic, version, what + " file", Remedy, (r, v) => v == version ? read(r)
            : throw new InvalidDataException($"format version {v}, this build reads {version}"));

    public static void WriteFloats(BinaryWriter w, ReadOnlySpan<float> values)
    {
        w.Write(values.Length);
        w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
    }

    public static float[] ReadFloats(BinaryReader r, int maxLength)
    {
        var n = r.ReadInt32();
        if (n < 0 || n > maxLength) throw new ArgumentException($"array length {n} out of range");
        var values = new float[n];
        Engine.Files.SealedFile.ReadExactly<float>(r, values);
        return values;
    }
}
