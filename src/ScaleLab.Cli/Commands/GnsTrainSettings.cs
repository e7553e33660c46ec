using System.ComponentModel;
using System.Globalization;
using ScaleLab.Engine;
using ScaleLab.Engine.Data;
using ScaleLab.Engine.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// Model and training flags shared by <c>gns</c> and <c>critical-batch</c> (a subset of <c>train</c>'s). Every flag left
/// out is the verb's <see cref="Defaults"/>: the shared run defaults (<see cref="RunDefaults.Shared"/>, those of train and
/// sweep specs) with the overrides each verb states in its --help and its option descriptions.
/// </summary>
public class GnsTrainSettings : CommandSettings
{
    protected GnsTrainSettings(RunDefaults defaults)
    {
        Defaults = defaults;
        Layers = defaults.Layers;
        DModel = defaults.DModel;
        Heads = defaults.Heads;
        Seq = defaults.SeqLen;
        Batch = defaults.Batch;
        MicroBatches = defaults.MicroBatches;
        Steps = defaults.Steps;
        LearningRate = defaults.LearningRate;
        Ema = defaults.GnsEma;
        Seed = defaults.Seed;
    }

    /// <summary>The values of the flags left out.</summary>
    internal RunDefaults Defaults { get; }

    [CommandOption("--corpus <CORPUS>")]
    [Description("synthetic (default: the built-in Markov corpus) or a text file")]
    public string Corpus { get; set; } = "synthetic";

    [CommandOption("--layers <L>")]
    [Description("Transformer blocks (default 2)")]
    public int Layers { get; set; }

    [CommandOption("--d-model <C>")]
    [Description("Channels (default 64; critical-batch 32)")]
    public int DModel { get; set; }

    [CommandOption("--heads <H>")]
    [Description("Attention heads (default 4; critical-batch 2)")]
    public int Heads { get; set; }

    [CommandOption("--seq <T>")]
    [Description("Context length (default 64; critical-batch 32)")]
    public int Seq { get; set; }

    [CommandOption("--batch <B>")]
    [Description("Sequences per step (default 16)")]
    public int Batch { get; set; }

    [CommandOption("--micro-batches <M>")]
    [Description("Micro-batches per step; the small batch is B/M sequences (default 8: the estimator needs 2 or more)")]
    public int MicroBatches { get; set; }

    [CommandOption("--steps <S>")]
    [Description("Optimizer steps (default 300)")]
    public long Steps { get; set; }

    [CommandOption("--lr <LR>")]
    [Description("Peak learning rate (default 3e-3)")]
    public double LearningRate { get; set; }

    [CommandOption("--warmup <W>")]
    [Description("Warmup steps (default 10% of the run; critical-batch 10 steps)")]
    public int? Warmup { get; set; }

    [CommandOption("--ema <BETA>")]
    [Description("EMA decay of the |G|² and tr(Σ) estimates (default 0.99; critical-batch 0.95)")]
    public double Ema { get; set; }

    [CommandOption("--seed <S>")]
    [Description("Seed for initialisation and data (default 1)")]
    public ulong Seed { get; set; }

    [CommandOption("--threads <N>")]
    [Description("Worker threads (default 1)")]
    public int Threads { get; set; } = 1;

    public override ValidationResult Validate() => ValidateCommon(checkBatch: true);

    /// <summary>Checks the shared flags; <paramref name="checkBatch"/> false for commands that take their own batch sizes.</summary>
    protected ValidationResult ValidateCommon(bool checkBatch)
    {
        if (Layers < 1 || DModel < 1 || Heads < 1 || Seq < 1)
        {
            return ValidationResult.Error($"--layers, --d-model, --heads and --seq must be positive, got {Layers}, {DModel}, {Heads}, {Seq}");
        }
        if (DModel % Heads != 0)
        {
            return ValidationResult.Error($"--d-model ({DModel}) must be a multiple of --heads ({Heads})");
        }
        if (MicroBatches < 1 || (checkBatch && (Batch < 1 || Batch % MicroBatches != 0)))
        {
            return ValidationResult.Error($"--micro-batches ({MicroBatches}) must be positive and divide --batch ({Batch})");
        }
        if (Steps < 1)
        {
            return ValidationResult.Error($"--steps must be positive, got {Steps}");
        }
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate))
        {
            return ValidationResult.Error($"--lr must be positive, got {LearningRate.ToString(CultureInfo.InvariantCulture)}");
        }
        if (!(Ema > 0 && Ema < 1))
        {
            return ValidationResult.Error($"--ema must be in (0, 1), got {Ema.ToString(CultureInfo.InvariantCulture)}");
        }
        return Threads < 1 ? ValidationResult.Error($"--threads must be positive, got {Threads}") : ValidationResult.Success();
    }

    internal ICorpus OpenCorpus() => Corpus == "synthetic" ? SyntheticCorpus.Default : TextCorpus.Load(Corpus);

    internal TrainOptions ToTrainOptions(int batch, double learningRate, long steps, int? microBatches = null) =>
        Defaults.NewRun(new GptConfig(Layers, DModel, Heads, Seq), batch, steps) with
        {
            MicroBatches = microBatches ?? MicroBatches,
            LearningRate = learningRate,
            WarmupSteps = Warmup,
            Seed = Seed,
            Threads = Threads,
        };
}
