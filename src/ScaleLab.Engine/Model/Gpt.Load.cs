using ScaleLab.Engine.Training;

namespace ScaleLab.Engine;

// Building a model for inference: a teacher, a draft, an activation source or a sampler, from trained weights.
public sealed partial class Gpt
{
    /// <summary>A model for inference with a copy of <paramref name="parameters"/> (in <see cref="Layout"/>'s order),
    /// sized for batches of up to <paramref name="maxBatch"/> sequences of up to <paramref name="maxSeqLen"/> positions
    /// (at most the trained context <see cref="GptConfig.SeqLen"/>; a shorter one allocates less). It holds no gradients
    /// or backward scratch, so it needs roughly half a trainable model's memory; <see cref="Backward()"/> throws.
    /// Its forward pass is the trainable model's, bit for bit.</summary>
    public static Gpt ForInference(GptConfig config, ReadOnlySpan<float> parameters, int maxBatch, int maxSeqLen, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (parameters.Length != config.ParameterCount)
        {
            throw new ArgumentException($"{parameters.Length} parameters given, a model with {Checkpoint.Describe(config)} has {config.ParameterCount}");
        }
        var model = new Gpt(config, maxBatch, maxSeqLen, threads, trainable: false);
        parameters.CopyTo(model.Parameters);
        return model;
    }

    /// <summary><see cref="ForInference"/> with the weights of <paramref name="checkpoint"/>; <paramref name="maxSeqLen"/>
    /// defaults to the trained context.</summary>
    public static Gpt FromCheckpoint(Checkpoint checkpoint, int maxBatch, int? maxSeqLen = null, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return ForInference(checkpoint.Config, checkpoint.Parameters, maxBatch, maxSeqLen ?? checkpoint.Config.SeqLen, threads);
    }

    /// <summary>Reads and verifies the checkpoint at <paramref name="path"/> (<see cref="Checkpoint.Load"/>: one-line
    /// <see cref="FileNotFoundException"/> or <see cref="InvalidDataException"/> for a bad file) and builds a model for
    /// inference from its weights, as <see cref="FromCheckpoint"/>.</summary>
    public static Gpt Load(string path, int maxBatch, int? maxSeqLen = null, int threads = 1) =>
        FromCheckpoint(Checkpoint.Load(path), maxBatch, maxSeqLen, threads);
}
