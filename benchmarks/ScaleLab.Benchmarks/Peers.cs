using System.Diagnostics;

namespace ScaleLab.Benchmarks;

/// <summary>Where the peer programs live and how they are run: one process, stdout returned, a failure thrown with its stderr.</summary>
internal static class Peers
{
    /// <summary>The repository root (the folder holding ScaleLab.slnx) above the benchmark binary.</summary>
    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ScaleLab.slnx")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new DirectoryNotFoundException("cannot find the repository root (ScaleLab.slnx) above the benchmark binary");
    }

    /// <summary>benchmarks/peers, where the peer scripts and sources are kept.</summary>
    public static string Folder() => Path.Combine(RepoRoot(), "benchmarks", "peers");

    public static string Run(string file, string arguments, params (string Key, string Value)[] env)
    {
        var info = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in env)
        {
            info.Environment[k] = v;
        }
        Process? started;
        try
        {
            started = Process.Start(info);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new PeerMissingException($"{file} (not found or not executable)", ex);
        }
        using var p = started ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0 && PeerFailure.MissingPeer(stderr) is { } missing)
        {
            throw new PeerMissingException(missing);
        }
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {arguments} failed ({p.ExitCode}): {stderr.Trim()}");
        }
        return stdout.Result;
    }
}
