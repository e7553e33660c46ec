using ScaleLab.Engine.Data;

namespace ScaleLab.Engine.Training;

/// <summary>
/// A distillation teacher: for a batch of inputs (B,T) it writes logits (B,T,V) for the next token at every position,
/// with no gradient. A logit of −∞ rules a token out (its probability is 0 at every temperature). Teachers are
/// deterministic functions of the inputs, so a distilled run resumes bit for bit.
/// </summary>
public interface ITeacher : IDisposable
{
    /// <summary>What the teacher is, for run records and reports ("oracle of synthetic markov …", "checkpoint t.ckpt (L=2 C=64)").</summary>
    string Description { get; }

    /// <summary>What the teacher computes, exactly, so a teacher-logit cache is never read as another teacher's: a model's
    /// SHA-256 of shape and weights (<see cref="Sae.ActivationFile.IdentityOf"/>), "oracle:" and the corpus fingerprint,
    /// ":top" and k appended for a truncation.</summary>
    string Identity { get; }

    /// <summary>Vocabulary V of its logits.</summary>
    int Vocab { get; }

    /// <summary>Longest context it was trained on; null for a teacher without one (the oracle sees any window).</summary>
    int? SeqLen { get; }

    /// <summary>Non-embedding parameters N_T, for the teacher-forward compute 2·N_T per token; 0 for the oracle (a table lookup).</summary>
    long NonEmbeddingParameters { get; }

    /// <summary>Writes logits (B,T,V) for inputs (B,T) into <paramref name="logits"/>.</summary>
    void Logits(ReadOnlySpan<int> inputs, int batch, int seqLen, Span<float> logits);
}

/// <summary>Checks that a teacher can teach a student of <paramref name="student"/>'s shape: the same vocabulary and the
/// same context length (the issue's bad inputs); an <see cref="ArgumentException"/> in one line otherwise.</summary>
public static class TeacherCompatibility
{
    public static void Check(ITeacher teacher, GptConfig student)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(student);
        if (teacher.Vocab != student.Vocab)
        {
            throw new ArgumentException($"teacher vocabulary {teacher.Vocab} differs from the student's {student.Vocab}; distill between models of one tokenizer");
        }
        if (teacher.SeqLen is { } t && t != student.SeqLen)
        {
            throw new ArgumentException($"teacher context length {t} differs from the student's {student.SeqLen}; train the student with --seq {t}");
        }
    }
}

/// <summary>A trained model as teacher: its forward pass (built for inference, no gradients) on the student's inputs.</summary>
public sealed class GptTeacher : ITeacher
{
    private readonly Gpt _model;

    /// <summary>A teacher with the weights of <paramref name="checkpoint"/> for batches of up to <paramref name="maxBatch"/> sequences.</summary>
    public GptTeacher(Checkpoint checkpoint, int maxBatch, int threads, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        _model = Gpt.FromCheckpoint(checkpoint, maxBatch, threads: threads);
        var c = checkpoint.Config;
        Description = FormattableString.Invariant($"{name ?? "checkpoint"} (L={c.Layers} C={c.DModel} N={c.NonEmbeddingParameterCount})");
        Config = c;
        Identity = Sae.ActivationFile.IdentityOf(c, _model.Parameters);
    }

    public GptConfig Config { get; }
    public string Description { get; }
    public string Identity { get; }
    public int Vocab => Config.Vocab;
    public int? SeqLen => Config.SeqLen;
    public long NonEmbeddingParameters => Config.NonEmbeddingParameterCount;

    public void Logits(ReadOnlySpan<int> inputs, int batch, int seqLen, Span<float> logits)
    {
        _model.Forward(inputs, [], batch, seqLen);
        _model.Logits.CopyTo(logits);
    }

    /// <summary>Mean validation cross-entropy of the teacher itself on windows 0..count−1 of <paramref name="corpus"/> (nats).</summary>
    public double ValidationLoss(ICorpus corpus, int count)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        var T = Config.SeqLen;
        var total = 0.0;
        var inputs = new int[_model.MaxBatch * T];
        var targets = new int[inputs.Length];
        for (var first = 0; first < count; first += _model.MaxBatch)
        {
            var n = Math.Min(_model.MaxBatch, count - first);
            corpus.GetValidation(first, inputs.AsSpan(0, n * T), targets.AsSpan(0, n * T), n, T);
            total += (double)_model.Forward(inputs.AsSpan(0, n * T), targets.AsSpan(0, n * T), n, T) * n;
        }
        return total / count;
    }

    public void Dispose() => _model.Dispose();
}

/// <summary>
/// The perfect teacher of the synthetic corpus: at each position the source's exact Bayes-optimal next-symbol
/// distribution given the window so far (<see cref="MarkovSource.OracleDistribution"/>), as logits ln P over the
/// alphabet's byte tokens and −∞ for every other byte (the source never emits them). Its cross-entropy on a window is
/// the window's floor <see cref="MarkovSource.OracleLogLoss"/>.
/// </summary>
public sealed class OracleTeacher(SyntheticCorpus corpus, int vocab = ByteTokenizer.VocabSize) : ITeacher
{
    private readonly MarkovSource _source = (corpus ?? throw new ArgumentNullException(nameof(corpus))).Source;

    public string Description { get; } = $"oracle of {corpus.Description}";
    public string Identity { get; } = $"oracle:{corpus.Fingerprint}";
    public int Vocab { get; } = vocab;
    public int? SeqLen => null;
    public long NonEmbeddingParameters => 0;

    public void Logits(ReadOnlySpan<int> inputs, int batch, int seqLen, Span<float> logits)
    {
        var V = Vocab;
        if (inputs.Length != batch * seqLen || logits.Length < (long)batch * seqLen * V)
        {
            throw new ArgumentException($"oracle teacher: inputs must hold B·T = {batch * seqLen} tokens and logits B·T·V = {(long)batch * seqLen * V}");
        }
        logits[..(batch * seqLen * V)].Fill(float.NegativeInfinity);
        for (var b = 0; b < batch; b++)
        {
            var row = inputs.Slice(b * seqLen, seqLen);
            for (var t = 0; t < seqLen; t++)
            {
                var p = _source.OracleDistribution(row[..(t + 1)]);
                var dest = logits.Slice((b * seqLen + t) * V, V);
                for (var x = 0; x < p.Length; x++) dest[MarkovSource.Token(x)] = (float)Math.Log(p[x]);
            }
        }
    }

    public void Dispose()
    {
    }
}

/// <summary>
/// A teacher truncated to its top k tokens per position: the other logits are set to −∞, so the soft target is the
/// teacher's distribution restricted to its k most probable tokens and renormalised (at every temperature). This is
/// what a top-k logit cache stores; the truncation drops the teacher's tail mass, which this wrapper states in
/// <see cref="Description"/>. Ties at the k-th value keep the lower token ids.
/// </summary>
public sealed class TopKTeacher : ITeacher
{
    private readonly ITeacher _inner;
    private readonly int _k;

    public TopKTeacher(ITeacher inner, int k)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (k < 1 || k > inner.Vocab) throw new ArgumentException($"top-k must be in 1..{inner.Vocab}, got {k}");
        _inner = inner;
        _k = k;
        Description = $"{inner.Description}, truncated to its top {k} tokens per position and renormalised";
        Identity = IdentityOf(inner.Identity, k);
    }

    public string Description { get; }
    public string Identity { get; }

    /// <summary>The identity of a teacher truncated to its top <paramref name="k"/>.</summary>
    public static string IdentityOf(string teacherIdentity, int k) => FormattableString.Invariant($"{teacherIdentity}:top{k}");
    public int Vocab => _inner.Vocab;
    public int? SeqLen => _inner.SeqLen;
    public long NonEmbeddingParameters => _inner.NonEmbeddingParameters;

    public void Logits(ReadOnlySpan<int> inputs, int batch, int seqLen, Span<float> logits)
    {
        _inner.Logits(inputs, batch, seqLen, logits);
        var V = Vocab;
        if (_k == V) return;
        var scratch = new float[V];
        Span<int> kept = new int[_k];
        for (var n = 0; n < batch * seqLen; n++)
        {
            var row = logits.Slice(n * V, V);
            Select(row, _k, scratch, kept);
            var next = 0;
            for (var v = 0; v < V; v++)
            {
                if (next < _k && kept[next] == v) next++;
                else row[v] = float.NegativeInfinity;
            }
        }
    }

    /// <summary>Writes into <paramref name="kept"/> (length k) the ids of the k largest values of <paramref name="row"/>
    /// in ascending id order; ties at the k-th value keep the lower ids. <paramref name="scratch"/> holds V floats.</summary>
    public static void Select(ReadOnlySpan<float> row, int k, float[] scratch, Span<int> kept)
    {
        ArgumentNullException.ThrowIfNull(scratch);
        var V = row.Length;
        if (k < 1 || k > V || kept.Length != k || scratch.Length < V) throw new ArgumentException($"top-{k} of {V} values needs k in 1..{V}, {k} ids and {V} scratch floats");
        // k-th largest by a descending sort of a copy; V is small (256 bytes) next to the forward pass.
        row.CopyTo(scratch);
        Array.Sort(scratch, 0, V, Comparer<float>.Create((a, b) => b.CompareTo(a)));
        var threshold = scratch[k - 1];
        var above = 0;
        for (var v = 0; v < V; v++) if (row[v] > threshold) above++;
        var tiesToKeep = k - above;
        var n = 0;
        for (var v = 0; v < V; v++)
        {
            if (row[v] > threshold || (row[v] == threshold && tiesToKeep-- > 0)) kept[n++] = v;
        }
    }

    public void Dispose() => _inner.Dispose();
}
