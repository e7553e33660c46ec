namespace ScaleLab.Engine.Training;

/// <summary>One micro-batch of a training step: <see cref="Inputs"/> and <see cref="Targets"/> (B,T) token ids,
/// the <see cref="Index"/>-th of the step's <see cref="Count"/> micro-batches, in optimizer step <see cref="Step"/>
/// (0 for the first step). The spans are the trainer's buffers, valid during the call.</summary>
public readonly ref struct MicroBatch(ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, int batch, int seqLen, int index, int count, long step)
{
    public ReadOnlySpan<int> Inputs { get; } = inputs;
    public ReadOnlySpan<int> Targets { get; } = targets;
    public int Batch { get; } = batch;
    public int SeqLen { get; } = seqLen;
    public int Index { get; } = index;
    public int Count { get; } = count;
    public long Step { get; } = step;
}

/// <summary>
/// What a <see cref="Trainer"/> minimises, one micro-batch at a time: run the model's forward pass on the micro-batch,
/// add d(loss)/dθ into <see cref="Gpt.Gradients"/> (the trainer has zeroed them), and return the loss. The trainer
/// averages the returned losses and the gradients over the step's micro-batches, clips and updates. A distillation
/// loss, for example, runs <c>model.Forward(inputs, [], …)</c>, forms dlogits from the student's and a teacher's logits
/// and calls <see cref="Gpt.Backward(ReadOnlySpan{float})"/>. Validation (<see cref="Trainer.Evaluate"/>) stays the
/// cross-entropy in nats, whatever the objective.
/// </summary>
public interface ITrainingObjective
{
    double ForwardBackward(Gpt model, MicroBatch batch);
}

/// <summary>The default objective: the mean next-token cross-entropy in nats (<see cref="Gpt.Forward"/> with targets,
/// then <see cref="Gpt.Backward()"/>).</summary>
public sealed class CrossEntropyObjective : ITrainingObjective
{
    public static CrossEntropyObjective Instance { get; } = new();

    public double ForwardBackward(Gpt model, MicroBatch batch)
    {
        ArgumentNullException.ThrowIfNull(model);
        var loss = model.Forward(batch.Inputs, batch.Targets, batch.Batch, batch.SeqLen);
        model.Backward();
        return loss;
    }
}

/// <summary>
/// Sees every training step from inside: per-micro-batch statistics (gradient noise, per-batch losses, gradient
/// similarity) plug in here without the trainer knowing them. Calls per step, in order: <see cref="OnStepStart"/>;
/// for each micro-batch <see cref="OnMicroBatch"/> with that micro-batch's own gradient (of its mean loss, before it is
/// averaged in); then <see cref="OnStepGradient"/> with the step's gradient G (the mean over micro-batches) before
/// clipping. The spans are the trainer's buffers, valid during the call; an observer must not keep or change them.
/// </summary>
public interface ITrainingObserver
{
    void OnStepStart(long step, int microBatches)
    {
    }

    void OnMicroBatch(int index, double loss, ReadOnlySpan<float> gradient)
    {
    }

    void OnStepGradient(ReadOnlySpan<float> gradient)
    {
    }
}

/// <summary>
/// The two squared gradient norms of the gradient-noise-scale estimator (McCandlish et al. 2018, App. A.1), per
/// step: <see cref="MicroGradNormSq"/> = (1/M)·Σ_m |g_m|² over the M micro-batch gradients (batch B/M each) and
/// <see cref="AccumGradNormSq"/> = |G|² of their mean (batch B), both before clipping, each |·|² by
/// <see cref="GradientClipping.NormSquared"/> and the micro-batch terms added in micro-batch order. With M = 1 the
/// two are the same number. Every <see cref="Trainer"/> runs one and copies it into <see cref="StepMetrics"/>.
/// </summary>
public sealed class GradientNoiseObserver : ITrainingObserver
{
    private int _microBatches;

    /// <summary>Mean over the last step's micro-batches of |g_m|².</summary>
    public double MicroGradNormSq { get; private set; }

    /// <summary>|G|² of the last step's averaged gradient.</summary>
    public double AccumGradNormSq { get; private set; }

    public void OnStepStart(long step, int microBatches)
    {
        _microBatches = microBatches;
        MicroGradNormSq = 0;
        AccumGradNormSq = 0;
    }

    public void OnMicroBatch(int index, double loss, ReadOnlySpan<float> gradient) => MicroGradNormSq += GradientClipping.NormSquared(gradient);

    public void OnStepGradient(ReadOnlySpan<float> gradient)
    {
        MicroGradNormSq /= _microBatches;
        // With one micro-batch G is g_1 itself: the same sum, not taken twice.
        AccumGradNormSq = _microBatches == 1 ? MicroGradNormSq : GradientClipping.NormSquared(gradient);
    }
}
