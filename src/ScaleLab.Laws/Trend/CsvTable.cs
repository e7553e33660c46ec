namespace ScaleLab.Laws.Trend;

/// <summary>
/// A lenient view of a CSV file for the trend and isoFLOP loaders: records are read by <see cref="CsvDocument"/>'s
/// RFC 4180 reader, but may be ragged (a missing trailing field reads as empty), and
/// columns are found by name. Each record remembers the 1-based file line it starts on, so an error can name it.
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
        var records = CsvDocument.ReadRecords(File.ReadAllText(path), path);
        if (records.Count == 0)
        {
            throw new InvalidDataException($"{path}: empty file (expected a header row)");
        }
        var header = records[0].Fields.Select(h => h.Trim()).ToArray();
        return new CsvTable(path, header, [.. records.Skip(1).Select(r => (r.Line, r.Fields))]);
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
}
