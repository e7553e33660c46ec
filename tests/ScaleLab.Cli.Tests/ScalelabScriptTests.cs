using System.Diagnostics;

namespace ScaleLab.Cli.Tests;

/// <summary>The <c>./scalelab</c> launcher rebuilds when a source changed, not when build outputs under src/ did.</summary>
public sealed class ScalelabScriptTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("scalelab-script-");

    public void Dispose() => _root.Delete(true);

    private string File(string relative, DateTime writtenUtc)
    {
        var path = Path.Combine(_root.FullName, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path, "x");
        System.IO.File.SetLastWriteTimeUtc(path, writtenUtc);
        return path;
    }

    /// <summary>What the launcher would rebuild for (empty when up to date), from its SCALELAB_STAMP_CHECK mode.</summary>
    private string WouldRebuildFor()
    {
        var info = new ProcessStartInfo("bash", [Path.Combine(_root.FullName, "scalelab")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["SCALELAB_STAMP_CHECK"] = "1";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, process.StandardError.ReadToEnd());
        return output.Trim();
    }

    [Fact]
    public void StampCheck_BuildOutputsNewerThanTheStamp_NoRebuild_ASourceNewer_Rebuild()
    {
        // Given: a checkout whose stamp is newer than every source, but older than bin/ and obj/ outputs under src/.
        var script = Path.Combine(CliContractTests.RepositoryRoot(), "scalelab");
        System.IO.File.Copy(script, Path.Combine(_root.FullName, "scalelab"));
        var stamp = DateTime.UtcNow.AddMinutes(-5);
        File("artifacts/cli/.built", stamp);
        File("Directory.Build.props", stamp.AddMinutes(-10));
        var source = File("src/ScaleLab.Cli/Program.cs", stamp.AddMinutes(-10));
        File("src/ScaleLab.Cli/ScaleLab.Cli.csproj", stamp.AddMinutes(-10));
        File("src/ScaleLab.Cli/bin/Release/net10.0/scalelab.dll", stamp.AddMinutes(2));
        File("src/ScaleLab.Cli/obj/Release/net10.0/project.assets.json", stamp.AddMinutes(2));
        File("src/ScaleLab.Cli/obj/Release/net10.0/ScaleLab.Cli.AssemblyInfo.cs", stamp.AddMinutes(2));

        // When / Then: outputs alone do not count (on today's main they trigger a 90 s rebuild)...
        Assert.Equal("", WouldRebuildFor());

        // ...an edited source does.
        System.IO.File.SetLastWriteTimeUtc(source, stamp.AddMinutes(1));
        Assert.Equal(source, WouldRebuildFor());
    }
}
