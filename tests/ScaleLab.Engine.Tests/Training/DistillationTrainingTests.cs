using ScaleLab.Engine.Data;
using ScaleLab.Engine.Training;
using Xunit.Abstractions;

namespace ScaleLab.Engine.Tests.Training;

/// <summary>The distillation training step: the oracle teacher's soft targets against sampled ones at equal student
/// compute, bit-identical resume, the teacher's checks and the top-k truncation.</summary>
public sealed class DistillationTrainingTests(ITestOutputHelper output)
{
    private static TrainOptions Options(long steps) => TrainerTests.Tiny(steps) with { EvalSequences = 64 };

    private static double Train(TrainOptions options, ITrainingObjective? objective)
    {
        using var trainer = new Trainer(options, TrainerTests.SmallCorpus);
        if (objective is not null) trainer.Objective = objective;
        return trainer.Run().FinalValidationLoss;
    }

    [Fact]
    public void Run_OracleTeacher_BeatsSamplesAtEqualComputeAndBothNearFloor()
    {
        // Given: the same student (same weights, same 600 batches of inputs) trained on the sampled next tokens, on the
        // oracle's exact conditional distributions (λ = 1, T = 1), and — the negative control — on the exact
        // distributions of another source (same alphabet and order, another seed).
        var corpus = TrainerTests.SmallCorpus;
        var options = Options(600);
        var wrongSource = new SyntheticCorpus(corpus.Source.Options with { Seed = 99 });
        double floor;
        using (var probe = new Trainer(options, corpus)) floor = probe.ValidationFloor!.Value;

        // When
        var scratch = Train(options, null);
        using var oracle = new DistillationObjective(new OracleTeacher(corpus), new DistillationOptions());
        var distilled = Train(options, oracle);
        using var wrong = new DistillationObjective(new OracleTeacher(wrongSource), new DistillationOptions());
        var misled = Train(options, wrong);
        output.WriteLine($"validation: samples {scratch:F4}, oracle {distilled:F4}, wrong oracle {misled:F4}; floor {floor:F4}, entropy rate {corpus.EntropyRate:F4}");

        // Then: the soft targets carry more information per token, so the distilled student ends lower; both are within
        // 0.1 nats of the exact floor of the validation windows; a teacher of the wrong source ends far above both.
        Assert.True(distilled < scratch - 0.02, $"oracle-distilled {distilled:F4} vs samples {scratch:F4}");
        Assert.InRange(distilled - floor, 0, 0.1);
        Assert.InRange(scratch - floor, 0, 0.1);
        Assert.True(misled > scratch + 0.1, $"negative control: wrong oracle {misled:F4} vs samples {scratch:F4}");
    }

    [Fact]
    public void OracleTeacher_CrossEntropyOnWindow_EqualsOracleLogLoss()
    {
        // Given: validation window 0 of the corpus (T = 16 predictions).
        var corpus = TrainerTests.SmallCorpus;
        const int T = 16;
        var (inputs, targets) = (new int[T], new int[T]);
        corpus.GetValidation(0, inputs, targets, 1, T);
        var window = inputs.Append(targets[^1]).ToArray();
        using var teacher = new OracleTeacher(corpus);

        // When: the teacher's own cross-entropy on the targets.
        var logits = new float[T * teacher.Vocab];
        teacher.Logits(inputs, 1, T, logits);
        var (probs, losses) = (new float[logits.Length], new float[T]);
        ScaleLab.Engine.Kernels.CrossEntropy.Forward(logits, targets, T, teacher.Vocab, probs, losses);

        // Then: it is the source's Bayes-optimal log-loss of the window, and no byte outside the alphabet has mass.
        Assert.Equal(corpus.Source.OracleLogLoss(window), losses.Average(), 5);
        Assert.Equal(T * corpus.Source.AlphabetSize, logits.Count(float.IsFinite));
    }

    [Fact]
    public void Resume_DistilledRunFromGptTeacher_EqualsUninterruptedRunBitForBit()
    {
        // Given: a teacher trained for 200 steps, and an uninterrupted 300-step distilled run (T = 2, λ = 0.5) of a
        // smaller student.
        var corpus = TrainerTests.SmallCorpus;
        var dir = Directory.CreateTempSubdirectory("scalelab-distill-");
        var teacherPath = Path.Combine(dir.FullName, "teacher.ckpt");
        var settings = new DistillationOptions(Temperature: 2, Lambda: 0.5);
        DistillationObjective Objective() => new(new GptTeacher(Checkpoint.Load(teacherPath), 8, 1), settings);
        using (var t = new Trainer(TrainerTests.Tiny(200) with { Model = new GptConfig(2, 32, 2, 16), CheckpointPath = teacherPath }, corpus)) t.Run();
        var options = TrainerTests.Tiny(300);
        float[] straight;
        using (var objective = Objective())
        using (var t = new Trainer(options, corpus) { Objective = objective })
        {
            t.Run();
            straight = (float[])t.Model.Parameters.Clone();
        }

        // When: the same run stops at step 150 (a checkpoint) and a fresh trainer with a fresh teacher resumes it.
        var path = Path.Combine(dir.FullName, "student.ckpt");
        using (var objective = Objective())
        using (var first = new Trainer(options, corpus) { Objective = objective })
        {
            for (var i = 0; i < 150; i++) first.TrainStep();
            first.SaveCheckpoint(path);
        }
        float[] resumed;
        using (var objective = Objective())
        using (var second = Trainer.Resume(path, corpus))
        {
            second.Objective = objective;
            second.Run();
            resumed = (float[])second.Model.Parameters.Clone();
        }
        dir.Delete(recursive: true);

        // Then
        Assert.Equal(straight, resumed);
    }

    [Theory]
    [InlineData(128, 16, "vocabulary")]
    [InlineData(256, 32, "context length")]
    public void CheckStudent_MismatchedTeacher_ThrowsOneLine(int teacherVocab, int teacherSeq, string expected)
    {
        // Given: a teacher whose vocabulary or context differs from the student's (V = 256, T = 16).
        var config = new GptConfig(1, 16, 2, teacherSeq, teacherVocab);
        using var model = new Gpt(config, 1);
        var checkpoint = new Checkpoint
        {
            Config = config, Options = TrainerTests.Tiny(1) with { Model = config }, CorpusFingerprint = "x", Step = 0, Tokens = 0,
            ElapsedSeconds = 0, RngState = new ulong[4], Data = new DataPosition(new ulong[4], 0), OptimizerStep = 0,
            Parameters = model.Parameters, M = new float[model.Parameters.Length], V = new float[model.Parameters.Length],
        };
        using var objective = new DistillationObjective(new GptTeacher(checkpoint, 1, 1), new DistillationOptions());

        // When / Then
        var e = Assert.Throws<ArgumentException>(() => objective.CheckStudent(new GptConfig(1, 16, 2, 16)));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData(0.0, 1.0, "temperature")]
    [InlineData(-1.0, 1.0, "temperature")]
    [InlineData(1.0, 1.5, "lambda")]
    [InlineData(1.0, -0.1, "lambda")]
    public void DistillationOptions_BadValue_ThrowsNamingIt(double temperature, double lambda, string expected)
    {
        // When / Then
        var e = Assert.Throws<ArgumentException>(() => new DistillationOptions(temperature, lambda).Validate());
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void TopKTeacher_KeepsExactlyKLogitsPerPosition()
    {
        // Given: the oracle (8 symbols) truncated to its 3 most probable, and untruncated.
        var corpus = TrainerTests.SmallCorpus;
        const int T = 16;
        var (inputs, targets) = (new int[T], new int[T]);
        corpus.GetValidation(1, inputs, targets, 1, T);
        using var full = new OracleTeacher(corpus);
        using var top = new TopKTeacher(new OracleTeacher(corpus), 3);
        var (a, b) = (new float[T * 256], new float[T * 256]);

        // When
        full.Logits(inputs, 1, T, a);
        top.Logits(inputs, 1, T, b);

        // Then: 3 finite logits per position, each the teacher's own and at least every dropped one.
        for (var t = 0; t < T; t++)
        {
            var rowA = a[(t * 256)..((t + 1) * 256)];
            var rowB = b[(t * 256)..((t + 1) * 256)];
            var kept = Enumerable.Range(0, 256).Where(v => float.IsFinite(rowB[v])).ToArray();
            Assert.Equal(3, kept.Length);
            var minKept = kept.Min(v => rowA[v]);
            foreach (var v in kept) Assert.Equal(rowA[v], rowB[v]);
            for (var v = 0; v < 256; v++) if (!kept.Contains(v)) Assert.True(rowA[v] <= minKept);
        }
        Assert.Contains("top 3", top.Description);
    }
}
