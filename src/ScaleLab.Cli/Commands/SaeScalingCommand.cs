using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Studies.Sae;
using ScaleLab.Laws;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary><c>scalelab sae scaling</c>: held-out FVU against latents n at each k from a study of "sae" runs, the power
/// law L(n) = E + A·n^(−α) with bootstrap intervals, Gao et al.'s joint law L(n, k) over all TopK runs, the back-test of
/// the largest n for both, and the compute cost per SAE (<see cref="SaeScaling"/>).</summary>
[Verb("sae scaling", "Fit how SAE quality scales with the latent count: held-out FVU = E + A*n^(-alpha) at each k and Gao et al.'s joint L(n, k) from a study of sae runs, with bootstrap intervals, back-tests that predict the largest n from the smaller, and the compute (FLOP, wall time) of each SAE",
    Examples = ["sae scaling --study saes", "sae scaling --study saes --registry sqlite:runs.db --bootstrap 200 --json"])]
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

        [CommandOption("--json")]
        [Description("Write one JSON document to stdout")]
        public bool Json { get; set; }

        public override ValidationResult Validate() =>
            string.IsNullOrWhiteSpace(Study) ? ValidationResult.Error("--study NAME is required")
            : Bootstrap < 0 ? ValidationResult.Error($"--bootstrap must be 0 or more, got {Bootstrap}")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var store = RegistryToRead.Open(settings.Registry, out _);
        var points = SaeScaling.Points(store, settings.Study!);
        if (points.Count == 0) throw new UsageException($"study '{settings.Study}' has no finished sae runs; run its sweep spec first (scalelab sweep SPEC)");
        var fits = SaeScaling.Fit(points, settings.Bootstrap, settings.Seed);
        if (fits.Count == 0) throw new UsageException($"study '{settings.Study}' has no k with runs at 4 or more latent counts; the power law E + A·n^-α needs at least 4");
        var joint = SaeScaling.FitJoint(points, settings.Bootstrap, settings.Seed, out var jointSkipped);
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
                ["backtest"] = f.Backtest is { } b ? new Dictionary<string, object?>
                {
                    ["held_out_latents"] = f.Points[^1].Latents,
                    ["points"] = b.Points.Select(p => new { scale = p.Scale, observed = p.Observed, predicted = p.Predicted, lo = p.Lo, hi = p.Hi, relative_error = p.RelativeError, covered = p.Covered }).ToList(),
                    ["mean_abs_relative_error"] = b.MeanAbsRelativeError,
                    ["coverage"] = b.Coverage,
                } : null,
                ["backtest_skipped"] = f.BacktestSkipped,
            }).ToList(),
            ["joint"] = joint is null ? null : JointDocument(joint),
            ["joint_skipped"] = jointSkipped,
            ["compute"] = points.OrderBy(p => p.Latents).ThenBy(p => p.K).ThenBy(p => p.Seed).Select(p => new
            {
                latents = p.Latents, k = p.K, seed = p.Seed, fvu = p.Fvu, flops = p.Flops, wall_seconds = p.WallSeconds,
            }).ToList(),
            ["compute_definition"] = ComputeDefinition,
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
            foreach (var statement in f.Fit.Identification().Statements) console.WriteLine($"  not identified: {statement}");
            if (f.Backtest is { } b)
            {
                foreach (var p in b.Points)
                {
                    console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  back-test n = {p.Scale:G6}: predicted {p.Predicted:G4} [{p.Lo:G4}, {p.Hi:G4}], observed {p.Observed:G4} (relative error {p.RelativeError:P1}){(p.Covered ? "" : ", outside the interval")}"));
                }
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
        return CliApp.ExitOk;
    }

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
            ["exponent_in_n"] = joint.Exponents.Select(e => new { k = e.K, exponent = e.Exponent, lo = e.Interval?.Lo, hi = e.Interval?.Hi }).ToList(),
            ["exponent_in_n_definition"] = "-(beta_n + gamma*ln k): the reducible term falls as n^-exponent at that k",
            ["backtest"] = joint.Backtest is { } b ? new Dictionary<string, object?>
            {
                ["held_out_latents"] = joint.Points[^1].Latents,
                ["points"] = b.Points.Select(p => new { k = joint.Points[p.Row - 1].K, observed = p.Observed, predicted = p.Predicted, lo = p.Lo, hi = p.Hi, relative_error = p.RelativeError, covered = p.Covered }).ToList(),
                ["mean_abs_relative_error"] = b.MeanAbsRelativeError,
                ["coverage"] = b.Coverage,
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
                (e.Interval is { } j && j.Lo <= 0 && j.Hi >= 0 ? " (interval includes 0: no decrease with n is resolved)" : ""));
        }
        if (joint.Backtest is { } b)
        {
            foreach (var p in b.Points)
            {
                console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  joint back-test n = {p.Scale:G6}, k = {joint.Points[p.Row - 1].K}: predicted {p.Predicted:G4} [{p.Lo:G4}, {p.Hi:G4}], observed {p.Observed:G4} (relative error {p.RelativeError:P1}){(p.Covered ? "" : ", outside the interval")}"));
            }
        }
        else
        {
            console.WriteLine($"  {joint.BacktestSkipped}");
        }
    }

    private void ShowCompute(IReadOnlyList<SaeScalingPoint> points)
    {
        var table = new Table().Title("compute per SAE").AddColumns("n", "k", "seed", "held-out FVU", "FLOP (estimate)", "wall s");
        foreach (var p in points.OrderBy(p => p.Latents).ThenBy(p => p.K).ThenBy(p => p.Seed))
        {
            table.AddRow(p.Latents.ToString(CultureInfo.InvariantCulture), p.K.ToString(CultureInfo.InvariantCulture), p.Seed.ToString(CultureInfo.InvariantCulture),
                p.Fvu.ToString("G4", CultureInfo.InvariantCulture), p.Flops.ToString("G3", CultureInfo.InvariantCulture),
                p.WallSeconds is { } w ? w.ToString("F1", CultureInfo.InvariantCulture) : "n/a");
        }
        console.Write(table);
        console.WriteLine(ComputeDefinition);
    }
}
