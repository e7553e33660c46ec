using System.Text;
using System.Text.Json;
using ScaleLab.Cli;
using ScaleLab.Engine;
using ScaleLab.Engine.Data;
using ScaleLab.Engine.Training;

namespace ScaleLab.Cli.Tests;

public sealed class EvalCommandTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("scalelab-eval-");

    public void Dispose() => _dir.Delete(true);

    /// <summary>A checkpoint of a briefly trained tiny model (context 16) on the built-in corpus.</summary>
    private string TrainTiny(int steps = 20)
    {
        var path = Path.Combine(_dir.FullName, "tiny.ckpt");
        var (code, _, err) = FitCli.Run("train", "--layers", "1", "--d-model", "16", "--heads", "2", "--seq", "16", "--batch", "4",
            "--eval-sequences", "8", "--steps", steps.ToString(System.Globalization.CultureInfo.InvariantCulture), "--checkpoint", path);
        Assert.True(code == CliApp.ExitOk, err);
        return path;
    }

    [Fact]
    public void Eval_TextLongerThanTheContext_MatchesADirectDoublePrecisionComputation()
    {
        // Given: 40 bytes of text, so three windows (16 + 16 + 7 predictions) with a context of 16.
        var checkpointPath = TrainTiny();
        var text = "the quick brown fox jumps over the lazy!";
        var corpus = FitCli.Write(_dir.FullName, "held-out.txt", text);

        // When
        var (code, output, err) = FitCli.Run("eval", "--checkpoint", checkpointPath, "--corpus", corpus, "--logits", "3", "--json");

        // Then: each token's loss equals -log softmax of the reference model's logits for its window.
        Assert.True(code == CliApp.ExitOk, err);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        var tokens = ByteTokenizer.Encode(Encoding.UTF8.GetBytes(text));
        var checkpoint = Checkpoint.Load(checkpointPath);
        var reference = new GptReference<double>(checkpoint.Config);
        for (int i = 0; i < reference.Parameters.Length; i++)
        {
            reference.Parameters[i] = checkpoint.Parameters[i];
        }
        int T = checkpoint.Config.SeqLen, V = checkpoint.Config.Vocab;
        var expected = new List<double>();
        var expectedLogits = new List<double[]>();
        for (int start = 0; start < tokens.Length - 1; start += T)
        {
            int n = Math.Min(T, tokens.Length - 1 - start);
            reference.Forward(tokens.AsSpan(start, n), [], 1, n);
            var logits = reference.Logits.ToArray();
            for (int t = 0; t < n; t++)
            {
                var row = logits.AsSpan(t * V, V);
                double max = double.NegativeInfinity;
                foreach (var z in row)
                {
                    max = Math.Max(max, z);
                }
                double sumExp = 0;
                foreach (var z in row)
                {
                    sumExp += Math.Exp(z - max);
                }
                expected.Add(max + Math.Log(sumExp) - row[tokens[start + t + 1]]);
                if (start + t < 3)
                {
                    expectedLogits.Add(row.ToArray());
                }
            }
        }
        var actual = root.GetProperty("position_losses").EnumerateArray().Select(e => e.GetDouble()).ToList();
        Assert.Equal(tokens.Length - 1, actual.Count);
        for (int i = 0; i < actual.Count; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) < 1e-4, $"position {i}: {actual[i]} vs {expected[i]}");
        }
        double mean = expected.Average();
        Assert.Equal(mean, root.GetProperty("loss_nats_per_token").GetDouble(), 4);
        Assert.Equal(mean / Math.Log(2), root.GetProperty("bits_per_byte").GetDouble(), 4);
        Assert.Equal(3, root.GetProperty("windows").GetInt32());
        // Context position 0 is the mean over the three windows' first predictions (positions 0, 16, 32).
        Assert.Equal((expected[0] + expected[16] + expected[32]) / 3, root.GetProperty("loss_by_context_position")[0].GetDouble(), 4);
        var logitsJson = root.GetProperty("logits");
        Assert.Equal(3, logitsJson.GetArrayLength());
        for (int k = 0; k < 3; k++)
        {
            Assert.Equal(tokens[k + 1], logitsJson[k].GetProperty("next_token").GetInt32());
            var values = logitsJson[k].GetProperty("values").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Assert.Equal(V, values.Length);
            Assert.All(values.Zip(expectedLogits[k]), pair => Assert.True(Math.Abs(pair.First - pair.Second) < 1e-4));
        }
    }

    [Fact]
    public void Eval_TrainedModel_BeatsUniformOnItsOwnCorpusButNotOnNoise()
    {
        // Given: a model trained on the synthetic source (16-symbol alphabet), and two texts: a sample of that
        // source, and bytes the model never saw (uniform over 256 values).
        var checkpointPath = TrainTiny(steps: 150);
        var inputs = new int[400];
        SyntheticCorpus.Default.GetValidation(0, inputs, new int[400], 1, 400);
        var ownBytes = inputs.Select(t => (byte)t).ToArray();
        var random = new Random(3);
        var noise = new byte[400];
        random.NextBytes(noise);
        var own = Path.Combine(_dir.FullName, "own.txt");
        File.WriteAllBytes(own, ownBytes);
        var noisePath = Path.Combine(_dir.FullName, "noise.bin");
        File.WriteAllBytes(noisePath, noise);

        // When
        double Loss(string file)
        {
            var (code, output, err) = FitCli.Run("eval", "--checkpoint", checkpointPath, "--corpus", file, "--json");
            Assert.True(code == CliApp.ExitOk, err);
            using var doc = JsonDocument.Parse(output);
            return doc.RootElement.GetProperty("loss_nats_per_token").GetDouble();
        }

        // Then: well below ln 256 on its own source, above it on noise (negative control).
        double ownLoss = Loss(own), noiseLoss = Loss(noisePath);
        Assert.True(ownLoss < Math.Log(256) - 1, $"the trained model should beat uniform on its own corpus: {ownLoss}");
        Assert.True(noiseLoss > Math.Log(256), $"a model of a 16-symbol source should do worse than uniform on noise: {noiseLoss}");
    }

    [Fact]
    public void Eval_HumanOutput_StatesUnits()
    {
        var checkpointPath = TrainTiny();
        var (code, output, _) = FitCli.Run("eval", "--checkpoint", checkpointPath, "--text", "abcabcabcabc");
        Assert.Equal(CliApp.ExitOk, code);
        Assert.Contains("nats/token", output);
        Assert.Contains("bits/byte", output);
        Assert.Contains("11 predicted tokens", output);
    }

    [Theory]
    [InlineData(new[] { "--text", "a" }, "at least 2")]
    [InlineData(new[] { "--corpus", "x.txt", "--text", "ab" }, "exactly one of")]
    [InlineData(new string[0], "exactly one of")]
    [InlineData(new[] { "--text", "abc", "--logits", "-1" }, "--logits")]
    public void Eval_BadInput_ExitsTwoWithOneLine(string[] extra, string expected)
    {
        var checkpointPath = TrainTiny();
        FitCli.AssertOneLineError(FitCli.Run(["eval", "--checkpoint", checkpointPath, .. extra]), CliApp.ExitUsage, expected);
    }

    [Fact]
    public void Eval_CorpusIsAFolder_ExitsTwo()
    {
        var checkpointPath = TrainTiny();
        FitCli.AssertOneLineError(FitCli.Run("eval", "--checkpoint", checkpointPath, "--corpus", _dir.FullName), CliApp.ExitUsage, "is a folder");
    }
}
