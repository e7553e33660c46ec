using System.Globalization;
using System.Text;
using System.Text.Json;
using ScaleLab.Cli;
using ScaleLab.Cli.Commands;
using ScaleLab.Engine;
using ScaleLab.Engine.Sae;
using ScaleLab.Engine.Training;

namespace ScaleLab.Cli.Tests;

public sealed class SaeCompareCommandTests : IDisposable
{
    private const int Width = 16;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("scalelab-saecmp-");

    public void Dispose() => _dir.Delete(true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    private string Corpus(string name = "text.txt", int seed = 5)
    {
        var path = PathOf(name);
        var words = new[] { "the", "quick", "brown", "fox", "sells", "sea", "shells", "by", "a", "lazy", "dog", "jumps", "over", "cat", "mat", "pack", "box" };
        var rng = new Random(seed);
        var b = new StringBuilder();
        while (b.Length < 20_000) b.Append(words[rng.Next(words.Length)]).Append(rng.Next(9) == 0 ? ".\n" : " ");
        File.WriteAllText(path, b.ToString());
        return path;
    }

    private string TrainTiny(string name, string corpus, int seed)
    {
        var path = PathOf(name);
        var (code, _, err) = FitCli.Run("train", "--corpus", corpus, "--layers", "1", "--d-model", Width.ToString(CultureInfo.InvariantCulture), "--heads", "2",
            "--seq", "16", "--batch", "4", "--eval-sequences", "4", "--steps", "3", "--seed", seed.ToString(CultureInfo.InvariantCulture), "--checkpoint", path);
        Assert.True(code == CliApp.ExitOk, err);
        return path;
    }

    /// <summary>A random tied TopK SAE (n latents, k = 4) on the checkpoint's <paramref name="site"/>, written to a file.</summary>
    private string RandomSae(string name, string checkpointPath, ActivationSite site, int n, ulong seed)
    {
        var checkpoint = Checkpoint.Load(checkpointPath);
        var config = new SaeConfig(SaeFamily.TopK, site.Width(checkpoint.Config), n, K: 4);
        using var sae = new SparseAutoencoder(config, 1);
        var rng = new Rng(seed);
        for (var i = 0; i < sae.DecoderWeight.Length; i++) sae.DecoderWeight[i] = (float)rng.NextGaussian();
        sae.DecoderWeight.CopyTo(sae.EncoderWeight);
        var path = PathOf(name);
        new SaeCheckpoint
        {
            Config = config, Options = new SaeTrainOptions(1, Seed: seed), ModelIdentity = ActivationFile.IdentityOf(checkpoint.Config, checkpoint.Parameters), Site = site,
            Step = 1, ElapsedSeconds = 0, Parameters = [.. sae.Parameters], M = new float[config.ParameterCount], V = new float[config.ParameterCount], TokensSinceFired = new long[n],
        }.Save(path);
        return path;
    }

    private static JsonElement Run(params string[] args)
    {
        var (code, output, err) = FitCli.Run(args);
        Assert.True(code == CliApp.ExitOk, err);
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    [Fact]
    public void Compare_SaeWithItself_SharesEverythingOnTheIdentity_AnotherSaeDoesNot()
    {
        // Given: one model, an SAE (n = 24) and an unrelated SAE of the same size on the same site
        var corpus = Corpus();
        var model = TrainTiny("a.ckpt", corpus, 1);
        var sae = RandomSae("a.slsa", model, ActivationSite.ResidualAfter(0), 24, 1);
        var other = RandomSae("o.slsa", model, ActivationSite.ResidualAfter(0), 24, 2);

        // When
        var self = Run("sae", "compare", "--sae-a", sae, "--checkpoint-a", model, "--sae-b", sae, "--checkpoint-b", model, "--corpus", corpus, "--windows", "16", "--label", "self", "--json");
        var control = Run("sae", "compare", "--sae-a", sae, "--checkpoint-a", model, "--sae-b", other, "--checkpoint-b", model, "--corpus", corpus, "--windows", "16", "--json");

        // Then: with itself every fired latent pairs with itself at r = 1, neurons too, decoder cosine 1 for all
        Assert.Equal("self", self.GetProperty("label").GetString());
        Assert.True(self.GetProperty("same_model").GetBoolean());
        Assert.Equal(256, self.GetProperty("tokens").GetInt32());
        var f = self.GetProperty("features_correlation");
        var fired = 24 - f.GetProperty("constant_a").GetInt32();
        Assert.True(fired >= 12, $"only {fired} latents fired");
        Assert.Equal(fired / 24.0, f.GetProperty("shared_fraction").GetDouble(), 9);
        Assert.Equal(1.0, f.GetProperty("shared_fraction_of_fired").GetDouble(), 9);
        foreach (var m in f.GetProperty("matches").EnumerateArray().Where(m => m.GetProperty("similarity").GetDouble() > 0))
        {
            Assert.Equal(m.GetProperty("a").GetInt32(), m.GetProperty("b").GetInt32());
        }
        Assert.Equal(1.0, self.GetProperty("neurons_correlation").GetProperty("shared_fraction").GetDouble());
        Assert.Equal(Width, self.GetProperty("neurons_correlation").GetProperty("units_a").GetInt32());
        Assert.Equal(1.0, self.GetProperty("features_decoder_cosine").GetProperty("shared_fraction").GetDouble());
        Assert.Contains("same decoder", self.GetProperty("decoder_cosine_note").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, control.GetProperty("decoder_cosine_note").ValueKind);
        // The control shares clearly less by both measures (the neurons, the same model, still all)
        Assert.True(control.GetProperty("features_correlation").GetProperty("shared_fraction").GetDouble() < fired / 24.0 - 0.2);
        Assert.True(control.GetProperty("features_decoder_cosine").GetProperty("shared_fraction").GetDouble() < 0.5);
        Assert.Equal(1.0, control.GetProperty("neurons_correlation").GetProperty("shared_fraction").GetDouble());
    }

    [Fact]
    public void CompareThenUniversality_TwoSeedsAndSizes_TableJsonAndFigure()
    {
        // Given: two models of width 16 (seeds 1, 2) on one corpus, MLP-hidden SAEs of n = 16 and 32 on each
        var corpus = Corpus();
        var a = TrainTiny("a.ckpt", corpus, 1);
        var b = TrainTiny("b.ckpt", corpus, 2);
        var results = new List<string>();
        foreach (var n in new[] { 16, 32 })
        {
            var sa = RandomSae($"a{n}.slsa", a, ActivationSite.MlpHidden(0), n, 3);
            var sb = RandomSae($"b{n}.slsa", b, ActivationSite.MlpHidden(0), n, 4);
            var (code, output, err) = FitCli.Run("sae", "compare", "--sae-a", sa, "--checkpoint-a", a, "--sae-b", sb, "--checkpoint-b", b, "--corpus", corpus,
                "--windows", "8", "--label", "seed", "--json");
            Assert.True(code == CliApp.ExitOk, err);
            var doc = JsonDocument.Parse(output).RootElement;
            Assert.Equal(n, doc.GetProperty("features_correlation").GetProperty("pairs").GetInt32());
            Assert.Equal(4 * Width, doc.GetProperty("neurons_correlation").GetProperty("pairs").GetInt32());
            Assert.NotEqual(JsonValueKind.Null, doc.GetProperty("features_decoder_cosine").ValueKind);
            Assert.Contains("basis", doc.GetProperty("decoder_cosine_note").GetString(), StringComparison.Ordinal);
            Assert.DoesNotContain("same decoder", doc.GetProperty("decoder_cosine_note").GetString(), StringComparison.Ordinal);
            results.Add(PathOf($"seed-{n}.json"));
            File.WriteAllText(results[^1], output);
        }
        var plot = PathOf("u.png");

        // When
        var u = Run(["sae", "universality", .. results, "--plot", plot, "--json"]);
        var (textCode, text, _) = FitCli.Run(["sae", "universality", .. results]);

        // Then: one point per n, in order, the figure written, the table printed
        var points = u.GetProperty("points").EnumerateArray().ToArray();
        Assert.Equal([16, 32], points.Select(p => p.GetProperty("latents").GetInt32()));
        Assert.All(points, p => Assert.Equal("seed", p.GetProperty("pair").GetString()));
        Assert.All(points, p => Assert.True(p.GetProperty("features_shared_of_fired").GetDouble() >= p.GetProperty("features_shared").GetDouble()));
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, File.ReadAllBytes(plot)[..4]);
        Assert.Equal(CliApp.ExitOk, textCode);
        Assert.Contains("features shared", text, StringComparison.Ordinal);

        // And: the same result twice, or a file that is not a compare document, is one line and exit 2, writing nothing
        var plot2 = PathOf("v.png");
        FitCli.AssertOneLineError(FitCli.Run("sae", "universality", results[0], results[0], "--plot", plot2), CliApp.ExitUsage, "two results for the seed pair");
        File.WriteAllText(PathOf("x.json"), "{\"command\": \"sae eval\"}");
        FitCli.AssertOneLineError(FitCli.Run("sae", "universality", PathOf("x.json"), "--plot", plot2), CliApp.ExitUsage, "not a sae compare --json document");
        Assert.False(File.Exists(plot2));
    }

    [Fact]
    public void Compare_BadInputs_ExitTwoOneLine()
    {
        var corpus = Corpus();
        var a = TrainTiny("a.ckpt", corpus, 1);
        var b = TrainTiny("b.ckpt", corpus, 2);
        var elsewhere = TrainTiny("c.ckpt", Corpus("other.txt", seed: 9), 1);
        var sa = RandomSae("a.slsa", a, ActivationSite.ResidualAfter(0), 8, 1);
        var sb = RandomSae("b.slsa", b, ActivationSite.ResidualAfter(0), 8, 2);
        var mlp = RandomSae("m.slsa", b, ActivationSite.MlpHidden(0), 8, 2);
        var sc = RandomSae("c.slsa", elsewhere, ActivationSite.ResidualAfter(0), 8, 2);
        string[] Args(string saeB, string checkpointB, params string[] extra) =>
            ["sae", "compare", "--sae-a", sa, "--checkpoint-a", a, "--sae-b", saeB, "--checkpoint-b", checkpointB, "--corpus", corpus, .. extra];
        FitCli.AssertOneLineError(FitCli.Run(Args(PathOf("none.slsa"), b)), CliApp.ExitUsage, "file not found");
        FitCli.AssertOneLineError(FitCli.Run(Args(sb, a)), CliApp.ExitUsage, "another model's activations");
        FitCli.AssertOneLineError(FitCli.Run(Args(mlp, b)), CliApp.ExitUsage, "different kinds of site");
        FitCli.AssertOneLineError(FitCli.Run(Args(sc, elsewhere)), CliApp.ExitUsage, "trained on different corpora");
        FitCli.AssertOneLineError(FitCli.Run(["sae", "compare", "--sae-a", sa, "--checkpoint-a", a, "--sae-b", sb, "--checkpoint-b", b, "--corpus", Corpus("third.txt", seed: 11)]),
            CliApp.ExitUsage, "is not the corpus the models were trained on");
        FitCli.AssertOneLineError(FitCli.Run(Args(sb, b, "--seq", "99")), CliApp.ExitUsage, "longer than the shorter model context");
        FitCli.AssertOneLineError(FitCli.Run(Args(sb, b, "--threshold", "1.5")), CliApp.ExitUsage, "--threshold must be a correlation");
        FitCli.AssertOneLineError(FitCli.Run(["sae", "compare", "--sae-a", sa, "--checkpoint-a", a, "--corpus", corpus]), CliApp.ExitUsage, "--sae-b FILE is required");
    }

    private static UnitMatching Shared(double fraction, int unitsA, int unitsB) =>
        new("activation correlation", unitsA, unitsB, Math.Min(unitsA, unitsB), 0.5, fraction, Math.Sqrt(fraction * (1 - fraction) / Math.Min(unitsA, unitsB)),
            fraction, 0, fraction, 0, 0, 0, 0, 0, 0, [], [], []);

    [Fact]
    public void Verdict_CallsADifferenceOnlyBeyondTwoStandardErrors_AndNamesUnequalPools()
    {
        // 0.60 vs 0.50 over 128 and 256 units: SE of the difference 0.054, so within 2 SE
        Assert.Contains("not distinguishable", SaeCompareCommand.Verdict(Shared(0.6, 128, 128), Shared(0.5, 256, 256)), StringComparison.Ordinal);
        // 0.90 vs 0.50: 0.40 ± 0.04 is beyond, and the sign is right both ways
        Assert.Contains("features more shared than neurons", SaeCompareCommand.Verdict(Shared(0.9, 128, 128), Shared(0.5, 256, 256)), StringComparison.Ordinal);
        Assert.Contains("features less shared than neurons", SaeCompareCommand.Verdict(Shared(0.1, 128, 128), Shared(0.5, 256, 256)), StringComparison.Ordinal);
        Assert.DoesNotContain("pools differ", SaeCompareCommand.Verdict(Shared(0.9, 128, 128), Shared(0.5, 256, 256)), StringComparison.Ordinal);
        Assert.Contains("pools differ", SaeCompareCommand.Verdict(Shared(0.9, 128, 128), Shared(0.5, 256, 128)), StringComparison.Ordinal);
    }
}
