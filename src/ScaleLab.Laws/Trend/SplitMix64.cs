namespace ScaleLab.Laws.Trend;

/// <summary>
/// SplitMix64 (Steele, Lea &amp; Flood 2014): a tiny seeded generator. Bootstrap replicate r of a run with
/// seed s draws from <c>SplitMix64.ForStream(s, r)</c>, so each replicate's resample depends only on
/// (s, r) and results are identical whatever the thread count or scheduling.
/// </summary>
internal struct SplitMix64(ulong state)
{
    private ulong _state = state;

    public static SplitMix64 ForStream(ulong seed, ulong stream)
    {
        // Mix the stream index through one SplitMix step so neighbouring streams do not overlap.
        var mixer = new SplitMix64(seed ^ (0x9E3779B97F4A7C15UL * (stream + 1)));
        return new SplitMix64(mixer.NextUInt64());
    }

    public ulong NextUInt64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform integer in [0, n) by Lemire's multiply-high method (bias below 2^-64·n).</summary>
    public int NextInt(int n) => (int)Math.BigMul(NextUInt64(), (ulong)n, out _);

    /// <summary>Uniform double in [0, 1) from the top 53 bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Standard normal draw by Box–Muller (one of the pair).</summary>
    public double NextGaussian()
    {
        var u1 = 1.0 - NextDouble();
        var u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
