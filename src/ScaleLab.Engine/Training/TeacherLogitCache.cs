using System.Globalization;
using ScaleLab.Engine.Data;
using ScaleLab.Engine.Files;

namespace ScaleLab.Engine.Training;

/// <summary>
/// A teacher's top-k logits for every training window one distillation run draws, on disk, so the run (and its resumes,
/// and runs that differ only in T, λ or the student's width) need no teacher forward pass. A <see cref="SealedFile"/>
/// "SLTK", version 1; payload (little-endian, strings length-prefixed UTF-8):
/// <code>
/// teacher:  identity (string: <see cref="ITeacher.Identity"/> of the untruncated teacher), description (string),
///           vocab V (int32), context length (int32, −1 for none), non-embedding parameters N_T (int64)
/// windows:  corpus fingerprint (string), data seed (uint64: the trainer's seed ⊕ <see cref="Trainer.DataStream"/>),
///           window length T (int32), micro-batch size (int32), windows W (int64)
/// cut:      k (int32), mass kept at temperature 1: mean and minimum over positions (2 × float64)
/// data:     W·T input tokens (uint16), then W·T·k token ids (uint16, ascending per position), then W·T·k logits (float32)
/// </code>
/// The truncation: each position keeps the teacher's k largest logits (ties keep the lower ids), the rest are −∞, which
/// is the soft target restricted to those k tokens and renormalised — what <see cref="TopKTeacher"/> computes, bit for bit.
/// The mass kept, Σ over the k kept tokens of softmax(z) at T = 1, states what the cut drops (at T &gt; 1 it drops more).
/// </summary>
public sealed class TeacherLogitCache
{
    public const string Magic = "SLTK";
    public const int FormatVersion = 1;
    private const string What = "teacher logit cache";
    private const string Remedy = "write it again with scalelab distill --write-teacher-cache";

    public required string TeacherIdentity { get; init; }
    public required string TeacherDescription { get; init; }
    public required int Vocab { get; init; }
    public required int? TeacherSeqLen { get; init; }
    public required long TeacherNonEmbeddingParameters { get; init; }
    public required string CorpusFingerprint { get; init; }
    public required ulong DataSeed { get; init; }
    public required int SeqLen { get; init; }
    public required int MicroBatchSize { get; init; }
    public required int TopK { get; init; }
    public required double MeanMassKept { get; init; }
    public required double MinMassKept { get; init; }

    /// <summary>Input tokens (W,T).</summary>
    public required ushort[] Tokens { get; init; }

    /// <summary>Kept token ids (W,T,k), ascending per position.</summary>
    public required ushort[] Ids { get; init; }

    /// <summary>The teacher's logits at <see cref="Ids"/> (W,T,k).</summary>
    public required float[] Logits { get; init; }

    public long Windows => Tokens.LongLength / SeqLen;

    /// <summary>The truncation in words: "top 4 of 256 tokens per position, keeping on average 98.7% of the teacher's
    /// probability mass at T = 1 (at least 61.2% at every position)".</summary>
    public string Truncation => string.Create(CultureInfo.InvariantCulture,
        $"top {TopK} of {Vocab} tokens per position, keeping on average {100 * MeanMassKept:F1}% of the teacher's probability mass at T = 1 (at least {100 * MinMassKept:F1}% at every position)");

    /// <summary>
    /// Runs <paramref name="teacher"/> on every window a <see cref="Trainer"/> with <paramref name="options"/> on
    /// <paramref name="corpus"/> draws (options.Steps × options.Batch windows, in the trainer's micro-batches and order)
    /// and keeps its top <paramref name="k"/> logits per position. <paramref name="progress"/> is told the windows done.
    /// </summary>
    public static TeacherLogitCache Capture(ITeacher teacher, ICorpus corpus, TrainOptions options, int k, Action<long>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(options);
        var V = teacher.Vocab;
        var T = options.Model.SeqLen;
        var B = options.MicroBatchSize;
        if (k < 1 || k > V) throw new ArgumentException($"top-k must be in 1..{V}, got {k}");
        if (V > ushort.MaxValue + 1) throw new ArgumentException($"a teacher logit cache stores token ids in 16 bits; vocabulary {V} is too large");
        TeacherCompatibility.Check(teacher, options.Model);
        var batches = checked(options.Steps * options.MicroBatches);
        var windows = checked(batches * B);
        var bytes = windows * T * (2.0 + 6.0 * k);
        if (bytes > Array.MaxLength - (1 << 20))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"the cache of {windows:N0} windows × {T} positions × top {k} would take {bytes / 1e9:F1} GB, more than one file holds (about 2 GB); cache fewer steps or a smaller k"));
        }
        var positions = windows * T;
        var tokens = new ushort[positions];
        var ids = new ushort[positions * k];
        var logits = new float[positions * k];
        var sampler = new BatchSampler(corpus, B, T, options.Seed ^ Trainer.DataStream);
        var (inputs, targets, row) = (new int[B * T], new int[B * T], new float[B * T * V]);
        var (scratch, kept) = (new float[V], new int[k]);
        double massSum = 0, massMin = double.PositiveInfinity;
        long p = 0;
        for (long batch = 0; batch < batches; batch++)
        {
            sampler.Next(inputs, targets);
            teacher.Logits(inputs, B, T, row);
            for (var n = 0; n < B * T; n++, p++)
            {
                tokens[p] = checked((ushort)inputs[n]);
                var z = row.AsSpan(n * V, V);
                TopKTeacher.Select(z, k, scratch, kept);
                var mass = MassKept(z, kept);
                massSum += mass;
                massMin = Math.Min(massMin, mass);
                for (var j = 0; j < k; j++)
                {
                    ids[p * k + j] = (ushort)kept[j];
                    logits[p * k + j] = z[kept[j]];
                }
            }
            progress?.Invoke((batch + 1) * B);
        }
        return new TeacherLogitCache
        {
            TeacherIdentity = teacher.Identity, TeacherDescription = teacher.Description, Vocab = V, TeacherSeqLen = teacher.SeqLen,
            TeacherNonEmbeddingParameters = teacher.NonEmbeddingParameters, CorpusFingerprint = corpus.Fingerprint,
            DataSeed = options.Seed ^ Trainer.DataStream, SeqLen = T, MicroBatchSize = B, TopK = k,
            MeanMassKept = massSum / positions, MinMassKept = massMin, Tokens = tokens, Ids = ids, Logits = logits,
        };
    }

    /// <summary>Σ over <paramref name="kept"/> of softmax(z) at T = 1, in double with the maximum subtracted.</summary>
    internal static double MassKept(ReadOnlySpan<float> z, ReadOnlySpan<int> kept)
    {
        var max = double.NegativeInfinity;
        foreach (var x in z) max = Math.Max(max, x);
        double total = 0, inside = 0;
        foreach (var x in z) total += Math.Exp(x - max);
        foreach (var v in kept) inside += Math.Exp(z[v] - max);
        return inside / total;
    }

    /// <summary>Throws one line (<see cref="InvalidDataException"/>) unless this cache holds every window a trainer with
    /// <paramref name="options"/> on <paramref name="corpus"/> draws, in the same micro-batches.</summary>
    public void EnsureCovers(ICorpus corpus, TrainOptions options, string path)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(options);
        if (CorpusFingerprint != corpus.Fingerprint)
        {
            throw new InvalidDataException($"teacher logit cache {path} was written on another corpus ({CorpusFingerprint}, this run trains on {corpus.Fingerprint}); write it again on this corpus");
        }
        if (SeqLen != options.Model.SeqLen) throw new InvalidDataException($"teacher logit cache {path} holds windows of {SeqLen} tokens, this run's are {options.Model.SeqLen}; train with --seq {SeqLen} or write the cache again");
        if (DataSeed != (options.Seed ^ Trainer.DataStream))
        {
            throw new InvalidDataException($"teacher logit cache {path} holds the windows of another data stream (seed {DataSeed ^ Trainer.DataStream}, this run's is {options.Seed}); train with --seed {DataSeed ^ Trainer.DataStream} or write the cache again");
        }
        if (MicroBatchSize != options.MicroBatchSize)
        {
            throw new InvalidDataException($"teacher logit cache {path} was written in micro-batches of {MicroBatchSize} windows, this run's are {options.MicroBatchSize}; train with the same batch or write the cache again");
        }
        var needed = options.Steps * options.Batch;
        if (Windows < needed)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"teacher logit cache {path} holds {Windows:N0} windows, this run draws {needed:N0} ({options.Steps:N0} steps × {options.Batch}); write it again with at least {options.Steps:N0} steps"));
        }
    }

    /// <summary>Throws one line (<see cref="InvalidDataException"/>) if this cache was written from another teacher than
    /// the one with <paramref name="identity"/>.</summary>
    public void EnsureTeacher(string identity, string description, string path)
    {
        if (!string.Equals(TeacherIdentity, identity, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"teacher logit cache {path} was written from another teacher ({TeacherDescription}, identity {Short(TeacherIdentity)}; this one is {description}, {Short(identity)}); write it again from this teacher");
        }
    }

    private static string Short(string identity) => identity.Length <= 16 ? identity : identity[..16] + "…";

    public void Save(string path) => SealedFile.Save(path, Magic, FormatVersion, w =>
    {
        w.Write(TeacherIdentity);
        w.Write(TeacherDescription);
        w.Write(Vocab);
        w.Write(TeacherSeqLen ?? -1);
        w.Write(TeacherNonEmbeddingParameters);
        w.Write(CorpusFingerprint);
        w.Write(DataSeed);
        w.Write(SeqLen);
        w.Write(MicroBatchSize);
        w.Write(Windows);
        w.Write(TopK);
        w.Write(MeanMassKept);
        w.Write(MinMassKept);
        w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(Tokens.AsSpan()));
        w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(Ids.AsSpan()));
        w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(Logits.AsSpan()));
    });

    /// <summary>Reads and verifies a cache; any problem (missing, foreign, newer, truncated, altered) is one line.</summary>
    public static TeacherLogitCache Load(string path) => SealedFile.Load(path, Magic, FormatVersion, What, Remedy, (r, _) =>
    {
        var identity = r.ReadString();
        var description = r.ReadString();
        var vocab = r.ReadInt32();
        var teacherSeq = r.ReadInt32();
        var teacherN = r.ReadInt64();
        var fingerprint = r.ReadString();
        var seed = r.ReadUInt64();
        var seqLen = r.ReadInt32();
        var micro = r.ReadInt32();
        var windows = r.ReadInt64();
        var k = r.ReadInt32();
        var (mean, min) = (r.ReadDouble(), r.ReadDouble());
        if (vocab < 1 || vocab > ushort.MaxValue + 1 || seqLen < 1 || micro < 1 || k < 1 || k > vocab || windows < 0 || teacherSeq < -1)
        {
            throw new InvalidDataException($"header out of range (V {vocab}, T {seqLen}, micro-batch {micro}, k {k}, windows {windows})");
        }
        var positions = checked(windows * seqLen);
        if (positions * (2L + 6L * k) != r.BaseStream.Length - r.BaseStream.Position)
        {
            throw new InvalidDataException($"{windows} windows × {seqLen} × top {k} do not match the remaining {r.BaseStream.Length - r.BaseStream.Position} bytes");
        }
        var tokens = new ushort[positions];
        var ids = new ushort[positions * k];
        var logits = new float[positions * k];
        SealedFile.ReadExactly<ushort>(r, tokens);
        SealedFile.ReadExactly<ushort>(r, ids);
        SealedFile.ReadExactly<float>(r, logits);
        foreach (var id in ids) if (id >= vocab) throw new InvalidDataException($"token id {id} outside the vocabulary of {vocab}");
        return new TeacherLogitCache
        {
            TeacherIdentity = identity, TeacherDescription = description, Vocab = vocab, TeacherSeqLen = teacherSeq < 0 ? null : teacherSeq,
            TeacherNonEmbeddingParameters = teacherN, CorpusFingerprint = fingerprint, DataSeed = seed, SeqLen = seqLen, MicroBatchSize = micro,
            TopK = k, MeanMassKept = mean, MinMassKept = min, Tokens = tokens, Ids = ids, Logits = logits,
        };
    });
}
