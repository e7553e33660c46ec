using Microsoft.Data.Sqlite;

namespace ScaleLab.Cli.Tests;

/// <summary>
/// A registry written by the release before run kinds (schema version 2, Registry/Fixtures/README.md) must keep
/// reading the same: every later scalelab opens a copy of it and prints, byte for byte, what that release printed.
/// </summary>
public sealed class RegistryCompatibilityTests : IDisposable
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Registry", "Fixtures");

    private readonly string _directory = Directory.CreateTempSubdirectory("scalelab-compat-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private string CopyOfRegistry()
    {
        var path = Path.Combine(_directory, "v2.db");
        File.Copy(Path.Combine(Fixtures, "registry-v2.sqlite"), path);
        return path;
    }

    [Theory]
    [InlineData("v2-lm")]
    [InlineData("v2-gns")]
    [InlineData("v2-cb")]
    public void Runs_Version2RegistryOfLastRelease_CsvMetricsAndJsonByteForByte(string study)
    {
        // Given: a copy of the registry the release wrote, and what that release printed for it
        var registry = "sqlite:" + CopyOfRegistry();

        // When
        var points = FitCli.Run("runs", "--study", study, "--registry", registry, "--csv");
        var metrics = FitCli.Run("runs", "--study", study, "--registry", registry, "--metrics", "--csv");
        var json = FitCli.Run("runs", "--study", study, "--registry", registry, "--json");

        // Then
        Assert.True(points.Code == 0, points.Err);
        Assert.Equal(File.ReadAllText(Path.Combine(Fixtures, study + ".points.csv")), points.Out);
        Assert.Equal(File.ReadAllText(Path.Combine(Fixtures, study + ".metrics.csv")), metrics.Out);
        Assert.Equal(File.ReadAllText(Path.Combine(Fixtures, study + ".runs.json")).Replace("\"REGISTRY\"", $"\"{registry}\"", StringComparison.Ordinal),
            json.Out);
    }
}
