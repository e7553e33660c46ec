using System.Text.Json;
using ScaleLab.Engine;
using ScaleLab.Engine.Data;
using ScaleLab.Engine.Training;

namespace ScaleLab.Cli.Tests;

/// <summary><c>scalelab distill</c>: a run from the oracle and from a checkpoint, and the bad inputs (exit 2, one line).</summary>
public sealed class DistillCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("scalelab-distill-cli-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static readonly string[] Small = ["--layers", "1", "--d-model", "16", "--heads", "2", "--seq", "16", "--batch", "4", "--steps", "30"];

    /// <summary>A teacher checkpoint trained for 20 steps on the default synthetic corpus.</summary>
    private string Teacher(int seqLen = 16, int vocab = 256)
    {
        var path = Path.Combine(_directory, $"teacher-{seqLen}-{vocab}.ckpt");
        var options = new TrainOptions
        {
            Model = new GptConfig(2, 16, 2, seqLen, vocab), Batch = 4, Steps = 20, EvalInterval = 0, EvalSequences = 4, CheckpointPath = path,
        };
        using var trainer = new Trainer(options, SyntheticCorpus.Default);
        trainer.Run();
        return path;
    }

    [Fact]
    public void Distill_OracleJson_OneDocumentWithLossesFloorAndCompute()
    {
        // When
        var (code, output, err) = FitCli.Run(["distill", "--teacher", "oracle", "--temperature", "2", "--lambda", "0.5", "--json", .. Small]);

        // Then: the student's validation loss is above the exact floor of its windows; the oracle adds no compute.
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal("distill", root.GetProperty("command").GetString());
        Assert.True(root.GetProperty("validation_loss").GetDouble() > root.GetProperty("validation_floor").GetDouble());
        Assert.Equal(0, root.GetProperty("teacher_forward_flops").GetDouble());
        Assert.Equal(6.0 * new GptConfig(1, 16, 2, 16).NonEmbeddingParameterCount * 30 * 4 * 16, root.GetProperty("flops").GetDouble());
        Assert.Equal(2.0, root.GetProperty("temperature").GetDouble());
    }

    [Fact]
    public void Distill_CheckpointTeacher_CountsTeacherForwardAndReportsItsLoss()
    {
        // Given
        var teacher = Teacher();

        // When
        var (code, output, err) = FitCli.Run(["distill", "--teacher", teacher, "--json", .. Small]);

        // Then
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        var nT = new GptConfig(2, 16, 2, 16).NonEmbeddingParameterCount;
        Assert.Equal(2.0 * nT * 30 * 4 * 16, root.GetProperty("teacher_forward_flops").GetDouble());
        Assert.True(root.GetProperty("teacher_validation_loss").GetDouble() is > 0 and < 10);
    }

    [Theory]
    [InlineData("--temperature", "0", "--temperature")]
    [InlineData("--temperature", "-1", "--temperature")]
    [InlineData("--lambda", "1.5", "--lambda")]
    [InlineData("--lambda", "-0.1", "--lambda")]
    public void Distill_BadSetting_ExitTwoWithOneLine(string flag, string value, string expected)
    {
        // When
        var (code, _, err) = FitCli.Run(["distill", "--teacher", "oracle", flag, value, .. Small]);

        // Then
        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains(expected, err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Theory]
    [InlineData(32, 256, "context length")]
    [InlineData(16, 512, "vocabulary")]
    public void Distill_TeacherOfOtherShape_ExitTwoWithOneLine(int teacherSeq, int teacherVocab, string expected)
    {
        // Given: a teacher whose context or vocabulary differs from the student's (T = 16, V = 256)
        var teacher = Teacher(teacherSeq, teacherVocab);

        // When
        var (code, _, err) = FitCli.Run(["distill", "--teacher", teacher, .. Small]);

        // Then
        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains(expected, err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public void Distill_MissingTeacherRun_ExitTwoWithOneLineAndNoRegistryCreated()
    {
        // Given
        var registry = Path.Combine(_directory, "none.db");

        // When
        var (code, _, err) = FitCli.Run(["distill", "--teacher", "0123456789abcdef", "--registry", "sqlite:" + registry, .. Small]);

        // Then
        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains("0123456789abcdef", err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.False(File.Exists(registry));
    }

    [Fact]
    public void Distill_OracleOnTextCorpus_ExitTwoWithOneLine()
    {
        // Given
        var text = Path.Combine(_directory, "text.txt");
        File.WriteAllText(text, string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog. ", 200)));

        // When
        var (code, _, err) = FitCli.Run(["distill", "--teacher", "oracle", "--corpus", text, .. Small]);

        // Then
        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains("oracle", err);
    }

    [Fact]
    public void DistillStudy_TinySpec_ReadsBackCrossoversAndCapacityGap()
    {
        // Given: one student size, two budgets, two seeds, trained on samples and from the oracle.
        var spec = Path.Combine(_directory, "study.toml");
        File.WriteAllText(spec, """
            study = "tiny-distill"
            kind = "distill"
            [settings]
            teachers = ["none", "oracle"]
            student = { corpus = "synthetic", seq_len = 16, batch_size = 4, tokens = [640, 1280], seeds = [1, 2], eval_batches = 2, models = [{ layers = 1, d_model = 16, heads = 2 }] }
            """);
        var registry = "sqlite:" + Path.Combine(_directory, "study.db");

        // When
        var (code, output, err) = FitCli.Run("distill", "--study", "tiny-distill", "--spec", spec, "--registry", registry, "--json");

        // Then: 8 points, one crossover verdict per compute view, a capacity-gap row per teacher with the oracle's exact floor;
        // with one student size no law L(N, D) can be fitted, which the laws object says per teacher, and Busbridge's law is
        // not fitted, with the reason.
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal(8, root.GetProperty("points").GetArrayLength());
        Assert.Equal(3, root.GetProperty("crossovers").GetArrayLength());
        var gap = root.GetProperty("capacity_gap").EnumerateArray().ToList();
        Assert.Equal(2, gap.Count);
        Assert.True(gap.Single(g => g.GetProperty("teacher").GetString() == "oracle").GetProperty("teacher_loss").GetDouble() is > 1 and < 3);
        var laws = root.GetProperty("laws");
        Assert.Equal(0, laws.GetProperty("student_laws").GetArrayLength());
        var notFitted = laws.GetProperty("student_laws_not_fitted").EnumerateArray().ToList();
        Assert.Equal(["none", "oracle"], notFitted.Select(f => f.GetProperty("teacher").GetString()));
        Assert.All(notFitted, f => Assert.Contains("1 student size(s)", f.GetProperty("reason").GetString()));
        Assert.False(laws.GetProperty("busbridge").GetProperty("fitted").GetBoolean());
        Assert.Contains("not fitted", laws.GetProperty("busbridge").GetProperty("not_fitted").GetString());
        Assert.Equal(2, laws.GetProperty("law_backtests").GetArrayLength());
    }

    [Theory]
    [InlineData("--teacher", "oracle", "drop --teacher")]
    [InlineData("--registry", "sqlite:/nonexistent/none.db", "no registry")]
    [InlineData("--law-draws", "5", "at least 20")]
    public void DistillStudy_BadInput_ExitTwoWithOneLine(string flag, string value, string expected)
    {
        // When
        var (code, _, err) = FitCli.Run("distill", "--study", "s", flag, value);

        // Then
        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains(expected, err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public void Distill_LawDrawsWithoutStudy_ExitTwoWithOneLine()
    {
        // When
        var (code, _, err) = FitCli.Run(["distill", "--teacher", "oracle", "--law-draws", "100", .. Small]);

        // Then
        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains("--law-draws needs --study", err);
        Assert.Single(err.Trim().Split('\n'));
    }
}
