namespace ScaleLab.Engine.Data;

/// <summary>
/// A source of training and validation windows over the byte vocabulary (token ids 0..255).
/// Shapes: <c>inputs (B,T)</c> and <c>targets (B,T)</c> row-major, where <c>targets[b,t] = inputs[b,t+1]</c>
/// inside one window of T + 1 consecutive tokens.
/// </summary>
public interface ICorpus
{
    /// <summary>Human-readable name ("synthetic markov A=16 K=4 seed=1", "file data.txt").</summary>
    string Description { get; }

    /// <summary>
    /// Identifies the data exactly (source parameters, or a content hash of the file), so a checkpoint
    /// can refuse to resume on different data.
    /// </summary>
    string Fingerprint { get; }

    /// <summary>Exact entropy rate in nats per token where the source is known (synthetic), otherwise null.</summary>
    double? EntropyRate { get; }

    /// <summary>
    /// The lowest mean loss any model can reach on windows of <paramref name="seqLen"/> predicted tokens
    /// (early positions see less context than the source's order), or null where unknown.
    /// </summary>
    double? LossFloor(int seqLen);

    /// <summary>
    /// The Bayes-optimal mean loss on validation windows 0..count−1 (the exact floor of that fixed set, so
    /// model minus floor is a paired gap without the set's sampling noise), or null where unknown.
    /// </summary>
    double? ValidationFloor(int count, int seqLen);

    /// <summary>Throws <see cref="InvalidDataException"/> (one line) if windows of T + 1 tokens cannot be cut.</summary>
    void CheckSequenceLength(int seqLen);

    /// <summary>Fills one training batch with windows drawn using <paramref name="rng"/> (the data stream).</summary>
    void SampleTrain(Rng rng, Span<int> inputs, Span<int> targets, int batch, int seqLen);

    /// <summary>
    /// Fills validation windows <paramref name="firstWindow"/> .. firstWindow + count − 1 as a batch of
    /// <paramref name="count"/> rows. Deterministic: window k is the same in every run, whatever the batch
    /// size it is read with, and independent of training, so validation losses are comparable across runs.
    /// </summary>
    void GetValidation(int firstWindow, Span<int> inputs, Span<int> targets, int count, int seqLen);
}
