using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Studies.Sae;
using ScaleLab.Laws;
using ScaleLab.Report.Plots;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary><c>scalelab sae scaling</c>: held-out FVU against latents n at each k from a study of "sae" runs, the power
/// law L(n) = E + A·n^(−α) with bootstrap intervals, Gao et al.'s joint law L(n, k) over all TopK runs, the back-test of
/// the largest n for both, and the compute cost per SAE (<see cref="SaeScaling"/>).</summary>
[Verb("sae scaling", "Fit how SAE quality scales with the latent count: held-out FVU = E + A*n^(-alpha) at each k and Gao et al.'s joint L(n, k) from a study of sae runs, with bootstrap intervals, back-tests that predict the largest n from the smaller, and the compute (FLOP, wall time) of each SAE",
    Examples = ["sae scaling --study saes", "sae scaling --study saes --registry sqlite:runs.db --bootstrap 200 --json", "sae scaling --study saes --plot sae-scaling.svg"])]
public sealed class SaeScalingCommand(IAnsiConsole console) : Command<SaeScalingCommand.Settings>
{
    private static readonly JsonSerializerOptions Json = JsonNumbers.With(new() { WriteIndented = true });

    public sealed class Settings : CommandSettings
    {
        [CommandOption("--study <NAME>")]
        [Description("Study whose sae runs to read (a sweep spec with kind = \"sae\")")]
        public string? Study { get; set; }

        [CommandOption("--registry <REGISTRY>")]
        [Description("sqlite:PATH or postgres:CONNSTRING (default $SCALELAB_REGISTRY, else sqlite:scalelab.db)")]
        public string? Registry { get; set; }

        [CommandOption("--bootstrap <N>")]
        [Description("Bootstrap resamples for the intervals (default 200)")]
        public int Bootstrap { get; set; } = 200;

        [CommandOption("--seed <S>")]
        [Description("Bootstrap seed (default 1)")]
        public ulong Seed { get; set; } = 1;

        [CommandOption("--plot <FILE>")]
        [Description("Write the figure (.png or .svg): held-out FVU against n per k with each k's fitted power law and the joint law, extended to 2x the largest n")]
        public string? Plot { get; set; }

        [CommandOption("--json")]
        [Description("Write one JSON document to stdout")]
        public bool Json { get; set; }

        public override ValidationResult Validate() =>
            string.IsNullOrWhiteSpace(Study) ? ValidationResult.Error("--study NAME is required")
            : Bootstrap < 0 ? ValidationResult.Error($"--bootstrap must be 0 or more, got {Bootstrap}")
            : Plot is not null && !(Plot.EndsWith(".png", StringComparison.OrdinalIgnoreCase) || Plot.EndsWith(".svg", StringComparison.OrdinalIgnoreCase))
                ? ValidationResult.Error($"--plot must end in .png or .svg, got '{Plot}'")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        OutputPaths.Check([], [("--plot", settings.Plot)]);
        using var store = RegistryToRead.Open(settings.Registry, out _);
        var points = SaeScaling.Points(store, settings.Study!);
        if (points.Count == 0) throw new UsageException($"study '{settings.Study}' has no finished sae runs; run its sweep spec first (scalelab sweep SPEC)");
        var fits = SaeScaling.Fit(points, settings.Bootstrap, settings.Seed);
        if (fits.Count == 0) throw new UsageException($"study '{settings.Study}' has no k with runs at 4 or more latent counts; the power law E + A·n^-α needs at least 4");
        var joint = SaeScaling.FitJoint(points, settings.Bootstrap, settings.Seed, out var jointSkipped);
        if (settings.Plot is not null) SaeScalingPlot.Save(settings.Plot, points, fits, joint);
        var document = new Dictionary<string, object?>
        {
            ["command"] = "sae scaling",
            ["study"] = settings.Study,
            ["law"] = "fvu = E + A*n^(-alpha) at fixed k (held-out FVU, n = latents)",
            ["fits"] = fits.Select(f => new Dictionary<string, object?>
            {
                ["k"] = f.K,
                ["points"] = f.Points.Select(p => new { latents = p.Latents, seed = p.Seed, fvu = p.Fvu, flops = p.Flops }).ToList(),
                ["parameters"] = f.Fit.Parameters,
                ["intervals"] = f.Fit.Bootstrap?.Parameters.Zip(f.Fit.Symbols).ToDictionary(x => x.Second, x => new[] { x.First.Lo, x.First.Hi }),
                ["identified"] = f.Fit.Identification().AllIdentified,
                ["unidentified_statements"] = f.Fit.Identification().Statements,
                ["fvu_with_n"] = SaeScaling.Direction(AlphaInterval(f)),
                ["backtest"] = f.Backtest is { } b ? new Dictionary<string, object?>
                {
                    ["held_out_latents"] = f.Points[^1].Latents,
                    ["points"] = b.Points.Select(p => new { scale = p.Scale, observed = p.Observed, predicted = p.Predicted, lo = p.Lo, hi = p.Hi, relative_error = p.RelativeError, covered = p.Covered }).ToList(),
                    ["mean_abs_relative_error"] = b.MeanAbsRelativeError,
                    ["coverage"] = b.Coverage,
                    ["baselines"] = Baselines(b),
                    ["beats_baselines"] = b.BeatsBaselines,
                } : null,
                ["backtest_skipped"] = f.BacktestSkipped,
            }).ToList(),
            ["joint"] = joint is null ? null : JointDocument(joint),
            ["joint_skipped"] = jointSkipped,
            ["compute"] = points.OrderBy(p => p.Latents).ThenBy(p => p.K).ThenBy(p => p.Seed).Select(p => new
            {
                latents = p.Latents, k = p.K, seed = p.Seed, fvu = p.Fvu, flops = p.Flops, wall_seconds = p.WallSeconds,
                fvu_fall_last_interval = p.LastIntervalFall, last_interval_steps = p.LastIntervalSteps,
                converged = p.LastIntervalFall is { } f ? f <= SaeScaling.NotConvergedFall : (bool?)null,
            }).ToList(),
            ["convergence_definition"] = ConvergenceDefinition,
            ["compute_definition"] = ComputeDefinition,
            ["plot"] = settings.Plot,
        };
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(document, Json));
            return CliApp.ExitOk;
        }
        foreach (var f in fits)
        {
            var iv = f.Fit.Bootstrap?.Parameters;
            string Show(int i, string name) =>
                string.Create(CultureInfo.InvariantCulture, $"{name} {f.Fit.Values[i]:G4}") +
                (iv is null ? "" : string.Create(CultureInfo.InvariantCulture, $" [{iv[i].Lo:G4}, {iv[i].Hi:G4}]"));
            console.WriteLine($"k = {f.K}: FVU = E + A·n^-α over {f.Points.Count} runs at {f.Points.Select(p => p.Latents).Distinct().Count()} sizes: " +
                string.Join(", ", f.Fit.Symbols.Select((s, i) => Show(i, s))));
            console.WriteLine($"  α: {SaeScaling.DirectionInWords(AlphaInterval(f))}");
            foreach (var statement in f.Fit.Identification().Statements) console.WriteLine($"  not identified: {statement}");
            if (f.Backtest is { } b)
            {
                foreach (var p in b.Points)
                {
                    console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  back-test n = {p.Scale:G6}: predicted {p.Predicted:G4} [{p.Lo:G4}, {p.Hi:G4}], observed {p.Observed:G4} (relative error {p.RelativeError:P1}){(p.Covered ? "" : ", outside the interval")}"));
                }
                ShowBaselines(b);
            }
            else
            {
                console.WriteLine($"  {f.BacktestSkipped}");
            }
        }
        console.WriteLine();
        if (joint is null) console.WriteLine($"joint law L(n, k) not fitted: {jointSkipped}");
        else ShowJoint(joint);
        console.WriteLine();
        ShowCompute(points);
        if (settings.Plot is not null) console.WriteLine($"wrote {settings.Plot}");
        return CliApp.ExitOk;
    }

    /// <summary>The bootstrap interval of a per-k fit's α (null without a bootstrap).</summary>
    private static Interval? AlphaInterval(SaeScalingFit f) =>
        f.Fit.Bootstrap?.Parameters[f.Fit.Symbols.ToList().IndexOf("alpha")];

    /// <summary>What the convergence flag means.</summary>
    public const string ConvergenceDefinition =
        "fvu_fall_last_interval: (held-out FVU at the second-last evaluation - at the last) / the former; converged: that fall is at most 2% " +
        "(null without two evaluations: set eval_interval in the spec); a law in n over runs that are not converged mixes dictionary size with training length";

    /// <summary>What the compute table's columns are.</summary>
    public const string ComputeDefinition =
        "flops: the run kind's estimate, tokens x (2n + 10k) x width for TopK (the dense encoder and five k-sparse products), tokens x 12 n x width for ReLU+L1; " +
        "wall_seconds: the registry's start-to-finish time of the run (training, evaluation and checkpoints; on a shared machine it includes waiting)";

    private static Dictionary<string, object?> JointDocument(SaeJointFit joint)
    {
        var identification = joint.Fit.Identification();
        return new Dictionary<string, object?>
        {
            ["law"] = "fvu = exp(alpha + beta_k*ln k + beta_n*ln n + gamma*ln k*ln n) + exp(zeta + eta*ln k) (Gao et al. 2024); A = e^alpha, Z = e^zeta",
            ["runs"] = joint.Points.Count,
            ["parameters"] = joint.Fit.Parameters,
            ["intervals"] = joint.Fit.Bootstrap?.Parameters.Zip(joint.Fit.Symbols).ToDictionary(x => x.Second, x => new[] { x.First.Lo, x.First.Hi }),
            ["identified"] = identification.AllIdentified,
            ["unidentified_statements"] = identification.Parameters.Where(p => !p.Usable).Select(p => p.Statement).ToList(),
            ["exponent_in_n"] = joint.Exponents.Select(e => new { k = e.K, exponent = e.Exponent, lo = e.Interval?.Lo, hi = e.Interval?.Hi, fvu_with_n = SaeScaling.Direction(e.Interval) }).ToList(),
            ["exponent_in_n_definition"] = "-(beta_n + gamma*ln k): the reducible term falls as n^-exponent at that k; fvu_with_n: falls (whole interval above 0), rises (whole interval below 0) or unresolved",
            ["backtest"] = joint.Backtest is { } b ? new Dictionary<string, object?>
            {
                ["held_out_latents"] = joint.Points[^1].Latents,
                ["points"] = b.Points.Select(p => new { k = joint.Points[p.Row - 1].K, observed = p.Observed, predicted = p.Predicted, lo = p.Lo, hi = p.Hi, relative_error = p.RelativeError, covered = p.Covered }).ToList(),
                ["mean_abs_relative_error"] = b.MeanAbsRelativeError,
                ["coverage"] = b.Coverage,
                ["baselines"] = Baselines(b),
                ["beats_baselines"] = b.BeatsBaselines,
            } : null,
            ["backtest_skipped"] = joint.BacktestSkipped,
        };
    }

    private void ShowJoint(SaeJointFit joint)
    {
        var f = joint.Fit;
        var iv = f.Bootstrap?.Parameters;
        string Show(int i, string name) =>
            string.Create(CultureInfo.InvariantCulture, $"{name} {f.Values[i]:G4}") +
            (iv is null ? "" : string.Create(CultureInfo.InvariantCulture, $" [{iv[i].Lo:G4}, {iv[i].Hi:G4}]"));
        console.WriteLine($"joint law (Gao et al. 2024) over {joint.Points.Count} TopK runs: FVU = A·k^β_k·n^(β_n + γ·ln k) + Z·k^η: " +
            string.Join(", ", f.Symbols.Select((s, i) => Show(i, s))));
        var identification = f.Identification();
        foreach (var p in identification.Parameters.Where(p => !p.Usable)) console.WriteLine($"  not identified: {p.Statement}");
        foreach (var e in joint.Exponents)
        {
            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  exponent of n at k = {e.K}: {e.Exponent:G3}") + (e.Interval is { } i ? string.Create(CultureInfo.InvariantCulture, $" [{i.Lo:G3}, {i.Hi:G3}]") : "") +
                $" ({SaeScaling.DirectionInWords(e.Interval)})");
        }
        if (joint.Backtest is { } b)
        {
            foreach (var p in b.Points)
            {
                console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  joint back-test n = {p.Scale:G6}, k = {joint.Points[p.Row - 1].K}: predicted {p.Predicted:G4} [{p.Lo:G4}, {p.Hi:G4}], observed {p.Observed:G4} (relative error {p.RelativeError:P1}){(p.Covered ? "" : ", outside the interval")}"));
            }
            ShowBaselines(b);
        }
        else
        {
            console.WriteLine($"  {joint.BacktestSkipped}");
        }
    }

    /// <summary>The back-test's naive forecasts (fitted on the training runs only) and the law's skill against each: the
    /// back-test passes when the law's skill on ln FVU is positive against every one.</summary>
    private static List<object> Baselines(BacktestResult b) => [.. b.Baselines.Select(x => new
    {
        name = x.Name, description = x.Description, mean_abs_relative_error = x.MeanAbsRelativeError, log_skill = x.LogSkill,
    })];

    private void ShowBaselines(BacktestResult b)
    {
        foreach (var x in b.Baselines)
        {
            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  baseline {x.Name}: mean |relative error| {x.MeanAbsRelativeError:P1}; the law's skill on ln FVU {x.LogSkill:F2} ({(x.LogSkill > 0 ? "law better" : "law not better")})"));
        }
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  back-test {(b.BeatsBaselines ? "passes: the law beats every baseline" : "fails: the law does not beat every baseline")} (law's mean |relative error| {b.MeanAbsRelativeError:P1})"));
    }

    private void ShowCompute(IReadOnlyList<SaeScalingPoint> points)
    {
        var table = new Table().Title("compute per SAE").AddColumns("n", "k", "seed", "held-out FVU", "FVU fall, last eval interval", "FLOP (estimate)", "wall s");
        foreach (var p in points.OrderBy(p => p.Latents).ThenBy(p => p.K).ThenBy(p => p.Seed))
        {
            table.AddRow(p.Latents.ToString(CultureInfo.InvariantCulture), p.K.ToString(CultureInfo.InvariantCulture), p.Seed.ToString(CultureInfo.InvariantCulture),
                p.Fvu.ToString("G4", CultureInfo.InvariantCulture),
                p.LastIntervalFall is { } fall ? string.Create(CultureInfo.InvariantCulture, $"{fall:P1} over {p.LastIntervalSteps} steps") : "n/a",
                p.Flops.ToString("G3", CultureInfo.InvariantCulture),
                p.WallSeconds is { } w ? w.ToString("F1", CultureInfo.InvariantCulture) : "n/a");
        }
        console.Write(table);
        console.WriteLine(ComputeDefinition);
        var open = SaeScaling.NotConverged(points);
        console.WriteLine(open.Count == 0
            ? points.Any(p => p.LastIntervalFall is not null) ? "every run with two evaluations fell by at most 2% over its last evaluation interval (converged by that test)" : "convergence not checked: the runs have fewer than two held-out evaluations (set eval_interval in the spec)"
            : $"not converged ({open.Count} of {points.Count} runs, held-out FVU still fell by more than 2% over the last evaluation interval): " +
              string.Join(", ", open.Select(p => $"n = {p.Latents}, k = {p.K}")) + "; the law in n over them mixes dictionary size with training length");
    }
}
