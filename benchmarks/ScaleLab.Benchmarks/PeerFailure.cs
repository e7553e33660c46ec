using System.Text.RegularExpressions;

namespace ScaleLab.Benchmarks;

/// <summary>A peer (PyTorch, scipy, numpy, OpenBLAS, a compiler or python3 itself) is not installed.</summary>
internal sealed class PeerMissingException : Exception
{
    public PeerMissingException(string peer) : base(peer) { }
    public PeerMissingException(string peer, Exception inner) : base(peer, inner) { }
    public PeerMissingException() { }
}

/// <summary>
/// Recognises a missing peer in a failed peer process, so the benchmark ends with one line naming it and the install
/// script instead of a stack trace. (Compiled into the CLI tests too, which check the recognition.)
/// </summary>
internal static partial class PeerFailure
{
    public const string InstallScript = "benchmarks/install-peers.sh";

    /// <summary>The missing peer, in words with its Debian package, or null when the failure is something else.</summary>
    public static string? MissingPeer(string stderr)
    {
        var module = PythonModule().Match(stderr);
        if (module.Success)
        {
            var name = module.Groups[1].Value.Split('.')[0];
            return $"the Python module '{name}' (Debian package python3-{name}, for /usr/bin/python3)";
        }
        if (stderr.Contains("cannot find -lopenblas", StringComparison.Ordinal) || stderr.Contains("cblas.h: No such file", StringComparison.Ordinal))
        {
            return "OpenBLAS (Debian package libopenblas-dev)";
        }
        return null;
    }

    /// <summary>The one line the benchmark program prints for a missing peer.</summary>
    public static string Line(PeerMissingException missing) =>
        $"benchmark: missing peer: {missing.Message}; install the peers with {InstallScript}";

    [GeneratedRegex(@"ModuleNotFoundError: No module named '([A-Za-z0-9_.]+)'")]
    private static partial Regex PythonModule();
}
