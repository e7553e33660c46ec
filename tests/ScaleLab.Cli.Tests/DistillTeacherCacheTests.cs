using System.Text.Json;
using ScaleLab.Engine;
using ScaleLab.Engine.Data;
using ScaleLab.Engine.Training;

namespace ScaleLab.Cli.Tests;

/// <summary><c>distill --write-teacher-cache</c> and <c>distill --teacher-cache</c>: the cached teacher trains the student
/// exactly as the in-memory top-k teacher does, and a damaged cache, another teacher's, another corpus's or a too short
/// one is refused in one line, exit 2, with nothing overwritten.</summary>
public sealed class DistillTeacherCacheTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("scalelab-distill-cache-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static readonly string[] Small = ["--layers", "1", "--d-model", "16", "--heads", "2", "--seq", "16", "--batch", "4", "--steps", "30"];

    private string Teacher(ulong seed)
    {
        var path = Path.Combine(_directory, $"teacher-{seed}.ckpt");
        var options = new TrainOptions
        {
            Model = new GptConfig(2, 16, 2, 16), Batch = 4, Steps = 20, EvalInterval = 0, EvalSequences = 4, CheckpointPath = path, Seed = seed,
        };
        using var trainer = new Trainer(options, SyntheticCorpus.Default);
        trainer.Run();
        return path;
    }

    private string Cache(string teacher, int k = 4)
    {
        var path = Path.Combine(_directory, $"cache-{Path.GetFileNameWithoutExtension(teacher)}-{k}.sltk");
        var (code, _, err) = FitCli.Run(["distill", "--teacher", teacher, "--top-k", k.ToString(System.Globalization.CultureInfo.InvariantCulture), "--write-teacher-cache", path, .. Small]);
        Assert.True(code == 0, err);
        return path;
    }

    private static void AssertUsage(int code, string err, string expected)
    {
        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains(expected, err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public void TeacherCache_WrittenThenTrained_SameStudentAsInMemoryTopK()
    {
        // Given: a teacher checkpoint and its top-4 cache for the 30 × 4 windows of the student's run.
        var teacher = Teacher(1);
        var cachePath = Path.Combine(_directory, "top4.sltk");
        var (writeCode, written, writeErr) = FitCli.Run(["distill", "--teacher", teacher, "--top-k", "4", "--write-teacher-cache", cachePath, "--json", .. Small]);
        Assert.True(writeCode == 0, writeErr);

        // When: the student trained from the teacher truncated in memory, from the cache, and from a top-5 (the control).
        string[] distill = ["distill", "--temperature", "2", "--lambda", "0.5", "--json", .. Small];
        var (c1, inMemory, e1) = FitCli.Run([.. distill, "--teacher", teacher, "--top-k", "4"]);
        var (c2, fromCache, e2) = FitCli.Run([.. distill, "--teacher-cache", cachePath]);
        var (c3, named, e3) = FitCli.Run([.. distill, "--teacher-cache", cachePath, "--teacher", teacher]);
        var (c4, top5, e4) = FitCli.Run([.. distill, "--teacher", teacher, "--top-k", "5"]);

        // Then: the same validation loss to the last bit; the cache states its truncation; the top 5 differ.
        Assert.True(c1 == 0 && c2 == 0 && c3 == 0 && c4 == 0, e1 + e2 + e3 + e4);
        using var w = JsonDocument.Parse(written);
        Assert.Equal(120, w.RootElement.GetProperty("windows").GetInt64());
        Assert.Equal(4, w.RootElement.GetProperty("top_k").GetInt32());
        // The top 4 of 256 keep at least 4/256 of the mass at every position (this barely trained teacher: about 4%).
        Assert.InRange(w.RootElement.GetProperty("mass_kept_min").GetDouble(), 4.0 / 256, 1.0);
        Assert.True(w.RootElement.GetProperty("mass_kept_min").GetDouble() <= w.RootElement.GetProperty("mass_kept_mean").GetDouble());
        double Loss(string json)
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.GetProperty("validation_loss").GetDouble();
        }
        Assert.Equal(Loss(inMemory), Loss(fromCache));
        Assert.Equal(Loss(inMemory), Loss(named));
        Assert.NotEqual(Loss(inMemory), Loss(top5));
        using var cached = JsonDocument.Parse(fromCache);
        Assert.Contains("read from cache top4.sltk", cached.RootElement.GetProperty("teacher").GetString());
        Assert.Contains("of the teacher's probability mass", cached.RootElement.GetProperty("teacher").GetString());
        Assert.Equal(4, cached.RootElement.GetProperty("top_k").GetInt32());
    }

    [Fact]
    public void TeacherCache_Damaged_ExitTwoWithOneLine()
    {
        // Given: a cache with one byte flipped.
        var path = Cache("oracle");
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(path, bytes);

        // When / Then
        var (code, _, err) = FitCli.Run(["distill", "--teacher-cache", path, .. Small]);
        AssertUsage(code, err, "checksum");
    }

    [Fact]
    public void TeacherCache_OfAnotherModel_ExitTwoWithOneLine()
    {
        // Given: a cache of one teacher, and another teacher of the same shape (another seed).
        var cache = Cache(Teacher(1));
        var other = Teacher(2);

        // When / Then
        var (code, _, err) = FitCli.Run(["distill", "--teacher-cache", cache, "--teacher", other, .. Small]);
        AssertUsage(code, err, "another teacher");
    }

    [Fact]
    public void TeacherCache_OfAnotherCorpusOrTooShort_ExitTwoWithOneLine()
    {
        // Given: the oracle's cache for 30 steps on the synthetic corpus, and a text corpus.
        var cache = Cache("oracle");
        var text = Path.Combine(_directory, "text.txt");
        File.WriteAllText(text, string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog. ", 200)));

        // When / Then
        var (c1, _, e1) = FitCli.Run(["distill", "--teacher-cache", cache, "--corpus", text, .. Small]);
        AssertUsage(c1, e1, "another corpus");
        var (c2, _, e2) = FitCli.Run(["distill", "--teacher-cache", cache, .. Small, "--steps", "31"]);
        AssertUsage(c2, e2, "this run draws 124");
        var (c3, _, e3) = FitCli.Run(["distill", "--teacher-cache", cache, .. Small, "--seed", "5"]);
        AssertUsage(c3, e3, "another data stream");
    }

    [Theory]
    [InlineData(new[] { "--teacher", "oracle", "--write-teacher-cache", "OUT" }, "--top-k")]
    [InlineData(new[] { "--top-k", "4", "--write-teacher-cache", "OUT" }, "--teacher is required")]
    [InlineData(new[] { "--teacher", "nothing.ckpt", "--top-k", "4", "--write-teacher-cache", "OUT" }, "nothing.ckpt")]
    [InlineData(new[] { "--teacher", "oracle", "--top-k", "300", "--write-teacher-cache", "OUT" }, "at most the vocabulary 256")]
    [InlineData(new[] { "--teacher-cache", "missing.sltk" }, "does not exist")]
    public void WriteOrReadCache_BadInput_ExitTwoAndExistingFileKept(string[] args, string expected)
    {
        // Given: an existing file where the cache would be written.
        var output = Path.Combine(_directory, "existing.sltk");
        File.WriteAllText(output, "keep me");
        var registry = "sqlite:" + Path.Combine(_directory, "none.db");

        // When
        var (code, _, err) = FitCli.Run(["distill", .. args.Select(a => a == "OUT" ? output : a), "--registry", registry, .. Small]);

        // Then
        AssertUsage(code, err, expected);
        Assert.Equal("keep me", File.ReadAllText(output));
    }
}
