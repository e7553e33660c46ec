namespace ScaleLab.Engine.Sampling;

/// <summary>The timing and token-segment helpers shared by <see cref="SpeculativeMeasurement"/> and <see cref="SpeculativeRounds"/>.</summary>
internal static class SpeculativeTiming
{
    /// <summary>Refuses thread CPU time where the platform has none (Linux only).</summary>
    public static void CheckClock(bool cpuTime)
    {
        if (cpuTime && ThreadCpuClock.Now() is null) throw new PlatformNotSupportedException("thread CPU time is available on Linux only; time by the wall clock");
    }

    /// <summary>Seconds that <paramref name="work"/> took: the sampling thread's CPU time, or the wall clock of <paramref name="clock"/>.</summary>
    public static double Time(bool cpuTime, TimeProvider clock, Action work)
    {
        if (cpuTime)
        {
            var cpu = ThreadCpuClock.Now()!.Value;
            work();
            return ThreadCpuClock.Now()!.Value - cpu;
        }
        var start = clock.GetTimestamp();
        work();
        return clock.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>Runs <paramref name="work"/> (timed by <paramref name="time"/>) until it has run at least twice and for at
    /// least a quarter second in all, and returns the fastest run. Warm-up, not a measurement: the JIT recompiles hot
    /// methods at its optimising tier only after some 30 calls and a background delay, and a first run is slowed by the
    /// unoptimised code; where a price is taken from warm-up (γ = auto), the fastest run is the least disturbed by load.</summary>
    public static double WarmUp(Func<Action, double> time, Action work)
    {
        double spent = 0, fastest = double.PositiveInfinity;
        for (var runs = 0; spent < 0.25 || runs < 2; runs++)
        {
            var t = time(work);
            fastest = Math.Min(fastest, t);
            spent += t;
        }
        return fastest;
    }

    /// <summary><paramref name="tokens"/> tokens generated in segments of at most <paramref name="segment"/> (what the
    /// context leaves after the prompt), segment g seeded <paramref name="seed"/> + g.</summary>
    public static int[] Segments(int tokens, int segment, ulong seed, Func<int, ulong, int[]> generate)
    {
        var all = new List<int>(tokens);
        for (var g = 0UL; all.Count < tokens; g++) all.AddRange(generate(Math.Min(segment, tokens - all.Count), seed + g));
        return [.. all];
    }
}
