using System.Text.Json;
using System.Text.Json.Nodes;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace ScaleLab.Lab.Sweeps;

/// <summary>A TOML value with the 1-based line it was written on (for one-line error messages).</summary>
internal abstract record TomlNode(int Line)
{
    /// <summary>TOML's name for the value's type, as a user would write it.</summary>
    public abstract string TypeName { get; }
}

internal sealed record TomlScalar(int Line, object Value) : TomlNode(Line)
{
    public override string TypeName => Value switch
    {
        long => "integer",
        double => "float",
        string => "string",
        bool => "boolean",
        _ => "date/time",
    };
}

internal sealed record TomlArray(int Line, List<TomlNode> Items) : TomlNode(Line)
{
    public override string TypeName => "array";
}

/// <summary>A table: keys in the order written, each with the line of its key.</summary>
internal sealed record TomlTable(int Line, string Path) : TomlNode(Line)
{
    public List<(string Key, int Line, TomlNode Value)> Entries { get; } = [];

    public override string TypeName => "table";

    public TomlNode? Get(string key) => Entries.FirstOrDefault(e => e.Key == key).Value;

    public int LineOf(string key) => Entries.FirstOrDefault(e => e.Key == key) is { Value: not null } e ? e.Line : Line;
}

/// <summary>
/// Reads TOML text into <see cref="TomlTable"/> trees through Tomlyn's syntax tree, which keeps source
/// positions (Tomlyn's object model does not). Syntax errors and dotted keys become
/// <see cref="InvalidDataException"/> with "FILE:LINE: ..." in one line.
/// </summary>
internal static class TomlTree
{
    public static TomlTable Parse(string text, string sourceName)
    {
        var document = SyntaxParser.Parse(text, sourceName, validate: true);
        foreach (var diagnostic in document.Diagnostics)
        {
            if (diagnostic.Kind == DiagnosticMessageKind.Error)
            {
                throw new InvalidDataException($"{sourceName}:{diagnostic.Span.Start.Line + 1}: {diagnostic.Message}");
            }
        }
        var root = new TomlTable(1, "");
        foreach (var keyValue in document.KeyValues)
        {
            Add(root, keyValue, sourceName);
        }
        foreach (var table in document.Tables)
        {
            var line = LineOf(table);
            var name = KeyText(table.Name!, sourceName);
            TomlTable target;
            if (table is TableArraySyntax)
            {
                var existing = root.Get(name);
                if (existing is null)
                {
                    existing = new TomlArray(line, []);
                    root.Entries.Add((name, line, existing));
                }
                if (existing is not TomlArray array)
                {
                    throw new InvalidDataException($"{sourceName}:{line}: key '{name}': [[{name}]] conflicts with an earlier '{name}'");
                }
                target = new TomlTable(line, $"{name}[{array.Items.Count}]");
                array.Items.Add(target);
            }
            else
            {
                target = new TomlTable(line, name);
                root.Entries.Add((name, line, target));
            }
            foreach (var item in table.Items)
            {
                if (item is KeyValueSyntax keyValue)
                {
                    Add(target, keyValue, sourceName);
                }
            }
        }
        return root;
    }

    private static void Add(TomlTable table, KeyValueSyntax keyValue, string sourceName)
    {
        var line = LineOf(keyValue);
        var key = KeyText(keyValue.Key!, sourceName);
        table.Entries.Add((key, line, Convert(keyValue.Value!, table.Path.Length == 0 ? key : $"{table.Path}.{key}", sourceName)));
    }

    private static TomlNode Convert(ValueSyntax value, string path, string sourceName)
    {
        var line = LineOf(value);
        switch (value)
        {
            case IntegerValueSyntax integer:
                return new TomlScalar(line, integer.Value);
            case FloatValueSyntax number:
                return new TomlScalar(line, number.Value);
            case StringValueSyntax text:
                return new TomlScalar(line, text.Value ?? "");
            case BooleanValueSyntax boolean:
                return new TomlScalar(line, boolean.Value);
            case ArraySyntax array:
                var items = new List<TomlNode>();
                var i = 0;
                foreach (var item in array.Items)
                {
                    items.Add(Convert(item.Value!, $"{path}[{i++}]", sourceName));
                }
                return new TomlArray(line, items);
            case InlineTableSyntax inline:
                var table = new TomlTable(line, path);
                foreach (var item in inline.Items)
                {
                    Add(table, item.KeyValue!, sourceName);
                }
                return table;
            default:
                return new TomlScalar(line, value.ToString() ?? "");
        }
    }

    private static string KeyText(KeySyntax key, string sourceName)
    {
        if (key.DotKeys.ChildrenCount > 0)
        {
            throw new InvalidDataException($"{sourceName}:{LineOf(key)}: dotted keys are not supported here; write a [table] instead");
        }
        return key.Key switch
        {
            BareKeySyntax bare => bare.Key!.Text ?? "",
            StringValueSyntax quoted => quoted.Value ?? "",
            _ => key.ToString() ?? "",
        };
    }

    /// <summary>A table as JSON (tables → objects, arrays → arrays, integers → numbers), for a run kind's settings.</summary>
    public static JsonElement ToJson(TomlTable table) => JsonSerializer.SerializeToElement(ToNode(table));

    private static JsonNode? ToNode(TomlNode node) => node switch
    {
        TomlTable t => new JsonObject(t.Entries.Select(e => KeyValuePair.Create(e.Key, ToNode(e.Value)))),
        TomlArray a => new JsonArray(a.Items.Select(ToNode).ToArray()),
        TomlScalar { Value: long l } => JsonValue.Create(l),
        TomlScalar { Value: double d } => JsonValue.Create(d),
        TomlScalar { Value: bool b } => JsonValue.Create(b),
        TomlScalar s => JsonValue.Create(System.Convert.ToString(s.Value, System.Globalization.CultureInfo.InvariantCulture)),
        _ => null,
    };

    /// <summary>JSON settings as a table (line 0: errors name the key, not a line).</summary>
    public static TomlTable FromJson(JsonElement json, string path = "")
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"settings{(path.Length == 0 ? "" : " '" + path + "'")} must be an object, got {json.ValueKind}");
        }
        var table = new TomlTable(0, path);
        foreach (var property in json.EnumerateObject())
        {
            table.Entries.Add((property.Name, 0, FromJsonNode(property.Value, path.Length == 0 ? property.Name : $"{path}.{property.Name}")));
        }
        return table;
    }

    private static TomlNode FromJsonNode(JsonElement json, string path) => json.ValueKind switch
    {
        JsonValueKind.Object => FromJson(json, path),
        JsonValueKind.Array => new TomlArray(0, json.EnumerateArray().Select((e, i) => FromJsonNode(e, $"{path}[{i}]")).ToList()),
        JsonValueKind.Number => json.TryGetInt64(out var l) ? new TomlScalar(0, l) : new TomlScalar(0, json.GetDouble()),
        JsonValueKind.True => new TomlScalar(0, true),
        JsonValueKind.False => new TomlScalar(0, false),
        JsonValueKind.String => new TomlScalar(0, json.GetString() ?? ""),
        _ => throw new InvalidDataException($"settings '{path}': {json.ValueKind} has no TOML value"),
    };

    private static int LineOf(SyntaxNode node) => node.Span.Start.Line + 1;
}
