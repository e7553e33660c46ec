using System.ComponentModel;
using System.Globalization;
using ScaleLab.Laws;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// <c>scalelab backtest DATA.csv --law LAW [--holdout K | --holdout-above C]</c>: fit on the smaller runs, predict
/// the held-out larger ones with calibrated prediction intervals; report errors on the total and the reducible
/// loss, skill against two naive baselines, the span extrapolated and nominal against achieved coverage.
/// </summary>
[Verb("backtest", "Fit on the smaller runs and predict the largest: errors, skill against naive baselines, interval coverage",
    Examples = ["backtest runs.csv --law powerlaw", "backtest runs.csv --law chinchilla --level 0.8 --floor 1.54 --json",
        "backtest runs.csv --law powerlaw --holdout-above 1e20 --interval prediction --resample points"])]
public sealed class BacktestCommand(IAnsiConsole console, Stderr stderr) : Command<BacktestCommand.Settings>
{
    public sealed class Settings : FitDataSettings
    {
        [CommandOption("--holdout <K>")]
        [Description("Hold out the K largest-compute points (scale: C, else N, else D, else t). Default: every point above a tenth of the largest scale when the data span >= 1.5 decades, else the largest 20%")]
        public int? Holdout { get; set; }

        [CommandOption("--holdout-above <C>")]
        [Description("Hold out every point with scale above C")]
        public string? HoldoutAbove { get; set; }

        [CommandOption("--level <P>")]
        [Description("Nominal coverage of the intervals (default 0.95)")]
        public double Level { get; set; } = 0.95;

        [CommandOption("--floor <L>")]
        [Description("Known irreducible loss: errors on the reducible loss L - floor (default: the law's fitted E), and calibrated intervals on ln(L - floor) so none reaches below it when every training run is above it")]
        public double? Floor { get; set; }

        [CommandOption("--interval <KIND>")]
        [Description("calibrated (default: widened for extrapolation by nested back-tests), prediction (bootstrap + residual) or mean")]
        public string Interval { get; set; } = "calibrated";

        [CommandOption("--resample <BY>")]
        [Description("What the bootstrap resamples: auto (default: model sizes, else budgets, when >= 10 groups), points, model-size or compute")]
        public string Resample { get; set; } = "auto";

        public Settings() => Bootstrap = 200;

        internal IntervalKind? IntervalKindValue => Interval.ToLowerInvariant() switch
        {
            "calibrated" => IntervalKind.Calibrated,
            "prediction" => IntervalKind.Prediction,
            "mean" => IntervalKind.Mean,
            _ => null,
        };

        internal ResampleBy? ResampleValue => Resample.ToLowerInvariant() switch
        {
            "auto" => ResampleBy.Auto,
            "points" => ResampleBy.Points,
            "model-size" => ResampleBy.ModelSize,
            "compute" => ResampleBy.Compute,
            _ => null,
        };

        internal double? HoldoutAboveValue =>
            HoldoutAbove is null ? null : double.Parse(HoldoutAbove, NumberStyles.Float, CultureInfo.InvariantCulture);

        public override ValidationResult Validate()
        {
            var result = base.Validate();
            if (!result.Successful)
            {
                return result;
            }
            if (Holdout is not null && HoldoutAbove is not null)
            {
                return ValidationResult.Error("give at most one of --holdout K and --holdout-above C");
            }
            if (!(Level is > 0 and < 1))
            {
                return ValidationResult.Error($"--level must be between 0 and 1, got {Level.ToString(CultureInfo.InvariantCulture)}");
            }
            if (Floor is { } f && !(f >= 0 && double.IsFinite(f)))
            {
                return ValidationResult.Error($"--floor must be a finite loss >= 0, got {f.ToString(CultureInfo.InvariantCulture)}");
            }
            if (IntervalKindValue is null)
            {
                return ValidationResult.Error($"--interval must be calibrated, prediction or mean, not '{Interval}'");
            }
            if (ResampleValue is null)
            {
                return ValidationResult.Error($"--resample must be auto, points, model-size or compute, not '{Resample}'");
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
            Level = settings.Level,
            Floor = settings.Floor,
            Interval = settings.IntervalKindValue!.Value,
            Resample = settings.ResampleValue!.Value,
            Fit = settings.FitOptions(),
            Progress = FitOutput.Progress(stderr, "back-test bootstrap", settings.Bootstrap),
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
