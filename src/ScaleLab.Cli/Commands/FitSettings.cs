using System.ComponentModel;
using System.Globalization;
using ScaleLab.Laws;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary>Flags shared by <c>fit</c> and <c>backtest</c>: the data file, the law, columns and the loss.</summary>
public class FitDataSettings : CommandSettings
{
    [CommandArgument(0, "<DATA>")]
    [Description("CSV file with a header row")]
    public string Data { get; set; } = "";

    [CommandOption("--law <LAW>")]
    [Description("powerlaw, chinchilla, kaplan, bnsl, bnsl2 or exponential")]
    public string? Law { get; set; }

    [CommandOption("-n|--n-column <COL>")]
    [Description("Column of parameters N (default: N, params, parameters, Model Size, ...)")]
    public string? NColumn { get; set; }

    [CommandOption("-d|--d-column <COL>")]
    [Description("Column of tokens D (default: D, tokens, ...; derived as C/(6N) when absent)")]
    public string? DColumn { get; set; }

    [CommandOption("-c|--c-column <COL>")]
    [Description("Column of compute C in FLOP (default: C, compute, Training FLOP, ...; derived as 6ND when absent)")]
    public string? CColumn { get; set; }

    [CommandOption("-y|--y-column <COL>")]
    [Description("Column of the loss (default: loss, y, L, ...)")]
    public string? YColumn { get; set; }

    [CommandOption("-t|--t-column <COL>")]
    [Description("Column of t for the exponential law (default: t, year, time, date)")]
    public string? TColumn { get; set; }

    [CommandOption("-x|--x-variable <VAR>")]
    [Description("Variable of one-variable laws (powerlaw, bnsl): n, d or c (default c when present)")]
    public string? X { get; set; }

    [CommandOption("--loss <KIND>")]
    [Description("huber (default; Hoffmann et al. 2022) or mse, on log residuals")]
    public string? Loss { get; set; }

    [CommandOption("--delta <D>")]
    [Description("Huber threshold on log residuals (default 1e-3)")]
    public double Delta { get; set; } = 1e-3;

    [CommandOption("--bootstrap <N>")]
    [Description("Bootstrap resamples for intervals")]
    public int Bootstrap { get; set; }

    [CommandOption("--seed <S>")]
    [Description("Seed of the bootstrap (default 0)")]
    public ulong Seed { get; set; }

    [CommandOption("--drop-highest-loss <K>")]
    [Description("Drop the K highest-loss points before fitting (Besiroglu et al. 2024 drop 5)")]
    public int DropHighestLoss { get; set; }

    [CommandOption("--fix <SYMBOL=VALUE>")]
    [Description("Fix a parameter at a known value instead of fitting it, e.g. --fix E=1.5406 (repeatable)")]
    public string[]? Fix { get; set; }

    [CommandOption("--tie <FOLLOWER=LEADER>")]
    [Description("Tie two parameters of the same kind, e.g. --tie beta=alpha (repeatable)")]
    public string[]? Tie { get; set; }

    [CommandOption("--frontier")]
    [Description("Fit only the compute-efficient frontier: runs that no run of smaller or equal compute beats (laws in C)")]
    public bool Frontier { get; set; }

    [CommandOption("--json")]
    [Description("Write one JSON document to stdout")]
    public bool Json { get; set; }

    public override ValidationResult Validate()
    {
        try
        {
            FitConstraints.Parse(Fix, Tie);
        }
        catch (ArgumentException ex)
        {
            return ValidationResult.Error(ex.Message);
        }
        if (Law is null)
        {
            return ValidationResult.Error("--law is required (powerlaw, chinchilla, kaplan, bnsl, bnsl2, exponential)");
        }
        if (!LawCatalog.Names.Contains(Law.ToLowerInvariant()))
        {
            return ValidationResult.Error($"unknown law '{Law}' (known: {string.Join(", ", LawCatalog.Names)})");
        }
        if (Loss is not null and not ("huber" or "mse"))
        {
            return ValidationResult.Error($"--loss must be huber or mse, not '{Loss}'");
        }
        if (X is not null and not ("n" or "d" or "c" or "N" or "D" or "C"))
        {
            return ValidationResult.Error($"--x must be n, d or c, not '{X}'");
        }
        if (!(Delta > 0) || !double.IsFinite(Delta))
        {
            return ValidationResult.Error($"--delta must be positive, got {Delta.ToString(CultureInfo.InvariantCulture)}");
        }
        if (Bootstrap < 0 || DropHighestLoss < 0)
        {
            return ValidationResult.Error("--bootstrap and --drop-highest-loss must not be negative");
        }
        return ValidationResult.Success();
    }

    internal (IScalingLaw Law, ScalingDataset Data) Load()
    {
        InputFiles.EnsureRegularFile("DATA", Data);
        var (law, data) = LawCatalog.Load(Law!, Data, new ColumnSelection(NColumn, DColumn, CColumn, YColumn, TColumn), X);
        data = data.DropHighestLoss(DropHighestLoss);
        if (Frontier)
        {
            if (law.Inputs != LawInputs.C)
            {
                throw new InvalidDataException($"--frontier keeps the runs on the loss-vs-compute envelope, which suits a law in C (powerlaw or bnsl with --x-variable c), not {law.Name} in {law.Inputs}");
            }
            data = ComputeFrontier.Select(data);
        }
        return (law, data);
    }

    internal FitOptions FitOptions() => new()
    {
        Loss = Loss switch { "huber" => LossKind.Huber, "mse" => LossKind.Mse, _ => null },
        Delta = Delta,
        Constraints = FitConstraints.Parse(Fix, Tie),
    };
}

/// <summary>Human output and progress shared by the fit verbs.</summary>
internal static class FitOutput
{
    /// <summary>Adds a row of plain text (cells such as "[1.77, 1.87]" must not be read as markup).</summary>
    public static void AddRow(Table table, params string[] cells) => table.AddRow(cells.Select(c => new Text(c)).ToArray());

    public static string F(double v) => NumberStyle.Format(v);

    /// <summary>Progress of long work on stderr (the document, if any, owns stdout).</summary>
    public static IProgress<int> Progress(Stderr stderr, string what, int total) => new SyncProgress(done =>
    {
        if (done == total || done % Math.Max(1, total / 10) == 0)
        {
            stderr.WriteLine($"{what}: {done}/{total}");
        }
    });

    /// <summary>
    /// The fit as a table in which an unidentified parameter (or a derived quantity resting on one) shows the words
    /// "not identified" in place of its value, then the reasons, the Gauss–Newton correlation, AIC/BIC and warnings.
    /// </summary>
    public static void WriteFit(IAnsiConsole console, LawFit fit)
    {
        console.MarkupLine($"[bold]{fit.Law}[/]: {Markup.Escape(fit.Form.Formula)}");
        var boot = fit.Bootstrap;
        var diag = fit.Diagnostics;
        var id = fit.Identification();
        var table = new Table().AddColumns("parameter", "value", boot is null ? "" : $"{NumberStyle.Percent(boot.Level, 2)} interval", diag is null ? "" : "se (asymptotic)");
        for (int k = 0; k < fit.Symbols.Count; k++)
        {
            var verdict = id.Parameters.FirstOrDefault(p => p.Symbol == fit.Symbols[k]);
            string value = verdict?.Status switch
            {
                ParameterStatus.NotIdentified => "not identified",
                ParameterStatus.Fixed => $"{F(fit.Values[k])} (fixed)",
                ParameterStatus.Tied => $"{F(fit.Values[k])} (= {verdict.MostCorrelatedWith})",
                _ => F(fit.Values[k]),
            };
            bool estimated = verdict?.Status is not (ParameterStatus.Fixed or ParameterStatus.Tied);
            FitOutput.AddRow(table, fit.Symbols[k], value,
                boot is null || !estimated ? "" : $"[{F(boot.Parameters[k].Lo)}, {F(boot.Parameters[k].Hi)}]",
                diag is null || !estimated || verdict?.Status == ParameterStatus.NotIdentified ? "" : F(diag.SymbolStandardErrors[k]));
        }
        for (int k = 0; k < fit.DerivedNames.Count; k++)
        {
            var deps = k < id.DerivedDependsOnUnidentified.Count ? id.DerivedDependsOnUnidentified[k] : [];
            FitOutput.AddRow(table, fit.DerivedNames[k] + " (derived)",
                deps.Count > 0 ? $"not identified (rests on {string.Join(", ", deps)})" : F(fit.DerivedValues[k]),
                boot is null ? "" : $"[{F(boot.Derived[k].Lo)}, {F(boot.Derived[k].Hi)}]", "");
        }
        console.Write(table);
        foreach (var statement in id.Statements)
        {
            console.WriteLine($"warning: {statement}");
        }
        // Lines stay under 200 columns so a wide terminal and a pipe show the same lines.
        console.WriteLine(id.AllIdentified
            ? $"identification: every estimated parameter identified, judged on the {id.IntervalSource}"
            : $"identification: {string.Join(", ", id.Unidentified)} not identified, judged on the {id.IntervalSource}");
        console.WriteLine($"criteria: {id.Criteria.Describe()}");
        if (!id.AllIdentified)
        {
            console.WriteLine("remedies: --fix E=VALUE (a known floor), --tie beta=alpha (tie exponents), --frontier (a law in C on the compute-efficient frontier), or more runs");
        }
        if (diag is not null)
        {
            if (!diag.Singular && diag.Names.Count > 1)
            {
                var corr = new Table().AddColumns(["correlation (Gauss-Newton)", .. diag.Names]);
                for (int a = 0; a < diag.Names.Count; a++)
                {
                    FitOutput.AddRow(corr, [diag.Names[a], .. diag.Correlation[a].Select(v => NumberStyle.Format(v, 3))]);
                }
                console.Write(corr);
            }
            if (id.BootstrapCorrelation is { } bc && diag.Names.Count > 1)
            {
                var table2 = new Table().AddColumns(["correlation (bootstrap draws)", .. diag.Names]);
                for (int a = 0; a < diag.Names.Count; a++)
                {
                    FitOutput.AddRow(table2, [diag.Names[a], .. bc[a].Select(v => NumberStyle.Format(v, 3))]);
                }
                console.Write(table2);
            }
            console.WriteLine($"covariance: {diag.Method}");
            console.WriteLine($"Hessian condition number {NumberStyle.Format(diag.ConditionNumber, 3)}; residual sigma {F(diag.ResidualSigma)} ({diag.DegreesOfFreedom} dof)");
            var info = diag.Information;
            console.WriteLine($"AIC {NumberStyle.Format(info.Aic, 3)}, AICc {F(info.Aicc)}, BIC {NumberStyle.Format(info.Bic, 3)}, log-likelihood {NumberStyle.Format(info.LogLikelihood, 3)} (k = {info.Parameters}; {info.Likelihood})");
            foreach (var w in diag.Warnings)
            {
                console.WriteLine($"warning: {w}");
            }
        }
        string loss = fit.Loss == LossKind.Huber ? $"huber (delta {F(fit.Delta)})" : "mse";
        console.WriteLine($"objective {NumberStyle.Format(fit.Objective)} ({loss} on log residuals, summed over {fit.PointsUsed} points)");
        console.WriteLine($"starts {fit.StartsTotal}, at best {fit.StartsAtBest} ({fit.StartsAtBestCriterion}), failed {fit.StartsFailed}; " +
            $"best: {fit.Iterations} iterations, stopped: {fit.ExitReason}");
        if (boot is not null)
        {
            console.WriteLine($"bootstrap: {boot.Samples} resamples ({boot.Failed} failed), seed {boot.Seed}, {boot.Starts}");
        }
        foreach (var note in fit.Notes)
        {
            console.WriteLine($"note: {note}");
        }
    }

    public static void WriteBacktest(IAnsiConsole console, BacktestResult r)
    {
        console.MarkupLine($"[bold]back-test[/]: fit on {r.TrainCount} runs, predict the {r.Points.Count} held out: {Markup.Escape(r.HoldoutRule)}");
        bool reducible = r.Floor is not null;
        var table = new Table().AddColumns("row", "scale", "decades out", "observed", "predicted", $"{NumberStyle.Percent(r.Level, 2)} interval", "rel. error",
            reducible ? "reducible rel. error" : "", "covered");
        foreach (var p in r.Points)
        {
            FitOutput.AddRow(table, p.Row.ToString(CultureInfo.InvariantCulture), F(p.Scale), NumberStyle.Format(p.Decades, 3),
                F(p.Observed), F(p.Predicted), $"[{F(p.Lo)}, {F(p.Hi)}]", Pct(p.RelativeError),
                reducible ? Pct(p.ReducibleRelativeError) : "", p.Covered ? "yes" : "no");
        }
        console.Write(table);
        console.WriteLine($"span: the held-out runs reach {NumberStyle.Format(r.SpanDecades, 3)} decades of {r.ScaleName} beyond the largest training run " +
            $"({F(r.TrainMaxScale)}), the nearest {NumberStyle.Format(r.GapDecades, 3)} decades");
        string red = reducible
            ? $"; on the reducible loss (L − {F(r.Floor!.Value)}, {r.FloorSource}) {NumberStyle.Percent(r.MeanAbsReducibleRelativeError, 3)}"
            : "; no floor known or fitted, so no reducible-loss error";
        console.WriteLine($"error: mean |relative error| {NumberStyle.Percent(r.MeanAbsRelativeError, 3)} on the total loss{red}");
        console.WriteLine("baselines (" + BacktestDocument.SkillText + "):");
        foreach (var b in r.Baselines)
        {
            console.WriteLine($"  {b.Name} ({b.Description}): mean |relative error| {NumberStyle.Percent(b.MeanAbsRelativeError, 3)}; " +
                $"law's log skill {NumberStyle.Format(b.LogSkill, 3)}" + (double.IsFinite(b.ReducibleSkill) ? $", reducible skill {NumberStyle.Format(b.ReducibleSkill, 3)}" : ""));
        }
        console.WriteLine($"intervals: {r.Interval.ToString().ToLowerInvariant()}, bootstrap resampling {r.Resampling}");
        if (r.Calibration is { } c)
        {
            console.WriteLine($"calibration: {c.Method}");
            foreach (var n in c.Nested)
            {
                console.WriteLine($"  nested back-test: fit {n.TrainCount} runs with {r.ScaleName} <= {F(n.Cut)}, predict {n.PredictedCount} up to " +
                    $"{NumberStyle.Format(n.MaxDecades, 3)} decades out: rms log error {F(n.RmsLogError)}, mean {F(n.MeanLogError)}");
            }
        }
        console.WriteLine(r.CoverageNote);
        foreach (var w in r.Warnings)
        {
            console.WriteLine($"warning: {w}");
        }
    }

    private static string Pct(double v) => double.IsFinite(v) ? NumberStyle.Percent(v, 3, signed: true) : "-";

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool and reorder lines).</summary>
    private sealed class SyncProgress(Action<int> report) : IProgress<int>
    {
        private readonly Lock _gate = new();

        public void Report(int value)
        {
            lock (_gate)
            {
                report(value);
            }
        }
    }
}
