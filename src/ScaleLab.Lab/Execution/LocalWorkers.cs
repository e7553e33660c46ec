using System.Diagnostics;
using System.Globalization;
using ScaleLab.Lab.Registry;

namespace ScaleLab.Lab.Execution;

/// <summary>
/// Runs left "running" by a worker of this machine whose process is gone (killed, crashed, Ctrl+C'd without
/// cleanup). Worker ids are HOST:PID:TAG (<see cref="SweepWorker.NewWorkerId"/>), so on the same host the
/// process can be looked up: when it no longer exists, its runs can go back to the queue at once instead of
/// after the stale-heartbeat timeout. Workers of other hosts, and of live processes, are left alone.
/// </summary>
public static class LocalWorkers
{
    /// <summary>Puts the study's runs held by dead local processes back in the queue; returns how many.</summary>
    public static int ReleaseDead(IRunStore store, string study)
    {
        ArgumentNullException.ThrowIfNull(store);
        var released = 0;
        var workers = store.ListRuns(study)
            .Where(r => r.Status == RunStatus.Running && r.Worker is not null)
            .Select(r => r.Worker!)
            .Distinct();
        foreach (var worker in workers)
        {
            if (ProcessOf(worker) is { } pid && !IsAlive(pid))
            {
                released += store.ReleaseWorker(worker);
            }
        }
        return released;
    }

    /// <summary>The process id of a worker id of this host, or null (another host, or not a HOST:PID:TAG id).</summary>
    public static int? ProcessOf(string worker)
    {
        var parts = worker.Split(':');
        return parts.Length >= 3 && parts[0] == Environment.MachineName
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0
            ? pid
            : null;
    }

    /// <summary>
    /// Whether process <paramref name="pid"/> is running. On Linux from /proc/PID/stat, where a killed process that
    /// its parent has not yet reaped (a zombie, state Z) counts as dead; elsewhere from <see cref="Process"/>.
    /// </summary>
    public static bool IsAlive(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            return ProcStat(pid) is { } stat && stat.State is not ('Z' or 'X' or 'x');
        }
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>State letter and parent pid from /proc/PID/stat ("pid (comm) S ppid ..."; comm may hold spaces and
    /// parentheses, so fields are read after the last ')'); null when the process does not exist.</summary>
    public static (char State, int ParentPid)? ProcStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        var fields = text[(text.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 2 && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ppid)
            ? (fields[0][0], ppid)
            : null;
    }
}
