using System.Security.Cryptography;
using System.Text;
using CsCheck;
using ScaleLab.Cli;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Sweeps;
using ScaleLab.Laws;

namespace ScaleLab.Cli.Tests;

/// <summary>
/// Property-based fuzzing (CsCheck) of the four readers a user feeds files to: the CSV reader, the sweep-spec reader,
/// the checkpoint reader and the fit-document reader. Random bytes and random mutations of a valid file must give
/// either a parsed value or the one-line error contract (an exception the CLI maps to exit 2, one line) — never an
/// exception that escapes as a crash (exit 1). The default suite runs a few thousand cases per reader; the Slow one
/// runs many more. CsCheck prints the seed of a failure, so any case found replays exactly.
/// </summary>
public sealed class ReaderFuzzTests : IDisposable
{
    private const long Default = 1500, Slow = 40_000;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("scalelab-fuzz-");

    public void Dispose() => _dir.Delete(true);

    /// <summary>The contract: success, or an error the CLI reports as one line with exit 2.</summary>
    private static void AssertContract(Action read)
    {
        try
        {
            read();
        }
        catch (Exception ex)
        {
            var (code, message) = CliApp.Classify(ex);
            if (code != CliApp.ExitUsage || message.Contains('\n', StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"escaped: exit {code}, {ex.GetType().Name}: {ex.Message}", ex);
            }
        }
    }

    [Fact]
    public void AssertContract_CrashOrMultiLineError_Fails_UsageErrorPasses()
    {
        // Negative control for the harness: a crash (exit 1) or a two-line message must fail it.
        Assert.Throws<InvalidOperationException>(() => AssertContract(() => throw new NullReferenceException()));
        Assert.Throws<InvalidOperationException>(() => AssertContract(() => throw new IndexOutOfRangeException()));
        AssertContract(() => throw new InvalidDataException("data.csv: line 3: bad"));
        AssertContract(() => { });
    }

    /// <summary>Random edits of a valid file: flip a byte, insert or delete a run, truncate, duplicate a slice.</summary>
    private static Gen<byte[]> Mutations(byte[] valid) =>
        Gen.Select(Gen.Int[0, 4], Gen.Double.Unit, Gen.Byte, Gen.Int[1, 24]).Array[1, 6].Select(edits =>
        {
            var bytes = new List<byte>(valid);
            foreach (var (kind, where, value, length) in edits)
            {
                int at = (int)(where * bytes.Count);
                switch (kind)
                {
                    case 0 when bytes.Count > 0:
                        bytes[Math.Min(at, bytes.Count - 1)] = value;
                        break;
                    case 1:
                        bytes.InsertRange(at, Enumerable.Repeat(value, length));
                        break;
                    case 2:
                        bytes.RemoveRange(at, Math.Min(length, bytes.Count - at));
                        break;
                    case 3:
                        bytes.RemoveRange(at, bytes.Count - at);
                        break;
                    default:
                        bytes.InsertRange(at, bytes.Skip(Math.Max(0, at - length)).Take(length).ToList());
                        break;
                }
            }
            return bytes.ToArray();
        });

    private static Gen<byte[]> RandomOrMutated(byte[] valid) =>
        Gen.Frequency((1, Gen.Byte.Array[0, 512]), (3, Mutations(valid)));

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    // ---- CSV (the fit/backtest data reader) ----

    private void CsvReader(long iterations)
    {
        var valid = File.ReadAllBytes(FitCli.PowerLawCsv(_dir.FullName, 12, "valid.csv"));
        int k = 0;
        RandomOrMutated(valid).Sample(bytes =>
        {
            var path = Write($"csv-{Interlocked.Increment(ref k)}.csv", bytes);
            AssertContract(() => LawCatalog.Load("chinchilla", path, new ColumnSelection()));
            AssertContract(() => LawCatalog.Load("powerlaw", path, new ColumnSelection()));
            File.Delete(path);
        }, iter: iterations, threads: 1);
    }

    [Fact]
    public void CsvReader_RandomAndMutatedFiles_OnlyTheOneLineContract() => CsvReader(Default);

    [Fact]
    [Trait("Category", "Slow")]
    public void CsvReader_RandomAndMutatedFiles_Slow() => CsvReader(Slow);

    // ---- sweep spec (TOML) ----

    private void SpecReader(long iterations)
    {
        var valid = Encoding.UTF8.GetBytes(SweepCommandTests.TinySpec);
        RandomOrMutated(valid).Sample(bytes =>
            AssertContract(() => SweepSpec.Parse(Encoding.UTF8.GetString(bytes), "fuzz.toml", _dir.FullName).Expand()),
            iter: iterations, threads: 1);
    }

    [Fact]
    public void SweepSpecReader_RandomAndMutatedSpecs_OnlyTheOneLineContract() => SpecReader(Default);

    [Fact]
    [Trait("Category", "Slow")]
    public void SweepSpecReader_RandomAndMutatedSpecs_Slow() => SpecReader(Slow);

    // ---- checkpoint ----

    private byte[] ValidCheckpoint()
    {
        var path = Path.Combine(_dir.FullName, "valid.ckpt");
        var (code, _, err) = FitCli.Run("train", "--layers", "1", "--d-model", "8", "--heads", "2", "--seq", "8", "--batch", "2",
            "--eval-sequences", "2", "--steps", "2", "--checkpoint", path);
        Assert.True(code == CliApp.ExitOk, err);
        return File.ReadAllBytes(path);
    }

    /// <summary>Makes a mutated file self-consistent again (payload length and SHA-256 fixed), so the mutation reaches
    /// the parser behind the checksum instead of stopping at it.</summary>
    private static byte[] Rehash(byte[] bytes)
    {
        const int header = 16, hash = 32;
        if (bytes.Length < header + hash)
        {
            return bytes;
        }
        var fixedBytes = bytes.ToArray();
        long payload = bytes.Length - header - hash;
        BitConverter.GetBytes(payload).CopyTo(fixedBytes, 8);
        SHA256.HashData(fixedBytes.AsSpan(0, (int)(header + payload))).CopyTo(fixedBytes, header + payload);
        return fixedBytes;
    }

    private void CheckpointReader(long iterations)
    {
        var valid = ValidCheckpoint();
        int k = 0;
        Gen.Select(RandomOrMutated(valid), Gen.Bool).Sample((bytes, rehash) =>
        {
            var path = Write($"c-{Interlocked.Increment(ref k)}.ckpt", rehash ? Rehash(bytes) : bytes);
            AssertContract(() => Checkpoint.Load(path));
            File.Delete(path);
        }, iter: iterations, threads: 1);
    }

    [Fact]
    public void CheckpointReader_RandomMutatedAndRehashedFiles_OnlyTheOneLineContract() => CheckpointReader(Default);

    [Fact]
    [Trait("Category", "Slow")]
    public void CheckpointReader_RandomMutatedAndRehashedFiles_Slow() => CheckpointReader(Slow / 4);

    // ---- fit document ----

    private byte[] ValidFitDocument()
    {
        var csv = FitCli.PowerLawCsv(_dir.FullName, 8, "fit.csv");
        var path = Path.Combine(_dir.FullName, "valid.json");
        var (code, _, err) = FitCli.Run("fit", csv, "--law", "powerlaw", "--no-backtest", "--out", path);
        Assert.True(code == CliApp.ExitOk, err);
        return File.ReadAllBytes(path);
    }

    private void FitDocumentReader(long iterations)
    {
        var valid = ValidFitDocument();
        RandomOrMutated(valid).Sample(bytes =>
            AssertContract(() => LawFitDocument.Parse(Encoding.UTF8.GetString(bytes), "fuzz.json")),
            iter: iterations, threads: 1);
    }

    [Fact]
    public void FitDocumentReader_RandomAndMutatedDocuments_OnlyTheOneLineContract() => FitDocumentReader(Default);

    [Fact]
    [Trait("Category", "Slow")]
    public void FitDocumentReader_RandomAndMutatedDocuments_Slow() => FitDocumentReader(Slow);

    [Fact]
    public void Plan_MutatedFitDocuments_ExitZeroOrOneLineExitTwoAndNothingWritten()
    {
        // Given: the whole verb, on mutated fit documents (fewer cases: each may run a plan).
        var valid = ValidFitDocument();
        var before = _dir.GetFileSystemInfos().Select(f => f.Name).Order().ToList();
        int k = 0;
        Mutations(valid).Sample(bytes =>
        {
            var path = Write($"plan-{Interlocked.Increment(ref k)}.json", bytes);
            var result = FitCli.Run("plan", path, "--compute", "1e21");
            File.Delete(path);

            // Then
            if (result.Code != CliApp.ExitOk)
            {
                FitCli.AssertOneLineError(result, CliApp.ExitUsage, "");
            }
        }, iter: 150, threads: 1);
        Assert.Equal(before, _dir.GetFileSystemInfos().Select(f => f.Name).Order().ToList());
    }
}
