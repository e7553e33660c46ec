using System.Diagnostics;
using System.Numerics.Tensors;
using ScaleLab.Engine.Data;

namespace ScaleLab.Engine.Training;

/// <summary>
/// Trains a <see cref="Gpt"/> on a corpus: per step, M micro-batches of B/M sequences (forward, backward,
/// gradients averaged), global-norm clipping, then AdamW (or SGD with momentum) at the warmup + cosine learning rate. Validation
/// at intervals on the corpus's fixed validation windows; checkpoints that resume bit for bit.
///
/// Randomness: the weights are initialised from Rng(seed) (the trainer stream, saved in checkpoints); the
/// data comes from a separate stream Rng(seed ⊕ DataStream) inside a <see cref="BatchSampler"/>. Micro-
/// batches draw their rows one after another from that stream, so a step sees the same B sequences for
/// every M, and M only changes how the gradient is summed.
/// </summary>
public sealed class Trainer : IDisposable
{
    /// <summary>XORed into the seed for the data stream, so data and initialisation never share draws.</summary>
    public const ulong DataStream = 0x4441_5441_5354_524DUL; // "DATASTRM"

    private const int TrainLossWindow = 20;

    private readonly BatchSampler _sampler;
    private readonly int[] _inputs;
    private readonly int[] _targets;
    private readonly float[]? _accum;
    private readonly Queue<double> _recentLosses = new();
    private readonly Stopwatch _clock = new();
    private Rng _rng;
    private double _elapsedBefore;
    private long _sessionTokens;
    private double _lastValidation = double.NaN;
    private long _lastEvalStep = -1;
    private double? _validationFloor;
    private bool _validationFloorKnown;
    private readonly GradientNoiseObserver _noise = new();
    private ITrainingObjective _objective = CrossEntropyObjective.Instance;

    /// <summary>A new run: validates the options and the corpus against them, builds and initialises the model.</summary>
    public Trainer(TrainOptions options, ICorpus corpus)
    {
        options.Validate();
        if (options.Model.Vocab < ByteTokenizer.VocabSize)
        {
            throw new ArgumentException($"vocab {options.Model.Vocab} is smaller than the byte vocabulary ({ByteTokenizer.VocabSize})");
        }
        corpus.CheckSequenceLength(options.Model.SeqLen);
        Options = options;
        Corpus = corpus;
        Model = new Gpt(options.Model, options.MicroBatchSize, options.Threads);
        _rng = new Rng(options.Seed);
        Model.InitWeights(_rng);
        var segments = Model.Layout.Select(t => new ParameterSegment(t.Offset, t.Length, t.IsMatrix)).ToArray();
        Optimizer = options.Optimizer == OptimizerKind.Sgd
            ? new SgdMomentum(Model.Parameters.Length, segments, options.Sgd)
            : new AdamW(Model.Parameters.Length, segments, options.AdamW);
        Schedule = options.Schedule;
        _sampler = new BatchSampler(corpus, options.MicroBatchSize, options.Model.SeqLen, options.Seed ^ DataStream);
        _inputs = new int[options.MicroBatchSize * options.Model.SeqLen];
        _targets = new int[_inputs.Length];
        _accum = options.MicroBatches > 1 ? new float[Model.Parameters.Length] : null;
    }

    public TrainOptions Options { get; }
    public ICorpus Corpus { get; }
    public Gpt Model { get; }
    public IOptimizer Optimizer { get; }
    public LearningRateSchedule Schedule { get; }

    /// <summary>Completed optimizer steps.</summary>
    public long Step { get; private set; }

    /// <summary>Training tokens seen (B·T per step).</summary>
    public long Tokens { get; private set; }

    /// <summary>Wall time spent training, including earlier sessions of a resumed run.</summary>
    public double ElapsedSeconds => _elapsedBefore + _clock.Elapsed.TotalSeconds;

    /// <summary>
    /// Continues the run saved in <paramref name="path"/> on <paramref name="corpus"/>, which must be the same
    /// data (fingerprint). <paramref name="adjust"/> may change settings that do not alter the trajectory
    /// (threads, checkpointing, evaluation) or extend <see cref="TrainOptions.Steps"/> (which reshapes the
    /// cosine, so the result then differs from a run planned that long from the start).
    /// </summary>
    public static Trainer Resume(string path, ICorpus corpus, Func<TrainOptions, TrainOptions>? adjust = null)
    {
        var checkpoint = Checkpoint.Load(path);
        if (checkpoint.CorpusFingerprint != corpus.Fingerprint)
        {
            throw new InvalidDataException($"checkpoint {path} was trained on other data ({checkpoint.CorpusFingerprint}), not {corpus.Description}; pass the same --corpus it was trained on");
        }
        var options = adjust?.Invoke(checkpoint.Options) ?? checkpoint.Options;
        checkpoint.EnsureConfig(options.Model, path);
        if (options.Steps < checkpoint.Step)
        {
            throw new ArgumentException($"checkpoint {path} is at step {checkpoint.Step}, past the requested {options.Steps} steps");
        }
        if (options.Batch != checkpoint.Options.Batch || options.MicroBatches != checkpoint.Options.MicroBatches || options.Seed != checkpoint.Options.Seed)
        {
            throw new ArgumentException($"checkpoint {path} was trained with batch {checkpoint.Options.Batch}, micro-batches {checkpoint.Options.MicroBatches}, seed {checkpoint.Options.Seed}; resume with the same values");
        }
        if (options.Optimizer != checkpoint.Options.Optimizer)
        {
            // The state buffers mean different things (AdamW's moments, SGD's momentum): switching would be silent garbage.
            throw new ArgumentException($"checkpoint {path} was trained with {checkpoint.Options.Optimizer}, not {options.Optimizer}; resume with the same optimizer");
        }
        var trainer = new Trainer(options, corpus);
        try
        {
            trainer.Restore(checkpoint, path);
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
        return trainer;
    }

    /// <summary>
    /// Trains until <see cref="TrainOptions.Steps"/>, reporting every step and every evaluation, writing
    /// checkpoints as configured. On cancellation a checkpoint is written (if configured) before
    /// <see cref="OperationCanceledException"/> is thrown, so the run can be resumed.
    /// </summary>
    public TrainSummary Run(Action<StepMetrics>? onStep = null, Action<EvalMetrics>? onEval = null, CancellationToken cancellationToken = default)
    {
        var o = Options;
        while (Step < o.Steps)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                SaveConfiguredCheckpoint();
                cancellationToken.ThrowIfCancellationRequested();
            }
            var metrics = TrainStep();
            onStep?.Invoke(metrics);
            if (o.EvalInterval > 0 && Step % o.EvalInterval == 0 && Step < o.Steps)
            {
                var eval = EvaluateNow(); // not inside ?.Invoke(...): that would skip the evaluation without a listener
                onEval?.Invoke(eval);
            }
            if (o.CheckpointPath is not null && o.CheckpointInterval > 0 && Step % o.CheckpointInterval == 0 && Step < o.Steps)
            {
                SaveCheckpoint(o.CheckpointPath);
            }
        }
        if (_lastEvalStep != Step)
        {
            var eval = EvaluateNow();
            onEval?.Invoke(eval);
        }
        SaveConfiguredCheckpoint();
        return Summary();
    }

    /// <summary>The loss minimised on each micro-batch; <see cref="CrossEntropyObjective"/> unless set. Not saved in
    /// checkpoints: set it again after <see cref="Resume"/>.</summary>
    public ITrainingObjective Objective
    {
        get => _objective;
        set => _objective = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Observers called inside every step (see <see cref="ITrainingObserver"/>), after the trainer's own
    /// <see cref="GradientNoiseObserver"/>, in list order. Not saved in checkpoints.</summary>
    public IList<ITrainingObserver> Observers { get; } = new List<ITrainingObserver>();

    /// <summary>One optimizer step; returns its metrics.</summary>
    public StepMetrics TrainStep()
    {
        _clock.Start();
        var o = Options;
        var lr = Schedule.At(Step);
        var micro = o.MicroBatchSize;
        var seqLen = o.Model.SeqLen;
        var loss = 0.0;
        _noise.OnStepStart(Step, o.MicroBatches);
        foreach (var observer in Observers) observer.OnStepStart(Step, o.MicroBatches);
        // G = (1/M)·Σ_m g_m with g_m the gradient of micro-batch m's objective; each g_m is shown to the observers
        // before it is added, in a fixed order. With M = 1, g_1 is G and is left in place.
        if (_accum is not null) Array.Clear(_accum);
        for (var m = 0; m < o.MicroBatches; m++)
        {
            Model.ZeroGrad();
            _sampler.Next(_inputs, _targets);
            var microLoss = _objective.ForwardBackward(Model, new MicroBatch(_inputs, _targets, micro, seqLen, m, o.MicroBatches, Step));
            loss += microLoss;
            _noise.OnMicroBatch(m, microLoss, Model.Gradients);
            foreach (var observer in Observers) observer.OnMicroBatch(m, microLoss, Model.Gradients);
            if (_accum is not null) TensorPrimitives.Add(_accum, Model.Gradients, _accum);
        }
        if (_accum is not null)
        {
            TensorPrimitives.Multiply(_accum, 1f / o.MicroBatches, Model.Gradients);
            loss /= o.MicroBatches;
        }
        _noise.OnStepGradient(Model.Gradients);
        foreach (var observer in Observers) observer.OnStepGradient(Model.Gradients);
        double microSq = _noise.MicroGradNormSq, accumSq = _noise.AccumGradNormSq;
        if (!double.IsFinite(loss))
        {
            _clock.Stop();
            throw new InvalidOperationException($"training diverged at step {Step + 1}: loss is {loss}; lower --lr");
        }
        var norm = GradientClipping.ClipGlobalNorm(Model.Gradients, o.GradClip);
        Optimizer.Update(Model.Parameters, Model.Gradients, lr, Model.Pool);
        Step++;
        Tokens += o.TokensPerStep;
        _sessionTokens += o.TokensPerStep;
        _clock.Stop();
        _recentLosses.Enqueue(loss);
        if (_recentLosses.Count > TrainLossWindow)
        {
            _recentLosses.Dequeue();
        }
        var session = _clock.Elapsed.TotalSeconds;
        return new StepMetrics(Step, Tokens, loss, lr, norm, microSq, accumSq, o.MicroBatches, micro,
            session > 0 ? _sessionTokens / session : 0, ElapsedSeconds);
    }

    /// <summary>Mean validation loss (nats per token) over windows 0..EvalSequences−1, read in micro-batch chunks.</summary>
    public double Evaluate()
    {
        var o = Options;
        var seqLen = o.Model.SeqLen;
        var total = 0.0;
        for (var first = 0; first < o.EvalSequences; first += o.MicroBatchSize)
        {
            var count = Math.Min(o.MicroBatchSize, o.EvalSequences - first);
            var inputs = _inputs.AsSpan(0, count * seqLen);
            var targets = _targets.AsSpan(0, count * seqLen);
            Corpus.GetValidation(first, inputs, targets, count, seqLen);
            total += (double)Model.Forward(inputs, targets, count, seqLen) * count;
        }
        return total / o.EvalSequences;
    }

    /// <summary>The run's state as a checkpoint (copies of the buffers).</summary>
    public Checkpoint ToCheckpoint() => new()
    {
        Config = Options.Model,
        Options = Options,
        CorpusFingerprint = Corpus.Fingerprint,
        Step = Step,
        Tokens = Tokens,
        ElapsedSeconds = ElapsedSeconds,
        RngState = _rng.GetState(),
        Data = _sampler.Position,
        OptimizerStep = Optimizer.Step,
        Parameters = (float[])Model.Parameters.Clone(),
        M = (float[])Optimizer.M.Clone(),
        V = (float[])Optimizer.V.Clone(),
    };

    public void SaveCheckpoint(string path) => ToCheckpoint().Save(path);

    /// <summary>Summary of the run so far (validation loss from the last evaluation; NaN if none yet).</summary>
    public TrainSummary Summary()
    {
        var c = Options.Model;
        var d = (double)Tokens;
        var session = _clock.Elapsed.TotalSeconds;
        return new TrainSummary(
            c, Corpus.Description, Step, Tokens,
            _recentLosses.Count > 0 ? _recentLosses.Average() : double.NaN,
            _lastValidation,
            c.ParameterCount, c.NonEmbeddingParameterCount,
            6.0 * c.NonEmbeddingParameterCount * d,
            6.0 * c.ParameterCount * d,
            c.FlopsPerToken * d,
            ElapsedSeconds,
            session > 0 ? _sessionTokens / session : 0,
            Options.Threads,
            Corpus.EntropyRate,
            Corpus.LossFloor(c.SeqLen))
        {
            ValidationFloor = ValidationFloor,
        };
    }

    /// <summary>Bayes-optimal loss on this run's validation windows (null for a corpus without a known source).</summary>
    public double? ValidationFloor
    {
        get
        {
            if (!_validationFloorKnown)
            {
                _validationFloor = Corpus.ValidationFloor(Options.EvalSequences, Options.Model.SeqLen);
                _validationFloorKnown = true;
            }
            return _validationFloor;
        }
    }

    public void Dispose() => Model.Dispose();

    private EvalMetrics EvaluateNow()
    {
        _lastValidation = Evaluate();
        _lastEvalStep = Step;
        return new EvalMetrics(Step, Tokens, _lastValidation, ElapsedSeconds);
    }

    private void SaveConfiguredCheckpoint()
    {
        if (Options.CheckpointPath is not null)
        {
            SaveCheckpoint(Options.CheckpointPath);
        }
    }

    private void Restore(Checkpoint checkpoint, string path)
    {
        if (checkpoint.Parameters.Length != Model.Parameters.Length)
        {
            throw new InvalidDataException($"checkpoint {path} holds {checkpoint.Parameters.Length} parameters, the model has {Model.Parameters.Length}");
        }
        checkpoint.Parameters.CopyTo(Model.Parameters, 0);
        Optimizer.Restore(checkpoint.OptimizerStep, checkpoint.M, checkpoint.V);
        _rng = Rng.FromState(checkpoint.RngState);
        _sampler.Restore(checkpoint.Data);
        Step = checkpoint.Step;
        Tokens = checkpoint.Tokens;
        _elapsedBefore = checkpoint.ElapsedSeconds;
    }
}
