using ScaleLab.Engine.Parallelism;

namespace ScaleLab.Engine.Training;

/// <summary>Which update rule a run uses. Stored by name in checkpoints; a checkpoint without one is AdamW (every
/// checkpoint written before SGD existed).</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<OptimizerKind>))]
public enum OptimizerKind
{
    AdamW,
    Sgd,
}

/// <summary>
/// An optimizer over one flat parameter buffer and the gradient buffer with the same layout. Its whole state is
/// two buffers of the parameters' length and the update count, which is what a checkpoint stores (an optimizer
/// with one buffer keeps the second at zero, so the checkpoint format does not change).
/// </summary>
public interface IOptimizer
{
    /// <summary>First state buffer (AdamW: first moment m; SGD: momentum buffer b).</summary>
    float[] M { get; }

    /// <summary>Second state buffer (AdamW: second moment v; SGD: unused, all zero).</summary>
    float[] V { get; }

    /// <summary>Number of updates taken (t of the last update).</summary>
    long Step { get; }

    /// <summary>One update of <paramref name="parameters"/> with <paramref name="gradients"/> at
    /// <paramref name="learningRate"/>, split over <paramref name="pool"/>'s threads when one is given.</summary>
    void Update(Span<float> parameters, ReadOnlySpan<float> gradients, double learningRate, WorkerPool? pool = null);

    /// <summary>Puts the optimizer back where a checkpoint left it.</summary>
    void Restore(long step, ReadOnlySpan<float> m, ReadOnlySpan<float> v);
}
