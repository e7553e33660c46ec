using System.Globalization;
using System.Text.Json;
using ScaleLab.Cli;

namespace ScaleLab.Cli.Tests;

public sealed class SaeCommandTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("scalelab-sae-");

    public void Dispose() => _dir.Delete(true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    /// <summary>A briefly trained tiny model (1 block, width 16, context 16).</summary>
    private string TrainTiny(string name = "tiny.ckpt", int seed = 1)
    {
        var path = PathOf(name);
        var (code, _, err) = FitCli.Run("train", "--layers", "1", "--d-model", "16", "--heads", "2", "--seq", "16", "--batch", "4",
            "--eval-sequences", "4", "--steps", "10", "--seed", seed.ToString(CultureInfo.InvariantCulture), "--checkpoint", path);
        Assert.True(code == CliApp.ExitOk, err);
        return path;
    }

    private string Capture(string checkpoint, string name = "acts.slac")
    {
        var (code, _, err) = FitCli.Run("sae", "capture", "--checkpoint", checkpoint, "--site", "h.0.mlp.hidden", "--windows", "40", "--out", PathOf(name));
        Assert.True(code == CliApp.ExitOk, err);
        return PathOf(name);
    }

    private string TrainSae(string activations, string name = "sae.slsa", string steps = "30")
    {
        var (code, _, err) = FitCli.Run("sae", "train", "--activations", activations, "--latents", "96", "--k", "8", "--steps", steps, "--batch", "64", "--out", PathOf(name));
        Assert.True(code == CliApp.ExitOk, err);
        return PathOf(name);
    }

    [Fact]
    public void CaptureTrainEval_Json_NamesTheMetricsWithValuesInRange()
    {
        // Given
        var checkpoint = TrainTiny();
        var sae = TrainSae(Capture(checkpoint));

        // When
        var (code, output, err) = FitCli.Run("sae", "eval", "--sae", sae, "--checkpoint", checkpoint, "--windows", "8", "--json");

        // Then
        Assert.True(code == CliApp.ExitOk, err);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal(128, root.GetProperty("tokens").GetInt64());
        var fvu = root.GetProperty("fvu").GetDouble();
        Assert.InRange(fvu, 0.0, 1.0);
        Assert.Equal(1 - fvu, root.GetProperty("explained_variance").GetDouble(), 12);
        Assert.InRange(root.GetProperty("l0").GetDouble(), 0.0, 8.0);
        Assert.InRange(root.GetProperty("dead_fraction").GetDouble(), 0.0, 1.0);
        var recovered = root.GetProperty("loss_recovered").GetDouble();
        Assert.True(double.IsFinite(recovered));
        Assert.Equal("zero", root.GetProperty("loss_recovered_ablation").GetString());
        Assert.True(root.GetProperty("kl_to_clean").GetDouble() >= 0);
        Assert.Contains("sae eval:", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_RerunWithSameSettings_ResumesFinishedFileWithoutRetraining()
    {
        // Given
        var activations = Capture(TrainTiny());
        var sae = TrainSae(activations);
        var first = File.ReadAllBytes(sae);

        // When: a second run with the same settings finds the finished file
        var (code, output, err) = FitCli.Run("sae", "train", "--activations", activations, "--latents", "96", "--k", "8", "--steps", "30", "--batch", "64", "--out", sae, "--json");

        // Then
        Assert.True(code == CliApp.ExitOk, err);
        Assert.Contains("resumed at step 30", err, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(30, doc.RootElement.GetProperty("steps").GetInt64());
        Assert.Equal(first.Length, File.ReadAllBytes(sae).Length);
    }

    [Fact]
    public void Train_OutHeldByAnotherTrainingProcess_ExitsTwoAndLeavesTheSaeAlone()
    {
        // Given: a trained SAE whose lock is held, as a still-exiting `sae train` into the same --out holds it.
        var activations = Capture(TrainTiny());
        var sae = PathOf("held.slsa");
        var first = FitCli.Run("sae", "train", "--activations", activations, "--latents", "64", "--k", "8", "--steps", "5", "--batch", "32", "--out", sae);
        Assert.True(first.Code == CliApp.ExitOk, first.Err);
        var before = File.ReadAllBytes(sae);
        using (new FileStream(CheckpointLock.PathOf(sae), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            // When: a second run into it (it would resume from it and overwrite it).
            var (code, _, err) = FitCli.Run("sae", "train", "--activations", activations, "--latents", "64", "--k", "8", "--steps", "10", "--batch", "32", "--out", sae);

            // Then
            Assert.Equal(CliApp.ExitUsage, code);
            Assert.Single(err.Trim().Split('\n'));
            Assert.Contains("is in use: another scalelab process is training into it", err, StringComparison.Ordinal);
            Assert.Equal(before, File.ReadAllBytes(sae));
        }
    }

    [Fact]
    public void Train_DefaultHoldout_HeldOutFvuReportedBesideTheTrainingRows()
    {
        // Given: 40 windows × 16 tokens = 640 activation rows.
        var activations = Capture(TrainTiny());

        // When: the defaults, and --lr given with nothing held out.
        var (code, output, err) = FitCli.Run("sae", "train", "--activations", activations, "--latents", "128", "--k", "8", "--steps", "5", "--batch", "32", "--out", PathOf("a.slsa"), "--json");
        var (code2, output2, err2) = FitCli.Run("sae", "train", "--activations", activations, "--latents", "128", "--k", "8", "--steps", "5", "--batch", "32", "--lr", "3e-3", "--holdout", "0", "--aux-coefficient", "0.25", "--resample-every", "2", "--out", PathOf("b.slsa"), "--json");
        var (code3, output3, err3) = FitCli.Run("sae", "train", "--activations", activations, "--latents", "128", "--k", "8", "--steps", "5", "--aux-coefficient", "-1", "--out", PathOf("c.slsa"));

        // Then: rate 1e-3, AuxK α 1/32 and no resampling for TopK; the last 10% (64 rows) held out and its FVU reported
        // beside the 576 training rows'; with --holdout 0 no held-out figures and all 640 rows trained on; a given rate,
        // α and resampling interval are used as given; a negative α exits 2 in one line and writes nothing.
        Assert.True(code == CliApp.ExitOk, err);
        Assert.True(code2 == CliApp.ExitOk, err2);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(1e-3, doc.RootElement.GetProperty("lr").GetDouble(), 12);
        Assert.Equal(64, doc.RootElement.GetProperty("held_out").GetProperty("tokens").GetInt64());
        Assert.InRange(doc.RootElement.GetProperty("held_out").GetProperty("fvu").GetDouble(), 0.0, 2.0);
        Assert.Equal(576, doc.RootElement.GetProperty("training_set").GetProperty("tokens").GetInt64());
        using var doc2 = JsonDocument.Parse(output2);
        Assert.Equal(3e-3, doc2.RootElement.GetProperty("lr").GetDouble(), 12);
        Assert.Equal(JsonValueKind.Null, doc2.RootElement.GetProperty("held_out").ValueKind);
        Assert.Equal(640, doc2.RootElement.GetProperty("training_set").GetProperty("tokens").GetInt64());
        Assert.Equal(1.0 / 32, doc.RootElement.GetProperty("aux_coefficient").GetDouble(), 12);
        Assert.Equal(0, doc.RootElement.GetProperty("resample_every").GetInt32());
        Assert.Equal(0.25, doc2.RootElement.GetProperty("aux_coefficient").GetDouble(), 12);
        Assert.Equal(2, doc2.RootElement.GetProperty("resample_every").GetInt32());
        Assert.Equal(2, code3);
        Assert.Contains("--aux-coefficient", err3, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', err3.TrimEnd());
        Assert.False(File.Exists(PathOf("c.slsa")));
    }

    [Theory]
    [InlineData("--plot", "fig.pdf", "--plot must end in .png or .svg")]
    [InlineData("--bootstrap", "-1", "--bootstrap")]
    public void Scaling_BadOption_ExitsTwoInOneLine(string option, string value, string expected)
    {
        var (code, _, err) = FitCli.Run("sae", "scaling", "--study", "x", "--registry", "sqlite:" + PathOf("none.db"), option, value);
        Assert.Equal(2, code);
        Assert.Contains(expected, err, StringComparison.Ordinal);
        Assert.False(File.Exists(PathOf("none.db")));
    }

    [Fact]
    public void Capture_SiteNotInModel_ExitsTwoAndWritesNothing()
    {
        var checkpoint = TrainTiny();
        var result = FitCli.Run("sae", "capture", "--checkpoint", checkpoint, "--site", "h.3.resid_post", "--out", PathOf("x.slac"));
        FitCli.AssertOneLineError(result, CliApp.ExitUsage, "the model has blocks 0..0");
        Assert.False(File.Exists(PathOf("x.slac")));
    }

    [Fact]
    public void Capture_MalformedSite_ExitsTwo()
    {
        var checkpoint = TrainTiny();
        FitCli.AssertOneLineError(FitCli.Run("sae", "capture", "--checkpoint", checkpoint, "--site", "layer0", "--out", PathOf("x.slac")),
            CliApp.ExitUsage, "is not a site name");
    }

    [Fact]
    public void Train_KLargerThanLatents_ExitsTwoAndLeavesOutputAlone()
    {
        // Given: an existing SAE file that a refused run must not touch
        var activations = Capture(TrainTiny());
        var sae = TrainSae(activations);
        var before = File.ReadAllBytes(sae);

        // When
        var result = FitCli.Run("sae", "train", "--activations", activations, "--latents", "16", "--k", "32", "--out", sae);

        // Then
        FitCli.AssertOneLineError(result, CliApp.ExitUsage, "--k 32 is larger than --latents 16");
        Assert.Equal(before, File.ReadAllBytes(sae));
    }

    [Fact]
    public void Train_OtherSettingsOnExistingOut_ExitsTwoAndLeavesItAlone()
    {
        var activations = Capture(TrainTiny());
        var sae = TrainSae(activations);
        var before = File.ReadAllBytes(sae);
        var result = FitCli.Run("sae", "train", "--activations", activations, "--latents", "64", "--k", "8", "--steps", "30", "--batch", "64", "--out", sae);
        FitCli.AssertOneLineError(result, CliApp.ExitUsage, "holds another SAE");
        Assert.Equal(before, File.ReadAllBytes(sae));
    }

    [Fact]
    public void Train_CorruptActivationFile_ExitsTwo()
    {
        var activations = Capture(TrainTiny());
        var bytes = File.ReadAllBytes(activations);
        bytes[bytes.Length / 2] ^= 1;
        File.WriteAllBytes(activations, bytes);
        FitCli.AssertOneLineError(FitCli.Run("sae", "train", "--activations", activations, "--out", PathOf("s.slsa")), CliApp.ExitUsage, "checksum");
        Assert.False(File.Exists(PathOf("s.slsa")));
    }

    [Fact]
    public void Eval_SaeOfAnotherModel_ExitsTwo()
    {
        // Given: an SAE trained on model A's activations, evaluated against model B (same shape, another seed)
        var sae = TrainSae(Capture(TrainTiny()));
        var other = TrainTiny("other.ckpt", seed: 2);

        // When / Then
        FitCli.AssertOneLineError(FitCli.Run("sae", "eval", "--sae", sae, "--checkpoint", other), CliApp.ExitUsage, "another model");
    }

    [Fact]
    public void Train_UnknownOption_ExitsTwoWithSuggestion() =>
        FitCli.AssertOneLineError(FitCli.Run("sae", "train", "--latens", "8"), CliApp.ExitUsage, "did you mean --latents?");
}
