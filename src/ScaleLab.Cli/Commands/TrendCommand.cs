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
/// <c>scalelab trend DATA.csv</c>: exponential trend of training compute (or parameters) in Epoch AI's
/// model database: OLS of log10 value on fractional year, doubling time with a bootstrap interval, optional
/// window, eras and frontier filter (Sevilla et al. 2022).
/// </summary>
[Verb("trend", "Doubling time of training compute (or parameters) over publication date (Epoch model-database CSV)",
    Examples = ["trend models.csv --from 1950 --to 2010", "trend models.csv --from 2010 --frontier --top 10 --json"])]
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
        [Description("Comma-separated era boundaries inside the window; one trend per era")]
        public string? Breaks { get; set; }

        [CommandOption("--frontier")]
        [Description("Keep only the top models by value within each calendar year")]
        public bool Frontier { get; set; }

        [CommandOption("--top <N>")]
        [Description("Models kept per calendar year with --frontier (default 10)")]
        public int? Top { get; set; }

        [CommandOption("-y|--quantity <QUANTITY>")]
        [Description("compute (default) or parameters (Spectre needs long option names of 2+ characters, so -y or --quantity)")]
        public string Y { get; set; } = "compute";

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
            if (Y is not ("compute" or "parameters"))
            {
                return ValidationResult.Error($"--quantity must be compute or parameters, got '{Y}'");
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

        internal static bool TryParseBreaks(string? text, out List<double> breaks, out string error)
        {
            breaks = [];
            error = "";
            if (string.IsNullOrWhiteSpace(text))
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
        OutputPaths.Check([("DATA", settings.Data)], [("--plot", settings.Plot)]);
        var quantity = settings.Y == "parameters" ? TrendQuantity.Parameters : TrendQuantity.Compute;
        InputFiles.EnsureRegularFile("DATA", settings.Data);
        var data = TrendData.Load(settings.Data, quantity);
        var options = new TrendOptions
        {
            From = settings.From,
            To = settings.To,
            Breaks = breaks,
            FrontierTop = settings.Frontier ? settings.Top ?? TrendOptions.DefaultFrontierTop : null,
            Bootstrap = settings.Bootstrap,
            Seed = settings.Seed,
            Level = settings.Level,
        };
        var result = TrendAnalysis.Fit(data.Points, options);
        var label = quantity == TrendQuantity.Compute ? "training compute (FLOP)" : "parameters";
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

    private void WriteHuman(TrendDataset data, TrendResult result, Settings settings)
    {
        var compute = data.Quantity == TrendQuantity.Compute;
        console.MarkupLine($"[bold]{Markup.Escape(data.Path)}[/]: {data.Points.Count} models with {Markup.Escape(data.Column)}, {data.Skipped} rows skipped (empty value)");
        foreach (var note in result.Notes)
        {
            console.MarkupLine($"note: {Markup.Escape(note)}");
        }
        var table = new Table().AddColumns("era", "models", "OOM/year ± se", "doubling (months)",
            Inv($"{settings.Level * 100:0.#}% interval"), "R²", compute ? "fit at end (FLOP / pfs-days)" : "fit at end");
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
                Inv($"{era.DoublingMonths.Value:0.0}"),
                Inv($"[{era.DoublingMonths.Lo:0.0}, {Bound(era.DoublingMonths.Hi)}]"),
                Inv($"{era.Fit.R2:0.###}"),
                end,
            ];
            table.AddRow(cells.Select(Markup.Escape).ToArray());
        }
        console.Write(table);
        console.MarkupLine(Markup.Escape(
            $"log10 y = a + b·t by OLS, t = {FractionalYear.Convention}; interval: {result.Overall.IntervalMethod}" +
            (settings.Bootstrap > 0 ? $" ({settings.Bootstrap} replicates, seed {settings.Seed})" : "")));
        if (settings.Plot is not null)
        {
            console.MarkupLine($"wrote {Markup.Escape(settings.Plot)}");
        }
    }

    internal static object ToJson(TrendDataset data, TrendResult result, Settings settings)
    {
        var compute = data.Quantity == TrendQuantity.Compute;
        var overall = Era(result.Overall, compute);
        return new Dictionary<string, object?>
        {
            ["command"] = "trend",
            ["file"] = data.Path,
            ["column"] = data.Column,
            ["quantity"] = compute ? "compute" : "parameters",
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
            ["growth_per_year"] = result.Overall.GrowthPerYear,
            ["doubling_months"] = overall["doubling_months"],
            ["interval_method"] = result.Overall.IntervalMethod,
            ["eras"] = result.Eras.Select(e => Era(e, compute)).ToList(),
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
            ["doubling_months"] = new { value = era.DoublingMonths.Value, lo = era.DoublingMonths.Lo, hi = era.DoublingMonths.Hi },
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

    private static string Bound(double v) => double.IsFinite(v) ? v.ToString("0.0", CultureInfo.InvariantCulture) : "∞";

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
