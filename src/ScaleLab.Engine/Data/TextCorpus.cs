using System.Security.Cryptography;

namespace ScaleLab.Engine.Data;

/// <summary>
/// A file read as raw bytes (see <see cref="ByteTokenizer"/>: no decoding, any encoding trains), split
/// deterministically: the first 90% is training data, the last 10% validation (contiguous, so no window
/// straddles the two). Training windows start at uniform random offsets of the training part; validation
/// windows are evenly spaced over the validation part, the same in every run.
/// </summary>
public sealed class TextCorpus : ICorpus
{
    /// <summary>Fraction of the file, taken from its end, used for validation.</summary>
    public const double ValidationFraction = 0.1;

    private readonly byte[] _bytes;
    private readonly int _trainLength;

    private TextCorpus(string path, byte[] bytes)
    {
        Path = path;
        _bytes = bytes;
        _trainLength = bytes.Length - (int)Math.Ceiling(bytes.Length * ValidationFraction);
        Fingerprint = "file:sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    public string Path { get; }
    public int Length => _bytes.Length;
    public int TrainLength => _trainLength;
    public int ValidationLength => _bytes.Length - _trainLength;
    public string Description => $"file {System.IO.Path.GetFileName(Path)} ({_bytes.Length} bytes)";
    public string Fingerprint { get; }
    public double? EntropyRate => null;
    public double? LossFloor(int seqLen) => null;
    public double? ValidationFloor(int count, int seqLen) => null;

    /// <summary>Reads <paramref name="path"/>; a missing, unreadable or empty file is one clear line.</summary>
    public static TextCorpus Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"corpus file {path} does not exist; pass --corpus synthetic or an existing text file", path);
        }
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"corpus file {path} cannot be read: {ex.Message}", ex);
        }
        if (bytes.Length == 0)
        {
            throw new InvalidDataException($"corpus file {path} is empty; give a text file of at least a few kilobytes");
        }
        return new TextCorpus(path, bytes);
    }

    /// <summary>A corpus over bytes already in memory (tests, generated text).</summary>
    public static TextCorpus FromBytes(string name, byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            throw new InvalidDataException($"corpus {name} is empty");
        }
        return new TextCorpus(name, bytes);
    }

    public void CheckSequenceLength(int seqLen)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(seqLen);
        if (_trainLength < seqLen + 1 || ValidationLength < seqLen + 1)
        {
            var needed = (long)Math.Ceiling((seqLen + 1) / ValidationFraction);
            throw new InvalidDataException(
                $"corpus file {Path} has {_bytes.Length} bytes, too short for seq len {seqLen}: the validation part (last 10%) needs {seqLen + 1} bytes, so the file needs at least {needed}; use a longer file or a smaller --seq");
        }
    }

    public void SampleTrain(Rng rng, Span<int> inputs, Span<int> targets, int batch, int seqLen)
    {
        CheckShapes(inputs, targets, batch, seqLen);
        var starts = _trainLength - seqLen; // windows [s, s+T] inside the training part, s in [0, starts)
        for (var b = 0; b < batch; b++)
        {
            CopyWindow(rng.NextInt(starts), inputs.Slice(b * seqLen, seqLen), targets.Slice(b * seqLen, seqLen));
        }
    }

    public void GetValidation(int firstWindow, Span<int> inputs, Span<int> targets, int count, int seqLen)
    {
        CheckShapes(inputs, targets, count, seqLen);
        ArgumentOutOfRangeException.ThrowIfNegative(firstWindow);
        // Window k starts at k·T through the validation part, wrapping around when more windows are asked
        // for than fit without overlap.
        var starts = ValidationLength - seqLen;
        for (var b = 0; b < count; b++)
        {
            var k = (long)firstWindow + b;
            var offset = (int)(k * seqLen % starts);
            CopyWindow(_trainLength + offset, inputs.Slice(b * seqLen, seqLen), targets.Slice(b * seqLen, seqLen));
        }
    }

    private void CopyWindow(int start, Span<int> inputs, Span<int> targets)
    {
        for (var t = 0; t < inputs.Length; t++)
        {
            inputs[t] = _bytes[start + t];
            targets[t] = _bytes[start + t + 1];
        }
    }

    private void CheckShapes(Span<int> inputs, Span<int> targets, int batch, int seqLen)
    {
        CheckSequenceLength(seqLen);
        if (inputs.Length < batch * seqLen || targets.Length < batch * seqLen)
        {
            throw new ArgumentException($"buffers hold {inputs.Length} and {targets.Length} tokens, need B·T = {batch * seqLen}");
        }
    }
}
