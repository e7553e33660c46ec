using ScaleLab.Engine.Data;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// <c>scalelab train</c>: trains one GPT on the built-in synthetic corpus (exact entropy rate known) or a
/// text file, with a progress bar on stderr, a summary on the console, or one JSON document on stdout.
/// Examples: <c>scalelab train --layers 2 --d-model 64 --heads 4 --steps 500</c>;
/// <c>scalelab train --corpus book.txt --seq 128 --tokens 2000000 --checkpoint run.ckpt</c>;
/// <c>scalelab train --resume run.ckpt --json</c>. (VerbAttribute.Examples is a jagged array, which C#
/// does not accept as an attribute argument, so the examples live here.)
/// </summary>
[Verb("train", "Train a small GPT on the synthetic corpus (known entropy rate) or a text file",
    Examples = ["train --layers 2 --d-model 64 --heads 4 --seq 64 --tokens 1000000 --checkpoint run.ckpt", "train --corpus input.txt --steps 2000 --checkpoint shakespeare.ckpt", "train --resume run.ckpt --steps 2000 --json", "train --optimizer sgd --momentum 0.9 --lr 0.3 --weight-decay 0 --steps 500"])]
public sealed partial class TrainCommand(IAnsiConsole console, Stderr stderr) : Command<TrainCommand.Settings>
{
    /// <summary>Every flag left out: the shared run defaults (the same as gns's and a sweep spec's).</summary>
    internal static RunDefaults Defaults => RunDefaults.Shared;

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        // Ctrl+C or SIGTERM stops training at the next step boundary: the trainer writes its checkpoint first.
        using var signals = new ShutdownSignals(cancellationToken);
        cancellationToken = signals.Token;
        if (settings.Registry is not null)
        {
            return ExecuteInRegistry(settings, cancellationToken);
        }
        // The checkpoint may overwrite the --resume file (that is how a run continues), never the corpus.
        OutputPaths.Check([("--corpus", IsSynthetic(settings.Corpus) ? null : settings.Corpus)], [("--checkpoint", settings.Checkpoint ?? settings.Resume)]);
        // One process at a time trains into a checkpoint (a run restarted before the old one has exited would race it).
        using var checkpointLock = (settings.Checkpoint ?? settings.Resume) is { } target
            ? CheckpointLock.Acquire(settings.Checkpoint is null ? "--resume" : "--checkpoint", target)
            : null;
        if (!IsSynthetic(settings.Corpus))
        {
            InputFiles.EnsureRegularFile("--corpus", settings.Corpus);
        }
        if (settings.Resume is not null)
        {
            InputFiles.EnsureRegularFile("--resume", settings.Resume);
        }
        var corpus = OpenCorpus(settings.Corpus);
        long? savedSteps = null;
        using var trainer = settings.Resume is null
            ? new Trainer(CheckWarmup(NewRunOptions(settings)), corpus)
            : Trainer.Resume(settings.Resume, corpus, saved =>
            {
                savedSteps = saved.Steps;
                return CheckWarmup(ResumeOptions(saved, settings));
            });
        var o = trainer.Options;
        if (settings.Resume is not null && trainer.Step >= o.Steps)
        {
            // Nothing to train: say so, rather than a summary of zero steps (whose rates are 0/0).
            throw new UsageException($"checkpoint {settings.Resume} is already at step {trainer.Step} of {o.Steps}; give --steps N (more than {trainer.Step}) to train further");
        }
        if (savedSteps is { } before && before != o.Steps)
        {
            stderr.WriteLine($"note: the learning-rate schedule is re-stretched from {before} to {o.Steps} steps: " +
                $"from step {trainer.Step} the cosine decay follows the {o.Steps}-step schedule, so this run differs from one trained for {o.Steps} steps from the start");
        }
        if (settings.Gns && o.MicroBatches < 2)
        {
            throw new UsageException("--gns needs a run with 2 or more micro-batches");
        }
        var progress = new TrainProgress(stderr, o.Steps, trainer.Step);
        StandaloneTrainingResult result;
        try
        {
            result = StandaloneTraining.Run(trainer, settings.Gns ? settings.GnsEma : null, progress.OnStep, progress.OnEval, cancellationToken);
        }
        catch (OperationCanceledException) when (signals.Received is not null)
        {
            progress.Dispose();
            stderr.WriteLine(o.CheckpointPath is null
                ? $"error: stopped by {signals.Received} at step {trainer.Step} of {o.Steps}; no checkpoint was configured, so the run is lost (give --checkpoint FILE to keep one)"
                : $"error: stopped by {signals.Received} at step {trainer.Step} of {o.Steps}; checkpoint written to {o.CheckpointPath} (continue with: scalelab train --resume {o.CheckpointPath})");
            return CliApp.ExitFailure;
        }
        finally
        {
            progress.Dispose();
        }
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(TrainRunDocument.Standalone(result.Summary, o, result.Evals, settings.Corpus, settings.Gns ? result.Noise : null));
            return CliApp.ExitOk;
        }
        TrainOutput.WriteSummary(console, result.Summary, o);
        TrainOutput.WriteNoise(console, result.Noise, o.Model.SeqLen);
        return CliApp.ExitOk;
    }

    /// <summary><c>train --registry</c>: the run as a registry run of its study (the same path a sweep worker takes, so
    /// its metrics, checkpoints and resumption are a sweep's), trained in this process.</summary>
    private int ExecuteInRegistry(Settings settings, CancellationToken cancellationToken)
    {
        var options = CheckWarmup(NewRunOptions(settings));
        options.Validate();
        var study = settings.Study ?? "train";
        var spec = RegistryTraining.ToRunSpec(study, settings.Corpus, options, settings.Gns ? settings.GnsEma : null);
        Corpora.Open(spec);   // a missing or unreadable corpus is one line before anything is recorded
        var registry = RunStores.Resolve(settings.Registry);
        using var store = RunStores.Open(registry);
        var start = RegistryTraining.Enqueue(store, spec);
        stderr.WriteLine(start.Describe(study, registry));
        var executor = new ExecutorOptions
        {
            Workers = 1,
            ThreadsPerWorker = settings.Threads,
            CheckpointDirectory = ExecutorOptions.DefaultCheckpointDirectory(registry),
            CheckpointInterval = settings.CheckpointInterval > 0 ? settings.CheckpointInterval : 100,
        };
        var run = start.AlreadyDone ? store.GetRun(spec.Key)! : RegistryTraining.Train(registry, store, spec, executor, stderr.WriteLine, cancellationToken);
        var metrics = store.ReadMetrics(spec.Key);
        if (run.Status == RunStatus.Failed)
        {
            stderr.WriteLine($"error: run {run.Key} failed: {run.Error}");
            return CliApp.ExitFailure;
        }
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(TrainRunDocument.InRegistry(registry, study, run, options.Steps, metrics));
            return CliApp.ExitOk;
        }
        TrainOutput.WriteRegistryRun(console, run, study, metrics.Count);
        return CliApp.ExitOk;
    }

    internal static ICorpus OpenCorpus(string spec) =>
        IsSynthetic(spec) ? SyntheticCorpus.Default : TextCorpus.Load(spec);

    internal static bool IsSynthetic(string spec) => spec.Equals("synthetic", StringComparison.OrdinalIgnoreCase);
}
