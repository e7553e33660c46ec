using System.Globalization;
using System.Text.RegularExpressions;

namespace ScaleLab.Laws.Trend;

/// <summary>
/// Which columns a trend reads, by name: the date, the value, an optional denominator (<see cref="Per"/>: the trended
/// quantity is value ÷ per, e.g. FLOP/s per dollar), and an optional join with a second CSV on a key column
/// (<see cref="JoinPath"/>, <see cref="On"/>): a column the main file lacks is read from the joined file's row with
/// the same key. Epoch's cost file has no dates; joined on "Model" with the model database, its rows take their
/// "Publication date".
/// </summary>
public sealed record TrendColumns
{
    public string Date { get; init; } = TrendData.DateColumn;
    public required string Value { get; init; }
    public string? Per { get; init; }
    public string? JoinPath { get; init; }
    public string? On { get; init; }
}

/// <summary>
/// Numbers as trend files write them: plain invariant-culture numbers ("1234.5", "3.14e23") and money as spreadsheets
/// export it ("$1,234.50"): one leading "$" (after an optional minus sign) is dropped, and commas are dropped only
/// where they separate thousands (1 to 3 digits, then groups of exactly 3), so "1,23" is not read as 123.
/// Anything else ("N/A", "lots", NaN, ∞) is not a number.
/// </summary>
public static partial class TrendNumbers
{
    [GeneratedRegex(@"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Thousands();

    public static bool TryParse(string cell, out double value)
    {
        var text = cell.Trim();
        var negative = text.StartsWith('-');
        var body = negative ? text[1..] : text;
        if (body.StartsWith('$'))
        {
            body = body[1..];
            text = negative ? "-" + body : body;
        }
        if (Thousands().IsMatch(text))
        {
            text = text.Replace(",", "", StringComparison.Ordinal);
        }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
    }
}

public static partial class TrendData
{
    /// <summary>
    /// Reads a trend by column names (see <see cref="TrendColumns"/>). Each column is looked up in the main file, then in
    /// the joined file. A row with an empty value or denominator is skipped and counted; a row whose key the joined file
    /// lacks is listed in <see cref="TrendDataset.Unmatched"/>; a non-empty cell that is not a positive number (money
    /// allowed, <see cref="TrendNumbers"/>) or a malformed date is an <see cref="InvalidDataException"/> naming the file,
    /// line and column it came from. A join that matches no row, or a key repeated in the joined file, is an error too.
    /// </summary>
    public static TrendDataset Load(string path, TrendColumns columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if ((columns.JoinPath is null) != (columns.On is null))
        {
            throw new ArgumentException("trend: --join FILE and --on COL go together");
        }
        var main = CsvTable.Read(path);
        var join = columns.JoinPath is { } joinPath ? CsvTable.Read(joinPath) : null;
        var mainKey = join is null ? -1 : main.Require(columns.On!);
        var joinKey = join is null ? -1 : join.Require(columns.On!);
        var rows = join is null ? null : KeyedRows(join, joinKey);

        var value = Resolve(main, join, columns.Value);
        var per = columns.Per is { } perName ? Resolve(main, join, perName) : null;
        var date = Resolve(main, join, columns.Date);
        var model = main.Find(ModelColumn) is var m and >= 0 ? new Source(false, m) : join?.Find(ModelColumn) is { } j and >= 0 ? new Source(true, j) : null;

        var points = new List<TrendPoint>();
        var unmatched = new List<(string, int)>();
        var skipped = 0;
        foreach (var (line, fields) in main.Rows)
        {
            (int Line, string[] Fields)? other = null;
            if (rows is not null)
            {
                var key = CsvTable.Field(fields, mainKey);
                if (!rows.TryGetValue(key, out var found))
                {
                    unmatched.Add((key, line));
                    continue;
                }
                other = found;
            }
            var cell = Cell(value, fields, line, other);
            var perCell = per is null ? default : Cell(per, fields, line, other);
            if (cell.Text.Length == 0 || (per is not null && perCell.Text.Length == 0))
            {
                skipped++;
                continue;
            }
            var y = Positive(cell, value, main, join);
            if (per is not null)
            {
                y /= Positive(perCell, per, main, join);
            }
            var dateCell = Cell(date, fields, line, other);
            if (!DateOnly.TryParseExact(dateCell.Text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            {
                throw new InvalidDataException($"{Where(dateCell, date, main, join)}: '{dateCell.Text}' is not a date (YYYY-MM-DD)");
            }
            var name = model is null ? (rows is null ? "" : CsvTable.Field(fields, mainKey)) : Cell(model, fields, line, other).Text;
            points.Add(new TrendPoint(name, day, FractionalYear.FromDate(day), y, line));
        }
        if (join is not null && unmatched.Count == main.Rows.Count && main.Rows.Count > 0)
        {
            throw new InvalidDataException(
                $"--join: no value of \"{columns.On}\" in {path} matches a row of {join.Path} (first: '{unmatched[0].Item1}' on line {unmatched[0].Item2})");
        }
        string Name(Source s) => (s.Joined ? join! : main).Header[s.Index];
        return new TrendDataset(path, Name(value), null, points, skipped)
        {
            PerColumn = per is null ? null : Name(per),
            DateColumn = Name(date),
            Join = join is null ? null : (join.Path, columns.On!),
            Unmatched = unmatched,
        };
    }

    /// <summary>A column's place: in the main file or the joined one.</summary>
    private sealed record Source(bool Joined, int Index);

    private readonly record struct CellAt(string Text, int Line);

    private static Source Resolve(CsvTable main, CsvTable? join, string name)
    {
        if (main.Find(name) is var i and >= 0)
        {
            return new Source(false, i);
        }
        if (join?.Find(name) is { } j and >= 0)
        {
            return new Source(true, j);
        }
        var columns = join is null
            ? string.Join(", ", main.Header)
            : $"{string.Join(", ", main.Header)}; {join.Path} has {string.Join(", ", join.Header)}";
        throw new InvalidDataException($"{main.Path}: no column \"{name}\" (columns: {columns})");
    }

    private static CellAt Cell(Source source, string[] fields, int line, (int Line, string[] Fields)? other) =>
        source.Joined ? new CellAt(CsvTable.Field(other!.Value.Fields, source.Index), other.Value.Line) : new CellAt(CsvTable.Field(fields, source.Index), line);

    private static string Where(CellAt cell, Source source, CsvTable main, CsvTable? join)
    {
        var table = source.Joined ? join! : main;
        return $"{table.Path} line {cell.Line}, column \"{table.Header[source.Index]}\"";
    }

    private static double Positive(CellAt cell, Source source, CsvTable main, CsvTable? join) =>
        TrendNumbers.TryParse(cell.Text, out var x) && x > 0
            ? x
            : throw new InvalidDataException($"{Where(cell, source, main, join)}: '{cell.Text}' is not a positive number");

    /// <summary>The joined file's rows by key; rows with an empty key are ignored, a repeated key is an error (which row would it join?).</summary>
    private static Dictionary<string, (int Line, string[] Fields)> KeyedRows(CsvTable join, int key)
    {
        var rows = new Dictionary<string, (int, string[])>(StringComparer.Ordinal);
        foreach (var (line, fields) in join.Rows)
        {
            var k = CsvTable.Field(fields, key);
            if (k.Length == 0)
            {
                continue;
            }
            if (rows.TryGetValue(k, out var first))
            {
                throw new InvalidDataException($"{join.Path}: key '{k}' of column \"{join.Header[key]}\" is on line {first.Item1} and line {line}; a join needs unique keys");
            }
            rows[k] = (line, fields);
        }
        return rows;
    }
}
