namespace ScaleLab.Engine.Sampling;

/// <summary>
/// Autoregressive generation with a <see cref="KvCacheDecoder"/>: feed the prompt one token at a time, then
/// repeatedly sample the next token from the last logits and feed it back. A model attends to at most
/// T = SeqLen positions, so when the cache is full the decoder is reset and re-fed the last T/2 tokens
/// (a sliding window that costs two steps per generated token on average instead of T).
/// </summary>
public sealed class TextGenerator
{
    private readonly Gpt _model;
    private readonly KvCacheDecoder _decoder;

    public TextGenerator(Gpt model)
    {
        _model = model;
        _decoder = new KvCacheDecoder(model);
    }

    /// <summary>Returns the <paramref name="count"/> tokens generated after <paramref name="prompt"/> (which must not be empty).</summary>
    public int[] Generate(ReadOnlySpan<int> prompt, int count, SamplingOptions options, Rng rng)
    {
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (prompt.IsEmpty)
        {
            throw new ArgumentException("the prompt needs at least one token");
        }
        var window = _model.Config.SeqLen;
        var history = new List<int>(prompt.Length + count);
        history.AddRange(prompt);
        // Only the last T prompt tokens can be attended to.
        var logits = Feed(prompt[Math.Max(0, prompt.Length - window)..]);
        var output = new int[count];
        for (var i = 0; i < count; i++)
        {
            var next = TokenSampler.Sample(logits, options, rng);
            output[i] = next;
            history.Add(next);
            if (i == count - 1)
            {
                break;
            }
            if (_decoder.Position == window)
            {
                var keep = Math.Max(1, window / 2);
                logits = Feed(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(history)[^keep..]);
            }
            else
            {
                logits = _decoder.Step(next);
            }
        }
        return output;
    }

    /// <summary>Resets the cache and feeds <paramref name="tokens"/>; returns the logits after the last one.</summary>
    private ReadOnlySpan<float> Feed(ReadOnlySpan<int> tokens)
    {
        _decoder.Reset();
        ReadOnlySpan<float> logits = default;
        foreach (var t in tokens)
        {
            logits = _decoder.Step(t);
        }
        return logits;
    }
}
