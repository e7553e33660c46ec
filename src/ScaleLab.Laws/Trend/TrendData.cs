using System.Globalization;

namespace ScaleLab.Laws.Trend;

/// <summary>Which column of the model database a trend is fitted to.</summary>
public enum TrendQuantity
{
    /// <summary>"Training compute (FLOP)".</summary>
    Compute,
    /// <summary>"Parameters".</summary>
    Parameters,
}

/// <summary>One model: its publication date, fractional year and the trended value (FLOP or parameters).</summary>
public sealed record TrendPoint(string Model, DateOnly Date, double Year, double Value, int Line);

/// <summary>
/// The usable rows of a trend file and how many rows were skipped for an empty value. <see cref="Quantity"/> is null when
/// the value column was chosen by name (<see cref="TrendColumns"/>); <see cref="Unmatched"/> lists the rows whose join
/// key the joined file lacks (empty without a join).
/// </summary>
public sealed record TrendDataset(string Path, string Column, TrendQuantity? Quantity, IReadOnlyList<TrendPoint> Points, int Skipped)
{
    /// <summary>The ratio's denominator column (<c>--per</c>), or null.</summary>
    public string? PerColumn { get; init; }

    /// <summary>The date column used.</summary>
    public string DateColumn { get; init; } = TrendData.DateColumn;

    /// <summary>The joined file and key column, or null without a join.</summary>
    public (string Path, string On)? Join { get; init; }

    /// <summary>Rows of the main file whose key has no row in the joined file: (key, line), in file order.</summary>
    public IReadOnlyList<(string Key, int Line)> Unmatched { get; init; } = [];

    /// <summary>"value" or "value per per-column", for tables and plots.</summary>
    public string Label => PerColumn is null ? Column : $"{Column} per {PerColumn}";
}

/// <summary>
/// Reads Epoch AI's model-database CSV ("Publication date" as YYYY-MM-DD, "Training compute (FLOP)",
/// "Parameters", optional "Model"). A row whose value cell is empty is skipped and counted; a non-empty
/// value that is not a positive finite number, or a malformed date in a row that has a value, is an
/// <see cref="InvalidDataException"/> naming the file, line and column.
/// </summary>
public static partial class TrendData
{
    public const string DateColumn = "Publication date";
    public const string ComputeColumn = "Training compute (FLOP)";
    public const string ParametersColumn = "Parameters";
    public const string ModelColumn = "Model";

    public static string ColumnFor(TrendQuantity quantity) =>
        quantity == TrendQuantity.Parameters ? ParametersColumn : ComputeColumn;

    public static TrendDataset Load(string path, TrendQuantity quantity = TrendQuantity.Compute) =>
        Load(path, new TrendColumns { Value = ColumnFor(quantity) }) with { Quantity = quantity };
}

/// <summary>
/// Fractional year of a date: year + (dayOfYear − 0.5)/daysInYear, i.e. the middle of the day, so
/// 1 January 2020 is 2020.0014 and 31 December 2020 is 2020.9986 (leap years divide by 366).
/// </summary>
public static class FractionalYear
{
    public const string Convention = "year + (day_of_year - 0.5) / days_in_year";

    public static double FromDate(DateOnly date)
    {
        var days = DateTime.IsLeapYear(date.Year) ? 366.0 : 365.0;
        return date.Year + (date.DayOfYear - 0.5) / days;
    }
}

/// <summary>Compute unit conversions: 1 petaflop/s-day = 10^15 FLOP/s × 86,400 s = 8.64·10^19 FLOP.</summary>
public static class ComputeUnits
{
    public const double FlopPerPetaflopSDay = 8.64e19;

    public static double ToPetaflopSDays(double flop) => flop / FlopPerPetaflopSDay;

    public static double FromPetaflopSDays(double pfsDays) => pfsDays * FlopPerPetaflopSDay;
}
