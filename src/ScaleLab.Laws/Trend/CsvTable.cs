using System.Text;

namespace ScaleLab.Laws.Trend;

/// <summary>
/// A small RFC 4180 CSV reader for the trend and isoFLOP loaders: a header row, then records whose fields
/// may be quoted ("a,b" keeps its comma, "" is a literal quote, a quoted field may span lines). Each record
/// remembers the 1-based file line it starts on, so an error can name it.
/// </summary>
internal sealed class CsvTable
{
    private CsvTable(string path, string[] header, List<(int Line, string[] Fields)> rows)
    {
        Path = path;
        Header = header;
        Rows = rows;
    }

    public string Path { get; }
    public string[] Header { get; }
    public IReadOnlyList<(int Line, string[] Fields)> Rows { get; }

    public static CsvTable Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: file not found", path);
        }
        var records = Parse(File.ReadAllText(path), path);
        if (records.Count == 0)
        {
            throw new InvalidDataException($"{path}: empty file (expected a header row)");
        }
        var header = records[0].Fields.Select(h => h.Trim()).ToArray();
        return new CsvTable(path, header, records.Skip(1).Where(r => !(r.Fields.Length == 1 && r.Fields[0].Length == 0)).ToList());
    }

    /// <summary>Index of the column named <paramref name="name"/> (exact, then case-insensitive), or -1.</summary>
    public int Find(string name)
    {
        var exact = Array.IndexOf(Header, name);
        return exact >= 0 ? exact : Array.FindIndex(Header, h => string.Equals(h, name, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Index of the column <paramref name="name"/>; a missing column is one line naming the file and the columns it has.</summary>
    public int Require(string name)
    {
        var index = Find(name);
        return index >= 0
            ? index
            : throw new InvalidDataException($"{Path}: no column \"{name}\" (columns: {string.Join(", ", Header)})");
    }

    /// <summary>The first of <paramref name="candidates"/> present in the header, or a one-line error listing them.</summary>
    public int RequireAny(string role, IEnumerable<string> candidates)
    {
        var list = candidates.ToList();
        foreach (var name in list)
        {
            var index = Find(name);
            if (index >= 0)
            {
                return index;
            }
        }
        throw new InvalidDataException(
            $"{Path}: no {role} column (looked for {string.Join(", ", list.Select(n => $"\"{n}\""))}; columns: {string.Join(", ", Header)})");
    }

    public static string Field(string[] fields, int index) => index < fields.Length ? fields[index].Trim() : "";

    private static List<(int Line, string[] Fields)> Parse(string text, string path)
    {
        var records = new List<(int, string[])>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var recordLine = 1;
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (quoted)
            {
                if (ch == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"')
                    {
                        field.Append('"');
                        i++;
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    if (ch == '\n')
                    {
                        line++;
                    }
                    field.Append(ch);
                }
                continue;
            }
            switch (ch)
            {
                case '"' when field.Length == 0:
                    quoted = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    break;
                case '\r':
                    break;
                case '\n':
                    fields.Add(field.ToString());
                    field.Clear();
                    records.Add((recordLine, fields.ToArray()));
                    fields.Clear();
                    line++;
                    recordLine = line;
                    break;
                default:
                    field.Append(ch);
                    break;
            }
        }
        if (quoted)
        {
            throw new InvalidDataException($"{path} line {recordLine}: unterminated quoted field");
        }
        if (field.Length > 0 || fields.Count > 0)
        {
            fields.Add(field.ToString());
            records.Add((recordLine, fields.ToArray()));
        }
        return records;
    }
}
