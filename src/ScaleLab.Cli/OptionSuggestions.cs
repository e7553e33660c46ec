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
        var verb = VerbOf(args);
        var known = verb is null ? [] : KnownOptions(verb);
        string where = verb is null || known.Count == 0 ? "" : $" for '{verb}'";
        var suggestion = Nearest(unknown, known);
        return suggestion is null
            ? $"unknown option {typed}{where} (see {(verb is null ? "scalelab --help" : $"scalelab {verb} --help")})"
            : $"unknown option {typed}{where}; did you mean {suggestion}?";
    }

    /// <summary>
    /// Spectre's "Failed to convert 'VALUE' to TYPE." (TYPE a .NET name such as UInt64 or Nullable`1) as one line
    /// naming the option and what it takes; null for other messages.
    /// </summary>
    public static string? BadValueMessage(string[] args, string message)
    {
        var match = System.Text.RegularExpressions.Regex.Match(message, "^Failed to convert '(.*)' to (.+?)\\.?$");
        if (!match.Success)
        {
            return null;
        }
        string value = match.Groups[1].Value;
        string? option = null;
        for (int i = 0; i < args.Length && option is null; i++)
        {
            if (i > 0 && args[i] == value && args[i - 1].StartsWith('-'))
            {
                option = args[i - 1].Split('=')[0];
            }
            else if (args[i].StartsWith('-') && args[i].EndsWith("=" + value, StringComparison.Ordinal))
            {
                option = args[i].Split('=')[0];
            }
        }
        var verb = VerbOf(args);
        var type = option is null || verb is null ? null : OptionType(verb, option);
        string expected = Expected(type);
        return option is null ? $"'{value}' is not a valid value: expected {expected}" : $"{option}: '{value}' is not {expected}";
    }

    private static string Expected(Type? type)
    {
        type = type is null ? null : Nullable.GetUnderlyingType(type) ?? type;
        return type switch
        {
            null => "a value of the option's type (see --help)",
            _ when type == typeof(ulong) || type == typeof(uint) => "a whole number 0 or more",
            _ when type == typeof(int) || type == typeof(long) => "a whole number",
            _ when type == typeof(double) || type == typeof(float) => "a number (such as 0.5 or 1e-3)",
            _ when type == typeof(bool) => "true or false",
            _ when type.IsEnum => "one of " + string.Join(", ", Enum.GetNames(type)).ToLowerInvariant(),
            _ => "a value of the option's type (see --help)",
        };
    }

    /// <summary>The verb of a command line: its first word, or its first two where they name a branch's action
    /// ("sae train").</summary>
    internal static string? VerbOf(string[] args)
    {
        var words = args.Where(a => !a.StartsWith('-')).Take(2).ToArray();
        if (words.Length == 2 && CliApp.Verbs().Any(v => v.Verb.Name == words[0] + " " + words[1]))
        {
            return words[0] + " " + words[1];
        }
        return words.FirstOrDefault();
    }

    private static Type? OptionType(string verb, string option)
    {
        var type = CliApp.Verbs().FirstOrDefault(v => v.Verb.Name == verb).Type;
        var settings = type is null ? null : SettingsType(type);
        string name = option.TrimStart('-');
        bool isLong = option.StartsWith("--", StringComparison.Ordinal) && name.Length > 1;
        return settings?.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .FirstOrDefault(p => p.GetCustomAttribute<CommandOptionAttribute>() is { } a
                && (isLong ? a.LongNames.Contains(name) : a.ShortNames.Contains(name)))?.PropertyType;
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
