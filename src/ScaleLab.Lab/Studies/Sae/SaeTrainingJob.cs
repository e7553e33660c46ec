using System.Diagnostics;
using ScaleLab.Engine;
using ScaleLab.Engine.Sae;

namespace ScaleLab.Lab.Studies.Sae;

/// <summary>
/// One SAE trained on one activation file, resumable: <see cref="Open"/> continues from <paramref name="checkpointPath"/>
/// when it holds a checkpoint of the same SAE on the same model, site and options (anything else is refused in one line,
/// never overwritten), else starts fresh. The CLI's <c>sae train</c> and the "sae" run kind both train through it.
/// </summary>
public sealed class SaeTrainingJob : IDisposable
{
    private readonly Stopwatch _clock = new();
    private readonly double _elapsedBefore;

    private SaeTrainingJob(SaeTrainer trainer, ActivationFile activations, double elapsedBefore, float[] heldOut)
    {
        Trainer = trainer;
        Activations = activations;
        _elapsedBefore = elapsedBefore;
        HeldOut = heldOut;
    }

    /// <summary>The activation rows kept out of training (the file's last rows; empty without a hold-out).</summary>
    public float[] HeldOut { get; }

    public SaeTrainer Trainer { get; }
    public ActivationFile Activations { get; }

    /// <summary>True when this job continued a checkpoint.</summary>
    public bool Resumed { get; private init; }

    /// <summary>Seconds of training, including those before a resume.</summary>
    public double ElapsedSeconds => _elapsedBefore + _clock.Elapsed.TotalSeconds;

    /// <summary>Rows (tokens) per second of this process's training so far.</summary>
    public double TokensPerSecond { get; private set; }

    /// <summary>Opens the job; with <paramref name="holdout"/> &gt; 0 the last that fraction of the file's rows (whole
    /// windows are not respected: rows are tokens) is kept out of training for evaluation.</summary>
    public static SaeTrainingJob Open(ActivationFile activations, SaeConfig config, SaeTrainOptions options, int threads, string? checkpointPath, double holdout = 0)
    {
        ArgumentNullException.ThrowIfNull(activations);
        ArgumentNullException.ThrowIfNull(config);
        if (config.Inputs != activations.Width)
        {
            throw new ArgumentException($"the SAE reads width {config.Inputs}, the activations at {activations.Site} have width {activations.Width}");
        }
        if (holdout is < 0 or >= 1 || double.IsNaN(holdout)) throw new ArgumentException($"hold-out fraction must be in [0, 1), got {holdout}");
        var rows = activations.Rows;
        var trainRows = (int)Math.Max(1, rows - (long)Math.Round(holdout * rows));
        var width = activations.Width;
        var data = trainRows == rows ? activations.Data : activations.Data[..(trainRows * width)];
        float[] heldOut = trainRows == rows ? [] : activations.Data[(trainRows * width)..];
        var trainer = new SaeTrainer(config, options, data, threads);
        if (checkpointPath is not null && File.Exists(checkpointPath))
        {
            var saved = SaeCheckpoint.Load(checkpointPath);
            if (saved.Config != config || saved.Options != options || saved.ModelIdentity != activations.ModelIdentity || saved.Site != activations.Site)
            {
                trainer.Dispose();
                throw new InvalidDataException($"{checkpointPath} holds another SAE ({saved.Config.Describe()}, {saved.Options.Steps} steps, site {saved.Site}); " +
                    "give another --out, or the same settings to resume it");
            }
            trainer.Restore(saved.Step, saved.Parameters, saved.M, saved.V, saved.TokensSinceFired);
            return new SaeTrainingJob(trainer, activations, saved.ElapsedSeconds, heldOut) { Resumed = true };
        }
        trainer.Initialize();
        return new SaeTrainingJob(trainer, activations, 0, heldOut);
    }

    /// <summary>Trains to the end, saving a checkpoint every <paramref name="checkpointEvery"/> steps (0: only at the end)
    /// and telling <paramref name="progress"/> the step and loss every <paramref name="reportEvery"/> steps.</summary>
    public void Run(string checkpointPath, int checkpointEvery, int reportEvery, Action<long, double>? progress, CancellationToken cancellationToken = default)
    {
        var startStep = Trainer.Step;
        _clock.Start();
        while (!Trainer.Done)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var loss = Trainer.TrainStep();
            if (reportEvery > 0 && (Trainer.Step % reportEvery == 0 || Trainer.Done)) progress?.Invoke(Trainer.Step, loss);
            if (checkpointEvery > 0 && Trainer.Step % checkpointEvery == 0 && !Trainer.Done) Save(checkpointPath);
        }
        _clock.Stop();
        TokensPerSecond = (Trainer.Step - startStep) * (double)Trainer.Options.BatchRows / Math.Max(_clock.Elapsed.TotalSeconds, 1e-9);
        Save(checkpointPath);
    }

    public void Save(string path) => SaeCheckpoint.Of(Trainer, Activations.ModelIdentity, Activations.Site, ElapsedSeconds).Save(path);

    public void Dispose() => Trainer.Dispose();
}
