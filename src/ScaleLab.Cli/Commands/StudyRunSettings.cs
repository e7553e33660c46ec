using System.ComponentModel;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Execution;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// The registry and executor flags of a study verb whose runs are ordinary language-model runs of a registry study
/// (<c>critical-batch</c>, <c>gns</c>): where the runs are recorded (<c>--registry</c>, <c>--study</c>), where their
/// checkpoints go, and which executor trains them (<c>--executor</c> and the Slurm flags, as for <c>sweep</c>).
/// </summary>
public abstract partial class StudyRunSettings : GnsTrainSettings, IExecutorSettings
{
    [GeneratedRegex("^[A-Za-z0-9_.-]+$")]
    private static partial Regex StudyName();

    /// <param name="study">The default study: the verb's name.</param>
    protected StudyRunSettings(RunDefaults defaults, string study)
        : base(defaults)
    {
        Study = study;
    }

    [CommandOption("--executor <KIND>")]
    [Description("threads (workers inside this process, default), local (worker processes) or slurm (a job array through sbatch; use a postgres: registry on a cluster), as for sweep")]
    public string Executor { get; set; } = "threads";

    [CommandOption("--partition <NAME>")]
    [Description("Slurm: sbatch --partition (default: the cluster's default)")]
    public string? Partition { get; set; }

    [CommandOption("--time-limit <TIME>")]
    [Description("Slurm: sbatch --time per worker task, e.g. 2:00:00")]
    public string? TimeLimit { get; set; }

    [CommandOption("--account <NAME>")]
    [Description("Slurm: sbatch --account")]
    public string? Account { get; set; }

    [CommandOption("--slurm-logs <DIR>")]
    [Description("Slurm: folder for the batch script and the task logs (default: slurm-logs beside the checkpoints)")]
    public string? SlurmLogs { get; set; }

    [CommandOption("--slurm-bin <DIR>")]
    [Description("Slurm: folder holding sbatch, squeue and scancel (default: the PATH)")]
    public string? SlurmBin { get; set; }

    [CommandOption("--registry <REGISTRY>")]
    [Description("sqlite:PATH (default sqlite:scalelab.db, or $SCALELAB_REGISTRY) or postgres:CONNSTRING")]
    public string? Registry { get; set; }

    [CommandOption("--study <NAME>")]
    [Description("Study the runs are recorded under (default: the command's name); rerunning resumes it")]
    public string Study { get; set; }

    [CommandOption("--workers <N>")]
    [Description("Runs trained at once, each on --threads threads (default 1)")]
    public int Workers { get; set; } = 1;

    [CommandOption("--checkpoint-dir <DIR>")]
    [Description("Checkpoint folder (default: scalelab-checkpoints beside a SQLite registry, else in the current folder)")]
    public string? CheckpointDir { get; set; }

    [CommandOption("--checkpoint-interval <STEPS>")]
    [Description("Steps between checkpoints of a run (default 100)")]
    public int CheckpointInterval { get; set; } = 100;

    /// <summary>Checks the study, worker, checkpoint and executor flags; one line when they are wrong.</summary>
    protected ValidationResult ValidateStudyRuns()
    {
        if (!StudyName().IsMatch(Study))
        {
            return ValidationResult.Error($"--study '{Study}' may only hold letters, digits, '_', '-' and '.'");
        }
        if (Workers < 1 || CheckpointInterval < 1)
        {
            return ValidationResult.Error("--workers and --checkpoint-interval must be positive");
        }
        return ExecutorChoice.Validate(this) is { } executorError ? ValidationResult.Error(executorError) : ValidationResult.Success();
    }

    /// <summary>Workers, threads and checkpoints of the runs in <paramref name="registry"/>.</summary>
    internal ExecutorOptions ToExecutorOptions(string registry) => new()
    {
        Workers = Workers,
        ThreadsPerWorker = Threads,
        CheckpointDirectory = CheckpointDir ?? ExecutorOptions.DefaultCheckpointDirectory(registry),
        CheckpointInterval = CheckpointInterval,
    };

    /// <summary>The corpus as a registry run names it: "synthetic", or a text file by full path with its SHA-256
    /// (so an edited file makes new runs instead of mixing with the old ones).</summary>
    internal (string Corpus, string? Sha256) RegistryCorpus()
    {
        if (Corpus == "synthetic")
        {
            return (Corpus, null);
        }
        var path = Path.GetFullPath(Corpus);
        using var stream = File.OpenRead(path);
        return (path, Convert.ToHexStringLower(SHA256.HashData(stream)));
    }
}
