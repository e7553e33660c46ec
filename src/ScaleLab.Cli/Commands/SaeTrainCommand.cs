using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using ScaleLab.Engine.Sae;
using ScaleLab.Lab.Studies.Sae;
using ScaleLab.Laws;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary><c>scalelab sae train</c>: a TopK or ReLU+L1 sparse autoencoder on an activation file, resumable from its
/// own output file. The work is <see cref="SaeTrainingJob"/>.</summary>
[Verb("sae train", "Train a sparse autoencoder (TopK with AuxK, or ReLU+L1 with resampling) on an activation file; rerunning with the same settings resumes --out",
    Examples = ["sae train --activations acts.slac --latents 512 --topk 32 --steps 2000 --out sae.slsa", "sae train --activations acts.slac --family relu --latents 512 --l1 0.01 --steps 2000 --out relu.slsa --json"])]
public sealed class SaeTrainCommand(IAnsiConsole console, Stderr stderr) : Command<SaeTrainCommand.Settings>
{
    private static readonly JsonSerializerOptions Json = JsonNumbers.With(new() { WriteIndented = true });

    public sealed class Settings : CommandSettings
    {
        [CommandOption("--activations <FILE>")]
        [Description("Activation file written by scalelab sae capture")]
        public string? Activations { get; set; }

        [CommandOption("--family <FAMILY>")]
        [Description("topk (default) or relu (ReLU + L1)")]
        public string Family { get; set; } = "topk";

        [CommandOption("--latents <N>")]
        [Description("Latents n (dictionary size; default 8 × the activation width)")]
        public int? Latents { get; set; }

        [CommandOption("-k|--topk <K>")]
        [Description("Active latents per token for TopK (default 32)")]
        public int K { get; set; } = 32;

        [CommandOption("--auxk <A>")]
        [Description("Dead latents the AuxK loss uses (TopK; default 2k, 0 for none)")]
        public int? AuxK { get; set; }

        [CommandOption("--l1 <LAMBDA>")]
        [Description("L1 coefficient λ for ReLU+L1 (default 0.01)")]
        public double L1 { get; set; } = 0.01;

        [CommandOption("--steps <S>")]
        [Description("Training steps (default 2000)")]
        public long Steps { get; set; } = 2000;

        [CommandOption("--batch <B>")]
        [Description("Rows (tokens) per step (default 512)")]
        public int Batch { get; set; } = 512;

        [CommandOption("--lr <LR>")]
        [Description("Peak learning rate, warmup then cosine (default 1e-3; a sweep can scale it as 1/√n with lr_scaling = \"inverse_sqrt_n\")")]
        public double LearningRate { get; set; } = SaeTrainOptions.ReferenceLearningRate;

        [CommandOption("--holdout <F>")]
        [Description("Fraction of the file's last rows kept out of training; FVU is reported on them (default 0.1; 0 reports only the training rows)")]
        public double Holdout { get; set; } = 0.1;

        [CommandOption("--dead-after <TOKENS>")]
        [Description("Tokens without activation after which a latent counts as dead (default 20000)")]
        public long DeadAfter { get; set; } = 20_000;

        [CommandOption("--resample-every <S>")]
        [Description("Resample dead latents every S steps in the first half (default 250 for ReLU+L1, 0 (never) for TopK; 0 never)")]
        public int? ResampleEvery { get; set; }

        [CommandOption("--aux-coefficient <ALPHA>")]
        [Description("AuxK's coefficient α (TopK; default 1/32, Gao et al.; the AuxK term is normalised by the residual's spread)")]
        public double AuxCoefficient { get; set; } = SaeConfig.DefaultAuxCoefficient;

        [CommandOption("--seed <S>")]
        [Description("Seed (initialisation and batches; default 1)")]
        public ulong Seed { get; set; } = 1;

        [CommandOption("--threads <N>")]
        [Description("Kernel threads (default 1)")]
        public int Threads { get; set; } = 1;

        [CommandOption("--checkpoint-every <S>")]
        [Description("Save --out every S steps so a killed run resumes (default 500; 0 only at the end)")]
        public int CheckpointEvery { get; set; } = 500;

        [CommandOption("--out <FILE>")]
        [Description("SAE file to write (and to resume from when it exists with the same settings)")]
        public string? Out { get; set; }

        [CommandOption("--json")]
        [Description("Write one JSON document to stdout")]
        public bool Json { get; set; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrEmpty(Activations)) return ValidationResult.Error("--activations FILE is required");
            if (string.IsNullOrEmpty(Out)) return ValidationResult.Error("--out FILE is required");
            if (Family is not ("topk" or "relu")) return ValidationResult.Error($"--family must be topk or relu, got '{Family}'");
            if (Latents is < 1) return ValidationResult.Error($"--latents must be 1 or more, got {Latents}");
            if (K < 1) return ValidationResult.Error($"--k must be 1 or more, got {K}");
            if (Latents is { } n && Family == "topk" && K > n) return ValidationResult.Error($"--k {K} is larger than --latents {n}");
            if (AuxK is < 0) return ValidationResult.Error($"--auxk must be 0 or more, got {AuxK}");
            if (!(L1 >= 0) || double.IsInfinity(L1)) return ValidationResult.Error($"--l1 must be a number ≥ 0, got {L1}");
            if (Steps < 1 || Batch < 1) return ValidationResult.Error($"--steps and --batch must be 1 or more, got {Steps} and {Batch}");
            if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) return ValidationResult.Error($"--lr must be a positive number, got {LearningRate}");
            if (!(Holdout >= 0 && Holdout < 1)) return ValidationResult.Error($"--holdout must be in [0, 1), got {Holdout}");
            if (DeadAfter < 1 || ResampleEvery < 0 || CheckpointEvery < 0) return ValidationResult.Error("--dead-after must be ≥ 1, --resample-every and --checkpoint-every ≥ 0");
            if (!(AuxCoefficient >= 0) || double.IsInfinity(AuxCoefficient)) return ValidationResult.Error($"--aux-coefficient must be a finite number ≥ 0, got {AuxCoefficient}");
            return Threads < 1 ? ValidationResult.Error($"--threads must be 1 or more, got {Threads}") : ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        InputFiles.EnsureRegularFile("--activations", settings.Activations!);
        OutputPaths.Check([("--activations", settings.Activations)], [("--out", settings.Out)]);
        // --out is also where an interrupted run resumes from: one process at a time trains into it.
        using var outLock = CheckpointLock.Acquire("--out", settings.Out!);
        var activations = ActivationFile.Load(settings.Activations!);
        var latents = settings.Latents ?? 8 * activations.Width;
        if (settings.Family == "topk" && settings.K > latents) throw new UsageException($"--k {settings.K} is larger than the latent count n = {latents}");
        var config = settings.Family == "topk"
            ? new SaeConfig(SaeFamily.TopK, activations.Width, latents, K: settings.K, AuxK: Math.Min(latents, settings.AuxK ?? 2 * settings.K), AuxCoefficient: settings.AuxCoefficient)
            : new SaeConfig(SaeFamily.ReluL1, activations.Width, latents, K: 1, L1Coefficient: settings.L1);
        var options = new SaeTrainOptions(settings.Steps, settings.Batch, settings.LearningRate, WarmupSteps: (int)Math.Min(100, settings.Steps / 10),
            DeadAfterTokens: settings.DeadAfter, ResampleEvery: settings.ResampleEvery ?? (settings.Family == "relu" ? 250 : 0), Seed: settings.Seed);
        using var job = SaeTrainingJob.Open(activations, config, options, settings.Threads, settings.Out, settings.Holdout);
        stderr.WriteLine($"sae train: {config.Describe()} on {activations.Rows} activations at {activations.Site}" +
            (job.Resumed ? $", resumed at step {job.Trainer.Step}" : ""));
        job.Run(settings.Out!, settings.CheckpointEvery, (int)Math.Max(1, settings.Steps / 10),
            (step, loss) => stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sae train: step {step}/{settings.Steps} loss {loss:G5} dead {job.Trainer.DeadFraction:P1}")),
            cancellationToken);
        var heldOutRows = job.HeldOut.Length / activations.Width;
        var metrics = SaeReconstruction.Evaluate(job.Trainer.Model, activations.Data.AsSpan(0, activations.Data.Length - job.HeldOut.Length));
        ReconstructionMetrics? heldOut = heldOutRows > 0 ? SaeReconstruction.Evaluate(job.Trainer.Model, job.HeldOut) : null;
        var document = new Dictionary<string, object?>
        {
            ["command"] = "sae train",
            ["activations"] = settings.Activations,
            ["site"] = activations.Site.ToString(),
            ["family"] = settings.Family,
            ["latents"] = latents,
            ["k"] = config.Family == SaeFamily.TopK ? config.K : null,
            ["auxk"] = config.Family == SaeFamily.TopK ? config.AuxK : null,
            ["aux_coefficient"] = config.Family == SaeFamily.TopK ? config.AuxCoefficient : null,
            ["resample_every"] = options.ResampleEvery,
            ["l1"] = config.Family == SaeFamily.ReluL1 ? config.L1Coefficient : null,
            ["steps"] = job.Trainer.Step,
            ["lr"] = settings.LearningRate,
            ["tokens_trained"] = job.Trainer.Step * (long)settings.Batch,
            ["train_seconds"] = job.ElapsedSeconds,
            ["tokens_per_second"] = job.TokensPerSecond,
            ["threads"] = settings.Threads,
            ["training_set"] = new Dictionary<string, object?>
            {
                ["tokens"] = metrics.Tokens, ["fvu"] = metrics.Fvu, ["explained_variance"] = metrics.ExplainedVariance, ["mse"] = metrics.Mse,
                ["l0"] = metrics.L0, ["dead_fraction"] = metrics.DeadFraction, ["dense_fraction"] = metrics.DenseFraction,
            },
            ["held_out"] = heldOut is { } h ? new Dictionary<string, object?>
            {
                ["tokens"] = h.Tokens, ["fvu"] = h.Fvu, ["explained_variance"] = h.ExplainedVariance, ["mse"] = h.Mse,
                ["l0"] = h.L0, ["dead_fraction"] = h.DeadFraction, ["dense_fraction"] = h.DenseFraction,
            } : null,
            ["dead_fraction_training_window"] = job.Trainer.DeadFraction,
            ["dead_after_tokens"] = settings.DeadAfter,
            ["out"] = settings.Out,
        };
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(document, Json));
            return CliApp.ExitOk;
        }
        if (heldOut is { } held)
        {
            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{config.Describe()}: on {held.Tokens} held-out activations (the file's last {settings.Holdout:P0}) FVU {held.Fvu:F4} (explained variance {held.ExplainedVariance:F4}), L0 {held.L0:F1}, dead {held.DeadFraction:P1}; on its {metrics.Tokens} training activations FVU {metrics.Fvu:F4}"));
        }
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{config.Describe()}: on its {metrics.Tokens} training activations FVU {metrics.Fvu:F4} (explained variance {metrics.ExplainedVariance:F4}), L0 {metrics.L0:F1}, dead {metrics.DeadFraction:P1} (no activation in those tokens); {job.TokensPerSecond:F0} tokens/s on {settings.Threads} thread(s); wrote {settings.Out}"));
        return CliApp.ExitOk;
    }
}
