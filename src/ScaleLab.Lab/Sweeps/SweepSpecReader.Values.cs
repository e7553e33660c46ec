namespace ScaleLab.Lab.Sweeps;

/// <summary>The typed value readers of <see cref="SweepSpecReader"/>: each reads one key of a TOML table, checks its type
/// and range, and reports a bad value as one line with the file, line and key.</summary>
public sealed partial class SweepSpecReader
{
    private void CheckKeys(TomlTable table, string[] allowed, string prefix)
    {
        var seen = new HashSet<string>();
        foreach (var (key, line, _) in table.Entries)
        {
            if (!allowed.Contains(key))
            {
                throw Error(line, prefix + key, $"unknown key (expected one of: {string.Join(", ", allowed)})");
            }
            if (!seen.Add(key))
            {
                throw Error(line, prefix + key, "given twice");
            }
        }
    }

    private string? String(TomlTable table, string key, bool required)
    {
        switch (table.Get(key))
        {
            case null when required:
                throw Error(table.Line, key, "missing");
            case null:
                return null;
            case TomlScalar { Value: string s } when s.Length > 0:
                return s;
            case TomlScalar { Value: string }:
                throw Error(table.LineOf(key), key, "must not be empty");
            case var other:
                throw Error(table.LineOf(key), key, $"must be a string, got {other.TypeName}");
        }
    }

    private bool? Boolean(TomlTable table, string key) => table.Get(key) switch
    {
        null => null,
        TomlScalar { Value: bool b } => b,
        var other => throw Error(other.Line, key, $"must be true or false, got {Describe(other)}"),
    };

    private long? Integer(TomlTable table, string key, bool required = false, long min = long.MinValue, long max = long.MaxValue,
        string prefix = "")
    {
        var node = table.Get(key);
        if (node is null)
        {
            return required ? throw Error(table.Line, prefix + key, "missing") : null;
        }
        return IntegerValue(node, prefix + key, min, max);
    }

    private long IntegerValue(TomlNode node, string key, long min, long max)
    {
        // 2e5 is a float in TOML; accept it when it is a whole number, since budgets are often written so.
        var value = node switch
        {
            TomlScalar { Value: long l } => l,
            TomlScalar { Value: double d } when double.IsFinite(d) && d == Math.Floor(d) && Math.Abs(d) < 9e18 => (long)d,
            _ => throw Error(node.Line, key, $"must be an integer, got {Describe(node)}"),
        };
        if (value < min)
        {
            throw Error(node.Line, key, min == 1 ? $"must be positive, got {value}" : $"must be at least {min}, got {value}");
        }
        if (value > max)
        {
            throw Error(node.Line, key, $"must be at most {max}, got {value}");
        }
        return value;
    }

    private double NumberValue(TomlNode node, string key) => node switch
    {
        TomlScalar { Value: long l } => l,
        TomlScalar { Value: double d } when double.IsFinite(d) => d,
        _ => throw Error(node.Line, key, $"must be a finite number, got {Describe(node)}"),
    };

    private double Number(TomlTable table, string key, double fallback, double min, double max, bool upperOpen, string prefix)
    {
        var node = table.Get(key);
        if (node is null)
        {
            return fallback;
        }
        var value = NumberValue(node, prefix + key);
        if (value < min || value > max || (upperOpen && value >= max))
        {
            throw Error(node.Line, prefix + key, $"must be in [{min}, {max}{(upperOpen ? ")" : "]")}, got {value}");
        }
        return value;
    }

    private List<TomlNode> Items(TomlTable table, string key, string prefix)
    {
        var node = table.Get(key)!;
        var items = node is TomlArray array ? array.Items : [node];
        if (items.Count == 0)
        {
            throw Error(node.Line, prefix + key, "must not be an empty list");
        }
        return items;
    }

    private List<long> IntegerList(TomlTable table, string key, long min, string prefix = "") =>
        Items(table, key, prefix).Select(n => IntegerValue(n, prefix + key, min, long.MaxValue)).ToList();

    private List<double> NumberList(TomlTable table, string key, bool positive, string prefix = "") =>
        Items(table, key, prefix).Select(n =>
        {
            var v = NumberValue(n, prefix + key);
            return positive && !(v > 0) ? throw Error(n.Line, prefix + key, $"must be positive, got {v}") : v;
        }).ToList();

    private void Unique<T>(TomlTable table, string key, IReadOnlyList<T> values)
    {
        var duplicate = values.GroupBy(v => v).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw Error(table.LineOf(key), key, $"value {duplicate.Key} is listed twice");
        }
    }

    private static string Describe(TomlNode node) => node is TomlScalar { Value: string s } ? $"string \"{s}\"" : node.TypeName;

    private InvalidDataException Error(int line, string key, string message) =>
        new($"{_source}:{line}: key '{key}': {message}");
}
