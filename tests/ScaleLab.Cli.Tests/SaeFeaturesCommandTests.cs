using System.Globalization;
using System.Text;
using System.Text.Json;
using ScaleLab.Cli;
using ScaleLab.Engine;
using ScaleLab.Engine.Sae;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Execution;

namespace ScaleLab.Cli.Tests;

public sealed class SaeFeaturesCommandTests : IDisposable
{
    private const int Width = 16, Seq = 16;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("scalelab-saefeat-");

    public void Dispose() => _dir.Delete(true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    private string Corpus()
    {
        var path = PathOf("text.txt");
        var words = new[] { "the", "quick", "brown", "fox", "sells", "sea", "shells", "by", "a", "lazy", "dog", "jumps", "over", "cat", "mat", "pack", "box" };
        var rng = new Random(5);
        var b = new StringBuilder();
        while (b.Length < 20_000) b.Append(words[rng.Next(words.Length)]).Append(rng.Next(9) == 0 ? ".\n" : " ");
        File.WriteAllText(path, b.ToString());
        return path;
    }

    private string TrainTiny(string name, int seed = 1)
    {
        var path = PathOf(name);
        var (code, _, err) = FitCli.Run("train", "--layers", "1", "--d-model", "16", "--heads", "2", "--seq", "16", "--batch", "4",
            "--eval-sequences", "4", "--steps", "3", "--seed", seed.ToString(CultureInfo.InvariantCulture), "--checkpoint", path);
        Assert.True(code == CliApp.ExitOk, err);
        return path;
    }

    /// <summary>A checkpoint whose residual stream after block 0 is exactly the token's embedding (every projection, bias
    /// and position embedding zero; LayerNorm gains 1) with channel 0 equal to 4 for 'e', 2 for 't', 0 for other bytes;
    /// and an SAE (TopK, n = 4, k = 2) whose latent 0 reads channel 0 with bias −1 (code 3 on 'e', 1 on 't', nothing
    /// elsewhere) while latents 1-3 never fire.</summary>
    private (string Checkpoint, string Sae) Planted()
    {
        var trained = Checkpoint.Load(TrainTiny("base.ckpt"));
        using var layout = new Gpt(trained.Config, 1);
        var p = new float[trained.Parameters.Length];
        foreach (var t in layout.Layout.Where(t => t.Name.Contains("ln_", StringComparison.Ordinal) && t.Name.EndsWith(".weight", StringComparison.Ordinal)))
        {
            p.AsSpan(t.Offset, t.Length).Fill(1);
        }
        var wte = layout.Layout.Single(t => t.Name == "wte").Offset;
        var rng = new Rng(31);
        for (var v = 0; v < 256; v++)
        {
            for (var c = 1; c < Width; c++) p[wte + v * Width + c] = (float)(0.5 * rng.NextGaussian());
        }
        p[wte + 'e' * Width] = 4;
        p[wte + 't' * Width] = 2;
        var planted = new Checkpoint
        {
            Config = trained.Config, Options = trained.Options, CorpusFingerprint = trained.CorpusFingerprint, Step = trained.Step, Tokens = trained.Tokens,
            ElapsedSeconds = 0, RngState = trained.RngState, Data = trained.Data, OptimizerStep = trained.OptimizerStep, Parameters = p, M = trained.M, V = trained.V,
        };
        var checkpoint = PathOf("planted.ckpt");
        planted.Save(checkpoint);
        var config = new SaeConfig(SaeFamily.TopK, Width, 4, K: 2);
        using var sae = new SparseAutoencoder(config, 1);
        sae.EncoderWeight.Clear();
        sae.EncoderWeight[0] = 1;
        sae.EncoderBias.Fill(-1);
        for (var i = 0; i < sae.DecoderWeight.Length; i++) sae.DecoderWeight[i] = (float)rng.NextGaussian();
        var path = PathOf("planted.slsa");
        new SaeCheckpoint
        {
            Config = config, Options = new SaeTrainOptions(1), ModelIdentity = ActivationFile.IdentityOf(trained.Config, p), Site = ActivationSite.ResidualAfter(0),
            Step = 1, ElapsedSeconds = 0, Parameters = [.. sae.Parameters], M = new float[config.ParameterCount], V = new float[config.ParameterCount], TokensSinceFired = new long[4],
        }.Save(path);
        return (checkpoint, path);
    }

    [Fact]
    public void Features_PlantedLatent_TopContextsAreTheEsJsonHtmlAndTextAgree()
    {
        // Given: the planted model and SAE, 8 validation windows of a word text
        var (checkpoint, sae) = Planted();
        var corpus = Corpus();
        var inputs = new int[8 * Seq];
        Corpora.Open(corpus).GetValidation(0, inputs, new int[8 * Seq], 8, Seq);
        var firstEs = Enumerable.Range(0, inputs.Length).Where(i => inputs[i] == 'e').Take(4).ToArray();
        Assert.Equal(4, firstEs.Length);
        var html = PathOf("cards.html");

        // When
        var (code, output, err) = FitCli.Run("sae", "features", "--sae", sae, "--checkpoint", checkpoint, "--corpus", corpus, "--windows", "8",
            "--top", "2", "--contexts", "4", "--html", html, "--json");

        // Then: latent 0 fires on exactly the 'e's and 't's; its contexts are the first four 'e's at code 3
        Assert.True(code == CliApp.ExitOk, err);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal(128, root.GetProperty("tokens").GetInt64());
        Assert.Equal(3, root.GetProperty("never_fired").GetInt32());
        var features = root.GetProperty("features");
        Assert.Equal(2, features.GetArrayLength());
        var f = features[0];
        Assert.Equal(0, f.GetProperty("latent").GetInt32());
        Assert.Equal(inputs.Count(t => t is 'e' or 't'), f.GetProperty("active_tokens").GetInt64());
        var contexts = f.GetProperty("contexts").EnumerateArray().ToArray();
        Assert.Equal(4, contexts.Length);
        for (var j = 0; j < 4; j++)
        {
            Assert.Equal("e", contexts[j].GetProperty("token").GetString());
            Assert.Equal(3.0, contexts[j].GetProperty("activation").GetDouble(), 6);
            Assert.Equal(firstEs[j] / Seq, contexts[j].GetProperty("window").GetInt32());
            Assert.Equal(firstEs[j] % Seq, contexts[j].GetProperty("position").GetInt32());
        }
        Assert.Equal(8, f.GetProperty("promoted").GetArrayLength());
        Assert.Equal(0, features[1].GetProperty("active_tokens").GetInt64());
        var page = File.ReadAllText(html);
        Assert.Contains("<mark>e</mark>", page, StringComparison.Ordinal);
        Assert.Contains("id=\"latent-0\"", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<mark>t</mark>", page, StringComparison.Ordinal);

        // And the terminal view brackets the same token
        var (textCode, text, _) = FitCli.Run("sae", "features", "--sae", sae, "--checkpoint", checkpoint, "--corpus", corpus, "--windows", "8", "--latent", "0", "--contexts", "2");
        Assert.Equal(CliApp.ExitOk, textCode);
        Assert.Contains("latent 0", text, StringComparison.Ordinal);
        Assert.Contains("[e]", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Features_SaeOfAnotherModel_ExitsTwo()
    {
        var (_, sae) = Planted();
        var other = TrainTiny("other.ckpt", seed: 2);
        FitCli.AssertOneLineError(FitCli.Run("sae", "features", "--sae", sae, "--checkpoint", other, "--corpus", Corpus()), CliApp.ExitUsage, "another model's activations");
    }

    [Fact]
    public void Features_BadInputs_ExitTwoOneLineAndWriteNothing()
    {
        var (checkpoint, sae) = Planted();
        var corpus = Corpus();
        var html = PathOf("cards.html");
        string[] Args(params string[] extra) => ["sae", "features", "--sae", sae, "--checkpoint", checkpoint, "--corpus", corpus, "--html", html, .. extra];
        FitCli.AssertOneLineError(FitCli.Run(Args("--latent", "9")), CliApp.ExitUsage, "--latent 9 does not exist: the SAE has latents 0..3");
        FitCli.AssertOneLineError(FitCli.Run(Args("--latent", "1,x")), CliApp.ExitUsage, "is not a comma-separated list");
        FitCli.AssertOneLineError(FitCli.Run(Args("--top", "-1")), CliApp.ExitUsage, "--top must be 0");
        FitCli.AssertOneLineError(FitCli.Run(Args("--contexts", "0")), CliApp.ExitUsage, "--contexts must be 1 or more");
        FitCli.AssertOneLineError(FitCli.Run(Args("--seq", "99")), CliApp.ExitUsage, "longer than the model's context");
        Assert.False(File.Exists(html));

        // An --html naming the SAE file is refused and the SAE is left as it was
        var before = File.ReadAllBytes(sae);
        FitCli.AssertOneLineError(FitCli.Run("sae", "features", "--sae", sae, "--checkpoint", checkpoint, "--corpus", corpus, "--html", sae), CliApp.ExitUsage, "is the input --sae");
        Assert.Equal(before, File.ReadAllBytes(sae));

        // A damaged SAE file
        var damaged = PathOf("damaged.slsa");
        var bytes = File.ReadAllBytes(sae);
        bytes[^40] ^= 0xFF;
        File.WriteAllBytes(damaged, bytes);
        FitCli.AssertOneLineError(FitCli.Run("sae", "features", "--sae", damaged, "--checkpoint", checkpoint, "--corpus", corpus), CliApp.ExitUsage, "checksum");
    }
}
