using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using ScaleLab.Engine;
using ScaleLab.Engine.Data;
using ScaleLab.Engine.Sampling;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Registry;
using ScaleLab.Laws;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// <c>scalelab speculate --target CKPT|RUN --draft CKPT|RUN</c>: speculative sampling (Leviathan et al. 2023) with a
/// small draft model and a large target, timed against the target sampling alone in the same process: prints the
/// text, the measured acceptance α̂, tokens per target pass, the cost ratio c, the measured speedup and the theory's
/// (1 − α^(γ+1)) / ((1 − α)(γc + 1)). The work is <see cref="SpeculativeMeasurement"/>; this class reads flags,
/// resolves checkpoints and writes output.
/// </summary>
[Verb("speculate", "Speculative sampling with a draft and a target model: text, acceptance, tokens per pass, measured and theoretical speedup",
    Examples = ["speculate --target big.ckpt --draft small.ckpt --tokens 500", "speculate --study demo --registry sqlite:out/scalelab.db --plot speculate.svg", "speculate --target big.ckpt --draft small.ckpt --gamma auto --temperature 0.8 --top-k 20 --json", "speculate --target KEY1 --draft KEY2 --registry sqlite:scalelab.db"])]
public sealed class SpeculateCommand(IAnsiConsole console, Stderr stderr) : Command<SpeculateCommand.Settings>
{
    private static readonly JsonSerializerOptions Json = JsonNumbers.With(new() { WriteIndented = true });

    public sealed class Settings : CommandSettings
    {
        [CommandOption("--target <CKPT|RUN>")]
        [Description("The target model: a checkpoint file, or the key of a finished run in --registry")]
        public string? Target { get; set; }

        [CommandOption("--draft <CKPT|RUN>")]
        [Description("The draft model (same vocabulary and context as the target): a checkpoint file or a run key")]
        public string? Draft { get; set; }

        [CommandOption("--study <NAME>")]
        [Description("Measure the trained models of a language-model study instead of one pair: its --targets largest sizes, each with up to --drafts smaller ones as drafts, at every γ of --gammas and auto, as runs of the kind 'speculate' in study NAME-speculate of the same registry (resumable: run it again to finish or to read it back); prints α̂, tokens per pass, c, measured and theoretical speedup per pair and γ, and the fit of how α falls with the draft/target loss gap")]
        public string? Study { get; set; }

        [CommandOption("--targets <K>")]
        [Description("With --study: the K largest model sizes are targets (default 2)")]
        public int Targets { get; set; } = 2;

        [CommandOption("--drafts <K>")]
        [Description("With --study: up to K smaller sizes per target as drafts, spread evenly in log size (default 5)")]
        public int Drafts { get; set; } = 5;

        [CommandOption("--gammas <LIST>")]
        [Description("With --study: the fixed γ to measure, e.g. 1-8 or 1,2,4 (default 1-8; auto is measured too)")]
        public string Gammas { get; set; } = "1-8";

        [CommandOption("--plot <FILE>")]
        [Description("With --study: write the speedup-against-draft-size figure to FILE (.svg or .png) and the acceptance-against-loss-gap figure beside it (FILE-acceptance)")]
        public string? Plot { get; set; }

        [CommandOption("--registry <REGISTRY>")]
        [Description("Where run keys are looked up: sqlite:PATH (default sqlite:scalelab.db, or $SCALELAB_REGISTRY) or postgres:CONNSTRING")]
        public string? Registry { get; set; }

        [CommandOption("--gamma <K>")]
        [Description("Draft tokens per round, K ≥ 1, or 'auto': the γ ≤ 16 that maximises (1 − α^(γ+1))/((1 − α)(γc + v(γ))) at a pilot run's α̂, the measured c and the target's verify-pass cost v(γ) in plain steps, timed at γ = 1, 2, 4, 8, 16 and fitted by a least-squares line (the issue's formula takes v = 1; its choice is printed too) (default auto)")]
        public string Gamma { get; set; } = "auto";

        [CommandOption("--temperature <T>")]
        [Description("Softmax temperature for both models, 0 = greedy (output identical to the target's greedy output). The output is distributed exactly as the target's tempered, top-k-truncated distribution (default 1)")]
        public double Temperature { get; set; } = 1.0;

        [CommandOption("--top-k <K>")]
        [Description("Keep the K most likely tokens of both models; 0 = all (default 0)")]
        public int TopK { get; set; }

        [CommandOption("--tokens <N>")]
        [Description("Tokens (bytes) to generate, each way (default 200)")]
        public int Tokens { get; set; } = 200;

        [CommandOption("--prompt <TEXT>")]
        [Description("Text to continue (default: 'a' for a model of the synthetic corpus, a newline otherwise)")]
        public string? Prompt { get; set; }

        [CommandOption("--seed <S>")]
        [Description("Sampling seed (default 1)")]
        public ulong Seed { get; set; } = 1;

        [CommandOption("--repeats <R>")]
        [Description("Timed rounds: each runs the target alone, the draft alone and the pair once, in an order that rotates each round; every figure is the median over rounds (default 3)")]
        public int Repeats { get; set; } = 3;

        [CommandOption("--threads <N>")]
        [Description("Threads for the target's decode steps and verify passes, plain target sampling included (each matrix product split over its output elements: the same bits at any count); the draft decodes on one thread. With --study the runs go to study NAME-speculate-Nt (default 1)")]
        public int Threads { get; set; } = 1;

        [CommandOption("--cpu-time")]
        [Description("Time by the sampling thread's CPU time instead of the wall clock: for a machine busy with other work (Linux)")]
        public bool CpuTime { get; set; }

        [CommandOption("--json")]
        [Description("Write one JSON document to stdout")]
        public bool Json { get; set; }

        /// <summary>γ, or null for auto (valid after <see cref="Validate"/>).</summary>
        internal int? GammaValue => Gamma == "auto" ? null : int.Parse(Gamma, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

        /// <summary>The fixed γ of <c>--gammas</c> (valid after <see cref="Validate"/>).</summary>
        internal List<int> GammaList => ParseGammas(Gammas, out var list, out _) ? list : [];

        internal static bool ParseGammas(string text, out List<int> gammas, out string error)
        {
            gammas = [];
            error = "";
            foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var range = part.Split('-');
                if (range.Length is 1 or 2 && range.All(r => int.TryParse(r, NumberStyles.None, CultureInfo.InvariantCulture, out var g) && g >= 1))
                {
                    var (from, to) = (int.Parse(range[0], CultureInfo.InvariantCulture), int.Parse(range[^1], CultureInfo.InvariantCulture));
                    if (from <= to && to <= 64)
                    {
                        gammas.AddRange(Enumerable.Range(from, to - from + 1));
                        continue;
                    }
                }
                error = $"--gammas: '{part}' is not γ ≥ 1 or a range A-B with 1 ≤ A ≤ B ≤ 64";
                return false;
            }
            gammas = [.. gammas.Distinct().Order()];
            if (gammas.Count == 0) error = "--gammas is empty";
            return gammas.Count > 0;
        }

        public override ValidationResult Validate()
        {
            if (Study is not null)
            {
                if (Target is not null || Draft is not null) return ValidationResult.Error("--study measures a study's models: leave out --target and --draft");
                if (Study.Length == 0) return ValidationResult.Error("--study must name a study");
                if (Prompt is not null) return ValidationResult.Error("--prompt is not used with --study (the prompt follows the models' corpus)");
                if (Targets < 1 || Drafts < 1) return ValidationResult.Error($"--targets and --drafts must be 1 or more, got {Targets} and {Drafts}");
                if (!ParseGammas(Gammas, out _, out var gammaError)) return ValidationResult.Error(gammaError);
            }
            else if (Plot is not null)
            {
                return ValidationResult.Error("--plot goes with --study");
            }
            else if (string.IsNullOrEmpty(Target) || string.IsNullOrEmpty(Draft))
            {
                return ValidationResult.Error("--target and --draft are both required (a checkpoint file or a run key each), or --study NAME");
            }
            if (Gamma != "auto" && (!int.TryParse(Gamma, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var g) || g < 1))
            {
                return ValidationResult.Error($"--gamma must be an integer ≥ 1 or 'auto', got {Gamma}");
            }
            if (!(Temperature >= 0) || double.IsInfinity(Temperature))
            {
                return ValidationResult.Error($"--temperature must be a number ≥ 0, got {Temperature.ToString(CultureInfo.InvariantCulture)}");
            }
            if (TopK < 0) return ValidationResult.Error($"--top-k must be 0 or more, got {TopK}");
            if (Tokens < 1) return ValidationResult.Error($"--tokens must be 1 or more, got {Tokens}");
            if (Repeats < 1) return ValidationResult.Error($"--repeats must be 1 or more, got {Repeats}");
            if (Threads < 1) return ValidationResult.Error($"--threads must be 1 or more, got {Threads}");
            if (Threads > 1 && CpuTime) return ValidationResult.Error("--cpu-time reads the sampling thread's clock only, which misses the other threads' work: use the wall clock with --threads above 1");
            return Prompt is { Length: 0 } ? ValidationResult.Error("--prompt must not be empty (omit it for the default)") : ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Study is not null)
        {
            return SpeculateStudyRun.Execute(console, stderr, settings, cancellationToken);
        }
        var (targetPath, target) = Resolve("--target", settings.Target!, settings.Registry);
        var (draftPath, draft) = Resolve("--draft", settings.Draft!, settings.Registry);
        if (target.Config.Vocab != draft.Config.Vocab)
        {
            throw new UsageException($"the target has a vocabulary of {target.Config.Vocab} tokens and the draft {draft.Config.Vocab}; speculative sampling needs one vocabulary");
        }
        if (target.Config.SeqLen != draft.Config.SeqLen)
        {
            throw new UsageException($"the target's context is {target.Config.SeqLen} tokens and the draft's {draft.Config.SeqLen}; train them with the same --seq");
        }
        if (settings.GammaValue >= target.Config.SeqLen)
        {
            throw new UsageException($"--gamma {settings.GammaValue} must be below the context of {target.Config.SeqLen} tokens");
        }
        var prompt = settings.Prompt ?? (target.CorpusFingerprint.StartsWith("synthetic", StringComparison.Ordinal) ? "a" : "\n");
        using var targetModel = Gpt.FromCheckpoint(target, maxBatch: 1);
        using var draftModel = Gpt.FromCheckpoint(draft, maxBatch: 1);
        targetModel.Threads = settings.Threads;
        var options = new SpeculativeMeasurementOptions(ByteTokenizer.Encode(prompt), settings.Tokens, settings.GammaValue,
            new SamplingOptions(settings.Temperature, settings.TopK), settings.Seed, settings.Repeats, settings.CpuTime);
        var m = SpeculativeMeasurement.Run(targetModel, draftModel, options, TimeProvider.System, stderr.WriteLine);
        var text = ByteTokenizer.Decode(m.Output);
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(Document(settings, targetPath, draftPath, target, draft, prompt, text, m), Json));
            return CliApp.ExitOk;
        }
        console.Profile.Out.Writer.WriteLine(prompt + text);
        console.WriteLine();
        console.WriteLine(Inv($"target {Checkpoint.Describe(target.Config)}, draft {Checkpoint.Describe(draft.Config)}; γ = {m.Gamma}{(m.GammaAuto ? " (auto)" : "")}, {m.Tokens} tokens, target on {settings.Threads} thread{(settings.Threads == 1 ? "" : "s")} (draft on 1), {(m.CpuTime ? "thread CPU time" : "wall clock")}, median of {m.Repeats} interleaved rounds"));
        var table = new Table().AddColumns("quantity", "value", "note");
        FitOutput.AddRow(table, "acceptance α̂", Inv($"{m.AcceptanceRate:F3} ± {m.AcceptanceStandardError:F3}"), Inv($"accepted / draft tokens tried (± 1 SE); mean Σ min(p, q) over the trials {m.MeanOverlap:F3}"));
        FitOutput.AddRow(table, "tokens per target pass", Inv($"{m.TokensPerTargetPass:F3}"), Inv($"theory (1 − α^(γ+1))/(1 − α) at α̂: {m.ExpectedTokensPerTargetPass:F3}"));
        FitOutput.AddRow(table, "cost ratio c", Inv($"{m.CostRatio:F4}"), Inv($"draft {m.DraftSecondsPerToken * 1e3:F3} ms/token over target {m.TargetSecondsPerToken * 1e3:F3} ms/token, each sampling alone"));
        FitOutput.AddRow(table, "measured speedup", Inv($"{m.Speedup:F2}×"), Inv($"plain target / speculative, same tokens, paired per round; {m.SpeedupLow:F2}–{m.SpeedupHigh:F2} over the rounds"));
        FitOutput.AddRow(table, "theoretical speedup", Inv($"{m.TheoreticalSpeedup:F2}×"), Inv($"(1 − α^(γ+1))/((1 − α)(γc + 1)); {m.TheoreticalSpeedupLow:F2}–{m.TheoreticalSpeedupHigh:F2} at α̂ ± 1 SE and c from {m.CostRatioLow:F4} to {m.CostRatioHigh:F4} (its spread over the repeats)"));
        FitOutput.AddRow(table, "measured / theory", Inv($"{m.SpeedupOverTheory:F2}"), "the issue's goal: within 15% (0.85-1.15)");
        FitOutput.AddRow(table, "verify pass cost", Inv($"{m.MeasuredVerifyCost:F2}"), Inv($"one target pass over γ+1 tokens, in target steps, timed apart (the theory assumes 1; {m.VerifyPassCost:F2} implied by the speculative run's time)"));
        FitOutput.AddRow(table, "theory at that cost", Inv($"{m.TheoreticalSpeedupAtMeasuredVerifyCost:F2}×"), Inv($"(1 − α^(γ+1))/((1 − α)(γc + v)), v = the verify pass cost; {m.TheoreticalSpeedupAtMeasuredVerifyCostLow:F2}–{m.TheoreticalSpeedupAtMeasuredVerifyCostHigh:F2} at α̂ ± 1 SE, c's spread and v from the fastest to the slowest repeat ({m.MeasuredVerifyCostLow:F2}–{m.MeasuredVerifyCostHigh:F2}; {m.MeasuredVerifyCost:F2} the median)"));
        if (m.AutoChoice is { } auto)
        {
            FitOutput.AddRow(table, "auto γ", Inv($"{auto.Gamma}"), auto.Explain());
        }
        console.Write(table);
        return CliApp.ExitOk;
    }

    /// <summary>A checkpoint file, or a run key whose last recorded checkpoint is read from the registry.</summary>
    private static (string Path, Checkpoint Checkpoint) Resolve(string flag, string value, string? registry)
    {
        if (File.Exists(value) || Directory.Exists(value) || value.EndsWith(".ckpt", StringComparison.OrdinalIgnoreCase) || value.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            InputFiles.EnsureRegularFile(flag, value);
            return (value, Checkpoint.Load(value));
        }
        var resolved = RunStores.Resolve(registry);
        var (backend, target) = RunStores.Parse(resolved);
        if (backend == "sqlite" && !File.Exists(target))
        {
            throw new UsageException($"{flag} {value}: no such checkpoint file, and no registry {target} to look the run key up in (pass --registry)");
        }
        using var store = RunStores.Open(resolved);
        var run = store.GetRun(value) ?? throw new UsageException($"{flag} {value}: neither a checkpoint file nor a run in {resolved} (see scalelab runs --study NAME)");
        var artifact = store.ListArtifacts(run.Key).LastOrDefault(a => a.Kind == "checkpoint")
            ?? throw new UsageException($"{flag} {value}: the run has no checkpoint recorded yet (status {run.Status}); finish it with scalelab sweep first");
        InputFiles.EnsureRegularFile(flag, artifact.Path);
        return (artifact.Path, Checkpoint.Load(artifact.Path));
    }

    private static Dictionary<string, object?> Document(Settings s, string targetPath, string draftPath, Checkpoint target, Checkpoint draft, string prompt, string text, SpeculativeMeasurement m) => new()
    {
        ["command"] = "speculate",
        ["target"] = new Dictionary<string, object?> { ["checkpoint"] = targetPath, ["model"] = Checkpoint.Describe(target.Config), ["parameters"] = target.Config.ParameterCount },
        ["draft"] = new Dictionary<string, object?> { ["checkpoint"] = draftPath, ["model"] = Checkpoint.Describe(draft.Config), ["parameters"] = draft.Config.ParameterCount },
        ["prompt"] = prompt,
        ["text"] = text,
        ["tokens"] = m.Output,
        ["temperature"] = s.Temperature,
        ["top_k"] = s.TopK,
        ["seed"] = s.Seed,
        ["gamma"] = m.Gamma,
        ["gamma_auto"] = m.GammaAuto,
        ["gamma_auto_choice"] = m.AutoChoice is not { } a ? null : new Dictionary<string, object?>
        {
            ["pilot_acceptance"] = a.PilotAcceptanceRate,
            ["cost_ratio"] = a.CostRatio,
            ["verify_cost_gammas"] = a.VerifyCost.Gammas,
            ["verify_costs"] = a.VerifyCost.Costs,
            ["verify_cost_line"] = new Dictionary<string, object?> { ["intercept"] = a.VerifyCost.Intercept, ["slope"] = a.VerifyCost.Slope, ["residual_sd"] = a.VerifyCost.ResidualStandardDeviation },
            ["predicted_speedup_range"] = a.PredictedSpeedupLow is { } lo && a.PredictedSpeedupHigh is { } hi ? new[] { lo, hi } : null,
            ["gamma"] = a.Gamma,
            ["predicted_speedup"] = a.PredictedSpeedup,
            ["issue_formula_gamma"] = a.IssueGamma,
            ["issue_formula_stated_speedup"] = a.IssueGammaStatedSpeedup,
            ["issue_formula_predicted_speedup"] = a.IssueGammaPredictedSpeedup,
            ["rule"] = "argmax over γ of (1 − α^(γ+1))/((1 − α)(γc + v(γ))), v(γ) the least-squares line a + b·γ through the timed γ (never below the cheapest timed pass); issue formula: v = 1",
        },
        ["pilot_acceptance"] = m.PilotAcceptanceRate,
        ["threads"] = s.Threads,
        ["draft_threads"] = 1,
        ["repeats"] = m.Repeats,
        ["clock"] = m.CpuTime ? "thread_cpu" : "wall",
        ["acceptance"] = m.AcceptanceRate,
        ["acceptance_se"] = m.AcceptanceStandardError,
        ["mean_overlap"] = m.MeanOverlap,
        ["tokens_per_target_pass"] = m.TokensPerTargetPass,
        ["tokens_per_target_pass_theory"] = m.ExpectedTokensPerTargetPass,
        ["target_seconds_per_token"] = m.TargetSecondsPerToken,
        ["draft_seconds_per_token"] = m.DraftSecondsPerToken,
        ["speculative_seconds_per_token"] = m.SpeculativeSecondsPerToken,
        ["cost_ratio"] = m.CostRatio,
        ["speedup"] = m.Speedup,
        ["speedup_range"] = new[] { m.SpeedupLow, m.SpeedupHigh },
        ["theoretical_speedup"] = m.TheoreticalSpeedup,
        ["theoretical_speedup_range"] = new[] { m.TheoreticalSpeedupLow, m.TheoreticalSpeedupHigh },
        ["speedup_over_theory"] = m.SpeedupOverTheory,
        ["statistic"] = "median over interleaved rounds; speedup = median of per-round paired ratios, its range their least and largest",
        ["verify_pass_cost"] = m.MeasuredVerifyCost,
        ["verify_pass_cost_implied"] = m.VerifyPassCost,
        ["theoretical_speedup_at_verify_cost"] = m.TheoreticalSpeedupAtMeasuredVerifyCost,
        ["theoretical_speedup_at_verify_cost_range"] = new[] { m.TheoreticalSpeedupAtMeasuredVerifyCostLow, m.TheoreticalSpeedupAtMeasuredVerifyCostHigh },
        ["cost_ratio_range"] = new[] { m.CostRatioLow, m.CostRatioHigh },
        ["verify_pass_cost_slowest"] = m.MeasuredVerifyCostHigh,
        ["verify_pass_cost_fastest"] = m.MeasuredVerifyCostLow,
    };

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
