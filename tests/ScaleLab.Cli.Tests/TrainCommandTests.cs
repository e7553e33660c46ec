using System.Text.Json;
using Microsoft.Data.Sqlite;
using ScaleLab.Cli;
using ScaleLab.Lab.Registry;
using Spectre.Console.Testing;

namespace ScaleLab.Cli.Tests;

public sealed class TrainCommandTests : IDisposable
{
    private static readonly string[] Tiny = ["train", "--layers", "1", "--d-model", "16", "--heads", "2", "--seq", "16", "--batch", "4", "--eval-sequences", "8"];
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("scalelab-train-cli-");

    public void Dispose() => _dir.Delete(true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var console = new TestConsole();
        var stderr = new StringWriter();
        var code = CliApp.Run(args, console, stderr);
        return (code, console.Output, stderr.ToString());
    }

    private static void AssertUsageError((int Code, string Out, string Err) result, string expected)
    {
        Assert.Equal(CliApp.ExitUsage, result.Code);
        var lines = result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0]);
    }

    [Fact]
    public void Train_TinyRunWithJson_WritesOneSummaryDocument()
    {
        // Given / When
        var (code, output, _) = Run([.. Tiny, "--steps", "30", "--json"]);

        // Then
        Assert.Equal(CliApp.ExitOk, code);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal("train", root.GetProperty("command").GetString());
        Assert.Equal(30, root.GetProperty("steps").GetInt64());
        Assert.Equal(30 * 4 * 16, root.GetProperty("tokens").GetInt64());
        var loss = root.GetProperty("final_validation_loss").GetDouble();
        Assert.InRange(loss, 1.0, Math.Log(256) + 0.5);
        Assert.InRange(root.GetProperty("entropy_rate").GetDouble(), 0.5, Math.Log(16));
        Assert.Equal(loss - root.GetProperty("validation_floor").GetDouble(), root.GetProperty("gap_to_validation_floor").GetDouble(), 1e-12);
        var n = root.GetProperty("non_embedding_parameters").GetInt64();
        Assert.Equal(6.0 * n * 30 * 4 * 16, root.GetProperty("flops_6nd_non_embedding").GetDouble());
        Assert.True(root.GetProperty("flops_6nd_total").GetDouble() > root.GetProperty("flops_6nd_non_embedding").GetDouble());
    }

    [Fact]
    public void Train_SgdWithMomentum_JsonSaysSoAndResumeKeepsIt()
    {
        // Given a 40-step SGD run (momentum 0.8, no weight decay) with a checkpoint
        var ckpt = Path.Combine(_dir.FullName, "sgd.ckpt");
        var (code, output, _) = Run([.. Tiny, "--steps", "40", "--optimizer", "sgd", "--momentum", "0.8", "--lr", "0.3",
            "--weight-decay", "0", "--checkpoint", ckpt, "--json"]);
        Assert.Equal(CliApp.ExitOk, code);
        using var first = JsonDocument.Parse(output);

        // When it is resumed to 50 steps without optimizer flags, and once more asking for AdamW
        var (resumedCode, resumedOutput, _) = Run("train", "--resume", ckpt, "--steps", "50", "--json");
        var switched = Run("train", "--resume", ckpt, "--steps", "60", "--optimizer", "adamw");

        // Then: the documents name SGD and its momentum; the loss fell from ln 256; switching optimizer is refused
        Assert.Equal("sgd", first.RootElement.GetProperty("optimizer").GetString());
        Assert.Equal(0.8, first.RootElement.GetProperty("momentum").GetDouble());
        Assert.True(first.RootElement.GetProperty("final_validation_loss").GetDouble() < Math.Log(256) - 1);
        Assert.Equal(CliApp.ExitOk, resumedCode);
        using var resumed = JsonDocument.Parse(resumedOutput);
        Assert.Equal("sgd", resumed.RootElement.GetProperty("optimizer").GetString());
        Assert.Equal(0.8, resumed.RootElement.GetProperty("momentum").GetDouble());
        AssertUsageError(switched, "resume with the same optimizer");
    }

    [Fact]
    public void Train_ConstantRate_NoWarmupAndTheFinalRateIsThePeak()
    {
        // Given / When
        var (code, output, _) = Run([.. Tiny, "--steps", "5", "--lr-schedule", "constant", "--lr", "0.01", "--json"]);

        // Then
        Assert.Equal(CliApp.ExitOk, code);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(0, doc.RootElement.GetProperty("warmup_steps").GetInt32());
        Assert.Equal(1.0, doc.RootElement.GetProperty("min_lr_fraction").GetDouble());
        Assert.Equal(0.01, doc.RootElement.GetProperty("learning_rate").GetDouble());
    }

    [Fact]
    public void Train_AdamWByDefault_JsonSaysAdamWWithoutMomentum()
    {
        // Given / When
        var (code, output, _) = Run([.. Tiny, "--steps", "2", "--json"]);

        // Then
        Assert.Equal(CliApp.ExitOk, code);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal("adamw", doc.RootElement.GetProperty("optimizer").GetString());
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("momentum").ValueKind);
    }

    [Theory]
    [InlineData("--optimizer", "rmsprop", null, null, "--optimizer must be adamw or sgd")]
    [InlineData("--optimizer", "sgd", "--momentum", "1", "--momentum must be in [0, 1)")]
    [InlineData("--optimizer", "sgd", "--momentum", "-0.5", "--momentum must be in [0, 1)")]
    [InlineData("--momentum", "0.9", null, null, "--momentum is SGD's")]
    [InlineData("--optimizer", "sgd", "--weight-decay", "-1", "--weight-decay must be 0 or more")]
    [InlineData("--lr-schedule", "linear", null, null, "--lr-schedule must be cosine or constant")]
    [InlineData("--lr-schedule", "constant", "--warmup", "3", "drop --warmup and --min-lr-fraction")]
    public void Train_BadOptimizerSettings_ExitTwoWithOneLine(string flag, string value, string? flag2, string? value2, string expected)
    {
        string[] extra = flag2 is null ? [flag, value] : [flag, value, flag2, value2!];
        AssertUsageError(Run([.. Tiny, "--steps", "1", .. extra]), expected);
    }

    [Fact]
    public void Train_HeadsNotDividingWidth_ExitsTwoWithOneLine() =>
        AssertUsageError(Run("train", "--d-model", "30", "--heads", "4", "--steps", "1"), "heads (4) must divide d_model (30)");

    [Fact]
    public void Train_ResumeMissingCheckpoint_ExitsTwoWithOneLineAndWritesNothing()
    {
        var missing = Path.Combine(_dir.FullName, "missing.ckpt");
        AssertUsageError(Run("train", "--resume", missing), "missing.ckpt");
        Assert.False(File.Exists(missing));
    }

    [Fact]
    public void Train_GnsWithoutMicroBatches_ExitsTwoWithOneLine() =>
        AssertUsageError(Run("train", "--gns", "--steps", "1"), "--gns needs --micro-batches");

    [Fact]
    public void Train_Gns_ReportsPositiveBSimpleAtEveryEvaluation()
    {
        // Given: a tiny model, 4 micro-batches of 4 sequences, an evaluation every 20 steps.
        var (code, output, _) = Run("train", "--layers", "1", "--d-model", "16", "--heads", "2", "--seq", "16", "--batch", "16",
            "--micro-batches", "4", "--steps", "60", "--eval-interval", "20", "--eval-sequences", "8", "--gns", "--json");

        // Then: one B_simple per evaluation, finite and positive (the ratio of EMAs of tr(Sigma) and |G|^2).
        Assert.Equal(CliApp.ExitOk, code);
        using var doc = System.Text.Json.JsonDocument.Parse(output);
        var gns = doc.RootElement.GetProperty("gns").EnumerateArray().ToList();
        Assert.Equal([20L, 40L, 60L], gns.Select(g => g.GetProperty("step").GetInt64()));
        Assert.All(gns, g => Assert.True(g.GetProperty("b_simple").GetDouble() is > 0 and < 1e6));
        Assert.All(gns, g => Assert.Equal(g.GetProperty("b_simple").GetDouble() * 16, g.GetProperty("b_simple_tokens").GetDouble(), 1e-9));
    }

    [Fact]
    public void Train_ZeroSize_ExitsTwoWithOneLine() =>
        AssertUsageError(Run("train", "--layers", "0"), "--layers must be positive");

    [Fact]
    public void Train_MissingCorpusFile_ExitsTwoWithOneLine() =>
        AssertUsageError(Run("train", "--corpus", Path.Combine(_dir.FullName, "missing.txt")), "missing.txt");

    [Fact]
    public void Train_SeqLongerThanTheData_ExitsTwoWithOneLine()
    {
        // Given a 500-byte file: its validation tenth holds 50 bytes
        var file = Path.Combine(_dir.FullName, "short.txt");
        File.WriteAllText(file, new string('x', 500));

        // When / Then
        AssertUsageError(Run([.. Tiny, "--corpus", file, "--seq", "64", "--steps", "1"]), "too short for seq len 64");
    }

    [Fact]
    public void Train_ResumeCheckpointWithOtherConfigOrDamage_ExitsTwoWithOneLine()
    {
        // Given a checkpoint of a d_model = 16 run
        var ckpt = Path.Combine(_dir.FullName, "run.ckpt");
        Assert.Equal(CliApp.ExitOk, Run([.. Tiny, "--steps", "5", "--checkpoint", ckpt, "--json"]).Code);

        // When resumed with another width, and after a byte of it is flipped
        var wider = Run("train", "--resume", ckpt, "--d-model", "32", "--steps", "10");
        var bytes = File.ReadAllBytes(ckpt);
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(ckpt, bytes);
        var damaged = Run("train", "--resume", ckpt, "--steps", "10");

        // Then
        AssertUsageError(wider, "d_model=32");
        AssertUsageError(damaged, "checksum");
    }

    [Fact]
    public void Train_Resume_ContinuesToTheNewStepCount()
    {
        // Given a 10-step run with a checkpoint
        var ckpt = Path.Combine(_dir.FullName, "run.ckpt");
        Assert.Equal(CliApp.ExitOk, Run([.. Tiny, "--steps", "10", "--checkpoint", ckpt, "--json"]).Code);

        // When it is resumed to 20 steps
        var (code, output, _) = Run("train", "--resume", ckpt, "--steps", "20", "--json");

        // Then
        Assert.Equal(CliApp.ExitOk, code);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(20, doc.RootElement.GetProperty("steps").GetInt64());
        Assert.Equal(ckpt, doc.RootElement.GetProperty("checkpoint").GetString());
    }

    [Fact]
    public void Train_StepsAndTokensTogether_ExitsTwo() =>
        AssertUsageError(Run("train", "--steps", "10", "--tokens", "1000"), "not both");

    [Fact]
    public void Train_WithRegistry_SameLossAsPlainRunRecordedAndRerunTrainsNothing()
    {
        // Given: the same run (with the gradient noise scale) without and with a registry
        string[] run = [.. Tiny, "--micro-batches", "2", "--gns", "--steps", "20", "--eval-interval", "10", "--json"];
        var registry = "sqlite:" + Path.Combine(_dir.FullName, "r.db");

        // When
        var plain = Run(run);
        var recorded = Run([.. run, "--registry", registry, "--study", "solo"]);
        var again = Run([.. run, "--registry", registry, "--study", "solo"]);

        // Then: the registry path trains bit for bit the same run, logs every step with B_simple, and a re-run finds it done
        Assert.True(plain.Code == 0, plain.Err);
        Assert.True(recorded.Code == 0, recorded.Err);
        using var plainDoc = JsonDocument.Parse(plain.Out);
        using var recordedDoc = JsonDocument.Parse(recorded.Out);
        Assert.Equal(plainDoc.RootElement.GetProperty("final_validation_loss").GetDouble(),
            recordedDoc.RootElement.GetProperty("final_validation_loss").GetDouble());
        Assert.Equal("done", recordedDoc.RootElement.GetProperty("status").GetString());
        var key = recordedDoc.RootElement.GetProperty("run").GetString()!;
        using (var store = RunStores.Open(registry))
        {
            var metrics = store.ReadMetrics(key);
            Assert.Equal(20, metrics.Count);
            Assert.All(metrics, m => Assert.True(m.BSimple is > 0 || m.Step < 2, $"step {m.Step}: B_simple {m.BSimple}"));
            Assert.Equal("solo", Assert.Single(store.ListRuns("solo")).Study);
        }
        Assert.True(again.Code == 0, again.Err);
        using var againDoc = JsonDocument.Parse(again.Out);
        Assert.Equal(key, againDoc.RootElement.GetProperty("run").GetString());
        Assert.Equal(recordedDoc.RootElement.GetProperty("final_loss").GetDouble(), againDoc.RootElement.GetProperty("final_loss").GetDouble());
        SqliteConnection.ClearAllPools();
    }

    [Fact]
    public void Train_RegistryWithResumeOrStudyAlone_UsageErrors()
    {
        AssertUsageError(Run([.. Tiny, "--registry", "sqlite:x.db", "--resume", "a.ckpt"]), "drop --resume and --checkpoint");
        AssertUsageError(Run([.. Tiny, "--study", "s"]), "--study needs --registry");
    }
}
