namespace ScaleLab.Engine.Data;

/// <summary>Where a <see cref="BatchSampler"/> stands: its generator state and how many batches it has drawn.</summary>
public sealed record DataPosition(ulong[] RngState, long Batches);

/// <summary>
/// Draws training batches of shape (B,T) from a corpus with its own seeded <see cref="Rng"/>, separate
/// from the model's initialisation stream. Its <see cref="Position"/> goes into checkpoints, and
/// <see cref="Restore"/> continues the exact same sequence of batches.
/// </summary>
public sealed class BatchSampler
{
    private Rng _rng;

    public BatchSampler(ICorpus corpus, int batch, int seqLen, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        corpus.CheckSequenceLength(seqLen);
        Corpus = corpus;
        Batch = batch;
        SeqLen = seqLen;
        _rng = new Rng(seed);
    }

    public ICorpus Corpus { get; }
    public int Batch { get; }
    public int SeqLen { get; }
    public long Batches { get; private set; }

    public DataPosition Position => new(_rng.GetState(), Batches);

    /// <summary>Fills inputs (B,T) and targets (B,T) with the next batch.</summary>
    public void Next(Span<int> inputs, Span<int> targets)
    {
        Corpus.SampleTrain(_rng, inputs, targets, Batch, SeqLen);
        Batches++;
    }

    public void Restore(DataPosition position)
    {
        _rng = Rng.FromState(position.RngState);
        Batches = position.Batches;
    }
}
