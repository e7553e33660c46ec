using System.Text.Json;
using Microsoft.Data.Sqlite;
using ScaleLab.Cli;
using ScaleLab.Cli.Commands;
using ScaleLab.Lab.Registry;
using ScaleLab.Laws;
using Spectre.Console.Testing;

namespace ScaleLab.Cli.Tests;

public sealed class SweepCommandTests : IDisposable
{
    internal const string TinySpec = """
        study = "tiny"
        seq_len = 16
        batch_size = 4
        tokens = [640, 1280]
        eval_interval = 5
        eval_batches = 2
        checkpoint_interval = 4
        [[models]]
        layers = 1
        d_model = 16
        heads = 2
        [[models]]
        layers = 1
        d_model = 32
        heads = 2
        [schedule]
        warmup_steps = 2
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("scalelab-sweepcmd-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var console = new TestConsole();
        console.Profile.Width = 200;
        var stderr = new StringWriter();
        var code = CliApp.Run(args, console, stderr);
        return (code, console.Output, stderr.ToString());
    }

    [Fact]
    public void Sweep_GnsSpec_RunsMetricsCsvHasBSimpleOnEveryStep()
    {
        // Given: two runs of 10 steps, batch 4 as 2 micro-batches of 2, B_simple tracked
        var spec = Write("gns.toml", TinySpec.Replace("checkpoint_interval = 4", "checkpoint_interval = 4\nmicro_batches = 2\ngns = true")
            .Replace("tokens = [640, 1280]", "tokens = [640]"));
        var registry = "sqlite:" + Path.Combine(_directory, "gns.db");

        // When
        var sweep = Run("sweep", spec, "--executor", "threads", "--workers", "1", "--registry", registry);
        var csv = Run("runs", "--study", "tiny", "--registry", registry, "--metrics", "--csv");
        var table = Run("runs", "--study", "tiny", "--registry", registry, "--metrics");

        // Then: a header, then 2 runs × 10 steps, each with |G|², tr(Σ) estimates and a positive B_simple
        Assert.True(sweep.Code == 0, sweep.Err);
        Assert.True(csv.Code == 0, csv.Err);
        var lines = csv.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(RunCsv.MetricsHeader, lines[0]);
        Assert.Equal(20, lines.Length - 1);
        foreach (var line in lines.Skip(1))
        {
            var fields = line.Split(',');
            Assert.Equal(10, fields.Length);
            Assert.True(double.Parse(fields[7], System.Globalization.CultureInfo.InvariantCulture) is var g && double.IsFinite(g));
            Assert.True(double.Parse(fields[9], System.Globalization.CultureInfo.InvariantCulture) > 0, line);
        }
        Assert.True(table.Code == 0, table.Err);
        Assert.Contains("B_simple", table.Out);
    }

    [Fact]
    public void Sweep_ThreadsExecutor_AllRunsDone_RunsCsvReadableByFit()
    {
        // Given
        var spec = Write("sweep.toml", TinySpec);
        var registry = "sqlite:" + Path.Combine(_directory, "r.db");

        // When
        var sweep = Run("sweep", spec, "--executor", "threads", "--workers", "2", "--registry", registry, "--json");
        var csv = Run("runs", "--study", "tiny", "--registry", registry, "--csv");

        // Then
        Assert.True(sweep.Code == 0, sweep.Err);
        using var summary = JsonDocument.Parse(sweep.Out);
        Assert.Equal((4, 4, 0), (summary.RootElement.GetProperty("runs").GetInt32(), summary.RootElement.GetProperty("done").GetInt32(),
            summary.RootElement.GetProperty("failed").GetInt32()));
        Assert.True(csv.Code == 0, csv.Err);
        var points = Write("points.csv", csv.Out);
        var data = ScalingDataset.Load(points, need: LawInputs.N | LawInputs.D | LawInputs.C);
        Assert.Equal(4, data.Count);
        Assert.Equal([3312, 3312, 12768, 12768], data.N!);
        Assert.Equal([640, 1280, 640, 1280], data.D!);
        Assert.All(Enumerable.Range(0, 4), i => Assert.Equal(6.0 * data.N![i] * data.D![i], data.C![i]));
        Assert.All(data.Y, y => Assert.InRange(y, 1.0, Math.Log(256) + 0.5));
    }

    [Fact]
    public void Sweep_SecondTime_AddsNothingAndTrainsNothing()
    {
        // Given
        var spec = Write("sweep.toml", TinySpec);
        var registry = "sqlite:" + Path.Combine(_directory, "r.db");
        var first = Run("sweep", spec, "--executor", "threads", "--registry", registry);
        Assert.True(first.Code == 0, first.Err);
        var before = Run("runs", "--study", "tiny", "--registry", registry, "--json").Out;

        // When
        var again = Run("sweep", spec, "--executor", "threads", "--registry", registry, "--json");

        // Then
        Assert.True(again.Code == 0, again.Err);
        using var summary = JsonDocument.Parse(again.Out);
        Assert.Equal(0, summary.RootElement.GetProperty("added").GetInt32());
        Assert.Equal(before, Run("runs", "--study", "tiny", "--registry", registry, "--json").Out);
    }

    [Fact]
    public void Sweep_SpecWithImpossibleValue_ExitTwoOneLineNothingCreated()
    {
        // Given
        var spec = Write("bad.toml", TinySpec.Replace("heads = 2\n[[models]]", "heads = 3\n[[models]]"));
        var db = Path.Combine(_directory, "r.db");

        // When
        var (code, _, err) = Run("sweep", spec, "--registry", "sqlite:" + db);

        // Then
        Assert.Equal(2, code);
        Assert.Equal($"error: {spec}:11: key 'models[0]': heads 3 does not divide d_model 16", err.Trim());
        Assert.False(File.Exists(db));
    }

    [Fact]
    public void Sweep_CorruptRegistry_ExitTwoOneLineFileUntouched()
    {
        // Given
        var spec = Write("sweep.toml", TinySpec);
        var db = Path.Combine(_directory, "r.db");
        var junk = Enumerable.Range(0, 3000).Select(i => (byte)(i % 253)).ToArray();
        File.WriteAllBytes(db, junk);

        // When
        var (code, _, err) = Run("sweep", spec, "--executor", "threads", "--registry", "sqlite:" + db);

        // Then
        Assert.Equal(2, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains("not a ScaleLab registry", err);
        Assert.Equal(junk, File.ReadAllBytes(db));
    }

    [Fact]
    public void Sweep_DryRunJson_ListsRunsWithoutRegistry()
    {
        // Given
        var spec = Write("sweep.toml", TinySpec);

        // When
        var (code, output, _) = Run("sweep", spec, "--dry-run", "--json", "--registry", "sqlite:" + Path.Combine(_directory, "r.db"));

        // Then
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        var runs = doc.RootElement.GetProperty("runs");
        Assert.Equal(4, runs.GetArrayLength());
        Assert.Equal(10, runs[0].GetProperty("steps").GetInt64());
        Assert.False(File.Exists(Path.Combine(_directory, "r.db")));
    }

    [Fact]
    public void CurrentWorkerLaunch_InsideTestHost_DotnetWithScalelabDll()
    {
        // When
        var launch = ExecutorChoice.CurrentWorkerLaunch();

        // Then
        Assert.Equal("dotnet", Path.GetFileNameWithoutExtension(launch.FileName));
        Assert.Equal("scalelab.dll", Path.GetFileName(Assert.Single(launch.Prefix)));
    }

    [Fact]
    public void Sweep_EditedSpecIntoSameStudy_RefusedWithOneLineUnlessAddToStudy()
    {
        // Given: the study "tiny" holds the tiny spec's runs (dry of training: enqueued only by a first sweep)
        var registry = "sqlite:" + Path.Combine(_directory, "edit.db");
        var first = Run("sweep", Write("a.toml", TinySpec), "--executor", "threads", "--workers", "1", "--registry", registry);
        var edited = Write("b.toml", TinySpec.Replace("seq_len = 16", "seq_len = 8", StringComparison.Ordinal));

        // When
        var refused = Run("sweep", edited, "--executor", "threads", "--workers", "1", "--registry", registry);
        var added = Run("sweep", edited, "--executor", "threads", "--workers", "1", "--registry", registry, "--add-to-study");

        // Then
        Assert.True(first.Code == 0, first.Err);
        FitCli.AssertOneLineError(refused, 2, "seq_len 8 (study: 16)");
        Assert.True(added.Code == 0, added.Err);
        using var store = ScaleLab.Lab.Registry.RunStores.Open(registry);
        Assert.Equal(8, store.ListRuns("tiny").Count);
    }
}
