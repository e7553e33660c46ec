namespace ScaleLab.Laws;

/// <summary>
/// SplitMix64 (Steele, Lea &amp; Flood 2014, "Fast splittable pseudorandom number generators", OOPSLA): the one seeded
/// generator of the statistics code (bootstrap resamples, residual draws, synthetic noise). A state advances by the
/// golden-ratio increment γ = 0x9E3779B97F4A7C15 and each output is the state passed through the MurmurHash3-style
/// finaliser (<see cref="Mix"/>).
/// <para>
/// The one stream rule: stream k of seed s starts at the state Mix(s ⊕ Mix(k + 1)), a pseudo-random point of the
/// 2^64 cycle, so replicate k of a bootstrap depends only on (s, k) and results are the same whatever the thread
/// count. Starting streams at s + k·γ, the generator's own increment, would make stream k + 1 a one-step shift of
/// stream k: correlated resamples and intervals that are far too narrow. Callers that need several families of
/// streams under one seed put the family in the high bits of k (the trend's eras: k = era·2^32 + replicate) or
/// in the seed (the back-test's residual draws: s ⊕ 0x5EED5EED5EED).
/// </para>
/// The engine keeps its own copy for seeding xoshiro256** (<c>ScaleLab.Engine.Rng</c>): Engine may reference
/// only System.Numerics.Tensors (DESIGN.md), and that copy derives no streams.
/// </summary>
public struct SplitMix64(ulong state)
{
    /// <summary>The golden-ratio increment γ = ⌊2^64/φ⌋ (odd), SplitMix64's step.</summary>
    public const ulong Gamma = 0x9E3779B97F4A7C15UL;

    private ulong _state = state;

    /// <summary>The generator for stream <paramref name="stream"/> of <paramref name="seed"/>: state Mix(seed ⊕ Mix(stream + 1)).</summary>
    public static SplitMix64 Stream(ulong seed, ulong stream) => new(Mix(seed ^ Mix(stream + 1)));

    /// <summary>SplitMix64's output function of a state z: the finaliser of z + γ (variant 13 of Stafford's mixers).</summary>
    public static ulong Mix(ulong z)
    {
        z += Gamma;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        var z = Mix(_state);
        _state += Gamma;
        return z;
    }

    /// <summary>Uniform integer in [0, n) by Lemire's multiply-high method (bias below n·2^-64).</summary>
    public int NextInt(int n) => (int)Math.BigMul(NextUInt64(), (ulong)n, out _);

    /// <summary>Uniform double in [0, 1) from the top 53 bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Standard normal draw by Box–Muller (the cosine one of the pair; two uniforms per draw).</summary>
    public double NextGaussian()
    {
        var u1 = 1.0 - NextDouble();
        var u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
