using System.Text.Json;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Studies.GradientNoise;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Lab.Execution;

/// <summary>
/// The language-model run (a GPT trained by the engine on a corpus, <see cref="RunSpec"/>): the first kind, and
/// the kind of every spec and run that names none, so registries and specs written before run kinds keep their
/// meaning and keys. It logs the standard row per step; a run that tracks the gradient noise scale
/// (<see cref="RunSpec.GnsEma"/>) adds its raw two-batch estimates and B_simple to it, and on resume rebuilds the
/// EMAs from the estimates logged up to the checkpoint, so its B_simple trajectory is the uninterrupted one. A run
/// with <see cref="RunSpec.StopAtLoss"/> is done at the first evaluation at or below that loss.
/// </summary>
public sealed class LanguageModelRunKind : IRunKind
{
    /// <summary>The kind's name; a spec or run record without a kind means this one.</summary>
    public const string KindName = "lm";

    public string Name => KindName;

    public IReadOnlyList<string> MetricNames => [];

    /// <summary>The runs of a language-model spec given as JSON with the keys of a sweep spec's TOML
    /// (<see cref="SweepSpecReader"/>: seq_len, batch_size, tokens, models, schedule, ...); "study" is
    /// <paramref name="study"/>. The same runs, keys and order as <see cref="SweepSpec.Expand"/> of that TOML.</summary>
    public IReadOnlyList<NewRun> Expand(string study, JsonElement settings)
    {
        var spec = SweepSpecReader.FromJson(study, settings, Directory.GetCurrentDirectory());
        return spec.Expand().Select(r => r.ToNewRun()).ToList();
    }

    public IRunSession Open(RunContext context) => LanguageModelSession.Open(context);
}

/// <summary>A language-model run being trained: the engine's <see cref="Trainer"/> plus the run's own rules
/// (evaluation points, target loss, gradient-noise tracking).</summary>
internal sealed class LanguageModelSession : IRunSession
{
    private readonly RunSpec _spec;
    private readonly Trainer _trainer;
    private readonly GradientNoiseTracker? _tracker;
    private double? _lastValidation;
    private bool _stopped;

    private LanguageModelSession(RunSpec spec, Trainer trainer, GradientNoiseTracker? tracker, double? lastValidation)
    {
        _spec = spec;
        _trainer = trainer;
        _tracker = tracker;
        _lastValidation = lastValidation;
        _stopped = lastValidation is not null;
    }

    public static LanguageModelSession Open(RunContext context)
    {
        var run = context.Run;
        var spec = RunSpec.FromRecord(run);
        var corpus = Corpora.Open(spec);
        var (trainer, resumedFrom) = StartOrResume(spec, corpus, context);
        try
        {
            var logged = resumedFrom > 0 ? context.Store.ReadMetrics(run.Key).Where(m => m.Step <= resumedFrom).ToList() : [];
            var tracker = spec.GnsEma is { } decay ? RebuildTracker(decay, logged, resumedFrom, spec, run.Key, context.Log) : null;
            // A run resumed from the checkpoint it wrote when it stopped at its target loss has nothing left to do.
            double? lastValidation = logged.Count > 0 && logged[^1] is { ValLoss: { } v } last && last.Step == resumedFrom
                && spec.StopAtLoss is { } stopAt && v <= stopAt ? v : null;
            return new LanguageModelSession(spec, trainer, tracker, lastValidation);
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
    }

    public long Step => _trainer.Step;

    public long Steps => _spec.Steps;

    public bool Done => _stopped || _trainer.Step >= _spec.Steps;

    public RunStepResult TrainStep()
    {
        var step = _trainer.TrainStep();
        double? validation = null;
        // Same evaluation points as Trainer.Run: every EvalInterval steps and after the last step.
        if ((_spec.EvalInterval > 0 && step.Step % _spec.EvalInterval == 0) || step.Step == _spec.Steps)
        {
            validation = _lastValidation = _trainer.Evaluate();
        }
        var noise = _tracker is null ? (GradientNoiseRecord?)null : Track(_tracker, step);
        _stopped = validation <= _spec.StopAtLoss;
        var row = new MetricRow(step.Step, step.Tokens, step.Loss, validation, step.LearningRate, step.GradNorm,
            noise?.GradNormSq, noise?.TraceCov, noise?.BSimple);
        return new RunStepResult(step.Step, row, []);
    }

    // A run resumed from its final checkpoint (its worker died before marking it done) has no step left to
    // evaluate: evaluate again, which gives the same value bit for bit.
    public double FinalValue() => _lastValidation ??= _trainer.Evaluate();

    public void SaveCheckpoint(string path) => _trainer.SaveCheckpoint(path);

    public void Dispose() => _trainer.Dispose();

    /// <summary>Folds one step into the gradient-noise tracker (McCandlish et al. 2018, App. A.1: micro-batch
    /// vs accumulated gradient). A non-finite gradient norm means the run has diverged.</summary>
    private static GradientNoiseRecord Track(GradientNoiseTracker tracker, StepMetrics step)
    {
        if (!double.IsFinite(step.MicroGradNormSq) || !double.IsFinite(step.AccumGradNormSq))
        {
            throw new InvalidOperationException($"training diverged at step {step.Step}: the gradient norm is not finite; lower the learning rate");
        }
        return tracker.Update(step.Step, GradientNoiseRun.Estimate(step));
    }

    /// <summary>
    /// The tracker of a run, continued from the raw estimates the run logged up to <paramref name="resumedFrom"/>
    /// (metrics are written before each checkpoint, so they are all there). Replaying them in step order does the
    /// same arithmetic as the uninterrupted run. If some are missing (an edited registry), the EMAs restart here.
    /// </summary>
    private static GradientNoiseTracker RebuildTracker(double decay, IReadOnlyList<MetricRow> logged, long resumedFrom, RunSpec spec,
        string runKey, Action<string>? log)
    {
        var tracker = new GradientNoiseTracker(decay);
        if (resumedFrom == 0)
        {
            return tracker;
        }
        var complete = logged.Count == resumedFrom && logged.Select((m, i) => m.Step == i + 1
            && m.GradNormSqEstimate is not null && m.TraceCovEstimate is not null).All(ok => ok);
        if (!complete)
        {
            log?.Invoke($"run {spec.Study}/{runKey}: gradient-noise estimates before step {resumedFrom} incomplete; B_simple EMAs restart there");
            return tracker;
        }
        foreach (var m in logged)
        {
            tracker.Update(m.Step, new NoiseEstimate(m.GradNormSqEstimate!.Value, m.TraceCovEstimate!.Value));
        }
        return tracker;
    }

    private static (Trainer Trainer, long From) StartOrResume(RunSpec spec, Engine.Data.ICorpus corpus, RunContext context)
    {
        var checkpoint = context.CheckpointPath;
        if (File.Exists(checkpoint))
        {
            try
            {
                var resumed = Trainer.Resume(checkpoint, corpus, o => o with { Threads = context.Threads });
                context.Log?.Invoke($"run {spec.Study}/{context.Run.Key}: resuming from step {resumed.Step} ({checkpoint})");
                return (resumed, resumed.Step);
            }
            catch (InvalidDataException ex)
            {
                // An unreadable checkpoint cannot be resumed; the run starts over (its metrics are upserted).
                context.Log?.Invoke($"run {spec.Study}/{context.Run.Key}: checkpoint unusable, starting over: {RunExecution.OneLine(ex.Message)}");
            }
        }
        return (new Trainer(RunExecution.ToTrainOptions(spec, context.Threads), corpus), 0);
    }
}
