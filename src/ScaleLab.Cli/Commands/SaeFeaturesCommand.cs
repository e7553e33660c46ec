using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using ScaleLab.Engine;
using ScaleLab.Engine.Data;
using ScaleLab.Engine.Sae;
using ScaleLab.Lab.Execution;
using ScaleLab.Laws;
using ScaleLab.Report;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary><c>scalelab sae features</c>: feature cards of an SAE on a model's validation windows — each chosen latent's
/// activation frequency, top activating contexts with the token highlighted, and direct logit effect
/// (<see cref="FeatureCards"/>, <see cref="LogitEffect"/>); optionally an HTML page of the cards.</summary>
[Verb("sae features", "Feature cards of an SAE: for the most active latents (or chosen ones) their activation frequency, top activating contexts with the token highlighted, and the tokens their decoder direction promotes and suppresses through the final layer norm and unembedding",
    Examples = ["sae features --sae sae.slsa --checkpoint run.ckpt --corpus data.txt", "sae features --sae sae.slsa --checkpoint run.ckpt --corpus data.txt --top 50 --html cards.html",
        "sae features --sae sae.slsa --checkpoint run.ckpt --latent 3,17,40 --json"])]
public sealed class SaeFeaturesCommand(IAnsiConsole console, Stderr stderr) : Command<SaeFeaturesCommand.Settings>
{
    private static readonly JsonSerializerOptions Json = JsonNumbers.With(new() { WriteIndented = true });

    /// <summary>How the logit effect is computed, in words (printed and written to the JSON and the page).</summary>
    public const string LogitEffectDefinition =
        "direct path: the latent's decoder row (through mlp.c_proj for an MLP site), centred and scaled by the final layer norm's gain, times the unembedding; " +
        "the layer norm's 1/std (a positive factor per token) and all biases are left out, and later blocks are ignored";

    public sealed class Settings : SaeOnModelSettings
    {
        [CommandOption("--corpus <CORPUS>")]
        [Description("synthetic (default), synthetic:SEED or a text file; its validation windows are read")]
        public string Corpus { get; set; } = "synthetic";

        [CommandOption("--windows <N>")]
        [Description("Validation windows to read (default 256)")]
        public int Windows { get; set; } = 256;

        [CommandOption("--seq <T>")]
        [Description("Window length (default: the model's context)")]
        public int? Seq { get; set; }

        [CommandOption("--top <M>")]
        [Description("Cards for the M latents that fire on the most tokens (default 20; 0 = every latent)")]
        public int Top { get; set; } = 20;

        [CommandOption("--latent <IDS>")]
        [Description("Cards for these latents instead, comma-separated ids (e.g. 3,17,40)")]
        public string? Latent { get; set; }

        [CommandOption("--contexts <C>")]
        [Description("Top activating contexts per card (default 8)")]
        public int Contexts { get; set; } = 8;

        [CommandOption("--logit-tokens <J>")]
        [Description("Promoted and suppressed tokens per card (default 8)")]
        public int LogitTokens { get; set; } = 8;

        [CommandOption("--html <FILE>")]
        [Description("Also write a self-contained HTML page of the feature cards")]
        public string? Html { get; set; }

        [CommandOption("--threads <N>")]
        [Description("Kernel threads (default 1)")]
        public int Threads { get; set; } = 1;

        [CommandOption("--json")]
        [Description("Write one JSON document to stdout")]
        public bool Json { get; set; }

        public override ValidationResult Validate()
        {
            if (MissingFiles() is { } missing) return missing;
            if (Windows < 1) return ValidationResult.Error($"--windows must be 1 or more, got {Windows}");
            if (Seq is < 1) return ValidationResult.Error($"--seq must be 1 or more, got {Seq}");
            if (Top < 0) return ValidationResult.Error($"--top must be 0 (every latent) or more, got {Top}");
            if (Contexts < 1) return ValidationResult.Error($"--contexts must be 1 or more, got {Contexts}");
            if (LogitTokens < 1) return ValidationResult.Error($"--logit-tokens must be 1 or more, got {LogitTokens}");
            return Threads < 1 ? ValidationResult.Error($"--threads must be 1 or more, got {Threads}") : ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        settings.EnsureFiles();
        OutputPaths.Check([("--sae", settings.Sae), ("--checkpoint", settings.Checkpoint), ("--corpus", File.Exists(settings.Corpus) ? settings.Corpus : null)],
            [("--html", settings.Html)]);
        var latents = ParseLatents(settings.Latent);
        var (saved, checkpoint) = SaeInputs.LoadMatched(settings.Sae!, settings.Checkpoint!, "use");
        if (latents?.FirstOrDefault(l => l >= saved.Config.Latents, -1) is int bad and >= 0)
        {
            throw new UsageException($"--latent {bad} does not exist: the SAE has latents 0..{saved.Config.Latents - 1}");
        }
        var seq = SaeInputs.WindowLength(settings.Seq, checkpoint);
        var corpus = Corpora.Open(settings.Corpus);
        var (inputs, _) = SaeInputs.ValidationWindows(corpus, settings.Windows, seq);
        using var model = Gpt.FromCheckpoint(checkpoint, maxBatch: 16, seq, settings.Threads);
        using var sae = saved.ToModel(1024, settings.Threads);
        stderr.WriteLine($"sae features: {saved.Config.Describe()} at {saved.Site}, reading {settings.Windows} validation windows of {seq} tokens");
        var options = new FeatureCardOptions(settings.Contexts, LogitTokens: settings.LogitTokens);
        var set = FeatureCards.Build(model, saved.Site, sae, inputs, settings.Windows, seq, latents, settings.Top == 0 ? null : settings.Top, options);
        var title = $"SAE feature cards: {saved.Config.Describe()} at {saved.Site}";
        var description = $"Model {Path.GetFileName(settings.Checkpoint)}, SAE {Path.GetFileName(settings.Sae)}, validation windows of {corpus.Description}. Logit effect: {LogitEffectDefinition}.";
        if (settings.Html is { } html)
        {
            var tmp = html + ".tmp";
            File.WriteAllText(tmp, FeatureCardsPage.Html(set, title, description));
            File.Move(tmp, html, overwrite: true);
            stderr.WriteLine($"sae features: wrote {set.Cards.Count} cards to {html}");
        }
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(Document(settings, saved, corpus, set), Json));
            return CliApp.ExitOk;
        }
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{title}: {set.Tokens:N0} tokens read; {set.NeverFired} of {set.Latents} latents never fired on them. Logit effect: {LogitEffectDefinition}."));
        foreach (var card in set.Cards)
        {
            console.WriteLine();
            console.MarkupLine($"[bold]latent {card.Latent}[/]: {Markup.Escape(FeatureCardsPage.Stats(card))}");
            foreach (var c in card.Contexts)
            {
                console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {c.Activation,8:F3}  {Markup.Escape(c.Before)}[black on yellow]{Markup.Escape("[" + c.Token + "]")}[/]{Markup.Escape(c.After)}"));
            }
            console.WriteLine("  promotes:   " + string.Join("  ", card.Promoted.Select(FeatureCardsPage.Token)));
            console.WriteLine("  suppresses: " + string.Join("  ", card.Suppressed.Select(FeatureCardsPage.Token)));
        }
        return CliApp.ExitOk;
    }

    private static List<int>? ParseLatents(string? text)
    {
        if (text is null) return null;
        var ids = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                throw new UsageException($"--latent '{text}' is not a comma-separated list of latent ids (integers from 0)");
            }
            ids.Add(id);
        }
        return ids;
    }

    private static Dictionary<string, object?> Document(Settings settings, SaeCheckpoint saved, ICorpus corpus, FeatureCardSet set) => new(
        SaeInputs.DocumentHead("sae features", settings, saved))
    {
        ["corpus"] = corpus.Description,
        ["windows"] = set.Windows,
        ["seq"] = set.SeqLen,
        ["tokens"] = set.Tokens,
        ["never_fired"] = set.NeverFired,
        ["never_fired_definition"] = $"no activation in these {set.Tokens} tokens",
        ["logit_effect_definition"] = LogitEffectDefinition,
        ["html"] = settings.Html,
        ["features"] = set.Cards.Select(c => new Dictionary<string, object?>
        {
            ["latent"] = c.Latent,
            ["active_tokens"] = c.ActiveTokens,
            ["frequency"] = c.Frequency,
            ["mean_activation_when_active"] = c.MeanWhenActive,
            ["max_activation"] = c.MaxActivation,
            ["contexts"] = c.Contexts.Select(x => new { activation = x.Activation, window = x.Window, position = x.Position, before = x.Before, token = x.Token, after = x.After }).ToList(),
            ["promoted"] = c.Promoted.Select(t => new { token = t.Token, text = TokenText.Single(t.Token), effect = t.Effect }).ToList(),
            ["suppressed"] = c.Suppressed.Select(t => new { token = t.Token, text = TokenText.Single(t.Token), effect = t.Effect }).ToList(),
        }).ToList(),
    };
}
