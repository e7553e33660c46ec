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
        var csv = RunsCommand.ToCsv(points);

        // Then
        Assert.Equal("N,D,C,loss,N_total,seed,run\n100,1000,600000,3.141592653589793,150,7,k1\n", csv);
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
