using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using ScaleLab.Laws;
using ScaleLab.Laws.Trend;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// <c>scalelab cost-trend COSTS.csv --join MODELS.csv --on Model --hardware CHIPS.csv</c>: training-cost growth set
/// against compute growth and hardware price-performance over the same years, and the utilisation trend that the
/// identity cost ∝ compute / (price-performance · utilisation) implies (<see cref="CostDecomposition"/>).
/// </summary>
[Verb("cost-trend", "Training-cost growth against compute growth and hardware FLOP/s per dollar, with the implied utilisation trend",
    Examples = ["cost-trend costs.csv --join models.csv --on Model --hardware chips.csv --from 2016 --to 2025",
        "cost-trend costs.csv --join models.csv --on Model --hardware chips.csv --cost Cloud_Cost --json"])]
public sealed class CostTrendCommand(IAnsiConsole console) : Command<CostTrendCommand.Settings>
{
    public const string DefaultCost = "Hardware_Capex_Energy_Cost";
    public const string DefaultHardwareValue = "FP32 (single precision) performance (FLOP/s)";
    public const string DefaultHardwarePer = "Release price (USD)";
    public const string DefaultHardwareDate = "Release date";

    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<COSTS>")]
        [Description("CSV of training costs in dollars, one row per model (Epoch's model_costs.csv)")]
        public string Costs { get; set; } = "";

        [CommandOption("--cost <COL>")]
        [Description("Cost column (default Hardware_Capex_Energy_Cost: amortised hardware plus energy)")]
        public string Cost { get; set; } = DefaultCost;

        [CommandOption("--compute <COL>")]
        [Description("Training compute column, FLOP (default \"Training compute (FLOP)\", from COSTS or --join)")]
        public string Compute { get; set; } = TrendData.ComputeColumn;

        [CommandOption("--date <COL>")]
        [Description("Date column of the models, YYYY-MM-DD (default \"Publication date\", from COSTS or --join)")]
        public string Date { get; set; } = TrendData.DateColumn;

        [CommandOption("--join <FILE>")]
        [Description("Model database supplying dates and compute (Epoch's model-database CSV)")]
        public string? Join { get; set; }

        [CommandOption("--on <COL>")]
        [Description("Key column of --join present in both files (e.g. Model)")]
        public string? On { get; set; }

        [CommandOption("--hardware <FILE>")]
        [Description("Chips CSV: release date, price and performance (Epoch's chip data)")]
        public string? Hardware { get; set; }

        [CommandOption("--hardware-value <COL>")]
        [Description("Chip performance column (default FP32 FLOP/s)")]
        public string HardwareValue { get; set; } = DefaultHardwareValue;

        [CommandOption("--hardware-per <COL>")]
        [Description("Chip price column (default \"Release price (USD)\")")]
        public string HardwarePer { get; set; } = DefaultHardwarePer;

        [CommandOption("--hardware-date <COL>")]
        [Description("Chip date column (default \"Release date\")")]
        public string HardwareDate { get; set; } = DefaultHardwareDate;

        [CommandOption("--from <YEAR>")]
        [Description("Start of the window (fractional year, inclusive)")]
        public double? From { get; set; }

        [CommandOption("--to <YEAR>")]
        [Description("End of the window (fractional year, exclusive)")]
        public double? To { get; set; }

        [CommandOption("--bootstrap <N>")]
        [Description("Bootstrap replicates (default 1000)")]
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

        public override ValidationResult Validate()
        {
            if (Hardware is null)
            {
                return ValidationResult.Error("--hardware CHIPS.csv is required (release date, price and FLOP/s per chip)");
            }
            if ((Join is null) != (On is null))
            {
                return ValidationResult.Error("--join FILE and --on COL go together");
            }
            if (Bootstrap < 1)
            {
                return ValidationResult.Error($"--bootstrap must be at least 1 (the intervals are bootstrap intervals), got {Bootstrap}");
            }
            if (Level is <= 0 or >= 1)
            {
                return ValidationResult.Error($"--level must be in (0, 1), got {Level.ToString(CultureInfo.InvariantCulture)}");
            }
            return From is { } f && To is { } t && f >= t ? ValidationResult.Error("--from must be before --to") : ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        InputFiles.EnsureRegularFile("COSTS", settings.Costs);
        InputFiles.EnsureRegularFile("--hardware", settings.Hardware!);
        if (settings.Join is not null)
        {
            InputFiles.EnsureRegularFile("--join", settings.Join);
        }
        TrendColumns Models(string value) => new() { Date = settings.Date, Value = value, JoinPath = settings.Join, On = settings.On };
        var cost = TrendData.Load(settings.Costs, Models(settings.Cost));
        var compute = TrendData.Load(settings.Costs, Models(settings.Compute));
        var chips = TrendData.Load(settings.Hardware!, new TrendColumns { Date = settings.HardwareDate, Value = settings.HardwareValue, Per = settings.HardwarePer });
        var models = CostDecomposition.Pair(cost, compute);
        var result = CostDecomposition.Fit(models, chips.Points, new DecompositionOptions
        {
            From = settings.From,
            To = settings.To,
            Bootstrap = settings.Bootstrap,
            Seed = settings.Seed,
            Level = settings.Level,
        });
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(ToJson(cost, chips, result, settings), CliJson.Options));
            return CliApp.ExitOk;
        }
        console.MarkupLine(Markup.Escape($"{cost.Path}: {models.Count} models with {cost.Column} and {compute.Column}" +
            (cost.Unmatched.Count > 0 ? $"; {cost.Unmatched.Count} rows had no match in {settings.Join}: {string.Join(", ", cost.Unmatched.Select(u => $"'{u.Key}' (line {u.Line})"))}" : "")));
        console.MarkupLine(Markup.Escape($"{chips.Path}: {chips.Points.Count} chips with {chips.Label}"));
        var level = Inv($"{settings.Level * 100:0.#}%");
        var table = new Table().AddColumns("trend", "n", "growth (×/year)", $"{level} interval", "doubling (months)", $"{level} interval");
        foreach (var c in Components(result))
        {
            table.AddRow(new[]
            {
                c.Name, c.N.ToString(CultureInfo.InvariantCulture), Inv($"{c.Growth.Value:0.###}"), Inv($"[{c.Growth.Lo:0.###}, {c.Growth.Hi:0.###}]"),
                Bound(c.DoublingMonths.Value), $"[{Bound(c.DoublingMonths.Lo)}, {Bound(c.DoublingMonths.Hi)}]",
            }.Select(Markup.Escape).ToArray());
        }
        console.Write(table);
        foreach (var finding in result.Findings)
        {
            console.MarkupLine(Markup.Escape($"- {finding}"));
        }
        console.MarkupLine(Markup.Escape($"window {result.Cost.From:0.##}–{result.Cost.To:0.##}; cost ∝ compute / (price-performance · utilisation); " +
            $"intervals: bootstrap percentile over models and chips ({settings.Bootstrap} replicates, seed {settings.Seed}); doubling negative = halving"));
        return CliApp.ExitOk;
    }

    private static TrendComponent[] Components(CostDecompositionResult r) => [r.Cost, r.Compute, r.PricePerformance, r.PredictedCost, r.Utilisation];

    internal static object ToJson(TrendDataset cost, TrendDataset chips, CostDecompositionResult result, Settings settings)
    {
        static object Component(TrendComponent c) => new
        {
            name = c.Name,
            n = c.N,
            slope = c.Slope.Value,
            slope_interval = new { lo = c.Slope.Lo, hi = c.Slope.Hi },
            growth_per_year = new { value = c.Growth.Value, lo = c.Growth.Lo, hi = c.Growth.Hi },
            doubling_months = new { value = c.DoublingMonths.Value, lo = c.DoublingMonths.Lo, hi = c.DoublingMonths.Hi },
        };
        return new Dictionary<string, object?>
        {
            ["command"] = "cost-trend",
            ["costs"] = new { file = cost.Path, column = cost.Column, date_column = cost.DateColumn, join = cost.Join is { } j ? new { file = j.Path, on = j.On } : null },
            ["unmatched"] = cost.Unmatched.Select(u => new { key = u.Key, line = u.Line }).ToList(),
            ["hardware"] = new { file = chips.Path, column = chips.Column, per_column = chips.PerColumn, date_column = chips.DateColumn },
            ["window"] = new { from = result.Cost.From, to = result.Cost.To },
            ["identity"] = "cost ∝ compute / (price_performance · utilisation); utilisation slope = compute − price_performance − cost",
            ["cost"] = Component(result.Cost),
            ["compute"] = Component(result.Compute),
            ["price_performance"] = Component(result.PricePerformance),
            ["predicted_cost"] = Component(result.PredictedCost),
            ["implied_utilisation"] = Component(result.Utilisation),
            ["findings"] = result.Findings,
            ["bootstrap"] = new { replicates = settings.Bootstrap, seed = settings.Seed, level = settings.Level },
        };
    }

    private static string Bound(double v) => double.IsFinite(v) ? v.ToString("0.0", CultureInfo.InvariantCulture) : v > 0 ? "∞" : "−∞";

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
