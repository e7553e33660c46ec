using ScaleLab.Cli;
using ScaleLab.Cli.Commands;
using ScaleLab.Lab.Registry;
using Spectre.Console.Testing;

namespace ScaleLab.Cli.Tests;

public sealed class RunsCommandTests
{
    [Fact]
    public void ToCsv_Points_FitDefaultColumnsAndRoundTripDoubles()
    {
        // Given
        var points = new[] { new ScalingPoint("k1", 100, 150, 1000, 6.0e5, 3.1415926535897931, 7) };

        // When
        var csv = RunCsv.Points(points);

        // Then
        Assert.Equal("N,D,C,loss,N_total,seed,run\n100,1000,600000,3.141592653589793,150,7,k1\n", csv);
    }

    [Fact]
    public void ToMetricsCsv_RowsWithAndWithoutNoise_EmptyFieldsForMissingValues()
    {
        // Given
        var rows = new[]
        {
            new MetricRow(1, 64, 3.5, null, 1e-3, 0.5, -0.25, 8.0, 32.0),
            new MetricRow(2, 128, double.NaN, 3.25, 2e-3, 0.75),
        };

        // When
        var csv = RunCsv.Metrics([("k1", rows)]);

        // Then
        Assert.Equal(RunCsv.MetricsHeader + "\nk1,1,64,3.5,,0.001,0.5,-0.25,8,32\nk1,2,128,,3.25,0.002,0.75,,,\n", csv);
    }

    [Theory]
    [InlineData("--run", "k")]
    [InlineData("--metrics", null)]
    public void Runs_MetricsFlagsWithoutWhatTheyNeed_ExitTwo(string flag, string? value)
    {
        // Given
        var stderr = new StringWriter();
        string[] args = value is null ? ["runs", flag] : ["runs", flag, value];

        // When
        var code = CliApp.Run(args, new TestConsole(), stderr);

        // Then
        Assert.Equal(2, code);
        Assert.Single(stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Runs_MissingRegistryFile_ExitTwoAndNoFileCreated()
    {
        // Given
        var db = Path.Combine(Path.GetTempPath(), $"scalelab-none-{Guid.NewGuid():N}.db");
        var stderr = new StringWriter();

        // When
        var code = CliApp.Run(["runs", "--registry", "sqlite:" + db], new TestConsole(), stderr);

        // Then
        Assert.Equal(2, code);
        Assert.Contains("no registry here", stderr.ToString());
        Assert.False(File.Exists(db));
    }

    [Fact]
    public void Runs_UnknownStudy_ExitTwoNamingKnownStudies()
    {
        // Given
        var db = Path.Combine(Path.GetTempPath(), $"scalelab-runs-{Guid.NewGuid():N}.db");
        using (var store = RunStores.Open("sqlite:" + db))
        {
            store.CreateStudy("alpha", null);
        }
        var stderr = new StringWriter();

        // When
        var code = CliApp.Run(["runs", "--study", "beta", "--registry", "sqlite:" + db], new TestConsole(), stderr);

        // Then
        Assert.Equal(2, code);
        Assert.Contains("no study 'beta'", stderr.ToString());
        Assert.Contains("studies: alpha", stderr.ToString());
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.Delete(db);
    }
}
