namespace ScaleLab.Engine.Sampling;

/// <summary>
/// A language model seen only as a source of next-token distributions over a cached context: what speculative
/// sampling needs from a draft and a target. <see cref="Feed"/> appends k tokens at <see cref="Position"/>.. in one
/// pass and gives the distribution of the token after each; <see cref="Rollback"/> forgets the last ones. A GPT
/// with a KV cache is one (<see cref="GptNextTokenModel"/>); tests use explicit tables, so the sampler's exactness
/// is checked against distributions known in closed form.
/// </summary>
public interface INextTokenModel
{
    /// <summary>V, the number of tokens.</summary>
    int Vocab { get; }

    /// <summary>Positions the model attends to (its context T); <see cref="Position"/> never passes it.</summary>
    int Context { get; }

    /// <summary>Tokens fed since the last <see cref="Reset"/>, less any rolled back.</summary>
    int Position { get; }

    /// <summary>Forgets the context.</summary>
    void Reset();

    /// <summary>Keeps the first <paramref name="position"/> tokens (0 ≤ position ≤ <see cref="Position"/>).</summary>
    void Rollback(int position);

    /// <summary>Feeds <paramref name="tokens"/> (k) and writes into <paramref name="distributions"/> (k, V) row i, the
    /// distribution of the token after tokens[i] (each row sums to 1). An empty span skips the distributions (a
    /// prompt being fed).</summary>
    void Feed(ReadOnlySpan<int> tokens, Span<double> distributions);
}

/// <summary>
/// A <see cref="Gpt"/> as an <see cref="INextTokenModel"/>: a <see cref="KvCacheDecoder"/> whose logits are turned
/// into the distribution <see cref="TokenSampler"/> samples from under <paramref name="options"/> (temperature,
/// top-k), so draft and target given the same options are transformed identically. One token goes through
/// <see cref="KvCacheDecoder.Step"/> (matrix-vector products, the cheapest path), several through one block
/// <see cref="KvCacheDecoder.Feed"/>.
/// </summary>
public sealed class GptNextTokenModel(Gpt model, SamplingOptions options) : INextTokenModel
{
    private readonly KvCacheDecoder _decoder = new(model);
    private readonly SamplingOptions _options = Validated(options);

    public int Vocab { get; } = model.Config.Vocab;

    public int Context { get; } = model.Config.SeqLen;

    public int Position => _decoder.Position;

    public void Reset() => _decoder.Reset();

    public void Rollback(int position) => _decoder.Rollback(position);

    public void Feed(ReadOnlySpan<int> tokens, Span<double> distributions)
    {
        var k = tokens.Length;
        if (k == 0) return;
        var v = Vocab;
        if (!distributions.IsEmpty && distributions.Length != k * v)
        {
            throw new ArgumentException($"{k} tokens need {k * v} distribution entries (k·V), got {distributions.Length}");
        }
        var logits = k == 1 ? _decoder.Step(tokens[0]) : _decoder.Feed(tokens);
        if (distributions.IsEmpty) return;
        for (var i = 0; i < k; i++)
        {
            TokenSampler.Probabilities(logits.Slice(i * v, v), _options, distributions.Slice(i * v, v));
        }
    }

    private static SamplingOptions Validated(SamplingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }
}
