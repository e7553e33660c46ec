using System.Numerics.Tensors;
using ScaleLab.Engine.Kernels;

namespace ScaleLab.Engine.Training;

/// <summary>The distillation settings: temperature T &gt; 0 and weight λ ∈ [0, 1] of the soft term in
/// (1 − λ)·CE + λ·T²·KL (Hinton et al. 2015), and an optional top-k truncation of the teacher (null: the full distribution).</summary>
public sealed record DistillationOptions(double Temperature = 1.0, double Lambda = 1.0, int? TopK = null)
{
    /// <summary>Throws <see cref="ArgumentException"/> with one line naming the first bad setting.</summary>
    public void Validate()
    {
        if (!(Temperature > 0) || !double.IsFinite(Temperature)) throw new ArgumentException($"temperature must be positive and finite, got {Temperature}");
        if (!(Lambda is >= 0 and <= 1)) throw new ArgumentException($"lambda must be in [0, 1], got {Lambda}");
        if (TopK is < 1) throw new ArgumentException($"top-k must be positive, got {TopK}");
    }
}

/// <summary>
/// The distillation training step, as a <see cref="Trainer"/> objective: per micro-batch the student's forward pass
/// (logits only), the teacher's forward pass on the same inputs (no gradient), the fused loss
/// <see cref="Distillation.Forward"/>, and the student's backward pass from dlogits = (1/(B·T))·d loss/d logits
/// (<see cref="Gpt.Backward(ReadOnlySpan{float})"/>). The optimizer step is the trainer's. Returns the mean distillation
/// loss; the mean cross-entropy on the sampled targets and the mean KL of the last micro-batch are kept for metrics.
/// The objective holds no state that changes the trajectory, so a run resumed with the same teacher and options
/// continues bit for bit (the trainer saves everything else).
/// </summary>
public sealed class DistillationObjective : ITrainingObjective, IDisposable
{
    private float[] _teacher = [], _cache = [], _losses = [], _ce = [], _kl = [];

    public DistillationObjective(ITeacher teacher, DistillationOptions options)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Teacher = options.TopK is { } k ? new TopKTeacher(teacher, k) : teacher;
        Options = options;
    }

    public ITeacher Teacher { get; }
    public DistillationOptions Options { get; }

    /// <summary>Mean cross-entropy on the sampled targets of the last micro-batch (nats per token).</summary>
    public double LastCrossEntropy { get; private set; } = double.NaN;

    /// <summary>Mean KL(teacher ‖ student) at temperature T of the last micro-batch (nats per token).</summary>
    public double LastKl { get; private set; } = double.NaN;

    /// <summary>Throws <see cref="ArgumentException"/> in one line if the teacher cannot teach this student.</summary>
    public void CheckStudent(GptConfig student) => TeacherCompatibility.Check(Teacher, student);

    public double ForwardBackward(Gpt model, MicroBatch batch)
    {
        ArgumentNullException.ThrowIfNull(model);
        var V = model.Config.Vocab;
        var BT = batch.Batch * batch.SeqLen;
        if (V != Teacher.Vocab) throw new ArgumentException($"teacher vocabulary {Teacher.Vocab} differs from the student's {V}");
        Ensure(BT, V);
        model.Forward(batch.Inputs, [], batch.Batch, batch.SeqLen);
        Teacher.Logits(batch.Inputs, batch.Batch, batch.SeqLen, _teacher);
        var n = BT * V;
        Distillation.Forward(model.Logits, _teacher.AsSpan(0, n), batch.Targets, BT, V, (float)Options.Temperature, (float)Options.Lambda,
            _losses.AsSpan(0, BT), _ce.AsSpan(0, BT), _kl.AsSpan(0, BT), _cache.AsSpan(0, n), model.Pool);
        // loss = mean over positions → dlosses = 1/(B·T), as Gpt.Backward() uses for the cross-entropy. Distillation.Backward
        // into zeroed dlogits stores 0 + (1/(B·T))·g, which is (1/(B·T))·g exactly (up to the sign of a zero), so the cache
        // is scaled in place instead: the same values without the clear and the extra pass over B·T·V floats.
        TensorPrimitives.Multiply(_cache.AsSpan(0, n), 1f / BT, _cache.AsSpan(0, n));
        model.Backward(_cache.AsSpan(0, n));
        // Means summed in position order in double, so they do not depend on the thread count.
        double loss = 0, ce = 0, kl = 0;
        for (var i = 0; i < BT; i++)
        {
            loss += _losses[i];
            ce += _ce[i];
            kl += _kl[i];
        }
        LastCrossEntropy = ce / BT;
        LastKl = kl / BT;
        return loss / BT;
    }

    private void Ensure(int BT, int V)
    {
        var n = BT * V;
        if (_teacher.Length >= n && _losses.Length >= BT) return;
        _teacher = new float[n];
        _cache = new float[n];
        _losses = new float[BT];
        _ce = new float[BT];
        _kl = new float[BT];
    }

    public void Dispose() => Teacher.Dispose();
}
