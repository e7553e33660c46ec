using System.Reflection;
using Spectre.Console.Cli;

namespace ScaleLab.Cli;

/// <summary>
/// The one-line message for an unknown option: names the option and the verb, and suggests the nearest known
/// option of that verb when it is close (a typo such as <c>--bootsrap</c> for <c>--bootstrap</c>).
/// </summary>
internal static class OptionSuggestions
{
    public static string Message(string[] args, string unknown)
    {
        string typed = unknown.Length == 1 ? "-" + unknown : "--" + unknown;
        var verb = args.FirstOrDefault(a => !a.StartsWith('-'));
        var known = verb is null ? [] : KnownOptions(verb);
        string where = verb is null || known.Count == 0 ? "" : $" for '{verb}'";
        var suggestion = Nearest(unknown, known);
        return suggestion is null
            ? $"unknown option {typed}{where} (see {(verb is null ? "scalelab --help" : $"scalelab {verb} --help")})"
            : $"unknown option {typed}{where}; did you mean {suggestion}?";
    }

    /// <summary>Every option of the verb, spelled as typed (<c>--bootstrap</c>, <c>-n</c>).</summary>
    internal static IReadOnlyList<string> KnownOptions(string verb)
    {
        var type = CliApp.Verbs().FirstOrDefault(v => v.Verb.Name == verb).Type;
        var settings = type is null ? null : SettingsType(type);
        if (settings is null)
        {
            return [];
        }
        return settings.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => p.GetCustomAttribute<CommandOptionAttribute>())
            .Where(a => a is not null && !a.IsHidden)
            .SelectMany(a => a!.LongNames.Select(n => "--" + n).Concat(a.ShortNames.Select(n => "-" + n)))
            .Append("--help")
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// The known option closest to <paramref name="unknown"/> by Levenshtein distance, if within a third of its
    /// length (at least 1, at most 3), or the only option it is a prefix of (3 or more letters); null otherwise.
    /// </summary>
    internal static string? Nearest(string unknown, IReadOnlyList<string> known)
    {
        var names = known.Where(k => k.StartsWith("--", StringComparison.Ordinal)).Select(k => k[2..]).ToList();
        if (unknown.Length < 2 || names.Count == 0)
        {
            return null;
        }
        var best = names.Select(n => (Name: n, Distance: Levenshtein(unknown, n))).OrderBy(x => x.Distance).ThenBy(x => x.Name, StringComparer.Ordinal).First();
        int allowed = Math.Clamp(unknown.Length / 3, 1, 3);
        if (best.Distance <= allowed)
        {
            return "--" + best.Name;
        }
        var prefixed = names.Where(n => n.StartsWith(unknown, StringComparison.Ordinal)).ToList();
        return unknown.Length >= 3 && prefixed.Count == 1 ? "--" + prefixed[0] : null;
    }

    internal static int Levenshtein(string a, string b)
    {
        // One row of the Wagner–Fischer table: row[j] = distance between a[..i] and b[..j].
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }

    private static Type? SettingsType(Type command)
    {
        for (var t = command; t is not null; t = t.BaseType)
        {
            if (t.IsGenericType && t.GetGenericArguments() is [var settings] && settings.IsSubclassOf(typeof(CommandSettings)))
            {
                return settings;
            }
        }
        return null;
    }
}
