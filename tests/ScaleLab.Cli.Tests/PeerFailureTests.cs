using System.Diagnostics;
using ScaleLab.Benchmarks;

namespace ScaleLab.Cli.Tests;

/// <summary>A benchmark whose peer is missing ends with one line naming it (and the install script), not a stack trace.</summary>
public sealed class PeerFailureTests
{
    [Fact]
    public void MissingPeer_RealPythonImportError_NamesTheModuleAndItsDebianPackage()
    {
        // Given: what /usr/bin/python3 prints when a module is absent.
        var info = new ProcessStartInfo("/usr/bin/python3", ["-c", "import scalelab_no_such_module.sub"]) { RedirectStandardError = true };
        using var python = Process.Start(info)!;
        var stderr = python.StandardError.ReadToEnd();
        python.WaitForExit();

        // When
        var missing = PeerFailure.MissingPeer(stderr);

        // Then
        Assert.NotEqual(0, python.ExitCode);
        Assert.Equal("the Python module 'scalelab_no_such_module' (Debian package python3-scalelab_no_such_module, for /usr/bin/python3)", missing);
        var line = PeerFailure.Line(new PeerMissingException(missing!));
        Assert.DoesNotContain("\n", line);
        Assert.Contains("benchmarks/install-peers.sh", line);
    }

    [Theory]
    [InlineData("/usr/bin/ld: cannot find -lopenblas: No such file or directory\ncollect2: error: ld returned 1 exit status", "OpenBLAS (Debian package libopenblas-dev)")]
    [InlineData("engine_sgemm.c:3:10: fatal error: cblas.h: No such file or directory", "OpenBLAS (Debian package libopenblas-dev)")]
    [InlineData("Traceback (most recent call last):\nModuleNotFoundError: No module named 'torch'", "the Python module 'torch' (Debian package python3-torch, for /usr/bin/python3)")]
    [InlineData("ValueError: shapes do not match", null)]
    [InlineData("", null)]
    public void MissingPeer_KnownAndUnknownFailures(string stderr, string? expected) =>
        Assert.Equal(expected, PeerFailure.MissingPeer(stderr));

    [Fact]
    public void InstallScript_InstallsEveryPeerFromDebianPackages()
    {
        var script = Path.Combine(CliContractTests.RepositoryRoot(), PeerFailure.InstallScript);
        var text = File.ReadAllText(script);
        foreach (var package in new[] { "python3-torch", "python3-scipy", "python3-numpy", "libopenblas-dev" })
        {
            Assert.Contains(package, text);
        }
        Assert.True(OperatingSystem.IsWindows() || (File.GetUnixFileMode(script) & UnixFileMode.UserExecute) != 0, "install-peers.sh must be executable");
        using var syntax = Process.Start(new ProcessStartInfo("bash", ["-n", script]))!;
        syntax.WaitForExit();
        Assert.Equal(0, syntax.ExitCode);
    }
}
