using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using ScaleLab.Lab.Analysis;
using ScaleLab.Lab.Registry;
using ScaleLab.Laws;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// <c>scalelab compare --study A --study B</c>: the compute-equivalent gain of recipe B over recipe A, C_A(L)/C_B(L),
/// from each registry study's compute-efficient frontier (<see cref="ComputeGain"/>), at several target losses, with
/// bootstrap intervals, and whether the gain grows or shrinks with compute. With <c>--vintages</c> it trains (or resumes)
/// the built-in recipe-vintage study instead and measures its gain ladder (<see cref="VintageStudy"/>): the same
/// measurement on four recipes of our own engine, so it lives beside the two-study comparison rather than in a verb of its own.
/// </summary>
[Verb("compare", "Compute-equivalent gain of study B's recipe over study A's at target losses, with intervals and its trend with compute",
    Examples = ["compare --study sgd --study adamw", "compare --study sgd --study adamw --target-loss 2.1 --target-loss 1.9 --json",
        "compare --study baseline --study new --registry sqlite:runs.db --bootstrap 2000",
        "compare --vintages --quick --out vintages-quick", "compare --vintages --out vintages --json", "compare --vintages --dry-run"])]
public sealed class CompareCommand(IAnsiConsole console, Stderr stderr) : Command<CompareCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--study <NAME>")]
        [Description("The baseline study A, then the study B compared with it (give --study twice)")]
        public string[] Studies { get; set; } = [];

        [CommandOption("--target-loss <L>")]
        [Description("Loss to compare at (repeatable; default: 5 losses spread over the range both frontiers reach)")]
        public double[] TargetLosses { get; set; } = [];

        [CommandOption("--registry <REGISTRY>")]
        [Description("sqlite:PATH or postgres:CONNSTRING (default $SCALELAB_REGISTRY, else sqlite:scalelab.db)")]
        public string? Registry { get; set; }

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

        [CommandOption("--vintages")]
        [Description("Train (or resume) the built-in recipe-vintage study instead: SGD+momentum, Adam, AdamW+warmup+cosine and that with the width rate rule, each its own study over the same budgets and sizes; then the compute each needs to reach common target losses and the gain ladder, with a report (OUT/vintages.md) and a figure (OUT/vintages.svg). Full design about 10-15 min on 2 quiet cores")]
        public bool Vintages { get; set; }

        [CommandOption("--quick")]
        [Description("With --vintages: the quick design (4 budgets 1e9-3.2e10 FLOP, 3 sizes each; about 1-2 min on 2 cores)")]
        public bool Quick { get; set; }

        [CommandOption("--out <DIR>")]
        [Description("With --vintages: folder for the specs, the registry (unless --registry), the checkpoints, the report and the figure (default scalelab-vintages); rerunning resumes")]
        public string? Out { get; set; }

        [CommandOption("--workers <N>")]
        [Description("With --vintages: concurrent runs, one thread each (default: the core count)")]
        public int? Workers { get; set; }

        [CommandOption("--dry-run")]
        [Description("With --vintages: write the specs and list each recipe's runs; train nothing")]
        public bool DryRun { get; set; }

        public override ValidationResult Validate()
        {
            if (Vintages && Studies.Length > 0)
            {
                return ValidationResult.Error("--vintages compares the built-in recipes; drop --study (or drop --vintages to compare two studies)");
            }
            if (!Vintages && (Quick || Out is not null || Workers is not null || DryRun))
            {
                return ValidationResult.Error("--quick, --out, --workers and --dry-run go with --vintages");
            }
            if (Workers is < 1)
            {
                return ValidationResult.Error($"--workers must be at least 1, got {Workers}");
            }
            if (!Vintages && Studies.Length != 2)
            {
                return ValidationResult.Error($"give --study twice (the baseline A, then B), got {Studies.Length}");
            }
            if (!Vintages && Studies[0] == Studies[1])
            {
                return ValidationResult.Error($"--study {Studies[0]} is given twice; compare two different studies");
            }
            if (TargetLosses.Any(l => !(l > 0) || !double.IsFinite(l)))
            {
                return ValidationResult.Error("--target-loss must be a positive number");
            }
            if (Bootstrap < 1)
            {
                return ValidationResult.Error($"--bootstrap must be at least 1 (the intervals are bootstrap intervals), got {Bootstrap}");
            }
            return Level is <= 0 or >= 1
                ? ValidationResult.Error($"--level must be in (0, 1), got {Level.ToString(CultureInfo.InvariantCulture)}")
                : ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Vintages)
        {
            return VintageStudy.Run(console, stderr, settings, cancellationToken);
        }
        using var store = RegistryToRead.Open(settings.Registry, out _);
        var (a, b) = (settings.Studies[0], settings.Studies[1]);
        var result = ComputeGain.Compare(a, Frontier(store, a), b, Frontier(store, b), new ComputeGainOptions
        {
            TargetLosses = settings.TargetLosses.Length > 0 ? settings.TargetLosses : null,
            Bootstrap = settings.Bootstrap,
            Seed = settings.Seed,
            Level = settings.Level,
        });
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(ToJson(result), CliJson.Options));
            return CliApp.ExitOk;
        }
        foreach (var law in new[] { result.A, result.B })
        {
            console.MarkupLine(Markup.Escape(Inv(
                $"{law.Study}: {law.N} frontier runs, C {Sci(law.MinC)}–{Sci(law.MaxC)} FLOP, loss {law.MaxLoss:0.####}–{law.MinLoss:0.####}; log10 L = {law.Fit.Intercept:0.####} {law.Fit.Slope:+0.#####;-0.#####}·log10 C (R² {law.Fit.R2:0.###})")));
        }
        var level = Inv($"{settings.Level * 100:0.#}%");
        console.MarkupLine(Markup.Escape($"compute-equivalent gain of {b} over {a} = C_{a}(L) / C_{b}(L), the compute each needs to reach loss L:"));
        var table = new Table().AddColumns("target loss", $"C {a}", $"C {b}", "gain", $"{level} interval");
        foreach (var g in result.Gains)
        {
            table.AddRow(new[]
            {
                Inv($"{g.TargetLoss:0.####}"), Sci(g.ComputeA), Sci(g.ComputeB), Inv($"{g.Gain.Value:0.###}x"), Inv($"[{g.Gain.Lo:0.###}, {g.Gain.Hi:0.###}]"),
            }.Select(Markup.Escape).ToArray());
        }
        console.Write(table);
        console.MarkupLine(Markup.Escape(result.Trend));
        foreach (var note in result.Notes)
        {
            console.MarkupLine($"note: {Markup.Escape(note)}");
        }
        console.MarkupLine(Markup.Escape($"frontier law log10 L = a + b·log10 C (Kaplan et al. 2020 eq. 1.3) per study; gain = C_A(L)/C_B(L); " +
            $"intervals: residual bootstrap of each frontier line, expanded percentile ({settings.Bootstrap} replicates, seed {settings.Seed})"));
        return CliApp.ExitOk;
    }

    /// <summary>
    /// The study's compute-efficient frontier as the report builds it: seeds averaged, the best learning rate per (N, D),
    /// then the lowest loss per compute budget that beats every smaller budget (<see cref="StudyPoints"/>).
    /// </summary>
    internal static List<FrontierPoint> Frontier(IRunStore store, string study)
    {
        var runs = store.ListRuns(study);
        if (runs.Count == 0)
        {
            var known = store.ListStudies().Select(s => s.Name).ToList();
            throw new InvalidDataException($"{store.Location}: study '{study}' has no runs (studies: {(known.Count == 0 ? "none" : string.Join(", ", known))})");
        }
        var selected = StudyPoints.Select(runs, store.ExportPoints(study));
        return [.. StudyPoints.ComputeFrontier(selected).Select(p => new FrontierPoint(p.C, p.Loss))];
    }

    internal static object ToJson(ComputeGainResult r)
    {
        static object Law(FrontierLaw law) => new
        {
            study = law.Study,
            frontier_runs = law.N,
            intercept = law.Fit.Intercept,
            slope = law.Fit.Slope,
            slope_se = law.Fit.SlopeStdError,
            r2 = law.Fit.R2,
            loss_range = new { lo = law.MinLoss, hi = law.MaxLoss },
            compute_range = new { lo = law.MinC, hi = law.MaxC },
        };
        return new Dictionary<string, object?>
        {
            ["command"] = "compare",
            ["law"] = "log10 L = a + b·log10 C on each study's compute-efficient frontier",
            ["a"] = Law(r.A),
            ["b"] = Law(r.B),
            ["gains"] = r.Gains.Select(g => new
            {
                target_loss = g.TargetLoss,
                compute_a = g.ComputeA,
                compute_b = g.ComputeB,
                gain = new { value = g.Gain.Value, lo = g.Gain.Lo, hi = g.Gain.Hi },
            }).ToList(),
            ["gain_exponent"] = new { value = r.ScaleExponent.Value, lo = r.ScaleExponent.Lo, hi = r.ScaleExponent.Hi },
            ["trend"] = r.Trend,
            ["bootstrap"] = new
            {
                method = "residual bootstrap of each frontier line (budgets fixed), expanded percentile intervals (Hesterberg 2015)",
                replicates = r.Options.Bootstrap,
                seed = r.Options.Seed,
                level = r.Options.Level,
                expanded_level = ComputeGain.ExpandedLevel(r.Options.Level, r.A.N + r.B.N - 4),
                failed = r.FailedReplicates,
            },
            ["notes"] = r.Notes,
        };
    }

    private static string Sci(double v) => v.ToString("0.##e+0", CultureInfo.InvariantCulture);

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
