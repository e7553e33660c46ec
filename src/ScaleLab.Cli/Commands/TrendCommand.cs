using System.ComponentModel;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using ScaleLab.Laws;
using ScaleLab.Laws.Trend;
using ScaleLab.Report.Plots;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// <c>scalelab trend DATA.csv</c>: exponential trend of any dated quantity: training compute (or parameters) in Epoch
/// AI's model database by default, or any column by name (<c>--value</c>), a ratio (<c>--per</c>, e.g. FLOP/s per
/// dollar) and columns joined from a second CSV (<c>--join FILE --on KEY</c>). OLS of log10 value on fractional year,
/// growth per year and doubling (negative: halving) time with bootstrap intervals, optional window, eras and frontier
/// filter (Sevilla et al. 2022).
/// </summary>
[Verb("trend", "Growth per year and doubling time of a dated quantity (compute by default; any column, ratio or joined column)",
    Examples = ["trend models.csv --from 1950 --to 2010", "trend models.csv --from 2010 --frontier --top 10 --json",
        "trend costs.csv --value Hardware_Capex_Energy_Cost --join models.csv --on Model --from 2016",
        "trend chips.csv --date released --value fp32_flops --per price_usd --json", "trend models.csv --from 1990 --breaks auto"])]
public sealed class TrendCommand(IAnsiConsole console) : Command<TrendCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<DATA>")]
        [Description("CSV in Epoch's model-database format (\"Publication date\", \"Training compute (FLOP)\", \"Parameters\")")]
        public string Data { get; set; } = "";

        [CommandOption("--from <YEAR>")]
        [Description("Start of the window (fractional year, inclusive)")]
        public double? From { get; set; }

        [CommandOption("--to <YEAR>")]
        [Description("End of the window (fractional year, exclusive), e.g. 2022.2 for mid-March 2022")]
        public double? To { get; set; }

        [CommandOption("--breaks <YEARS>")]
        [Description("Comma-separated era boundaries inside the window, one trend per era; or auto: one break found by least squares, with an interval")]
        public string? Breaks { get; set; }

        [CommandOption("--frontier")]
        [Description("Keep only the top models by value within each calendar year")]
        public bool Frontier { get; set; }

        [CommandOption("--top <N>")]
        [Description("Models kept per calendar year with --frontier (default 10)")]
        public int? Top { get; set; }

        [CommandOption("-y|--quantity <QUANTITY>")]
        [Description("compute (default) or parameters (Spectre needs long option names of 2+ characters, so -y or --quantity)")]
        public string? Y { get; set; }

        [CommandOption("--date <COL>")]
        [Description("Date column, YYYY-MM-DD (default \"Publication date\")")]
        public string? Date { get; set; }

        [CommandOption("--value <COL>")]
        [Description("Column to trend, by name (instead of --quantity); \"$1,234.50\" reads as 1234.5")]
        public string? Value { get; set; }

        [CommandOption("--per <COL>")]
        [Description("Trend the ratio value / COL (e.g. FLOP/s per \"Release price (USD)\")")]
        public string? Per { get; set; }

        [CommandOption("--join <FILE>")]
        [Description("Second CSV whose columns (e.g. a date) a row takes from the row with the same --on key; rows without a match are reported")]
        public string? Join { get; set; }

        [CommandOption("--on <COL>")]
        [Description("Key column of --join, present in both files (e.g. Model)")]
        public string? On { get; set; }

        [CommandOption("--bootstrap <N>")]
        [Description("Bootstrap replicates for the intervals (default 1000; 0 = OLS Student-t interval)")]
        public int Bootstrap { get; set; } = 1000;

        [CommandOption("--seed <S>")]
        [Description("Bootstrap seed (default 0)")]
        public ulong Seed { get; set; }

        [CommandOption("--level <P>")]
        [Description("Interval level (default 0.95)")]
        public double Level { get; set; } = 0.95;

        [CommandOption("--json")]
        [Description("Write one JSON document to stdout")]
        public bool Json { get; set; }

        [CommandOption("--plot <FILE>")]
        [Description("Write a figure (.png or .svg)")]
        public string? Plot { get; set; }

        public override ValidationResult Validate()
        {
            if (Top is not null && !Frontier)
            {
                return ValidationResult.Error("--top needs --frontier");
            }
            if (Top is < 1)
            {
                return ValidationResult.Error($"--top must be at least 1, got {Top}");
            }
            if (Bootstrap < 0)
            {
                return ValidationResult.Error($"--bootstrap must be 0 or more, got {Bootstrap}");
            }
            if (Level is <= 0 or >= 1)
            {
                return ValidationResult.Error($"--level must be in (0, 1), got {Level.ToString(CultureInfo.InvariantCulture)}");
            }
            if (Y is not (null or "compute" or "parameters"))
            {
                return ValidationResult.Error($"--quantity must be compute or parameters, got '{Y}'");
            }
            if (Y is not null && Value is not null)
            {
                return ValidationResult.Error("--quantity and --value both choose the value column; give one");
            }
            if ((Join is null) != (On is null))
            {
                return ValidationResult.Error("--join FILE and --on COL go together");
            }
            foreach (var (flag, column) in new[] { ("--date", Date), ("--value", Value), ("--per", Per), ("--on", On) })
            {
                if (column is not null && string.IsNullOrWhiteSpace(column))
                {
                    return ValidationResult.Error($"{flag} needs a column name");
                }
            }
            if (From is { } f && To is { } t && f >= t)
            {
                return ValidationResult.Error("--from must be before --to");
            }
            if (Plot is not null && Path.GetExtension(Plot).ToLowerInvariant() is not (".png" or ".svg"))
            {
                return ValidationResult.Error($"--plot {Plot}: the file must end in .png or .svg");
            }
            return TryParseBreaks(Breaks, out _, out var error) ? ValidationResult.Success() : ValidationResult.Error(error);
        }

        /// <summary>The --breaks value that asks for one break to be estimated.</summary>
        public const string Auto = "auto";

        internal static bool TryParseBreaks(string? text, out List<double> breaks, out string error)
        {
            breaks = [];
            error = "";
            if (string.IsNullOrWhiteSpace(text) || text.Trim() == Auto)
            {
                return true;
            }
            foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
            {
                if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var year) || !double.IsFinite(year))
                {
                    error = $"--breaks: '{part}' is not a year";
                    return false;
                }
                breaks.Add(year);
            }
            for (var i = 1; i < breaks.Count; i++)
            {
                if (breaks[i] <= breaks[i - 1])
                {
                    error = "--breaks must be strictly increasing";
                    return false;
                }
            }
            return true;
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (!Settings.TryParseBreaks(settings.Breaks, out var breaks, out var breaksError))
        {
            throw new UsageException(breaksError);
        }
        OutputPaths.Check([("DATA", settings.Data), ("--join", settings.Join)], [("--plot", settings.Plot)]);
        InputFiles.EnsureRegularFile("DATA", settings.Data);
        if (settings.Join is not null)
        {
            InputFiles.EnsureRegularFile("--join", settings.Join);
        }
        var data = Load(settings);
        var options = new TrendOptions
        {
            From = settings.From,
            To = settings.To,
            Breaks = breaks,
            FindBreak = settings.Breaks?.Trim() == Settings.Auto,
            FrontierTop = settings.Frontier ? settings.Top ?? TrendOptions.DefaultFrontierTop : null,
            Bootstrap = settings.Bootstrap,
            Seed = settings.Seed,
            Level = settings.Level,
        };
        var result = TrendAnalysis.Fit(data.Points, options);
        var label = data.Quantity switch
        {
            TrendQuantity.Compute => "training compute (FLOP)",
            TrendQuantity.Parameters => "parameters",
            _ => data.Label,
        };
        if (settings.Plot is not null)
        {
            TrendPlot.Save(result, label, settings.Plot);
        }
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(ToJson(data, result, settings), CliJson.Options));
            return CliApp.ExitOk;
        }
        WriteHuman(data, result, settings);
        return CliApp.ExitOk;
    }

    /// <summary>The default (-y compute|parameters) reads the model database as before; any column flag reads by name.</summary>
    internal static TrendDataset Load(Settings settings)
    {
        var quantity = settings.Y == "parameters" ? TrendQuantity.Parameters : TrendQuantity.Compute;
        if (settings.Value is null && settings.Per is null && settings.Date is null && settings.Join is null)
        {
            return TrendData.Load(settings.Data, quantity);
        }
        var data = TrendData.Load(settings.Data, new TrendColumns
        {
            Date = settings.Date ?? TrendData.DateColumn,
            Value = settings.Value ?? TrendData.ColumnFor(quantity),
            Per = settings.Per,
            JoinPath = settings.Join,
            On = settings.On,
        });
        return settings.Value is null && settings.Per is null ? data with { Quantity = quantity } : data;
    }

    /// <summary>Compute in FLOP gets petaflop/s-day conversions; any other quantity is printed as it is.</summary>
    private static bool IsCompute(TrendDataset data) =>
        data.PerColumn is null && string.Equals(data.Column, TrendData.ComputeColumn, StringComparison.OrdinalIgnoreCase);

    private void WriteHuman(TrendDataset data, TrendResult result, Settings settings)
    {
        var compute = IsCompute(data);
        console.MarkupLine($"[bold]{Markup.Escape(data.Path)}[/]: {data.Points.Count} rows with {Markup.Escape(data.Label)}, {data.Skipped} rows skipped (empty value)");
        if (data.Join is { } join)
        {
            console.MarkupLine(Markup.Escape(data.Unmatched.Count == 0
                ? $"join: every row matched {join.Path} on \"{join.On}\""
                : $"join: {data.Unmatched.Count} rows had no match in {join.Path} on \"{join.On}\" and were left out: " +
                  string.Join(", ", data.Unmatched.Select(u => $"'{u.Key}' (line {u.Line})"))));
        }
        foreach (var note in result.Notes)
        {
            console.MarkupLine($"note: {Markup.Escape(note)}");
        }
        var level = Inv($"{settings.Level * 100:0.#}%");
        var table = new Table().AddColumns("era", "models", "OOM/year ± se", "growth (×/year)", $"{level} interval", "doubling (months)",
            $"{level} interval", "R²", compute ? "fit at end (FLOP / pfs-days)" : "fit at end");
        foreach (var era in result.Eras.Count > 1 ? result.Eras.Prepend(result.Overall) : result.Eras)
        {
            var end = compute
                ? $"{Sci(era.FittedAtTo)} / {Sci(ComputeUnits.ToPetaflopSDays(era.FittedAtTo))}"
                : Sci(era.FittedAtTo);
            string[] cells =
            [
                Inv($"{era.From:0.##}–{era.To:0.##}"),
                era.N.ToString(CultureInfo.InvariantCulture),
                Inv($"{era.Fit.Slope:0.###} ± {era.Fit.SlopeStdError:0.###}"),
                Inv($"{era.Growth.Value:0.###}"),
                Inv($"[{era.Growth.Lo:0.###}, {era.Growth.Hi:0.###}]"),
                Bound(era.DoublingMonths.Value),
                $"[{Bound(era.DoublingMonths.Lo)}, {Bound(era.DoublingMonths.Hi)}]",
                Inv($"{era.Fit.R2:0.###}"),
                end,
            ];
            table.AddRow(cells.Select(Markup.Escape).ToArray());
        }
        console.Write(table);
        console.MarkupLine(Markup.Escape(
            $"log10 y = a + b·t by OLS, t = {FractionalYear.Convention}; growth = 10^b; doubling = 12·log10(2)/b months (negative: halving); interval: {result.Overall.IntervalMethod}" +
            (settings.Bootstrap > 0 ? $" ({settings.Bootstrap} replicates, seed {settings.Seed})" : "")));
        if (settings.Plot is not null)
        {
            console.MarkupLine($"wrote {Markup.Escape(settings.Plot)}");
        }
    }

    internal static object ToJson(TrendDataset data, TrendResult result, Settings settings)
    {
        var compute = IsCompute(data);
        var overall = Era(result.Overall, compute);
        return new Dictionary<string, object?>
        {
            ["command"] = "trend",
            ["file"] = data.Path,
            ["column"] = data.Column,
            ["quantity"] = data.Quantity switch { TrendQuantity.Compute => "compute", TrendQuantity.Parameters => "parameters", _ => "column" },
            ["date_column"] = data.DateColumn,
            ["per_column"] = data.PerColumn,
            ["join"] = data.Join is { } join
                ? new
                {
                    file = join.Path,
                    on = join.On,
                    unmatched = data.Unmatched.Select(u => new { key = u.Key, line = u.Line }).ToList(),
                }
                : null,
            ["rows_used"] = data.Points.Count,
            ["rows_skipped"] = data.Skipped,
            ["date_convention"] = FractionalYear.Convention,
            ["window"] = new { from = result.Overall.From, to = result.Overall.To },
            ["frontier_top"] = result.Options.FrontierTop,
            ["n"] = result.Overall.N,
            ["slope"] = result.Overall.Fit.Slope,
            ["slope_se"] = result.Overall.Fit.SlopeStdError,
            ["slope_interval"] = overall["slope_interval"],
            ["intercept"] = result.Overall.Fit.Intercept,
            ["r2"] = result.Overall.Fit.R2,
            ["growth_per_year"] = overall["growth_per_year"],
            ["doubling_months"] = overall["doubling_months"],
            ["interval_method"] = result.Overall.IntervalMethod,
            ["eras"] = result.Eras.Select(e => Era(e, compute)).ToList(),
            ["break"] = result.Break is { } found
                ? new
                {
                    year = new { value = found.Year.Value, lo = found.Year.Lo, hi = found.Year.Hi },
                    method = "least-squares split into two independent lines, 5% trimming; pairs-bootstrap percentile interval",
                    candidates = found.Candidates,
                    minimum_per_era = found.MinimumPerEra,
                    ssr_one_line = found.SsrOneLine,
                    ssr_two_lines = found.SsrTwoLines,
                }
                : null,
            ["bootstrap"] = new { replicates = settings.Bootstrap, seed = settings.Seed, level = settings.Level },
            ["plot"] = settings.Plot,
            ["notes"] = result.Notes,
        };
    }

    private static Dictionary<string, object?> Era(EraTrend era, bool compute)
    {
        var era_ = new Dictionary<string, object?>
        {
            ["from"] = era.From,
            ["to"] = era.To,
            ["n"] = era.N,
            ["slope"] = era.Fit.Slope,
            ["slope_se"] = era.Fit.SlopeStdError,
            ["slope_interval"] = new { lo = era.Slope.Lo, hi = era.Slope.Hi },
            ["intercept"] = era.Fit.Intercept,
            ["r2"] = era.Fit.R2,
            ["growth_per_year"] = new { value = era.Growth.Value, lo = era.Growth.Lo, hi = era.Growth.Hi },
            ["doubling_months"] = new { value = era.DoublingMonths.Value, lo = era.DoublingMonths.Lo, hi = era.DoublingMonths.Hi },
            ["direction_unresolved"] = era.DirectionUnresolved,
        };
        if (compute)
        {
            era_["fitted_at_from"] = new { flop = era.FittedAtFrom, pfs_days = ComputeUnits.ToPetaflopSDays(era.FittedAtFrom) };
            era_["fitted_at_to"] = new { flop = era.FittedAtTo, pfs_days = ComputeUnits.ToPetaflopSDays(era.FittedAtTo) };
        }
        else
        {
            era_["fitted_at_from"] = era.FittedAtFrom;
            era_["fitted_at_to"] = era.FittedAtTo;
        }
        return era_;
    }

    private static string Bound(double v) => double.IsFinite(v) ? v.ToString("0.0", CultureInfo.InvariantCulture) : v > 0 ? "∞" : "−∞";

    private static string Sci(double v) => v.ToString("0.##e+0", CultureInfo.InvariantCulture);

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

/// <summary>JSON settings shared by the trend and isoflop commands: snake_case names, indented, non-finite numbers as null (<see cref="JsonNumbers"/>).</summary>
internal static class CliJson
{
    public static readonly JsonSerializerOptions Options = JsonNumbers.With(new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        // The document goes to a terminal or a file, never into HTML: keep '+' and non-ASCII readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
