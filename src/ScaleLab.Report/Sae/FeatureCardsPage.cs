using System.Globalization;
using System.Net;
using System.Text;
using ScaleLab.Engine.Sae;

namespace ScaleLab.Report;

/// <summary>A self-contained HTML page of SAE feature cards: per latent its activation frequency, codes, top activating
/// contexts with the token marked (&lt;mark&gt;), and the tokens its direct logit effect promotes and suppresses.</summary>
public static class FeatureCardsPage
{
    /// <param name="title">Page heading (e.g. the SAE and the site).</param>
    /// <param name="description">One line on what was read (model, corpus, tokens) and how the logit effect is defined.</param>
    public static string Html(FeatureCardSet set, string title, string description)
    {
        ArgumentNullException.ThrowIfNull(set);
        var b = new StringBuilder();
        b.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(E(title)).Append("</title>\n<style>\n")
            .Append("body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#222}")
            .Append(".card{border:1px solid #ccc;border-radius:6px;padding:0.8em 1em;margin:1em 0}")
            .Append(".card h2{font-size:1.05em;margin:0 0 0.4em}.stats{color:#555;font-size:0.9em}")
            .Append(".ctx{font-family:monospace;white-space:pre;margin:0.15em 0}.act{display:inline-block;width:5em;color:#666}")
            .Append("mark{background:#ffd54f;padding:0 1px}.logits{display:flex;gap:3em;font-family:monospace;font-size:0.9em}")
            .Append(".logits ol{margin:0.2em 0;padding-left:1.5em}.up{color:#1b5e20}.down{color:#b71c1c}")
            .Append("\n</style></head><body>\n");
        b.Append("<h1>").Append(E(title)).Append("</h1>\n<p>").Append(E(description)).Append("</p>\n");
        b.Append("<p>").Append(E(string.Create(CultureInfo.InvariantCulture,
            $"{set.Cards.Count} of {set.Latents} latents shown, read over {set.Tokens:N0} tokens ({set.Windows} windows of {set.SeqLen}); {set.NeverFired} of the {set.Latents} latents never fired on these tokens.")))
            .Append("</p>\n");
        foreach (var card in set.Cards)
        {
            b.Append("<div class=\"card\" id=\"latent-").Append(card.Latent.ToString(CultureInfo.InvariantCulture)).Append("\">\n<h2>Latent ")
                .Append(card.Latent.ToString(CultureInfo.InvariantCulture)).Append("</h2>\n<div class=\"stats\">")
                .Append(E(Stats(card))).Append("</div>\n");
            if (card.Contexts.Count == 0) b.Append("<p>No activating context in these tokens.</p>\n");
            foreach (var c in card.Contexts)
            {
                b.Append("<div class=\"ctx\"><span class=\"act\">").Append(E(c.Activation.ToString("F3", CultureInfo.InvariantCulture))).Append("</span>")
                    .Append(E(c.Before)).Append("<mark>").Append(E(c.Token)).Append("</mark>").Append(E(c.After)).Append("</div>\n");
            }
            b.Append("<div class=\"logits\"><div class=\"up\">promotes<ol>");
            foreach (var t in card.Promoted) b.Append("<li>").Append(E(Token(t))).Append("</li>");
            b.Append("</ol></div><div class=\"down\">suppresses<ol>");
            foreach (var t in card.Suppressed) b.Append("<li>").Append(E(Token(t))).Append("</li>");
            b.Append("</ol></div></div>\n</div>\n");
        }
        b.Append("</body></html>\n");
        return b.ToString();
    }

    /// <summary>The card's figures in one line (also what the terminal prints).</summary>
    public static string Stats(FeatureCard card)
    {
        ArgumentNullException.ThrowIfNull(card);
        return string.Create(CultureInfo.InvariantCulture,
            $"fires on {card.ActiveTokens:N0} of {card.Tokens:N0} tokens ({card.Frequency:P3}); mean code when firing {card.MeanWhenActive:G4}, max {card.MaxActivation:G4}");
    }

    /// <summary>A token and its logit effect, e.g. <c>'e' +0.412</c>.</summary>
    public static string Token(TokenEffect t) =>
        string.Create(CultureInfo.InvariantCulture, $"'{TokenText.Single(t.Token)}' {t.Effect:+0.000;-0.000}");

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
