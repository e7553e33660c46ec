using ScaleLab.Engine.Data;
using ScaleLab.Engine.Training;

namespace ScaleLab.Engine.Tests.Training;

/// <summary>The on-disk top-k teacher-logit cache: round trip, training from it equals training with the in-memory top-k
/// teacher bit for bit, the mass kept against the oracle's exact distribution, and every wrong file refused in one line.</summary>
public sealed class TeacherLogitCacheTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("scalelab-tkcache-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    private static SyntheticCorpus Corpus => TrainerTests.SmallCorpus;

    private static TeacherLogitCache OracleCache(TrainOptions options, int k)
    {
        using var oracle = new OracleTeacher(Corpus);
        return TeacherLogitCache.Capture(oracle, Corpus, options, k);
    }

    private static float[] Train(TrainOptions options, ITeacher teacher, DistillationOptions settings)
    {
        using var objective = new DistillationObjective(teacher, settings);
        using var trainer = new Trainer(options, Corpus) { Objective = objective };
        trainer.Run();
        return (float[])trainer.Model.Parameters.Clone();
    }

    [Fact]
    public void SaveLoad_OracleCache_RoundTripsEveryField()
    {
        // Given: the oracle's top 3 for the 10 × 8 windows of a 10-step run.
        var options = TrainerTests.Tiny(10);
        var cache = OracleCache(options, 3);
        var path = PathOf("oracle.sltk");

        // When
        cache.Save(path);
        var back = TeacherLogitCache.Load(path);

        // Then
        Assert.Equal(80, back.Windows);
        Assert.Equal(cache.TeacherIdentity, back.TeacherIdentity);
        Assert.Equal(cache.TeacherDescription, back.TeacherDescription);
        Assert.Equal((256, (int?)null, 0L), (back.Vocab, back.TeacherSeqLen, back.TeacherNonEmbeddingParameters));
        Assert.Equal((Corpus.Fingerprint, options.Seed ^ Trainer.DataStream, 16, 8, 3), (back.CorpusFingerprint, back.DataSeed, back.SeqLen, back.MicroBatchSize, back.TopK));
        Assert.Equal((cache.MeanMassKept, cache.MinMassKept), (back.MeanMassKept, back.MinMassKept));
        Assert.Equal(cache.Tokens, back.Tokens);
        Assert.Equal(cache.Ids, back.Ids);
        Assert.Equal(cache.Logits, back.Logits);
        Assert.Equal($"oracle:{Corpus.Fingerprint}", back.TeacherIdentity);
    }

    [Fact]
    public void Capture_OracleTopK_MassKeptEqualsTopProbabilitiesOfExactDistribution()
    {
        // Given: the oracle's top 3 and top 8 (its whole alphabet) for a 5-step run.
        var options = TrainerTests.Tiny(5);

        // When
        var top3 = OracleCache(options, 3);
        var top8 = OracleCache(options, 8);

        // Then: the mean mass kept by the top 3 is the mean over the same positions of the 3 largest exact probabilities
        // (computed here from the source, not from logits); the top 8 keep everything.
        var T = options.Model.SeqLen;
        var window = new int[T];
        double expected = 0;
        for (long w = 0; w < top3.Windows; w++)
        {
            for (var t = 0; t < T; t++) window[t] = top3.Tokens[w * T + t];
            for (var t = 0; t < T; t++) expected += Corpus.Source.OracleDistribution(window.AsSpan(0, t + 1)).ToArray().OrderDescending().Take(3).Sum();
        }
        expected /= top3.Windows * T;
        Assert.Equal(expected, top3.MeanMassKept, 5);
        Assert.InRange(top3.MeanMassKept, 0.5, 0.999);
        Assert.True(top3.MinMassKept < top3.MeanMassKept);
        Assert.Equal(1.0, top8.MeanMassKept, 12);
        Assert.Contains("top 3 of 256 tokens per position", top3.Truncation);
    }

    [Fact]
    public void Train_FromCachedGptTeacher_EqualsInMemoryTopKTeacherBitForBit()
    {
        // Given: a trained teacher checkpoint, and its top-4 cache for a 60-step student run (saved and read back).
        var teacherPath = PathOf("teacher.ckpt");
        using (var t = new Trainer(TrainerTests.Tiny(100) with { Model = new GptConfig(2, 32, 2, 16), CheckpointPath = teacherPath }, Corpus)) t.Run();
        var options = TrainerTests.Tiny(60);
        var settings = new DistillationOptions(Temperature: 2, Lambda: 0.5, TopK: 4);
        GptTeacher Teacher() => new(Checkpoint.Load(teacherPath), options.MicroBatchSize, 1, "teacher.ckpt");
        var cachePath = PathOf("teacher.sltk");
        using (var teacher = Teacher()) TeacherLogitCache.Capture(teacher, Corpus, options, 4).Save(cachePath);
        var cache = TeacherLogitCache.Load(cachePath);

        // When: the student trained with the in-memory top-4 teacher, from the cache, and — the control — from a top-5 cache.
        var inMemory = Train(options, Teacher(), settings);
        var cached = new CachedTopKTeacher(cache, cachePath);
        var fromCache = Train(options, cached, settings with { TopK = null });
        float[] fromTop5;
        using (var teacher = Teacher()) fromTop5 = Train(options, new CachedTopKTeacher(TeacherLogitCache.Capture(teacher, Corpus, options, 5), "top5"), settings with { TopK = null });

        // Then
        Assert.Equal(inMemory, fromCache);
        Assert.NotEqual(inMemory, fromTop5);
        using var reference = new TopKTeacher(Teacher(), 4);
        Assert.Equal(reference.Identity, cached.Identity);
        Assert.Contains("read from cache teacher.sltk", cached.Description);
        Assert.Equal(new GptConfig(2, 32, 2, 16).NonEmbeddingParameterCount, cached.NonEmbeddingParameters);
    }

    [Fact]
    public void Resume_FromCache_EqualsUninterruptedRunBitForBit()
    {
        // Given: the oracle's top-3 cache for a 40-step run, and that run trained straight through from it.
        var options = TrainerTests.Tiny(40);
        var cache = OracleCache(options, 3);
        var settings = new DistillationOptions(Temperature: 1, Lambda: 1);
        var straight = Train(options, new CachedTopKTeacher(cache, "c"), settings);

        // When: stopped at step 17 and resumed with a fresh teacher over the same cache.
        var path = PathOf("student.ckpt");
        using (var objective = new DistillationObjective(new CachedTopKTeacher(cache, "c"), settings))
        using (var first = new Trainer(options, Corpus) { Objective = objective })
        {
            for (var i = 0; i < 17; i++) first.TrainStep();
            first.SaveCheckpoint(path);
        }
        float[] resumed;
        using (var objective = new DistillationObjective(new CachedTopKTeacher(cache, "c"), settings))
        using (var second = Trainer.Resume(path, Corpus))
        {
            second.Objective = objective;
            second.Run();
            resumed = (float[])second.Model.Parameters.Clone();
        }

        // Then
        Assert.Equal(straight, resumed);
    }

    [Theory]
    [InlineData("flip", "checksum")]
    [InlineData("truncate", "truncated")]
    [InlineData("foreign", "magic")]
    [InlineData("missing", "does not exist")]
    public void Load_DamagedFile_RefusedInOneLine(string damage, string expected)
    {
        // Given: a good cache, then damaged.
        var path = PathOf("c.sltk");
        OracleCache(TrainerTests.Tiny(2), 2).Save(path);
        var bytes = File.ReadAllBytes(path);
        switch (damage)
        {
            case "flip": bytes[bytes.Length / 2] ^= 0x10; File.WriteAllBytes(path, bytes); break;
            case "truncate": File.WriteAllBytes(path, bytes[..^7]); break;
            case "foreign": File.WriteAllText(path, "not a cache at all"); break;
            default: File.Delete(path); break;
        }

        // When / Then
        var e = Assert.ThrowsAny<Exception>(() => TeacherLogitCache.Load(path));
        Assert.True(e is InvalidDataException or FileNotFoundException, e.GetType().Name);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void EnsureCovers_AnotherCorpusSeedBatchOrLongerRun_RefusedInOneLine()
    {
        // Given: a cache for 10 steps of 8 windows, seed 7, on the small corpus.
        var options = TrainerTests.Tiny(10);
        var cache = OracleCache(options, 2);
        var other = new SyntheticCorpus(Corpus.Source.Options with { Seed = 99 });

        // When / Then: the run it was written for is accepted, a shorter one too; each mismatch names itself.
        cache.EnsureCovers(Corpus, options, "c");
        cache.EnsureCovers(Corpus, options with { Steps = 4 }, "c");
        void Refused(ICorpus corpus, TrainOptions o, string expected)
        {
            var e = Assert.Throws<InvalidDataException>(() => cache.EnsureCovers(corpus, o, "c"));
            Assert.Contains(expected, e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        Refused(other, options, "another corpus");
        Refused(Corpus, options with { Seed = 8 }, "another data stream");
        Refused(Corpus, options with { Steps = 11 }, "holds 80 windows, this run draws 88");
        Refused(Corpus, options with { Batch = 4 }, "micro-batches of 8");
        Refused(Corpus, options with { Model = options.Model with { SeqLen = 8 } }, "windows of 16 tokens");
        var wrongTeacher = Assert.Throws<InvalidDataException>(() => cache.EnsureTeacher("oracle:other", "oracle of another source", "c"));
        Assert.Contains("another teacher", wrongTeacher.Message);
        cache.EnsureTeacher($"oracle:{Corpus.Fingerprint}", "oracle", "c");
    }

    [Fact]
    public void Logits_WindowNotInCache_Throws()
    {
        // Given: a cache of a 2-step run, asked for a validation window it never saw.
        var cache = OracleCache(TrainerTests.Tiny(2), 2);
        var teacher = new CachedTopKTeacher(cache, "c");
        var (inputs, targets) = (new int[16], new int[16]);
        Corpus.GetValidation(0, inputs, targets, 1, 16);

        // When / Then
        var e = Assert.Throws<InvalidOperationException>(() => teacher.Logits(inputs, 1, 16, new float[16 * 256]));
        Assert.Contains("does not hold window 0", e.Message);
    }
}
