namespace ScaleLab.Engine.Inference;

/// <summary>
/// Loss of a trained model on arbitrary text (held-out evaluation without training).
/// </summary>
/// <param name="Context">T, the model's context length; each window holds at most T inputs.</param>
/// <param name="PositionLosses">Cross-entropy in nats of each predicted token, in text order: entry i is
/// −ln p(token i+1 | the tokens of its window before it), so there are (tokens − 1) entries.</param>
/// <param name="LossByContextPosition">Mean loss at each position t = 0..T−1 within a window (the context length a
/// prediction saw is t+1 tokens), averaged over the windows that reach t; NaN where no window does.</param>
/// <param name="Logits">Raw logits (V each) for the first positions asked for, in text order.</param>
public sealed record TextEvaluation(int Tokens, int Context, int Windows, double MeanLossNats, double BitsPerByte,
    IReadOnlyList<double> PositionLosses, IReadOnlyList<double> LossByContextPosition, IReadOnlyList<float[]> Logits)
{
    /// <summary>Tokens predicted (each token but the first).</summary>
    public int Predicted => PositionLosses.Count;
}

/// <summary>
/// Evaluates a model on a token sequence in non-overlapping windows of T+1 tokens: window w feeds tokens
/// [wT, wT+n) and scores tokens [wT+1, wT+n+1), n = min(T, tokens−1−wT). Every token but the first is predicted
/// exactly once; a prediction at window position t sees t+1 tokens of context (a sliding window would give each
/// T tokens at T times the cost). Tokens are bytes (<see cref="Data.ByteTokenizer"/>), so bits per byte is the mean
/// loss in nats divided by ln 2.
/// </summary>
public static class TextEvaluator
{
    public static TextEvaluation Evaluate(Gpt model, ReadOnlySpan<int> tokens, int logitsPositions = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (tokens.Length < 2)
        {
            throw new ArgumentException($"the text has {tokens.Length} token(s); evaluating needs at least 2 (one to condition on, one to predict)");
        }
        if (logitsPositions < 0)
        {
            throw new ArgumentException($"logits positions must be 0 or more, got {logitsPositions}");
        }
        int T = model.MaxSeqLen, V = model.Config.Vocab;
        var losses = new double[tokens.Length - 1];
        var byPositionSum = new double[T];
        var byPositionCount = new int[T];
        var logits = new List<float[]>();
        int windows = 0;
        for (int start = 0; start < tokens.Length - 1; start += T)
        {
            int n = Math.Min(T, tokens.Length - 1 - start);
            model.Forward(tokens.Slice(start, n), tokens.Slice(start + 1, n), 1, n);
            var windowLosses = model.Losses;
            for (int t = 0; t < n; t++)
            {
                losses[start + t] = windowLosses[t];
                byPositionSum[t] += windowLosses[t];
                byPositionCount[t]++;
            }
            for (int t = 0; t < n && start + t < logitsPositions; t++)
            {
                logits.Add(model.Logits.Slice(t * V, V).ToArray());
            }
            windows++;
        }
        // Summed in text order in double, so the mean does not depend on the window count or threads.
        double sum = 0;
        foreach (var l in losses)
        {
            sum += l;
        }
        double mean = sum / losses.Length;
        var byPosition = byPositionSum.Select((s, t) => byPositionCount[t] == 0 ? double.NaN : s / byPositionCount[t]).ToArray();
        return new TextEvaluation(tokens.Length, T, windows, mean, mean / Math.Log(2), losses, byPosition, logits);
    }
}
