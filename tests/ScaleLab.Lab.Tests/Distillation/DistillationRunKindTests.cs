using Microsoft.Data.Sqlite;
using ScaleLab.Engine;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Studies.Distillation;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Lab.Tests.Distillation;

/// <summary>The "distill" run kind: its spec's runs, its refusals, and a crashed run resumed bit for bit.</summary>
public sealed class DistillationRunKindTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("scalelab-distill-kind-").FullName;
    private readonly string _teacher;

    public DistillationRunKindTests()
    {
        // A teacher (2 layers, C = 16) trained for 40 steps on the corpus the students use.
        _teacher = Path.Combine(_directory, "teacher.ckpt");
        var options = new TrainOptions
        {
            Model = new GptConfig(2, 16, 2, 16), Batch = 4, Steps = 40, LearningRate = 1e-2, EvalInterval = 0, EvalSequences = 4,
            Seed = 5, CheckpointPath = _teacher,
        };
        using var trainer = new Trainer(options, Corpora.Open("synthetic:3"));
        trainer.Run();
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private string Spec(string teachers = "\"none\", \"oracle\", \"TEACHER\"", string extra = "temperature = [1.0, 2.0]\nlambda = 0.5", int seqLen = 16) => $$"""
        study = "distilled"
        kind = "distill"
        checkpoint_interval = 10
        [settings]
        teachers = [{{teachers.Replace("TEACHER", _teacher, StringComparison.Ordinal)}}]
        {{extra}}
        student = { corpus = "synthetic:3", seq_len = {{seqLen}}, batch_size = 4, tokens = [1280, 2560], eval_interval = 7, eval_batches = 2, models = [{ layers = 1, d_model = 16, heads = 2 }], schedule = { warmup_steps = 3 } }
        """;

    [Fact]
    public void Expand_StudentsTimesTeachers_OneScratchRunPerStudentAndComputeWithTeacherForward()
    {
        // When
        var spec = SweepSpec.Parse(Spec());
        var runs = spec.NewRuns();

        // Then: 2 budgets × (none + oracle × 2 T + teacher × 2 T) = 10 runs of kind distill, distinct stable keys; compute
        // 6·N_S·D + 2·N_T·D with N_T = 0 for none and the oracle.
        Assert.Equal(10, runs.Count);
        Assert.All(runs, r => Assert.Equal(DistillationRunKind.KindName, r.Kind));
        Assert.Equal(10, runs.Select(r => r.Key).Distinct().Count());
        Assert.Equal(runs.Select(r => r.Key), SweepSpec.Parse(Spec()).NewRuns().Select(r => r.Key));
        var teacherN = new GptConfig(2, 16, 2, 16).NonEmbeddingParameterCount;
        foreach (var run in runs)
        {
            var config = DistillationRunConfig.FromJson(run.ConfigJson);
            var nT = config.Teacher.Checkpoint is null ? 0 : teacherN;
            Assert.Equal(6.0 * run.NonEmbeddingParameters * run.Tokens + 2.0 * nT * run.Tokens, run.Flops);
            Assert.Equal(config.Teacher.IsNone ? 0.0 : 0.5, config.Lambda);
        }
        Assert.Equal(2, runs.Count(r => DistillationRunConfig.FromJson(r.ConfigJson).Teacher.IsNone));
    }

    [Theory]
    [InlineData("\"oracle\"", "lambda = 1.5", 16, "lambda")]
    [InlineData("\"oracle\"", "temperature = 0", 16, "temperature")]
    [InlineData("\"/nonexistent/t.ckpt\"", "", 16, "does not exist")]
    [InlineData("\"TEACHER\"", "", 32, "context length")]
    [InlineData("\"oracle\"", "colour = 1", 16, "unknown distill setting")]
    public void Parse_BadSetting_RefusedInOneLine(string teachers, string extra, int seqLen, string expected)
    {
        // When / Then
        var e = Assert.Throws<InvalidDataException>(() => SweepSpec.Parse(Spec(teachers, extra, seqLen)));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    private ExecutorOptions Options(string name) => new()
    {
        Workers = 1,
        CheckpointDirectory = Path.Combine(_directory, name + "-ck"),
        CheckpointInterval = 10,
        HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        StaleAfter = TimeSpan.FromSeconds(5),
        PollInterval = TimeSpan.FromMilliseconds(50),
    };

    private string Registry(string name) => "sqlite:" + Path.Combine(_directory, name + ".db");

    [Theory]
    [InlineData("\"oracle\"")]
    [InlineData("\"TEACHER\"")]
    public void Train_ResumedAfterCrash_MatchesUninterruptedBitForBit(string teacher)
    {
        // Given: an uninterrupted reference of the first run (640-token budget only), and a crashed attempt on a second
        // registry: a checkpoint at step 10 and junk rows for steps 11-13 written by the "dead" worker.
        var text = Spec(teacher, "temperature = 2.0\nlambda = 0.7").Replace("tokens = [1280, 2560]", "tokens = [1280]", StringComparison.Ordinal);
        using var refStore = RunStores.Open(Registry("ref"));
        SweepPlan.Enqueue(refStore, SweepSpec.Parse(text));
        var reference = InProcessExecutor.Run(() => RunStores.Open(Registry("ref")), "distilled", Options("ref"));
        Assert.True(reference.Complete);
        var target = Assert.Single(refStore.ListRuns("distilled"));

        using var store = RunStores.Open(Registry("crash"));
        SweepPlan.Enqueue(store, SweepSpec.Parse(text));
        var options = Options("crash");
        Assert.Equal(target.Key, store.Claim("distilled", "dead", options.StaleAfter)!.Key);
        var path = options.CheckpointPath("distilled", target.Key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (var session = new DistillationRunKind().Open(new RunContext(target, path, 1, store, null)))
        {
            for (var i = 0; i < 10; i++) session.TrainStep();
            session.SaveCheckpoint(path);
        }
        store.AppendMetrics(target.Key, [.. Enumerable.Range(11, 3).Select(s => new MetricRow(s, 0, 99, 99, 9, 9))]);
        store.ReleaseWorker("dead");
        var run = store.Claim("distilled", "alive", options.StaleAfter)!;

        // When
        var outcome = RunExecution.Train(store, run, "alive", options);

        // Then: same final loss, same metrics from step 11 on (standard row and named), same parameters.
        Assert.Equal((RunEnd.Done, 10L), (outcome.End, outcome.ResumedFromStep));
        Assert.Equal(refStore.GetRun(target.Key)!.FinalLoss, store.GetRun(target.Key)!.FinalLoss);
        Assert.Equal(refStore.ReadMetrics(target.Key).Where(m => m.Step > 10), store.ReadMetrics(target.Key));
        Assert.Equal(refStore.ReadRunMetrics(target.Key).Where(m => m.Step > 10), store.ReadRunMetrics(target.Key).Where(m => m.Step > 10));
        Assert.Contains(store.ReadRunMetrics(target.Key), m => m.Name == "kl" && m.Value > 0);
        Assert.Equal(Checkpoint.Load(Options("ref").CheckpointPath("distilled", target.Key)).Parameters, Checkpoint.Load(path).Parameters);
    }

    [Fact]
    public void Train_TeacherNone_SameTrajectoryAsLanguageModelRun()
    {
        // Given: the student trained as a "distill" run without a teacher, and as a plain lm run of the same spec.
        var text = Spec("\"none\"", "").Replace("tokens = [1280, 2560]", "tokens = [1280]", StringComparison.Ordinal);
        using var store = RunStores.Open(Registry("none"));
        SweepPlan.Enqueue(store, SweepSpec.Parse(text));
        Assert.True(InProcessExecutor.Run(() => RunStores.Open(Registry("none")), "distilled", Options("none")).Complete);
        var distilled = Assert.Single(store.ListRuns("distilled"));
        var student = DistillationRunConfig.FromJson(distilled.ConfigJson).Student;

        // When
        using var trainer = new Trainer(RunExecution.ToTrainOptions(student, 1), Corpora.Open(student));
        var summary = trainer.Run();

        // Then: bit for bit the same validation loss.
        Assert.Equal(summary.FinalValidationLoss, distilled.FinalLoss);
    }
}
