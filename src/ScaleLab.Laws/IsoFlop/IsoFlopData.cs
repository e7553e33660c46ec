using System.Globalization;
using ScaleLab.Laws.Trend;

namespace ScaleLab.Laws.IsoFlop;

/// <summary>One training run: compute C (FLOP), parameters N, final loss, and the file line it came from (0 when synthetic).</summary>
public sealed record IsoFlopRun(double Compute, double Params, double Loss, int Line = 0);

/// <summary>Runs read from a CSV, with the column names actually used.</summary>
public sealed record IsoFlopDataset(string Path, string ComputeColumn, string ParamsColumn, string LossColumn, IReadOnlyList<IsoFlopRun> Runs);

/// <summary>
/// Reads (C, N, loss) runs from a CSV with a header. Columns are given, or found by the first matching
/// name (case-insensitive): C in "C", "compute", "flops", "Training FLOP"; N in "N", "params",
/// "parameters", "Model Size"; loss in "loss", "L", "y". Every cell must be a positive finite number:
/// an empty, non-numeric, NaN or non-positive cell is an <see cref="InvalidDataException"/> naming file, line and column.
/// </summary>
public static class IsoFlopData
{
    public static readonly IReadOnlyList<string> ComputeNames = ["C", "compute", "flops", "Training FLOP"];
    public static readonly IReadOnlyList<string> ParamsNames = ["N", "params", "parameters", "Model Size"];
    public static readonly IReadOnlyList<string> LossNames = ["loss", "L", "y"];

    public static IsoFlopDataset Load(string path, string? computeColumn = null, string? paramsColumn = null, string? lossColumn = null)
    {
        var table = CsvTable.Read(path);
        var c = computeColumn is null ? table.RequireAny("compute", ComputeNames) : table.Require(computeColumn);
        var n = paramsColumn is null ? table.RequireAny("parameter-count", ParamsNames) : table.Require(paramsColumn);
        var y = lossColumn is null ? table.RequireAny("loss", LossNames) : table.Require(lossColumn);
        var runs = new List<IsoFlopRun>(table.Rows.Count);
        foreach (var (line, fields) in table.Rows)
        {
            runs.Add(new IsoFlopRun(
                Positive(table, fields, c, line),
                Positive(table, fields, n, line),
                Positive(table, fields, y, line),
                line));
        }
        return new IsoFlopDataset(path, table.Header[c], table.Header[n], table.Header[y], runs);
    }

    private static double Positive(CsvTable table, string[] fields, int column, int line)
    {
        var cell = CsvTable.Field(fields, column);
        if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            throw new InvalidDataException($"{table.Path} line {line}, column \"{table.Header[column]}\": '{cell}' is not a finite number");
        }
        if (value <= 0)
        {
            throw new InvalidDataException($"{table.Path} line {line}, column \"{table.Header[column]}\": {cell} must be positive (its logarithm is taken)");
        }
        return value;
    }
}
