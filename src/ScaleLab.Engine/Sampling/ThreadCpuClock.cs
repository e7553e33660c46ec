using System.Runtime.InteropServices;

namespace ScaleLab.Engine.Sampling;

/// <summary>
/// CPU seconds consumed by the calling thread (Linux clock_gettime(CLOCK_THREAD_CPUTIME_ID)). On a machine shared with
/// other work, wall-clock times of single-threaded inference measure the scheduler's share as much as the code;
/// the thread's CPU time does not (caches shared with the other work still slow it). Null where unavailable.
/// </summary>
public static partial class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;

    /// <summary>Seconds of CPU the calling thread has used, or null off Linux.</summary>
    public static double? Now()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            return ClockGetTime(ClockThreadCpuTimeId, out var t) == 0 ? t.Seconds + t.Nanoseconds * 1e-9 : null;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);
}
