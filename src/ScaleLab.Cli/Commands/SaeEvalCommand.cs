using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using ScaleLab.Engine;
using ScaleLab.Engine.Sae;
using ScaleLab.Lab.Execution;
using ScaleLab.Laws;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary><c>scalelab sae eval</c>: an SAE's reconstruction figures on a model's held-out windows and the model's
/// loss with the reconstruction spliced in (<see cref="SaeEvaluation"/>).</summary>
[Verb("sae eval", "Evaluate an SAE on a model's validation windows: FVU (about the mean), explained variance, MSE, L0, dead and dense fractions, and loss recovered by splicing (zero and mean ablation) with the KL to the clean model",
    Examples = ["sae eval --sae sae.slsa --checkpoint run.ckpt", "sae eval --sae sae.slsa --checkpoint run.ckpt --windows 128 --json"])]
public sealed class SaeEvalCommand(IAnsiConsole console, Stderr stderr) : Command<SaeEvalCommand.Settings>
{
    private static readonly JsonSerializerOptions Json = JsonNumbers.With(new() { WriteIndented = true });

    public sealed class Settings : SaeOnModelSettings
    {
        [CommandOption("--corpus <CORPUS>")]
        [Description("synthetic (default), synthetic:SEED or a text file; its validation windows are used")]
        public string Corpus { get; set; } = "synthetic";

        [CommandOption("--windows <N>")]
        [Description("Validation windows (default 64)")]
        public int Windows { get; set; } = 64;

        [CommandOption("--seq <T>")]
        [Description("Window length (default: the model's context)")]
        public int? Seq { get; set; }

        [CommandOption("--threads <N>")]
        [Description("Kernel threads (default 1)")]
        public int Threads { get; set; } = 1;

        [CommandOption("--json")]
        [Description("Write one JSON document to stdout")]
        public bool Json { get; set; }

        public override ValidationResult Validate()
        {
            if (MissingFiles() is { } missing) return missing;
            if (Windows < 1) return ValidationResult.Error($"--windows must be 1 or more, got {Windows}");
            if (Seq is < 1) return ValidationResult.Error($"--seq must be 1 or more, got {Seq}");
            return Threads < 1 ? ValidationResult.Error($"--threads must be 1 or more, got {Threads}") : ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        settings.EnsureFiles();
        var (saved, checkpoint) = SaeInputs.LoadMatched(settings.Sae!, settings.Checkpoint!, "evaluate it with");
        var seq = SaeInputs.WindowLength(settings.Seq, checkpoint);
        var corpus = Corpora.Open(settings.Corpus);
        var (inputs, targets) = SaeInputs.ValidationWindows(corpus, settings.Windows, seq);
        using var model = Gpt.FromCheckpoint(checkpoint, maxBatch: 16, seq, settings.Threads);
        using var sae = saved.ToModel(1024, settings.Threads);
        stderr.WriteLine($"sae eval: {saved.Config.Describe()} at {saved.Site} on {settings.Windows} validation windows of {seq} tokens");
        var result = SaeEvaluation.Evaluate(model, saved.Site, sae, inputs, targets, settings.Windows, seq);
        var r = result.Reconstruction;
        var s = result.Splice;
        var document = new Dictionary<string, object?>(SaeInputs.DocumentHead("sae eval", settings, saved))
        {
            ["l1"] = saved.Config.Family == SaeFamily.ReluL1 ? saved.Config.L1Coefficient : null,
            ["corpus"] = corpus.Description,
            ["tokens"] = r.Tokens,
            ["fvu"] = r.Fvu,
            ["explained_variance"] = r.ExplainedVariance,
            ["mse"] = r.Mse,
            ["l0"] = r.L0,
            ["dead_fraction"] = r.DeadFraction,
            ["dead_definition"] = $"no activation in these {r.Tokens} tokens",
            ["dense_fraction"] = r.DenseFraction,
            ["dense_threshold"] = r.DenseThreshold,
            ["loss_recovered"] = s.LossRecoveredZero,
            ["loss_recovered_ablation"] = "zero",
            ["loss_recovered_mean_ablation"] = s.LossRecoveredMean,
            ["clean_loss"] = s.CleanLoss,
            ["sae_loss"] = s.ReplacedLoss,
            ["zero_ablation_loss"] = s.ZeroAblationLoss,
            ["mean_ablation_loss"] = s.MeanAblationLoss,
            ["kl_to_clean"] = s.KlToClean,
        };
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(document, Json));
            return CliApp.ExitOk;
        }
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{saved.Config.Describe()} at {saved.Site}, {r.Tokens} validation tokens: FVU {r.Fvu:F4} (explained variance {r.ExplainedVariance:F4}), MSE {r.Mse:G4}, L0 {r.L0:F1}, dead {r.DeadFraction:P1}, dense (> {r.DenseThreshold:P0} of tokens) {r.DenseFraction:P1}"));
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"loss: clean {s.CleanLoss:F4}, with SAE {s.ReplacedLoss:F4}, zero-ablated {s.ZeroAblationLoss:F4}, mean-ablated {s.MeanAblationLoss:F4} nats/token; loss recovered {s.LossRecoveredZero:F4} (zero ablation), {s.LossRecoveredMean:F4} (mean ablation); KL to clean {s.KlToClean:G4} nats/token"));
        return CliApp.ExitOk;
    }
}
