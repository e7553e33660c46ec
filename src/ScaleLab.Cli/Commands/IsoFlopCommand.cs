using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using ScaleLab.Laws;
using ScaleLab.Laws.IsoFlop;
using ScaleLab.Report.Plots;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// <c>scalelab isoflop DATA.csv</c>: Chinchilla Approach 2 (Hoffmann et al. 2022, §3.2). Runs are grouped
/// into compute budgets, a parabola in log10 N is fitted to each budget's losses, and the vertices give
/// N_opt(C) ∝ C^a and D_opt(C) = C/(6·N_opt) ∝ C^b, with bootstrap intervals for a and b.
/// </summary>
[Verb("isoflop", "Chinchilla Approach 2: isoFLOP parabolas, N_opt ∝ C^a and D_opt ∝ C^b with bootstrap intervals",
    Examples = ["isoflop chinchilla_points.csv --approach3-drop 5 --plot isoflop.png", "isoflop runs.csv --json",
        "isoflop runs.csv --window 0.3", "isoflop runs.csv --nearest 5", "isoflop runs.csv --all-points"])]
public sealed class IsoFlopCommand(IAnsiConsole console) : Command<IsoFlopCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<DATA>")]
        [Description("CSV with one row per run: compute C (FLOP), parameters N and final loss")]
        public string Data { get; set; } = "";

        [CommandOption("-c|--compute <COL>")]
        [Description("Compute column (default: first of C, compute, flops, Training FLOP)")]
        public string? Compute { get; set; }

        [CommandOption("-n|--params <COL>")]
        [Description("Parameter-count column (default: first of N, params, parameters, Model Size)")]
        public string? Params { get; set; }

        [CommandOption("-y|--loss <COL>")]
        [Description("Loss column (default: first of loss, L, y)")]
        public string? Loss { get; set; }

        [CommandOption("--bins <K>")]
        [Description("Bin log10 C into K equal-width bins (default: exact budgets when C takes at most runs/3 values, else about 4 bins per decade)")]
        public int? Bins { get; set; }

        [CommandOption("--bootstrap <N>")]
        [Description("Bootstrap replicates (runs resampled within budgets; default 1000; 0 = OLS Student-t interval)")]
        public int Bootstrap { get; set; } = 1000;

        [CommandOption("--seed <S>")]
        [Description("Bootstrap seed (default 0)")]
        public ulong Seed { get; set; }

        [CommandOption("--level <P>")]
        [Description("Interval level (default 0.95)")]
        public double Level { get; set; } = 0.95;

        [CommandOption("--window <DECADES>")]
        [Description("Fit each budget's parabola to runs within this many decades of N of its lowest-loss run (default 0.5)")]
        public double? Window { get; set; }

        [CommandOption("--nearest <K>")]
        [Description("Fit each budget's parabola to the K model sizes nearest its lowest-loss run (instead of --window)")]
        public int? Nearest { get; set; }

        [CommandOption("--all-points")]
        [Description("Fit each parabola to every run of its budget (biased when sizes span a wide, asymmetric range)")]
        public bool AllPoints { get; set; }

        [CommandOption("--no-approach3")]
        [Description("Skip the Approach-3 comparison (a chinchilla law fit of the same runs)")]
        public bool NoApproach3 { get; set; }

        [CommandOption("--approach3-drop <K>")]
        [Description("Drop the K highest-loss runs before the Approach-3 fit (Besiroglu et al. 2024 drop 5 of the Chinchilla points; default 0)")]
        public int Approach3Drop { get; set; }

        [CommandOption("--json")]
        [Description("Write one JSON document to stdout")]
        public bool Json { get; set; }

        [CommandOption("--plot <FILE>")]
        [Description("Write the profiles and the frontier (.png or .svg)")]
        public string? Plot { get; set; }

        public override ValidationResult Validate()
        {
            if (Bins is < 1)
            {
                return ValidationResult.Error($"--bins must be at least 1, got {Bins}");
            }
            if (Bootstrap < 0)
            {
                return ValidationResult.Error($"--bootstrap must be 0 or more, got {Bootstrap}");
            }
            if (Level is <= 0 or >= 1)
            {
                return ValidationResult.Error($"--level must be in (0, 1), got {Level.ToString(CultureInfo.InvariantCulture)}");
            }
            if (Window is { } w && !(w > 0 && double.IsFinite(w)))
            {
                return ValidationResult.Error($"--window must be a positive number of decades, got {w.ToString(CultureInfo.InvariantCulture)}");
            }
            if (Nearest is < 3)
            {
                return ValidationResult.Error($"--nearest must be at least 3 (a parabola needs 3 sizes), got {Nearest}");
            }
            if ((Window is not null ? 1 : 0) + (Nearest is not null ? 1 : 0) + (AllPoints ? 1 : 0) > 1)
            {
                return ValidationResult.Error("give at most one of --window, --nearest and --all-points");
            }
            if (Approach3Drop < 0)
            {
                return ValidationResult.Error($"--approach3-drop must be 0 or more, got {Approach3Drop}");
            }
            if (Plot is not null && Path.GetExtension(Plot).ToLowerInvariant() is not (".png" or ".svg"))
            {
                return ValidationResult.Error($"--plot {Plot}: the file must end in .png or .svg");
            }
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        OutputPaths.Check([("DATA", settings.Data)], [("--plot", settings.Plot)]);
        InputFiles.EnsureRegularFile("DATA", settings.Data);
        var data = IsoFlopData.Load(settings.Data, settings.Compute, settings.Params, settings.Loss);
        var options = new IsoFlopOptions
        {
            Bins = settings.Bins,
            Bootstrap = settings.Bootstrap,
            Seed = settings.Seed,
            Level = settings.Level,
            WindowDecades = settings.AllPoints || settings.Nearest is not null ? null : settings.Window ?? 0.5,
            NearestSizes = settings.Nearest,
        };
        var result = IsoFlopAnalysis.Fit(data.Runs, options);
        (Approach3Result? Result, string? Note)? approach3 = settings.NoApproach3 ? null : Approach3(data, settings);
        if (settings.Plot is not null)
        {
            IsoFlopPlot.Save(result, settings.Plot);
        }
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(ToJson(data, result, approach3, settings), CliJson.Options));
            return CliApp.ExitOk;
        }
        WriteHuman(data, result, approach3, settings);
        return CliApp.ExitOk;
    }

    /// <summary>
    /// Approach 3 on the same runs, bootstrapped like Approach 2 (same replicate count, seed and level). A fit
    /// that fails from every start is reported as a note instead of failing the Approach-2 answer.
    /// </summary>
    private static (Approach3Result? Result, string? Note) Approach3(IsoFlopDataset data, Settings settings)
    {
        try
        {
            var runs = data.Runs.OrderBy(r => r.Loss).Take(Math.Max(0, data.Runs.Count - settings.Approach3Drop)).ToList();
            return (Approach3Comparison.Fit(runs, settings.Bootstrap, settings.Seed, settings.Level), null);
        }
        catch (Exception ex) when (ex is FitFailedException or InvalidDataException)
        {
            return (null, $"approach 3 (chinchilla fit) failed: {ex.Message}");
        }
    }

    private void WriteHuman(IsoFlopDataset data, IsoFlopResult result, (Approach3Result? Result, string? Note)? approach3, Settings settings)
    {
        console.MarkupLine(Markup.Escape(
            $"{data.Path}: {data.Runs.Count} runs (C = \"{data.ComputeColumn}\", N = \"{data.ParamsColumn}\", loss = \"{data.LossColumn}\"); budgets {result.Grouping}"));
        var table = new Table().AddColumns("budget C (FLOP)", "runs", "N_opt", "D_opt", "loss at N_opt", "note");
        foreach (var b in result.Budgets)
        {
            string[] cells =
            [
                Sci(b.Compute),
                b.Runs.Count.ToString(CultureInfo.InvariantCulture),
                b.NOpt is { } n ? Sci(n) : "-",
                b.DOpt is { } d ? Sci(d) : "-",
                b.LossAtOpt is { } l ? NumberStyle.Format(l, 4) : "-",
                b.Accepted ? "" : "rejected",
            ];
            table.AddRow(cells.Select(Markup.Escape).ToArray());
        }
        console.Write(table);
        var level = NumberStyle.Format(settings.Level * 100, 3);
        console.MarkupLine(Markup.Escape(Inv(
            $"N_opt ∝ C^a:  a = {NumberStyle.Format(result.NExponent.Value, 3)}  {level}% [{NumberStyle.Format(result.NExponent.Lo, 3)}, {NumberStyle.Format(result.NExponent.Hi, 3)}]  (R² {NumberStyle.Format(result.NFit.R2, 3)})")));
        console.MarkupLine(Markup.Escape(Inv(
            $"D_opt ∝ C^b:  b = {NumberStyle.Format(result.DExponent.Value, 3)}  {level}% [{NumberStyle.Format(result.DExponent.Lo, 3)}, {NumberStyle.Format(result.DExponent.Hi, 3)}]  (D_opt = C/(6·N_opt))")));
        if (approach3 is { Result: { } a3 })
        {
            console.MarkupLine(Markup.Escape(Inv(
                $"Approach 3 (chinchilla fit of the same {a3.Points} runs: E {NumberStyle.Format(a3.E, 3)}, A {NumberStyle.Format(a3.A, 2)}, B {NumberStyle.Format(a3.B, 2)}, α {NumberStyle.Format(a3.Alpha, 3)}, β {NumberStyle.Format(a3.Beta, 3)}):")));
            console.MarkupLine(Markup.Escape(Inv(
                $"  a = β/(α+β) = {NumberStyle.Format(a3.NExponent.Value, 3)} [{NumberStyle.Format(a3.NExponent.Lo, 3)}, {NumberStyle.Format(a3.NExponent.Hi, 3)}],  b = α/(α+β) = {NumberStyle.Format(a3.DExponent.Value, 3)} [{NumberStyle.Format(a3.DExponent.Lo, 3)}, {NumberStyle.Format(a3.DExponent.Hi, 3)}]")));
        }
        else if (approach3 is { Note: { } failure })
        {
            console.MarkupLine($"note: {Markup.Escape(failure)}");
        }
        console.MarkupLine(Markup.Escape($"parabola: loss = c0 + c1·log10 N + c2·(log10 N)² per budget, fitted to {result.Window}; interval: {result.IntervalMethod}"));
        var sens = new Table().AddColumns("window (sensitivity)", "a", "b", "budgets used");
        foreach (var w in result.Sensitivity)
        {
            string[] cells = [w.Window, Inv($"{NumberStyle.Format(w.NExponent, 4)}"), Inv($"{NumberStyle.Format(w.DExponent, 4)}"), w.BudgetsAccepted.ToString(CultureInfo.InvariantCulture)];
            sens.AddRow(cells.Select(Markup.Escape).ToArray());
        }
        console.Write(sens);
        console.MarkupLine(Markup.Escape(Inv($"exponent a varies by {NumberStyle.Format(result.SensitivitySpread, 4)} across these windows")));
        foreach (var note in result.Notes)
        {
            console.MarkupLine($"note: {Markup.Escape(note)}");
        }
        if (settings.Plot is not null)
        {
            console.MarkupLine($"wrote {Markup.Escape(settings.Plot)}");
        }
    }

    internal static object ToJson(IsoFlopDataset data, IsoFlopResult result, (Approach3Result? Result, string? Note)? approach3, Settings settings) => new Dictionary<string, object?>
    {
        ["command"] = "isoflop",
        ["file"] = data.Path,
        ["columns"] = new { c = data.ComputeColumn, n = data.ParamsColumn, loss = data.LossColumn },
        ["runs"] = data.Runs.Count,
        ["grouping"] = result.Grouping,
        ["parabola"] = "loss = c0 + c1*log10(N) + c2*log10(N)^2 per budget; N_opt at the vertex; D_opt = C/(6*N_opt)",
        ["n_exponent"] = new { value = result.NExponent.Value, lo = result.NExponent.Lo, hi = result.NExponent.Hi },
        ["d_exponent"] = new { value = result.DExponent.Value, lo = result.DExponent.Lo, hi = result.DExponent.Hi },
        ["n_coefficient"] = Math.Pow(10, result.NFit.Intercept),
        ["d_coefficient"] = Math.Pow(10, result.DFit.Intercept),
        ["n_fit_r2"] = result.NFit.R2,
        ["budgets_used"] = result.Accepted.Count(),
        ["budgets"] = result.Budgets.Select(b => new
        {
            compute = b.Compute,
            runs = b.Runs.Count,
            runs_in_window = b.Used.Count,
            accepted = b.Accepted,
            n_opt = b.NOpt,
            d_opt = b.DOpt,
            loss_at_opt = b.LossAtOpt,
            curvature = b.Parabola?.C2,
            note = b.Note,
        }).ToList(),
        ["interval_method"] = result.IntervalMethod,
        ["window"] = result.Window,
        ["window_sensitivity"] = result.Sensitivity.Select(w => new
        {
            window = w.Window,
            window_decades = w.WindowDecades,
            n_exponent = w.NExponent,
            d_exponent = w.DExponent,
            budgets_used = w.BudgetsAccepted,
        }).ToList(),
        ["window_sensitivity_spread"] = result.SensitivitySpread,
        ["approach3"] = approach3 is { Result: { } a3 }
            ? new
            {
                law = "chinchilla",
                e = a3.E,
                a = a3.A,
                b = a3.B,
                alpha = a3.Alpha,
                beta = a3.Beta,
                n_exponent = new { value = a3.NExponent.Value, lo = a3.NExponent.Lo, hi = a3.NExponent.Hi },
                d_exponent = new { value = a3.DExponent.Value, lo = a3.DExponent.Lo, hi = a3.DExponent.Hi },
                objective = a3.Objective,
                starts = a3.StartsTotal,
                starts_at_best = a3.StartsAtBest,
                exit_reason = a3.ExitReason,
                points = a3.Points,
                dropped_highest_loss = settings.Approach3Drop,
                bootstrap_failed = a3.BootstrapFailed,
            }
            : null,
        ["approach3_note"] = approach3?.Note ?? (approach3 is null ? "skipped (--no-approach3)" : null),
        ["bootstrap"] = new { replicates = settings.Bootstrap, discarded = result.BootstrapDiscarded, seed = settings.Seed, level = settings.Level },
        ["plot"] = settings.Plot,
        ["notes"] = result.Notes,
    };

    private static string Sci(double v) => NumberStyle.Format(v);

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
