namespace ScaleLab.Engine.Sae;

/// <summary>One top activating context of a latent: the code, where it is (window, position), and the text around the
/// token: <see cref="Before"/> (up to the options' tokens before it), the token itself, <see cref="After"/>.</summary>
public sealed record FeatureContext(double Activation, int Window, int Position, string Before, string Token, string After);

/// <summary>A feature card: one latent's activation frequency over the tokens read, its codes, top contexts and direct
/// logit effect (<see cref="LogitEffect"/>): the tokens it promotes most and suppresses most.</summary>
public sealed record FeatureCard(
    int Latent,
    long ActiveTokens,
    long Tokens,
    double Frequency,
    double MeanWhenActive,
    double MaxActivation,
    IReadOnlyList<FeatureContext> Contexts,
    IReadOnlyList<TokenEffect> Promoted,
    IReadOnlyList<TokenEffect> Suppressed);

/// <summary>The cards of the chosen latents and what they were read over; <see cref="NeverFired"/> counts the SAE's
/// latents (of all n, chosen or not) with no activation on these tokens.</summary>
public sealed record FeatureCardSet(long Tokens, int Windows, int SeqLen, int Latents, int NeverFired, IReadOnlyList<FeatureCard> Cards);

/// <summary>How much each card shows: top contexts, tokens of text before and after the highlighted one, and promoted /
/// suppressed tokens of the logit effect.</summary>
public sealed record FeatureCardOptions(int Contexts = 8, int Before = 24, int After = 4, int LogitTokens = 8)
{
    public void Validate()
    {
        if (Contexts < 1) throw new ArgumentException($"contexts per feature must be ≥ 1, got {Contexts}");
        if (Before < 0 || After < 0) throw new ArgumentException($"tokens of text around a context must be ≥ 0, got {Before} before and {After} after");
        if (LogitTokens < 1) throw new ArgumentException($"promoted/suppressed tokens must be ≥ 1, got {LogitTokens}");
    }
}

/// <summary>Builds feature cards for an SAE at a site of a model over token windows.</summary>
public static class FeatureCards
{
    /// <summary>
    /// Reads the site's activations over <paramref name="windows"/> windows of <paramref name="inputs"/>, encodes them
    /// with <paramref name="sae"/> and makes a card for the latents <paramref name="latents"/> when given (in that order),
    /// else for the <paramref name="top"/> latents that fire on the most tokens (ties: the lower id), else for all n
    /// (most frequent first, those that never fired last).
    /// </summary>
    public static FeatureCardSet Build(Gpt model, ActivationSite site, SparseAutoencoder sae, ReadOnlySpan<int> inputs, int windows, int seqLen,
        IReadOnlyList<int>? latents, int? top, FeatureCardOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sae);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (sae.Config.Inputs != site.Width(model.Config))
        {
            throw new ArgumentException($"the SAE reads width {sae.Config.Inputs}, the site {site} of this model has width {site.Width(model.Config)}");
        }
        var n = sae.Config.Latents;
        foreach (var l in latents ?? [])
        {
            if ((uint)l >= (uint)n) throw new ArgumentException($"latent {l} does not exist: the SAE has latents 0..{n - 1}");
        }
        if (top is < 1) throw new ArgumentException($"the number of features must be ≥ 1, got {top}");
        var x = Activations.Collect(model, site, inputs, windows, seqLen);
        var activity = LatentActivityScan.Scan(sae, x, seqLen, options.Contexts);
        IEnumerable<LatentActivity> chosen = latents is not null
            ? latents.Select(l => activity[l])
            : activity.OrderByDescending(a => a.ActiveTokens).ThenBy(a => a.Latent).Take(top ?? n);
        var tokens = inputs.ToArray();
        var cards = new List<FeatureCard>();
        foreach (var a in chosen)
        {
            var contexts = a.Top.Select(h => Context(tokens, seqLen, h, options)).ToList();
            var effect = LogitEffect.Of(model, site, sae.DecoderWeight.Slice(a.Latent * sae.Config.Inputs, sae.Config.Inputs));
            var (promoted, suppressed) = LogitEffect.Extremes(effect, options.LogitTokens);
            cards.Add(new FeatureCard(a.Latent, a.ActiveTokens, a.Tokens, a.Frequency, a.MeanWhenActive, a.MaxActivation, contexts, promoted, suppressed));
        }
        return new FeatureCardSet((long)windows * seqLen, windows, seqLen, n, activity.Count(a => a.ActiveTokens == 0), cards);
    }

    private static FeatureContext Context(int[] tokens, int seqLen, LatentHit hit, FeatureCardOptions options)
    {
        var window = tokens.AsSpan(hit.Window * seqLen, seqLen);
        var from = Math.Max(0, hit.Position - options.Before);
        var to = Math.Min(seqLen, hit.Position + 1 + options.After);
        return new FeatureContext(hit.Activation, hit.Window, hit.Position,
            TokenText.Snippet(window[from..hit.Position]), TokenText.Snippet(window.Slice(hit.Position, 1)), TokenText.Snippet(window[(hit.Position + 1)..to]));
    }
}
