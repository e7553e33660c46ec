using System.Text;

namespace ScaleLab.Laws;

/// <summary>
/// A CSV file read into memory: one header row, then data rows (RFC 4180: fields may be quoted with
/// <c>"</c>, a quoted field may hold commas, line breaks and doubled quotes <c>""</c>). Every data row
/// remembers the 1-based line on which it starts so errors can name it.
/// </summary>
public sealed class CsvDocument
{
    public string Source { get; }
    public IReadOnlyList<string> Header { get; }
    /// <summary>Data rows; row i (0-based) is "data row i+1" in messages.</summary>
    public IReadOnlyList<string[]> Rows { get; }
    /// <summary>The 1-based file line on which each data row starts.</summary>
    public IReadOnlyList<int> Lines { get; }

    private CsvDocument(string source, string[] header, List<string[]> rows, List<int> lines)
    {
        Source = source;
        Header = header;
        Rows = rows;
        Lines = lines;
    }

    /// <summary>Reads <paramref name="path"/>; a missing file is a <see cref="FileNotFoundException"/>.</summary>
    public static CsvDocument Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: file not found", path);
        }
        return Parse(File.ReadAllText(path), Path.GetFileName(path));
    }

    /// <summary>Parses CSV text; <paramref name="source"/> names it in error messages.</summary>
    public static CsvDocument Parse(string text, string source)
    {
        var records = ReadRecords(text, source);
        if (records.Count == 0)
        {
            throw new InvalidDataException($"{source}: no header row (the file is empty)");
        }
        var header = records[0].Fields.Select(h => h.Trim()).ToArray();
        var rows = new List<string[]>(records.Count - 1);
        var lines = new List<int>(records.Count - 1);
        for (int r = 1; r < records.Count; r++)
        {
            var f = records[r].Fields;
            if (f.Length != header.Length)
            {
                throw new InvalidDataException(
                    $"{source}: data row {r} (line {records[r].Line}): {f.Length} fields, header has {header.Length}");
            }
            rows.Add(f);
            lines.Add(records[r].Line);
        }
        return new CsvDocument(source, header, rows, lines);
    }

    /// <summary>The records of CSV text (header included), each with the 1-based line it starts on; blank lines are
    /// skipped and records may be ragged. Shared by <see cref="Parse"/> and the lenient loaders of trend and isoFLOP data.</summary>
    internal static List<(string[] Fields, int Line)> ReadRecords(string text, string source)
    {
        var records = new List<(string[] Fields, int Line)>();
        var fields = new List<string>();
        var field = new StringBuilder();
        int line = 1, recordLine = 1, i = 0;
        bool inQuotes = false, fieldStarted = false, any = false;
        while (i < text.Length)
        {
            char ch = text[i];
            if (inQuotes)
            {
                if (ch == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"')
                    {
                        field.Append('"');
                        i += 2;
                        continue;
                    }
                    inQuotes = false;
                }
                else
                {
                    if (ch == '\n')
                    {
                        line++;
                    }
                    field.Append(ch);
                }
                i++;
                continue;
            }
            switch (ch)
            {
                case '"' when !fieldStarted:
                    inQuotes = true;
                    fieldStarted = true;
                    any = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    fieldStarted = false;
                    any = true;
                    break;
                case '\r':
                    break;
                case '\n':
                    EndRecord();
                    line++;
                    recordLine = line;
                    break;
                default:
                    field.Append(ch);
                    fieldStarted = true;
                    any = true;
                    break;
            }
            i++;
        }
        if (inQuotes)
        {
            throw new InvalidDataException($"{source}: line {recordLine}: unterminated quoted field");
        }
        EndRecord();
        if (records.Count > 0 && records[0].Fields is [var only] && only.Contains(';', StringComparison.Ordinal))
        {
            // A one-column header holding ';' is a semicolon-separated file (a spreadsheet's export where the decimal
            // separator is a comma): say so, rather than "no loss column" later.
            throw new InvalidDataException($"{source}: line {records[0].Line}: the header has ';' between names and no ','; " +
                "this reads comma-separated files: export with ',' as the delimiter and '.' as the decimal point");
        }
        return records;

        void EndRecord()
        {
            if (!any && field.Length == 0 && fields.Count == 0)
            {
                return; // blank line
            }
            fields.Add(field.ToString());
            records.Add((fields.ToArray(), recordLine));
            fields.Clear();
            field.Clear();
            fieldStarted = false;
            any = false;
        }
    }

    /// <summary>Index of the first header among <paramref name="candidates"/> (case-insensitive), or -1.</summary>
    public int FindColumn(IEnumerable<string> candidates)
    {
        foreach (var c in candidates)
        {
            for (int j = 0; j < Header.Count; j++)
            {
                if (string.Equals(Header[j], c, StringComparison.OrdinalIgnoreCase))
                {
                    return j;
                }
            }
        }
        return -1;
    }
}
