using System.Runtime.InteropServices;

namespace ScaleLab.Engine.Training;

/// <summary>
/// A teacher read from a <see cref="TeacherLogitCache"/>: for each input window it finds the window in the cache by its
/// tokens (a hash of the tokens, then a full comparison) and writes the cached top-k logits, −∞ elsewhere. Its logits
/// equal those of a <see cref="TopKTeacher"/> over the teacher the cache was written from, bit for bit, so a distilled run
/// trains the same from the cache as from the teacher. A window the cache does not hold is an
/// <see cref="InvalidOperationException"/> in one line (check <see cref="TeacherLogitCache.EnsureCovers"/> first).
/// </summary>
public sealed class CachedTopKTeacher : ITeacher
{
    private readonly TeacherLogitCache _cache;
    private readonly string _path;
    private readonly Dictionary<ReadOnlyMemory<ushort>, long> _windows;
    private readonly ushort[] _probe;

    public CachedTopKTeacher(TeacherLogitCache cache, string path)
    {
        ArgumentNullException.ThrowIfNull(cache);
        _cache = cache;
        _path = path;
        var T = cache.SeqLen;
        _probe = new ushort[T];
        _windows = new Dictionary<ReadOnlyMemory<ushort>, long>(WindowComparer.Instance);
        // A window drawn twice has the same logits both times (teachers are deterministic), so the first is kept.
        for (long w = 0; w < cache.Windows; w++) _windows.TryAdd(cache.Tokens.AsMemory((int)(w * T), T), w);
        Description = $"{cache.TeacherDescription}, {cache.Truncation}, read from cache {Path.GetFileName(path)}";
        Identity = TopKTeacher.IdentityOf(cache.TeacherIdentity, cache.TopK);
    }

    public string Description { get; }
    public string Identity { get; }
    public int Vocab => _cache.Vocab;
    public int? SeqLen => _cache.TeacherSeqLen;

    /// <summary>The cached teacher's N_T: the forward passes were paid when the cache was written, once for every run that
    /// reads it; a study counts them as 2·N_T·D per run all the same.</summary>
    public long NonEmbeddingParameters => _cache.TeacherNonEmbeddingParameters;

    public TeacherLogitCache Cache => _cache;

    public void Logits(ReadOnlySpan<int> inputs, int batch, int seqLen, Span<float> logits)
    {
        var (V, k) = (Vocab, _cache.TopK);
        if (seqLen != _cache.SeqLen) throw new ArgumentException($"teacher logit cache {_path} holds windows of {_cache.SeqLen} tokens, asked for {seqLen}");
        if (inputs.Length != batch * seqLen || logits.Length < (long)batch * seqLen * V)
        {
            throw new ArgumentException($"cached teacher: inputs must hold B·T = {batch * seqLen} tokens and logits B·T·V = {(long)batch * seqLen * V}");
        }
        logits[..(batch * seqLen * V)].Fill(float.NegativeInfinity);
        for (var b = 0; b < batch; b++)
        {
            var row = inputs.Slice(b * seqLen, seqLen);
            for (var t = 0; t < seqLen; t++) _probe[t] = (ushort)row[t];
            if (!_windows.TryGetValue(_probe, out var w))
            {
                throw new InvalidOperationException($"teacher logit cache {_path} does not hold window {b} of this batch (it holds the {_cache.Windows:N0} windows it was written for); write it again for this run");
            }
            for (var t = 0; t < seqLen; t++)
            {
                var p = (w * seqLen + t) * k;
                var dest = logits.Slice((b * seqLen + t) * V, V);
                for (var j = 0; j < k; j++) dest[_cache.Ids[p + j]] = _cache.Logits[p + j];
            }
        }
    }

    public void Dispose()
    {
    }

    /// <summary>Windows compared by their tokens.</summary>
    private sealed class WindowComparer : IEqualityComparer<ReadOnlyMemory<ushort>>
    {
        public static readonly WindowComparer Instance = new();

        public bool Equals(ReadOnlyMemory<ushort> x, ReadOnlyMemory<ushort> y) => x.Span.SequenceEqual(y.Span);

        public int GetHashCode(ReadOnlyMemory<ushort> obj)
        {
            var hash = new HashCode();
            hash.AddBytes(MemoryMarshal.AsBytes(obj.Span));
            return hash.ToHashCode();
        }
    }
}
