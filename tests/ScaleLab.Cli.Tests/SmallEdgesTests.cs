using System.Diagnostics;
using ScaleLab.Cli;
using ScaleLab.Engine;
using ScaleLab.Engine.Training;

namespace ScaleLab.Cli.Tests;

/// <summary>The small edges of issue 11: each is one line on stderr and exit 2, with no .NET text in it.</summary>
public sealed class SmallEdgesTests : IDisposable
{
    private static readonly string[] Tiny = ["--layers", "1", "--d-model", "16", "--heads", "2", "--seq", "16", "--batch", "4", "--eval-sequences", "4"];
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("scalelab-edges-");

    public void Dispose() => _dir.Delete(true);

    private string Path(string name) => System.IO.Path.Combine(_dir.FullName, name);

    private string TrainTiny(int steps)
    {
        var path = Path("tiny.ckpt");
        var (code, _, err) = FitCli.Run(["train", .. Tiny, "--steps", steps.ToString(System.Globalization.CultureInfo.InvariantCulture), "--checkpoint", path]);
        Assert.True(code == CliApp.ExitOk, err);
        return path;
    }

    [Fact]
    public void Sample_CheckpointHeaderDisagreesWithItsWeights_ExitsTwoNamingBoth()
    {
        // Given: a well-formed, checksummed checkpoint whose header says d_model 32 over the weights of d_model 16.
        var good = Checkpoint.Load(TrainTiny(3));
        var liar = new Checkpoint
        {
            Config = good.Config with { DModel = 32 },
            Options = good.Options,
            CorpusFingerprint = good.CorpusFingerprint,
            Step = good.Step,
            Tokens = good.Tokens,
            ElapsedSeconds = good.ElapsedSeconds,
            RngState = good.RngState,
            Data = good.Data,
            OptimizerStep = good.OptimizerStep,
            Parameters = good.Parameters,
            M = good.M,
            V = good.V,
        };
        var path = Path("liar.ckpt");
        liar.Save(path);

        // When / Then: every reader refuses it.
        FitCli.AssertOneLineError(FitCli.Run("sample", "--checkpoint", path, "--tokens", "5"), CliApp.ExitUsage, $"holds {good.Parameters.Length}");
        FitCli.AssertOneLineError(FitCli.Run("eval", "--checkpoint", path, "--text", "abc"), CliApp.ExitUsage, $"holds {good.Parameters.Length}");
        FitCli.AssertOneLineError(FitCli.Run("train", "--resume", path, "--steps", "9"), CliApp.ExitUsage, $"holds {good.Parameters.Length}");
    }

    [Fact]
    public void Train_ResumeOfAFinishedRunWithJson_ExitsTwoSayingHowToContinue()
    {
        var path = TrainTiny(5);
        var result = FitCli.Run("train", "--resume", path, "--json");
        FitCli.AssertOneLineError(result, CliApp.ExitUsage, "is already at step 5 of 5; give --steps N (more than 5)");
        Assert.Equal("", result.Out);
    }

    [Fact]
    public void Train_CheckpointHeldByAnotherTrainingProcess_ExitsTwoAndLeavesTheCheckpointAlone()
    {
        // Given: a checkpoint whose lock is held, as a still-running (or still-exiting) training process holds it.
        var path = TrainTiny(3);
        var before = File.ReadAllBytes(path);
        using (var held = new FileStream(CheckpointLock.PathOf(path), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            // When / Then: neither a resume nor a fresh run into it starts, and the checkpoint is untouched.
            FitCli.AssertOneLineError(FitCli.Run("train", "--resume", path, "--steps", "6"), CliApp.ExitUsage, "is in use: another scalelab process is training into it");
            FitCli.AssertOneLineError(FitCli.Run(["train", .. Tiny, "--steps", "2", "--checkpoint", path]), CliApp.ExitUsage, "is in use");
            Assert.Equal(before, File.ReadAllBytes(path));
        }

        // And once the holder has gone, the same resume runs (the empty lock file it left behind does not block it).
        var (code, _, err) = FitCli.Run("train", "--resume", path, "--steps", "6");
        Assert.True(code == CliApp.ExitOk, err);
        Assert.Equal(6L, Checkpoint.Load(path).Step);
        Assert.False(File.Exists(CheckpointLock.PathOf(path)), "a finished run removes its lock file");
    }

    [Fact]
    public void Train_ResumeWithMoreSteps_SaysTheScheduleIsReStretched()
    {
        // Given: a 5-step run, resumed to 8 steps (a cosine schedule over 8, not the 5 it started on).
        var path = TrainTiny(5);

        // When: the real program, whose notes go to stderr.
        var (code, _, err) = CliProcess.Run(["train", "--resume", path, "--steps", "8", "--json"]);

        // Then
        Assert.Equal(CliApp.ExitOk, code);
        Assert.Contains("note: the learning-rate schedule is re-stretched from 5 to 8 steps", err);
        var unchanged = CliProcess.Run(["train", "--resume", path, "--steps", "8", "--json"]);
        Assert.Equal(CliApp.ExitUsage, unchanged.Code);
        Assert.DoesNotContain("re-stretched", unchanged.Err);
    }

    [Fact]
    public void Train_WarmupLongerThanTheRun_ExitsTwo() =>
        FitCli.AssertOneLineError(FitCli.Run(["train", .. Tiny, "--steps", "10", "--warmup", "50"]), CliApp.ExitUsage,
            "--warmup 50 is longer than the run (10 steps)");

    [Theory]
    [InlineData(new[] { "fit", "x.csv", "--law", "powerlaw", "--seed", "-5" }, "--seed: '-5' is not a whole number 0 or more")]
    [InlineData(new[] { "sweep", "x.toml", "--workers", "abc" }, "--workers: 'abc' is not a whole number")]
    [InlineData(new[] { "fit", "x.csv", "--law", "powerlaw", "--delta=big" }, "--delta: 'big' is not a number")]
    public void Run_BadOptionValue_NamesTheOptionWithoutDotNetTypeNames(string[] args, string expected)
    {
        var result = FitCli.Run(args);
        FitCli.AssertOneLineError(result, CliApp.ExitUsage, expected);
        Assert.DoesNotContain("Int", result.Err);
        Assert.DoesNotContain("Nullable", result.Err);
    }

    [Fact]
    public void Plan_TruncatedJson_LineAndColumnWithoutDotNetFieldNames()
    {
        var fit = FitCli.Write(_dir.FullName, "bad.json", "{\"a\":\n");
        var result = FitCli.Run("plan", fit, "--compute", "1e20");
        FitCli.AssertOneLineError(result, CliApp.ExitUsage, "at line 2, column 1");
        Assert.DoesNotContain("BytePositionInLine", result.Err);
        Assert.DoesNotContain("LineNumber", result.Err);
    }

    [Fact]
    public void Fit_DataIsAFolder_ExitsTwoSayingSo()
    {
        var folder = Directory.CreateDirectory(Path("data.csv")).FullName;
        FitCli.AssertOneLineError(FitCli.Run("fit", folder, "--law", "powerlaw"), CliApp.ExitUsage, "is a folder");
        FitCli.AssertOneLineError(FitCli.Run("sweep", folder), CliApp.ExitUsage, "is a folder");
    }

    [Fact]
    public void Fit_DataIsAFifo_ExitsTwoAtOnceInsteadOfWaitingForAWriter()
    {
        // Given
        var fifo = Path("data.csv");
        using (var mkfifo = Process.Start("mkfifo", [fifo])!)
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        // When: in a child process with a time limit, since on today's main it blocks forever.
        var (code, _, err) = CliProcess.Run(["fit", fifo, "--law", "powerlaw"], timeout: TimeSpan.FromSeconds(60));

        // Then
        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains("is not a regular file", Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public void Fit_SemicolonSeparatedCsv_SuggestsTheDelimiter()
    {
        var csv = FitCli.Write(_dir.FullName, "semi.csv", "C;loss\n1e17;3,1\n1e18;2,9\n1e19;2,7\n");
        FitCli.AssertOneLineError(FitCli.Run("fit", csv, "--law", "powerlaw"), CliApp.ExitUsage, "the header has ';' between names and no ','");
    }
}
