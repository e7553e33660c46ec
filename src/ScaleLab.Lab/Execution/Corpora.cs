using System.Collections.Concurrent;
using System.Security.Cryptography;
using ScaleLab.Engine.Data;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Lab.Execution;

/// <summary>
/// Builds the corpus a run names, once per process: "synthetic" (the engine's default Markov source),
/// "synthetic:SEED" (the same source family with another seed) or a text file, whose SHA-256 must still
/// match the one recorded when the sweep was planned.
/// </summary>
public static class Corpora
{
    private static readonly ConcurrentDictionary<string, Lazy<ICorpus>> Cache = new();

    public static ICorpus Open(RunSpec run) => Open(run.Corpus, run.CorpusSha256);

    public static ICorpus Open(string corpus, string? sha256 = null)
    {
        var key = corpus + "|" + sha256;
        return Cache.GetOrAdd(key, _ => new Lazy<ICorpus>(() => Build(corpus, sha256))).Value;
    }

    private static ICorpus Build(string corpus, string? sha256)
    {
        if (corpus == "synthetic")
        {
            return SyntheticCorpus.Default;
        }
        if (corpus.StartsWith("synthetic:", StringComparison.Ordinal))
        {
            if (!ulong.TryParse(corpus["synthetic:".Length..], out var seed))
            {
                throw new FormatException($"corpus '{corpus}': the seed after 'synthetic:' must be a non-negative integer");
            }
            return new SyntheticCorpus(new MarkovSourceOptions { Seed = seed });
        }
        if (!File.Exists(corpus))
        {
            throw new FileNotFoundException($"corpus file {corpus} not found", corpus);
        }
        if (sha256 is not null)
        {
            using var stream = File.OpenRead(corpus);
            var actual = Convert.ToHexStringLower(SHA256.HashData(stream));
            if (actual != sha256)
            {
                throw new InvalidDataException($"corpus file {corpus} changed since the sweep was planned (sha256 {actual[..12]}…, expected {sha256[..12]}…)");
            }
        }
        return TextCorpus.Load(corpus);
    }
}
