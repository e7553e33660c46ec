using ScaleLab.Cli;

namespace ScaleLab.Cli.Tests;

/// <summary>Commands that only read a registry refuse a missing SQLite file and leave no empty registry behind.</summary>
public sealed class RegistryToReadTests
{
    [Theory]
    [InlineData("hex", "frontier", "--study", "s")]
    [InlineData("sae", "scaling", "--study", "s")]
    [InlineData("compare", "--study", "a", "--study", "b")]
    [InlineData("speculate", "--study", "s")]
    public void Read_MissingSqliteRegistry_ExitTwoOneLineAndNoFileCreated(params string[] args)
    {
        // Given
        var dir = Directory.CreateTempSubdirectory("scalelab-read-registry-");
        try
        {
            var path = Path.Combine(dir.FullName, "none.db");

            // When
            var (code, output, err) = SpeculateCommandTests.Run([.. args, "--registry", "sqlite:" + path]);

            // Then
            Assert.True(code == CliApp.ExitUsage, $"exit {code}: {err}");
            Assert.Single(err.Trim().Split('\n'));
            Assert.Contains("no such registry", err, StringComparison.Ordinal);
            Assert.Equal("", output);
            Assert.False(File.Exists(path));
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
