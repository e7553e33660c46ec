using System.ComponentModel;
using System.Globalization;
using ScaleLab.Laws;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// <c>scalelab backtest DATA.csv --law LAW (--holdout K | --holdout-above C)</c>: fit on the smaller runs,
/// predict the held-out larger ones with bootstrap prediction intervals, report relative errors and coverage.
/// </summary>
[Verb("backtest", "Fit on the smaller runs and predict the largest: errors and interval coverage",
    Examples = ["backtest runs.csv --law chinchilla --holdout 20", "backtest runs.csv --law powerlaw --holdout-above 1e20 --json"])]
public sealed class BacktestCommand(IAnsiConsole console) : Command<BacktestCommand.Settings>
{
    public sealed class Settings : FitDataSettings
    {
        [CommandOption("--holdout <K>")]
        [Description("Hold out the K largest-compute points (scale: C, else N, else D, else t)")]
        public int? Holdout { get; set; }

        [CommandOption("--holdout-above <C>")]
        [Description("Hold out every point with scale above C")]
        public string? HoldoutAbove { get; set; }

        public Settings() => Bootstrap = 200;

        internal double? HoldoutAboveValue =>
            HoldoutAbove is null ? null : double.Parse(HoldoutAbove, NumberStyles.Float, CultureInfo.InvariantCulture);

        public override ValidationResult Validate()
        {
            var result = base.Validate();
            if (!result.Successful)
            {
                return result;
            }
            if ((Holdout is null) == (HoldoutAbove is null))
            {
                return ValidationResult.Error("give exactly one of --holdout K and --holdout-above C");
            }
            if (Holdout is < 1)
            {
                return ValidationResult.Error($"--holdout must be positive, got {Holdout}");
            }
            if (HoldoutAbove is not null && !double.TryParse(HoldoutAbove, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            {
                return ValidationResult.Error($"--holdout-above must be a number, got '{HoldoutAbove}'");
            }
            return Bootstrap < 1 ? ValidationResult.Error("--bootstrap must be positive for a back-test") : ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var (law, data) = settings.Load();
        var result = Backtester.Run(law, data, new BacktestOptions
        {
            Holdout = settings.Holdout,
            HoldoutAbove = settings.HoldoutAboveValue,
            Bootstrap = settings.Bootstrap,
            Seed = settings.Seed,
            Fit = settings.FitOptions(),
            Progress = FitOutput.Progress("back-test bootstrap", settings.Bootstrap),
        });
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(System.Text.Json.JsonSerializer.Serialize(
                BacktestDocument.From(result), LawFitDocument.JsonOptions));
            return CliApp.ExitOk;
        }
        FitOutput.WriteFit(console, result.TrainFit);
        FitOutput.WriteBacktest(console, result);
        return CliApp.ExitOk;
    }
}
