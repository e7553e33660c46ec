using System.ComponentModel;
using ScaleLab.Laws;
using ScaleLab.Report.Plots;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// <c>scalelab fit DATA.csv --law LAW</c>: multi-start L-BFGS fit of a scaling law in log space (Huber by default,
/// Hoffmann et al. 2022 Approach 3), optional bootstrap intervals, and — with 10 or more points — a back-test that
/// refits without the largest runs and predicts them (<see cref="Backtester.DefaultSplit"/>: above a tenth of the
/// largest compute when the data span 1.5 decades, else the largest 20%), with calibrated intervals, naive
/// baselines and a warning when coverage falls below nominal (skip with <c>--no-backtest</c>).
/// </summary>
[Verb("fit", "Fit a scaling law to a CSV of runs, with bootstrap intervals, identification checks and a back-test",
    Examples = ["fit runs.csv --law chinchilla --bootstrap 200 --out chinchilla.json --plot fit.png", "fit runs.csv --law powerlaw --json",
        "fit runs.csv --law chinchilla --fix E=1.5406 --tie beta=alpha --bootstrap 200",
        "fit runs.csv --law powerlaw --x-variable c --frontier --json"])]
public sealed class FitCommand(IAnsiConsole console, Stderr stderr) : Command<FitCommand.Settings>
{
    public sealed class Settings : FitDataSettings
    {
        [CommandOption("--no-backtest")]
        [Description("Skip the default back-test (runs above a tenth of the largest compute held out, or the largest 20% when the data span under 1.5 decades)")]
        public bool NoBacktest { get; set; }

        [CommandOption("--backtest-bootstrap <N>")]
        [Description("Bootstrap resamples for the back-test intervals (default: --bootstrap, or 200)")]
        public int? BacktestBootstrap { get; set; }

        [CommandOption("--plot <FILE>")]
        [Description("Write a figure: data, fit, extrapolation band (FILE.png or FILE.svg)")]
        public string? Plot { get; set; }

        [CommandOption("--out <FILE>")]
        [Description("Write the fit document (JSON, with bootstrap draws for `scalelab plan`)")]
        public string? Out { get; set; }

        public override ValidationResult Validate()
        {
            var result = base.Validate();
            if (!result.Successful)
            {
                return result;
            }
            if (Plot is not null && !(Plot.EndsWith(".png", StringComparison.OrdinalIgnoreCase) || Plot.EndsWith(".svg", StringComparison.OrdinalIgnoreCase)))
            {
                return ValidationResult.Error($"--plot must end in .png or .svg, got '{Plot}'");
            }
            return BacktestBootstrap is < 1 ? ValidationResult.Error("--backtest-bootstrap must be positive") : ValidationResult.Success();
        }
    }

    /// <summary>Smallest data set that gets the default back-test.</summary>
    public const int BacktestMinimumPoints = 10;

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        OutputPaths.Check([("DATA", settings.Data)], [("--out", settings.Out), ("--plot", settings.Plot)]);
        var (law, data) = settings.Load();
        var options = settings.FitOptions();
        var fit = LawFitter.Fit(law, data, options);
        if (settings.Bootstrap > 0)
        {
            fit = fit.WithBootstrap(data, new BootstrapOptions
            {
                Samples = settings.Bootstrap,
                Seed = settings.Seed,
                Progress = FitOutput.Progress(stderr, "bootstrap", settings.Bootstrap),
            }, options);
        }

        BacktestResult? backtest = null;
        string? skipped = null;
        if (!settings.NoBacktest && data.Count >= BacktestMinimumPoints)
        {
            var (held, _) = Backtester.DefaultSplit(data, law.ParameterCount());
            if (data.Count - held.Length >= law.ParameterCount() + 1)
            {
                int samples = settings.BacktestBootstrap ?? (settings.Bootstrap > 0 ? settings.Bootstrap : 200);
                backtest = Backtester.Run(law, data, new BacktestOptions
                {
                    Bootstrap = samples,
                    Seed = settings.Seed,
                    Fit = options,
                    Progress = FitOutput.Progress(stderr, "back-test bootstrap", samples),
                });
            }
            else
            {
                skipped = $"back-test skipped: {data.Count - held.Length} training points left, {law.Name} needs {law.ParameterCount() + 1}";
            }
        }
        if (skipped is not null)
        {
            fit = fit with { Notes = [.. fit.Notes, skipped] };
        }

        var document = LawFitDocument.From(fit, backtest);
        if (settings.Out is not null)
        {
            document.Write(settings.Out);
        }
        if (settings.Plot is not null)
        {
            LawFitPlot.Save(settings.Plot, fit, data, backtest);
        }
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(document.ToJson());
            return CliApp.ExitOk;
        }
        FitOutput.WriteFit(console, fit);
        if (backtest is not null)
        {
            FitOutput.WriteBacktest(console, backtest);
        }
        if (settings.Out is not null)
        {
            console.WriteLine($"wrote {settings.Out}");
        }
        if (settings.Plot is not null)
        {
            console.WriteLine($"wrote {settings.Plot}");
        }
        return CliApp.ExitOk;
    }
}
