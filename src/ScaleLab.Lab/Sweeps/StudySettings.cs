using System.Globalization;
using System.Text.Json;
using ScaleLab.Lab.Registry;

namespace ScaleLab.Lab.Sweeps;

/// <summary>
/// What makes the runs of a study comparable, read from each run's recorded config: the kind; for a language-model
/// run the corpus (and its file hash), context length, vocabulary, batch size and micro-batching, the schedule's
/// shape (cosine floor, weight decay, clipping), the optimizer and its momentum, the evaluation windows, the gradient-noise EMA and the stop loss.
/// Model shape, token budget, seed and the peak learning rate are what a study varies (the analysis averages seeds
/// and keeps the best learning rate per N and D), so they are not part of it; nor is the warmup length, which a
/// fraction-based schedule sets per run. A run of another kind is compared by its kind only (its own settings are
/// the kind's business). An edited spec whose runs differ in any of these from the study's runs would silently pool
/// incomparable losses, so <see cref="Check"/> refuses it unless told to add them.
/// </summary>
public static class StudySettings
{
    private static readonly string[] LanguageModelKeys =
    [
        "corpus", "corpus_sha256", "seq_len", "vocab", "batch_size", "micro_batches", "min_lr_fraction", "weight_decay", "grad_clip",
        "eval_batches", "eval_sequences", "gns_ema", "stop_at_loss", "optimizer", "momentum",
    ];

    /// <summary>The comparable settings of one run, in a fixed order ("kind" first; absent values as "none").</summary>
    public static IReadOnlyList<(string Name, string Value)> Of(string? kind, string configJson)
    {
        var settings = new List<(string, string)> { ("kind", kind ?? "lm") };
        if (kind is not null && kind != "lm")
        {
            return settings;
        }
        using var config = JsonDocument.Parse(configJson);
        foreach (var key in LanguageModelKeys)
        {
            var value = config.RootElement.ValueKind == JsonValueKind.Object && config.RootElement.TryGetProperty(key, out var v)
                && v.ValueKind != JsonValueKind.Null
                ? v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText()
                : "none";
            // micro_batches null and 1 are the same training.
            settings.Add((key, key == "micro_batches" && value == "none" ? "1" : value));
        }
        return settings;
    }

    /// <summary>
    /// Refuses, with one line naming the first setting that differs and its value in the study, runs whose settings
    /// are not among those of the study's runs already recorded (an empty study takes anything); with
    /// <paramref name="addToStudy"/> it lets them in.
    /// </summary>
    public static void Check(IRunStore store, string study, IReadOnlyList<NewRun> runs, bool addToStudy)
    {
        if (addToStudy)
        {
            return;
        }
        var existing = store.ListRuns(study).Select(r => Of(r.Kind, r.ConfigJson)).ToList();
        if (existing.Count == 0)
        {
            return;
        }
        var known = existing.Select(Key).ToHashSet(StringComparer.Ordinal);
        foreach (var run in runs)
        {
            var mine = Of(run.Kind, run.ConfigJson);
            if (known.Contains(Key(mine)))
            {
                continue;
            }
            // Name the differences from the study's closest settings (fewest differing values).
            var closest = existing.MinBy(e => e.Zip(mine).Count(p => p.First != p.Second))!;
            var differences = mine.Zip(closest).Where(p => p.First.Value != p.Second.Value)
                .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.First.Name} {p.First.Value} (study: {p.Second.Value})"));
            throw new InvalidDataException(
                $"study {study} already holds runs that are not comparable with this spec's: {string.Join(", ", differences)}; " +
                "use another study name, or pass --add-to-study to add them anyway");
        }
    }

    private static string Key(IReadOnlyList<(string Name, string Value)> settings) =>
        string.Join("\u001f", settings.Select(s => s.Name + "=" + s.Value));
}
