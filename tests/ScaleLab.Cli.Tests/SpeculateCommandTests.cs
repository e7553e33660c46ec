using System.Globalization;
using System.Text.Json;
using ScaleLab.Cli;
using ScaleLab.Engine.Sampling;
using ScaleLab.Engine.Training;
using Spectre.Console.Testing;

namespace ScaleLab.Cli.Tests;

/// <summary>Two models trained briefly on the synthetic corpus (a 1-layer width-16 draft and a 2-layer width-32
/// target, context 32), shared by the tests of <see cref="SpeculateCommandTests"/>.</summary>
public sealed class SpeculatePairFixture : IDisposable
{
    public SpeculatePairFixture()
    {
        Target = Train("target.ckpt", "2", "32", "32");
        Draft = Train("draft.ckpt", "1", "16", "32");
        ShortContext = Train("short.ckpt", "1", "16", "16");
    }

    public DirectoryInfo Dir { get; } = Directory.CreateTempSubdirectory("scalelab-speculate-cli-");

    public string Target { get; }

    public string Draft { get; }

    /// <summary>A draft with context 16 instead of 32.</summary>
    public string ShortContext { get; }

    public void Dispose() => Dir.Delete(true);

    private string Train(string name, string layers, string width, string seq)
    {
        var path = Path.Combine(Dir.FullName, name);
        var (code, _, err) = SpeculateCommandTests.Run("train", "--layers", layers, "--d-model", width, "--heads", "2", "--seq", seq, "--batch", "8",
            "--steps", "120", "--lr", "1e-2", "--eval-sequences", "8", "--checkpoint", path, "--json");
        Assert.True(code == CliApp.ExitOk, err);
        return path;
    }
}

public sealed class SpeculateCommandTests(SpeculatePairFixture pair) : IClassFixture<SpeculatePairFixture>
{
    internal static (int Code, string Out, string Err) Run(params string[] args)
    {
        var console = new TestConsole();
        var stderr = new StringWriter();
        var code = CliApp.Run(args, console, stderr);
        return (code, console.Output, stderr.ToString());
    }

    [Fact]
    public void Speculate_TrainedPair_JsonReportsAcceptanceSpeedupAndItsTheory()
    {
        // Given the trained pair

        // When
        var (code, output, err) = Run("speculate", "--target", pair.Target, "--draft", pair.Draft, "--gamma", "3", "--tokens", "120", "--repeats", "1", "--json");

        // Then: one document with the measured figures, and the theory is the closed form at the measured α̂ and c
        Assert.True(code == CliApp.ExitOk, err);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal(3, root.GetProperty("gamma").GetInt32());
        Assert.Equal(120, root.GetProperty("tokens").GetArrayLength());
        var alpha = root.GetProperty("acceptance").GetDouble();
        var c = root.GetProperty("cost_ratio").GetDouble();
        Assert.InRange(alpha, 0, 1);
        Assert.InRange(root.GetProperty("tokens_per_target_pass").GetDouble(), 1, 4);
        Assert.True(root.GetProperty("speedup").GetDouble() > 0);
        Assert.True(c > 0);
        var theory = (1 - Math.Pow(alpha, 4)) / ((1 - alpha) * (3 * c + 1));
        Assert.Equal(theory, root.GetProperty("theoretical_speedup").GetDouble(), 9);
        Assert.Contains("repeat 1/1", err);
    }

    [Fact]
    public void Speculate_ThreeRounds_SpeedupIsTheMedianOfTheRoundsPairedRatios()
    {
        // When: three interleaved rounds, each logged with its three times
        var (code, output, err) = Run("speculate", "--target", pair.Target, "--draft", pair.Draft, "--gamma", "2", "--tokens", "60", "--repeats", "3", "--json");

        // Then: the speedup is the median over rounds of target time / speculative time of the same round (not a ratio
        // of the fastest times), its range the least and largest of them, and measured / theory is reported
        Assert.True(code == CliApp.ExitOk, err);
        var rounds = err.Split('\n').Where(l => l.StartsWith("repeat ", StringComparison.Ordinal)).Select(l =>
        {
            var n = System.Text.RegularExpressions.Regex.Matches(l, @"(\d+\.\d+) s").Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToArray();
            return (Target: n[0], Draft: n[1], Spec: n[2]);
        }).ToArray();
        Assert.Equal(3, rounds.Length);
        var ratios = rounds.Select(r => r.Target / r.Spec).Order().ToArray();
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        var speedup = root.GetProperty("speedup").GetDouble();
        Assert.Equal(ratios[1], speedup, 3e-3 * ratios[1]);
        var range = root.GetProperty("speedup_range").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(ratios[0], range[0], 3e-3 * ratios[0]);
        Assert.Equal(ratios[2], range[1], 3e-3 * ratios[2]);
        Assert.Equal(speedup / root.GetProperty("theoretical_speedup").GetDouble(), root.GetProperty("speedup_over_theory").GetDouble(), 9);
    }

    [Fact]
    public void Speculate_Greedy_PrintsTheSameTextAsSampleGreedy()
    {
        // Given 90 tokens, past the context of 32 (both re-window the same way)

        // When
        var spec = Run("speculate", "--target", pair.Target, "--draft", pair.Draft, "--gamma", "auto", "--temperature", "0", "--tokens", "90", "--repeats", "1", "--json");
        var plain = Run("sample", "--checkpoint", pair.Target, "--temperature", "0", "--tokens", "90", "--json");

        // Then
        Assert.True(spec.Code == CliApp.ExitOk, spec.Err);
        using var a = JsonDocument.Parse(spec.Out);
        using var b = JsonDocument.Parse(plain.Out);
        Assert.Equal(b.RootElement.GetProperty("text").GetString(), a.RootElement.GetProperty("text").GetString());
        Assert.True(a.RootElement.GetProperty("gamma_auto").GetBoolean());
        Assert.Contains("gamma auto: pilot", spec.Err);
        Assert.Contains("maximises (1 − α^(γ+1))/((1 − α)(γc + v(γ)))", spec.Err);
        // and the choice is the argmax of E/(γc + v(γ)) over the reported curve (context 32: γ ≤ 16, v at 1, 2, 4, 8, 16)
        var choice = a.RootElement.GetProperty("gamma_auto_choice");
        var gammas = choice.GetProperty("verify_cost_gammas").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var costs = choice.GetProperty("verify_costs").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal([1, 2, 4, 8, 16], gammas);
        var curve = new VerifyCostCurve(gammas, costs);
        var alpha = choice.GetProperty("pilot_acceptance").GetDouble();
        var c = choice.GetProperty("cost_ratio").GetDouble();
        Assert.Equal(SpeculativeStatistics.OptimalGamma(alpha, c, 16, curve.At), a.RootElement.GetProperty("gamma").GetInt32());
        Assert.Equal(SpeculativeStatistics.OptimalGamma(alpha, c, 16), choice.GetProperty("issue_formula_gamma").GetInt32());
    }

    [Fact]
    public void Speculate_GreedyOnTwoThreads_PrintsTheSameTextAsOneThreadSampleGreedy()
    {
        // When: the target's products split over two threads (verify passes and plain steps alike)
        var spec = Run("speculate", "--target", pair.Target, "--draft", pair.Draft, "--gamma", "4", "--temperature", "0", "--tokens", "90", "--repeats", "1", "--threads", "2", "--json");
        var plain = Run("sample", "--checkpoint", pair.Target, "--temperature", "0", "--tokens", "90", "--json");

        // Then: the same text as one-thread greedy sampling (the split keeps every logit's bits), and the document says
        // which threads it ran on
        Assert.True(spec.Code == CliApp.ExitOk, spec.Err);
        using var a = JsonDocument.Parse(spec.Out);
        using var b = JsonDocument.Parse(plain.Out);
        Assert.Equal(b.RootElement.GetProperty("text").GetString(), a.RootElement.GetProperty("text").GetString());
        Assert.Equal(2, a.RootElement.GetProperty("threads").GetInt32());
        Assert.Equal(1, a.RootElement.GetProperty("draft_threads").GetInt32());
    }

    [Fact]
    public void Speculate_Text_PrintsTheTextAndTheTable()
    {
        // When
        var (code, output, err) = Run("speculate", "--target", pair.Target, "--draft", pair.Draft, "--gamma", "2", "--tokens", "40", "--repeats", "1", "--prompt", "ab");

        // Then
        Assert.True(code == CliApp.ExitOk, err);
        Assert.StartsWith("ab", output, StringComparison.Ordinal);
        Assert.Contains("theoretical speedup", output);
        Assert.Contains("tokens per target pass", output);
    }

    private string VocabularyOf128()
    {
        var source = Checkpoint.Load(pair.Draft);
        var config = source.Config with { Vocab = 128 };
        var n = (int)config.ParameterCount;
        var path = Path.Combine(pair.Dir.FullName, "vocab128.ckpt");
        new Checkpoint
        {
            Config = config, Options = source.Options, CorpusFingerprint = source.CorpusFingerprint, Step = source.Step, Tokens = source.Tokens,
            ElapsedSeconds = 0, RngState = source.RngState, Data = source.Data, OptimizerStep = 0, Parameters = new float[n], M = new float[n], V = new float[n],
        }.Save(path);
        return path;
    }

    [Fact]
    public void Speculate_BadInputs_ExitTwoWithOneLine()
    {
        // Given
        var junk = Path.Combine(pair.Dir.FullName, "junk.ckpt");
        File.WriteAllText(junk, "not a checkpoint");
        var cases = new (string[] Args, string Expect)[]
        {
            (["--target", pair.Target, "--draft", Path.Combine(pair.Dir.FullName, "none.ckpt")], "not found"),
            (["--target", junk, "--draft", pair.Draft], "junk.ckpt"),
            (["--target", pair.Target, "--draft", pair.ShortContext], "context"),
            (["--target", pair.Target, "--draft", VocabularyOf128()], "vocabulary"),
            (["--target", pair.Target, "--draft", pair.Draft, "--gamma", "0"], "--gamma"),
            (["--target", pair.Target, "--draft", pair.Draft, "--gamma", "fast"], "--gamma"),
            (["--target", pair.Target, "--draft", pair.Draft, "--gamma", "40"], "below the context"),
            (["--target", pair.Target, "--draft", pair.Draft, "--temperature", "-1"], "--temperature"),
            (["--target", pair.Target, "--draft", pair.Draft, "--threads", "0"], "--threads"),
            (["--target", pair.Target, "--draft", pair.Draft, "--threads", "2", "--cpu-time"], "--cpu-time"),
            (["--target", pair.Target], "--draft"),
            (["--target", pair.Target, "--draft", "no-such-run", "--registry", "sqlite:" + Path.Combine(pair.Dir.FullName, "none.db")], "no registry"),
            (["--study", "s", "--target", pair.Target], "leave out --target"),
            (["--study", "s", "--gammas", "0"], "--gammas"),
            (["--study", "s", "--gammas", "3-1"], "--gammas"),
            (["--study", "s", "--targets", "0"], "--targets"),
            (["--study", "s", "--prompt", "x"], "--prompt"),
            (["--target", pair.Target, "--draft", pair.Draft, "--plot", "x.svg"], "--plot goes with --study"),
            (["--study", "s", "--registry", "sqlite:" + Path.Combine(pair.Dir.FullName, "none.db")], "no such registry"),
        };

        foreach (var (args, expect) in cases)
        {
            // When
            var (code, output, err) = Run(["speculate", .. args]);

            // Then
            Assert.True(code == CliApp.ExitUsage, $"{string.Join(' ', args)}: exit {code}, {err}");
            Assert.Single(err.Trim().Split('\n'));
            Assert.Contains(expect, err, StringComparison.OrdinalIgnoreCase);
            Assert.Equal("", output);
        }
    }

    [Fact]
    public void SpeculateStudy_ThreeSizes_JsonRowsPerGammaPlotsAndResumesAsDone()
    {
        // Given: a study of three trained sizes in one registry.
        var dir = Directory.CreateTempSubdirectory("scalelab-speculate-study-");
        try
        {
            var registry = "sqlite:" + Path.Combine(dir.FullName, "r.db");
            foreach (var width in new[] { "8", "16", "32" })
            {
                var (trained, _, trainErr) = Run("train", "--layers", "1", "--d-model", width, "--heads", "2", "--seq", "16", "--batch", "4",
                    "--steps", "60", "--lr", "1e-2", "--eval-sequences", "4", "--registry", registry, "--study", "s", "--json");
                Assert.True(trained == CliApp.ExitOk, trainErr);
            }
            var plot = Path.Combine(dir.FullName, "speculate.svg");
            string[] args = ["speculate", "--study", "s", "--registry", registry, "--targets", "1", "--drafts", "2", "--gammas", "1,2", "--tokens", "40", "--repeats", "1"];

            // When
            var (code, output, err) = Run([.. args, "--json", "--plot", plot]);
            var (again, text, _) = Run(args);

            // Then
            Assert.True(code == CliApp.ExitOk, err);
            using var doc = JsonDocument.Parse(output);
            var root = doc.RootElement;
            Assert.Equal("s-speculate", root.GetProperty("speculate_study").GetString());
            var pairs = root.GetProperty("pairs").EnumerateArray().ToList();
            Assert.Equal(2, pairs.Count);
            foreach (var p in pairs)
            {
                Assert.Equal("done", p.GetProperty("status").GetString());
                Assert.True(p.GetProperty("draft").GetProperty("parameters").GetInt64() < p.GetProperty("target").GetProperty("parameters").GetInt64());
                var rows = p.GetProperty("rows").EnumerateArray().ToList();
                Assert.Equal([1, 2], rows.Where(r => !r.GetProperty("auto").GetBoolean()).Select(r => r.GetProperty("gamma").GetInt32()).ToArray());
                Assert.Single(rows, r => r.GetProperty("auto").GetBoolean());
                Assert.All(rows, r => Assert.InRange(r.GetProperty("acceptance").GetDouble(), 0, 1));
            }
            Assert.False(root.GetProperty("acceptance_law").GetProperty("identified").GetBoolean());
            Assert.Contains("at least 4", root.GetProperty("acceptance_law").GetProperty("reason").GetString(), StringComparison.Ordinal);
            Assert.True(File.Exists(plot) && File.Exists(Path.Combine(dir.FullName, "speculate-acceptance.svg")));
            // Run again: nothing new to measure, the same pairs read back.
            Assert.Equal(CliApp.ExitOk, again);
            Assert.Contains("acceptance law not fitted", text, StringComparison.Ordinal);
            Assert.Equal(1, root.GetProperty("threads").GetInt32());
            // On two threads: the same pairs measured again in a study of their own, which says so.
            var (twoCode, twoOut, twoErr) = Run([.. args, "--threads", "2", "--json"]);
            Assert.True(twoCode == CliApp.ExitOk, twoErr);
            using var two = JsonDocument.Parse(twoOut);
            Assert.Equal("s-speculate-2t", two.RootElement.GetProperty("speculate_study").GetString());
            Assert.Equal("s", two.RootElement.GetProperty("study").GetString());
            Assert.Equal(2, two.RootElement.GetProperty("threads").GetInt32());
            Assert.Equal(2, two.RootElement.GetProperty("pairs").GetArrayLength());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            dir.Delete(true);
        }
    }
}
