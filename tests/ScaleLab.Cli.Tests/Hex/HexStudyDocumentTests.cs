using System.Text.Json;
using ScaleLab.Cli.Commands.Hex;
using ScaleLab.Games.Study;
using ScaleLab.Games.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using Xunit.Abstractions;

namespace ScaleLab.Cli.Tests.Hex;

public class HexStudyDocumentTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"hexdoc-{Guid.NewGuid():N}");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Every entry of a section is either fitted (its value field is a number) or carries a reason in words.</summary>
    private static void FittedOrReason(JsonElement section, string value, string reason)
    {
        Assert.True(section.GetArrayLength() > 0);
        foreach (var e in section.EnumerateArray())
        {
            var fitted = e.GetProperty(value).ValueKind == JsonValueKind.Object;
            var why = e.GetProperty(reason).ValueKind == JsonValueKind.String && e.GetProperty(reason).GetString()!.Length > 10;
            Assert.True(fitted ^ why, e.ToString());
        }
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void MicroStudy_JsonHasEveryAnalysis_FittedOrWithAReason_AndPlotsWritten()
    {
        // Given a micro study (boards 3 and 4, three sizes, 6 generations) trained in-process
        Directory.CreateDirectory(_dir);
        RunKinds.Register(new HexRunKind());
        var registry = "sqlite:" + Path.Combine(_dir, "r.db");
        var plan = new HexStudyPlan("micro", [3, 4], [(4, 1), (8, 1), (16, 1)], [1], Generations: 6, Games: 16, Nodes: 8, TestNodes: 4, ReferenceGames: 16)
        {
            TrainTestNodes = [1, 16], TrainTestGames = 4, PairingRounds = 1, PairingPairs = 2, PairingGames = 8,
        };
        var executor = new ExecutorOptions { Workers = 2, CheckpointDirectory = Path.Combine(_dir, "ck"), CheckpointInterval = 4 };
        using var store = RunStores.Open(registry);
        HexStudy.Enqueue(store, plan);
        Assert.Equal(10, InProcessExecutor.Run(() => RunStores.Open(registry), "micro", executor).Counts.Done);
        var result = HexStudy.Analyse(store, plan, executor, 0, null, bootstrap: 20);
        // When written as the verb's JSON, with the figures
        var doc = HexStudyDocument.From(result) with { Figures = HexStudyFigures.Write(result, Path.Combine(_dir, "figures")) };
        var json = JsonSerializer.Serialize(doc, HexStudyDocument.Options);
        output.WriteLine(json);
        using var parsed = JsonDocument.Parse(json);
        var root = parsed.RootElement;
        // Then the existing names are kept
        Assert.All(root.GetProperty("per_board").EnumerateArray(), b => Assert.Equal(JsonValueKind.Number, b.GetProperty("best_elo_vs_perfect").ValueKind));
        Assert.Contains("training run", root.GetProperty("frontier_bootstrap_unit").GetString());
        // And the new sections exist, each fitted or with a reason in words
        Assert.Equal(2, root.GetProperty("pairing").GetArrayLength());
        Assert.All(root.GetProperty("pairing").EnumerateArray(), p => Assert.True(p.GetProperty("games_spent").GetInt64() <= plan.PairingBudget));
        Assert.Equal(0, root.GetProperty("backtests").GetArrayLength());
        Assert.Contains("three boards anchored on perfect play", root.GetProperty("backtest_notes")[0].GetString());
        FittedOrReason(root.GetProperty("train_test"), "slope", "note");
        FittedOrReason(root.GetProperty("rl_scaling"), "n_opt_exponent", "note");
        Assert.All(root.GetProperty("train_test").EnumerateArray(), t => Assert.Equal([1, 4, 16], t.GetProperty("nodes").EnumerateArray().Select(n => n.GetInt32())));
        // Every evaluation behind a board's train-test fit is in the JSON (one per snapshot and node count), its test compute nodes x parameters
        foreach (var (t, tt) in result.TrainTest.Zip(root.GetProperty("train_test").EnumerateArray()))
        {
            // Jones's frontier fit: a slope with its points, or the reason there is none
            var frontier = tt.GetProperty("frontier");
            Assert.Equal(t.Frontier is null, frontier.GetProperty("slope").ValueKind == JsonValueKind.Null);
            Assert.Equal(t.Frontier is null, frontier.GetProperty("note").ValueKind == JsonValueKind.String);
            Assert.Equal(t.Frontier?.Points.Count ?? 0, frontier.GetProperty("points").GetArrayLength());
            if (t.Frontier is { } j) Assert.True(j.Slope.Value <= 0, $"frontier slope {j.Slope.Value}");
            var evaluations = tt.GetProperty("evaluations").EnumerateArray().ToList();
            Assert.Equal(t.Points.Count, evaluations.Count);
            Assert.Equal(t.Points.Count, tt.GetProperty("points").GetInt32());
            Assert.All(evaluations.Zip(t.Points), e =>
            {
                Assert.Equal(e.Second.Agent, e.First.GetProperty("agent").GetString());
                Assert.Equal(e.Second.Elo, e.First.GetProperty("elo").GetDouble(), 9);
                Assert.Equal(e.Second.Log10TestCompute, e.First.GetProperty("log10_test_compute").GetDouble(), 9);
                Assert.Equal(e.Second.Log10TrainCompute, e.First.GetProperty("log10_train_compute").GetDouble(), 9);
            });
        }
        Assert.True(root.GetProperty("frontier_models").ValueKind == JsonValueKind.Object ^ root.GetProperty("frontier_models_note").ValueKind == JsonValueKind.String);
        // And one figure per fit that exists, each a PNG file
        var expected = (result.Frontier is null ? 0 : 1) + result.TrainTest.Count(t => t.Fit is not null) + result.TrainTest.Count(t => t.Frontier is not null)
            + result.Rl.Count(r => r.Fit is not null);
        Assert.Equal(expected, root.GetProperty("figures").GetArrayLength());
        foreach (var f in root.GetProperty("figures").EnumerateArray())
        {
            var bytes = File.ReadAllBytes(f.GetString()!);
            Assert.True(bytes.Length > 1000 && bytes[1] == (byte)'P' && bytes[2] == (byte)'N' && bytes[3] == (byte)'G', f.GetString());
        }
        // And the text output names every section
        var console = new Spectre.Console.Testing.TestConsole();
        console.Profile.Width = 200;
        HexStudyDocument.Print(console, doc);
        Assert.Contains("back-test: no back-test", console.Output);
        Assert.Contains("train-test 3x3", console.Output);
        Assert.Contains("Jones's frontier", console.Output);
        Assert.Contains("per agent", console.Output);
        Assert.Contains("RL scaling 4x4", console.Output);
        Assert.Contains("pairing 3x3", console.Output);
    }

    [Fact]
    public void FrontierModels_JsonAndText_EveryModelWithCriteriaIntervalsAndBacktests()
    {
        // Given a model comparison on a bent synthetic frontier (boards 3-5), inside a study result
        var bent = new double[] { 600, 150, 0.86, -2250, -900, -300, 0 };
        var rng = ScaleLab.Laws.SplitMix64.Stream(9, 0);
        var points = new List<ScaleLab.Laws.Games.EloPoint>();
        foreach (var n in new[] { 3, 4, 5 })
        {
            for (var x = 4.0; x <= 11; x += 0.25)
            {
                points.Add(new(x, n, ScaleLab.Laws.Games.FrontierModel.TwoSegment.Predict(bent, x, n) + 40 * rng.NextGaussian()));
            }
        }
        var models = ScaleLab.Laws.Games.FrontierComparison.Compare(points, new() { FrontierOnly = false, Bootstrap = 20 });
        var plan = HexStudyPlan.Quick("s", [3, 4, 5]);
        var result = new HexStudyResult(plan, [], null, "no ratings", 0, 0, 0, 0, 0, 0) { Models = models };
        // When written as JSON and as text
        var doc = HexStudyDocument.From(result);
        using var parsed = JsonDocument.Parse(JsonSerializer.Serialize(doc, HexStudyDocument.Options));
        var m = parsed.RootElement.GetProperty("frontier_models");
        // Then every model is there with AIC, BIC, their differences (0 for the best), intervals, and back-tests of board 5
        var fits = m.GetProperty("fits").EnumerateArray().ToList();
        Assert.Equal(["change-point", "board-slopes", "two-segment"], fits.Select(f => f.GetProperty("model").GetString()));
        Assert.All(fits, f => Assert.True(double.IsFinite(f.GetProperty("aic").GetDouble()) && double.IsFinite(f.GetProperty("bic").GetDouble())));
        Assert.Equal(0, fits.Min(f => f.GetProperty("delta_bic").GetDouble()));
        Assert.Equal("two-segment", fits.MinBy(f => f.GetProperty("delta_bic").GetDouble())!.GetProperty("model").GetString());
        Assert.All(fits, f => Assert.All(f.GetProperty("parameters").EnumerateArray(), p => Assert.Equal(2, p.GetProperty("interval").GetArrayLength())));
        Assert.Equal(2, fits[2].GetProperty("perfect_play_multiplier").GetProperty("interval").GetArrayLength());
        Assert.Equal(3, m.GetProperty("backtests").GetArrayLength());
        Assert.All(m.GetProperty("backtests").EnumerateArray(), b => Assert.Equal(5, b.GetProperty("target_board").GetInt32()));
        var console = new Spectre.Console.Testing.TestConsole();
        console.Profile.Width = 300;
        HexStudyDocument.Print(console, doc);
        Assert.Contains("two-segment: min(0, max(min(s_1 u + c_1", console.Output);
        Assert.Contains("back-test board-slopes: 5x5 from boards ≤ 4", console.Output);
        Assert.Contains("ΔBIC 0", console.Output);
    }

    [Fact]
    public void Study_PlotIsAFile_OneLineExit2_NothingOverwritten()
    {
        Directory.CreateDirectory(_dir);
        var file = Path.Combine(_dir, "figures");
        File.WriteAllText(file, "keep");
        var (code, _, err) = FitCli.Run("hex", "study", "--quick", "--registry", "sqlite:" + Path.Combine(_dir, "r.db"), "--plot", file);
        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains("is a file", err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Equal("keep", File.ReadAllText(file));
        Assert.False(File.Exists(Path.Combine(_dir, "r.db")));
    }
}
