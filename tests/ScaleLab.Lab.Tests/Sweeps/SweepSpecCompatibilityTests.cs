using Microsoft.Data.Sqlite;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Lab.Tests.Sweeps;

/// <summary>Specs of the release before run kinds (Registry/Fixtures) expand to the very runs that release
/// recorded: same keys, same config JSON, same ordinals, so re-running them finds their runs.</summary>
public sealed class SweepSpecCompatibilityTests : IDisposable
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Registry", "Fixtures");

    private readonly string _directory = Directory.CreateTempSubdirectory("scalelab-speccompat-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Theory]
    [InlineData("v2-lm")]
    [InlineData("v2-gns")]
    public void Expand_SpecOfLastRelease_SameKeysAndConfigAsItsRegistry(string study)
    {
        // Given
        var db = Path.Combine(_directory, "v2.db");
        File.Copy(Path.Combine(Fixtures, "registry-v2.sqlite"), db);
        var spec = SweepSpec.Load(Path.Combine(Fixtures, study + ".toml"));

        // When
        var expanded = spec.Expand().Select(r => r.ToNewRun()).ToList();
        using var store = RunStores.Open("sqlite:" + db);
        var recorded = store.ListRuns(study);

        // Then
        Assert.Equal(recorded.Select(r => (r.Key, r.Ordinal, r.ConfigJson)), expanded.Select(r => (r.Key, r.Ordinal, r.ConfigJson)));
        Assert.Equal(recorded.Count, store.Enqueue(study, expanded) + recorded.Count);
    }
}
