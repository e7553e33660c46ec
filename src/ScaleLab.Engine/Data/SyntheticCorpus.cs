namespace ScaleLab.Engine.Data;

/// <summary>
/// The built-in corpus: windows of a <see cref="MarkovSource"/> mapped onto byte tokens (symbol i is the
/// byte <c>MarkovSource.Alphabet[i]</c>). Training windows are generated on the fly from the run's data
/// stream, so the data never repeats (the D axis of a scaling study is fresh tokens, not epochs); the data
/// position is just that stream's <see cref="Rng"/> state. Validation window k is generated from its own
/// generator seeded by (source seed, k), independent of every training stream and the same in every run.
/// Bytes outside the alphabet never occur, so a model learns to give them ~0 probability early on; the loss
/// is still measured in nats per token over the full byte vocabulary.
/// </summary>
public sealed class SyntheticCorpus : ICorpus
{
    private const ulong ValidationStream = 0x5641_4C49_4441_5445UL; // "VALIDATE"

    public SyntheticCorpus(MarkovSourceOptions? options = null)
    {
        Source = new MarkovSource(options ?? new MarkovSourceOptions());
    }

    /// <summary>The default corpus of <c>scalelab train</c> and <c>scalelab demo</c>.</summary>
    public static SyntheticCorpus Default { get; } = new();

    public MarkovSource Source { get; }

    public string Description =>
        $"synthetic markov A={Source.AlphabetSize} K={Source.MaxOrder} seed={Source.Options.Seed} (entropy rate {Source.EntropyRate:F4} nats/token)";

    public string Fingerprint
    {
        get
        {
            var o = Source.Options;
            return FormattableString.Invariant(
                $"synthetic:v1:A={o.AlphabetSize}:K={o.MaxOrder}:split={string.Join(',', o.SplitProbabilities)}:root={o.RootConcentration}:child={o.ChildConcentration}:eta={o.Smoothing}:seed={o.Seed}");
        }
    }

    public double? EntropyRate => Source.EntropyRate;

    public double? LossFloor(int seqLen) => Source.WindowLossFloor(seqLen);

    public double? ValidationFloor(int count, int seqLen)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var window = new int[seqLen + 1];
        var total = 0.0;
        for (var k = 0; k < count; k++)
        {
            ValidationWindow(k, window);
            total += Source.OracleLogLoss(window);
        }
        return total / count;
    }

    public void CheckSequenceLength(int seqLen) => ArgumentOutOfRangeException.ThrowIfNegativeOrZero(seqLen);

    public void SampleTrain(Rng rng, Span<int> inputs, Span<int> targets, int batch, int seqLen)
    {
        Span<int> window = new int[seqLen + 1];
        for (var b = 0; b < batch; b++)
        {
            Source.Generate(rng, window);
            Split(window, inputs.Slice(b * seqLen, seqLen), targets.Slice(b * seqLen, seqLen));
        }
    }

    public void GetValidation(int firstWindow, Span<int> inputs, Span<int> targets, int count, int seqLen)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstWindow);
        Span<int> window = new int[seqLen + 1];
        for (var b = 0; b < count; b++)
        {
            ValidationWindow(firstWindow + b, window);
            Split(window, inputs.Slice(b * seqLen, seqLen), targets.Slice(b * seqLen, seqLen));
        }
    }

    private void ValidationWindow(long k, Span<int> window) =>
        Source.Generate(new Rng(Source.Options.Seed ^ ValidationStream ^ ((ulong)k * 0x9E37_79B9_7F4A_7C15UL)), window);

    private static void Split(ReadOnlySpan<int> window, Span<int> inputs, Span<int> targets)
    {
        window[..inputs.Length].CopyTo(inputs);
        window[1..].CopyTo(targets);
    }
}
