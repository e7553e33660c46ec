using Microsoft.Data.Sqlite;
using ScaleLab.Engine;
using ScaleLab.Engine.Data;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Studies.Distillation;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Lab.Tests.Distillation;

/// <summary>
/// <c>teacher_cache</c> in a distill sweep spec: a run that reads its teacher's top-k logits from the cache trains bit for bit
/// as the run with the teacher truncated to top-k in memory (a top-5 cache does not: control); a cache of another data seed,
/// batch, corpus or teacher, or a top_k other than the cache's, is refused at planning in one line, in the words of
/// <c>distill --teacher-cache</c>; runs without a cache keep their run keys.
/// </summary>
public sealed class DistillationTeacherCacheKindTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("scalelab-distill-cache-").FullName;
    private readonly string _teacher;

    public DistillationTeacherCacheKindTests()
    {
        _teacher = Teacher("teacher.ckpt", seed: 5);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>A teacher (2 layers, C = 16) trained for 30 steps on synthetic:3.</summary>
    private string Teacher(string name, ulong seed)
    {
        var path = Path.Combine(_directory, name);
        var options = new TrainOptions
        {
            Model = new GptConfig(2, 16, 2, 16), Batch = 4, Steps = 30, LearningRate = 1e-2, EvalInterval = 0, EvalSequences = 4,
            Seed = seed, CheckpointPath = path,
        };
        using var trainer = new Trainer(options, Corpora.Open("synthetic:3"));
        trainer.Run();
        return path;
    }

    private string Spec(string extra, string corpus = "synthetic:3", int batch = 4, int seed = 1, string? teacher = null) => $$"""
        study = "cached"
        kind = "distill"
        [settings]
        teachers = ["none", "{{teacher ?? _teacher}}"]
        temperature = 2.0
        lambda = 0.7
        {{extra}}
        student = { corpus = "{{corpus}}", seq_len = 16, batch_size = {{batch}}, tokens = [1280], seeds = [{{seed}}], eval_interval = 10, eval_batches = 2, models = [{ layers = 1, d_model = 16, heads = 2 }], schedule = { warmup_steps = 3 } }
        """;

    /// <summary>Writes the top-k cache of the spec's teacher run (as distill --write-teacher-cache does) and returns its path.</summary>
    private string Cache(string spec, int k, string name, string? teacher = null)
    {
        var run = SweepSpec.Parse(spec).NewRuns().Select(r => DistillationRunConfig.FromJson(r.ConfigJson)).Single(c => c.Teacher.Checkpoint is not null);
        var options = RunExecution.ToTrainOptions(run.Student, 1);
        using var model = new GptTeacher(Checkpoint.Load(teacher ?? _teacher), options.MicroBatchSize, 1);
        var path = Path.Combine(_directory, name);
        TeacherLogitCache.Capture(model, Corpora.Open(run.Student), options, k).Save(path);
        return path;
    }

    private (double Loss, IReadOnlyList<double> Validation) Train(string spec, string name)
    {
        var registry = "sqlite:" + Path.Combine(_directory, name + ".db");
        using var store = RunStores.Open(registry);
        SweepPlan.Enqueue(store, SweepSpec.Parse(spec));
        var options = new ExecutorOptions { Workers = 1, CheckpointDirectory = Path.Combine(_directory, name + "-ck"), PollInterval = TimeSpan.FromMilliseconds(50) };
        Assert.True(InProcessExecutor.Run(() => RunStores.Open(registry), "cached", options).Complete);
        var run = store.ListRuns("cached").Single(r => DistillationRunConfig.FromJson(r.ConfigJson).Teacher.Checkpoint is not null);
        return (run.FinalLoss!.Value, store.ReadMetrics(run.Key).Where(m => m.ValLoss is not null).Select(m => m.ValLoss!.Value).ToList());
    }

    [Fact]
    public void Train_FromTeacherCache_BitIdenticalToInMemoryTopK()
    {
        // Given: the same student and teacher, once with top_k = 3 in memory, once from a top-3 cache, once from a top-5 cache.
        var inMemory = Spec("top_k = 3");
        var top3 = Cache(inMemory, 3, "t3.sltk");
        var top5 = Cache(inMemory, 5, "t5.sltk");

        // When
        var expected = Train(inMemory, "memory");
        var cached = Train(Spec($"teacher_cache = \"{top3}\""), "cache3");
        var wider = Train(Spec($"teacher_cache = [\"{top5}\"]"), "cache5");

        // Then: every validation loss and the final loss equal bit for bit; the top-5 cache is another teacher (control).
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected.Loss), BitConverter.DoubleToInt64Bits(cached.Loss));
        Assert.Equal(expected.Validation.Select(BitConverter.DoubleToInt64Bits), cached.Validation.Select(BitConverter.DoubleToInt64Bits));
        Assert.True(expected.Validation.Count >= 2);
        Assert.NotEqual(expected.Loss, wider.Loss);
    }

    [Fact]
    public void Expand_WithCache_RecordsCacheAndItsKAndKeepsOtherRunKeys()
    {
        // Given
        var plain = SweepSpec.Parse(Spec("")).NewRuns();
        var cache = Cache(Spec(""), 3, "t3.sltk");

        // When
        var runs = SweepSpec.Parse(Spec($"teacher_cache = \"{cache}\"")).NewRuns();

        // Then: the teacher's run reads the cache (path, SHA-256) with k = 3 and has a new key; the run on samples is unchanged.
        var taught = runs.Select(r => DistillationRunConfig.FromJson(r.ConfigJson)).Single(c => c.Teacher.Checkpoint is not null);
        Assert.Equal(Path.GetFullPath(cache), taught.TeacherCache!.Path);
        Assert.Equal(RunExecution.Sha256(cache), taught.TeacherCache.Sha256);
        Assert.Equal(3, taught.TopK);
        Assert.Contains(plain.Single(r => DistillationRunConfig.FromJson(r.ConfigJson).Teacher.IsNone).Key, runs.Select(r => r.Key));
        Assert.DoesNotContain(plain.Single(r => DistillationRunConfig.FromJson(r.ConfigJson).Teacher.Checkpoint is not null).Key, runs.Select(r => r.Key));
        Assert.Null(DistillationRunConfig.FromJson(plain[0].ConfigJson).TeacherCache);
    }

    [Theory]
    [InlineData("seed", "another data stream (seed 1, this run's is 2)")]
    [InlineData("batch", "micro-batches of 4 windows, this run's are 8")]
    [InlineData("corpus", "was written on another corpus")]
    [InlineData("teacher", "was written from another teacher")]
    [InlineData("top_k", "top_k = 4 differs from teacher logit cache")]
    [InlineData("missing", "does not exist")]
    public void Expand_CacheThatDoesNotFit_RefusedInOneLine(string wrong, string expected)
    {
        // Given: a top-3 cache of the seed-1, batch-4, synthetic:3 run of the first teacher.
        var cache = Cache(Spec(""), 3, "t3.sltk");
        var setting = $"teacher_cache = \"{(wrong == "missing" ? Path.Combine(_directory, "none.sltk") : cache)}\"" + (wrong == "top_k" ? "\ntop_k = 4" : "");
        var spec = wrong switch
        {
            "seed" => Spec(setting, seed: 2),
            "batch" => Spec(setting, batch: 8),
            "corpus" => Spec(setting, corpus: "synthetic:4"),
            "teacher" => Spec(setting, teacher: Teacher("other.ckpt", seed: 9)),
            _ => Spec(setting),
        };

        // When / Then
        var e = Assert.Throws<InvalidDataException>(() => SweepSpec.Parse(spec).NewRuns());
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }
}
