using System.Numerics.Tensors;
using ScaleLab.Engine.Training;

namespace ScaleLab.Engine.Sae;

/// <summary>How an SAE is trained. Defaults follow Gao et al. 2024 (Adam β = (0.9, 0.999), ε = 6.25e-10, no weight decay)
/// with the engine's warmup-then-cosine schedule; <paramref name="DeadAfterTokens"/> is the window with no activation
/// after which a latent counts as dead (AuxK's candidates; resampling's); <paramref name="ResampleEvery"/> &gt; 0
/// resamples dead latents every that many steps in the first half of the run (Bricken et al. 2023; for TopK too, see
/// <see cref="SaeTrainer.Resample"/>).</summary>
public sealed record SaeTrainOptions(
    long Steps,
    int BatchRows = 512,
    double LearningRate = 1e-3,
    int WarmupSteps = 50,
    long DeadAfterTokens = 20_000,
    int ResampleEvery = 0,
    ulong Seed = 1)
{
    public void Validate()
    {
        if (Steps < 1) throw new ArgumentException($"SAE steps must be ≥ 1, got {Steps}");
        if (BatchRows < 1) throw new ArgumentException($"SAE batch rows must be ≥ 1, got {BatchRows}");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new ArgumentException($"SAE learning rate must be a positive number, got {LearningRate}");
        if (WarmupSteps < 0) throw new ArgumentException($"warmup steps must be ≥ 0, got {WarmupSteps}");
        if (DeadAfterTokens < 1) throw new ArgumentException($"dead-latent window must be ≥ 1 token, got {DeadAfterTokens}");
        if (ResampleEvery < 0) throw new ArgumentException($"resample interval must be ≥ 0, got {ResampleEvery}");
    }

    /// <summary>Adam settings of Gao et al. 2024 §A (no weight decay).</summary>
    public static AdamWOptions Adam => new(Beta1: 0.9, Beta2: 0.999, Epsilon: 6.25e-10, WeightDecay: 0);

    /// <summary>The latent count at which <see cref="ReferenceLearningRate"/> is the peak rate (8 × width 64, the
    /// demo's tiny GPT).</summary>
    public const int ReferenceLatents = 512;

    /// <summary>The peak rate at <see cref="ReferenceLatents"/> latents.</summary>
    public const double ReferenceLearningRate = 1e-3;

    /// <summary>
    /// The peak learning rate for an SAE of <paramref name="latents"/> latents when the rate at
    /// <paramref name="referenceLatents"/> is <paramref name="rateAtReference"/>:
    /// <code>  lr(n) = lr_ref · √(n_ref / n)  </code>
    /// Gao et al. 2024 (Appendix A) scale the rate as 1/√n with the latent count for SAEs trained to convergence. A sweep
    /// uses it when asked (the sae run kind's lr_scaling); it is not the default, since with a fixed token budget on a tiny
    /// model a lower rate for larger n slowed them further (see the README's SAE section).
    /// </summary>
    public static double ScaledLearningRate(int latents, double rateAtReference = ReferenceLearningRate, int referenceLatents = ReferenceLatents)
    {
        if (latents < 1 || referenceLatents < 1) throw new ArgumentException($"latent counts must be ≥ 1, got n = {latents} and reference {referenceLatents}");
        if (!(rateAtReference > 0) || double.IsInfinity(rateAtReference)) throw new ArgumentException($"the reference learning rate must be a positive number, got {rateAtReference}");
        return rateAtReference * Math.Sqrt(referenceLatents / (double)latents);
    }
}

/// <summary>
/// Trains a <see cref="SparseAutoencoder"/> on rows of activations with AdamW: each step draws a batch (rows sampled with
/// replacement from a stream seeded by (seed, step), so a resumed run draws the same batches), runs forward with the
/// current dead set, backward, removes the decoder-parallel gradient, updates and renormalises the decoder rows. Its whole
/// state (parameters, Adam moments and step, tokens since each latent fired) is what <see cref="Restore"/> takes back.
/// </summary>
public sealed class SaeTrainer : IDisposable
{
    private readonly float[] _data;
    private readonly int _rows;
    private readonly float[] _batch;
    private readonly bool[] _dead;
    private readonly LearningRateSchedule _schedule;

    /// <summary>A trainer over <paramref name="data"/> (rows × D, row-major). Parameters start at zero: call
    /// <see cref="Initialize"/> or <see cref="Restore"/>.</summary>
    public SaeTrainer(SaeConfig config, SaeTrainOptions options, float[] data, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(data);
        config.Validate();
        options.Validate();
        if (data.Length == 0 || data.Length % config.Inputs != 0)
        {
            throw new ArgumentException($"activation data of {data.Length} values is not a whole number of rows of width {config.Inputs}");
        }
        Options = options;
        _data = data;
        _rows = data.Length / config.Inputs;
        Model = new SparseAutoencoder(config, options.BatchRows, threads);
        Optimizer = new AdamW(config.ParameterCount, config.Segments, SaeTrainOptions.Adam);
        _batch = new float[options.BatchRows * config.Inputs];
        _dead = new bool[config.Latents];
        TokensSinceFired = new long[config.Latents];
        _schedule = new LearningRateSchedule(options.LearningRate, (int)Math.Min(options.WarmupSteps, options.Steps - 1), options.Steps);
        _schedule.Validate();
    }

    public SaeConfig Config => Model.Config;
    public SaeTrainOptions Options { get; }
    public SparseAutoencoder Model { get; }
    public AdamW Optimizer { get; }

    /// <summary>Steps taken.</summary>
    public long Step { get; private set; }

    /// <summary>Training tokens (rows) each latent has gone without a positive code.</summary>
    public long[] TokensSinceFired { get; }

    /// <summary>Fraction of latents with no activation in the last <see cref="SaeTrainOptions.DeadAfterTokens"/> training
    /// tokens (a latent seen for fewer tokens than that is not yet counted dead).</summary>
    public double DeadFraction => TokensSinceFired.Count(t => t >= Options.DeadAfterTokens) / (double)Config.Latents;

    /// <summary>Whether every step is taken.</summary>
    public bool Done => Step >= Options.Steps;

    /// <summary>Gao et al.'s initialisation: decoder rows random unit vectors, the encoder tied to the decoder (W_enc =
    /// W_dec, i.e. the transpose of the dictionary matrix), b_enc = 0, b_pre at the geometric median of up to 4096 rows.</summary>
    public void Initialize()
    {
        var rng = new Rng(Options.Seed);
        int D = Config.Inputs;
        var w = Model.DecoderWeight;
        for (var i = 0; i < w.Length; i++) w[i] = (float)rng.NextGaussian();
        Model.NormalizeDecoderRows();
        Model.DecoderWeight.CopyTo(Model.EncoderWeight);
        Model.EncoderBias.Clear();
        var sample = Math.Min(_rows, 4096);
        var median = GeometricMedian.Compute(_data.AsSpan(0, sample * D), sample, D);
        for (var d = 0; d < D; d++) Model.PreBias[d] = (float)median[d];
    }

    /// <summary>One training step; returns the loss it differentiated (reconstruction + AuxK + L1).</summary>
    public double TrainStep()
    {
        if (Done) throw new InvalidOperationException($"all {Options.Steps} steps are taken");
        int D = Config.Inputs, B = Options.BatchRows;
        var rng = new Rng(Options.Seed ^ (0x9E3779B97F4A7C15UL * (ulong)(Step + 1)));
        for (var b = 0; b < B; b++)
        {
            _data.AsSpan(rng.NextInt(_rows) * D, D).CopyTo(_batch.AsSpan(b * D, D));
        }
        for (var l = 0; l < Config.Latents; l++) _dead[l] = TokensSinceFired[l] >= Options.DeadAfterTokens;
        var loss = Model.Forward(_batch, B, _dead);
        if (!double.IsFinite(loss)) throw new InvalidOperationException($"SAE loss became {loss} at step {Step}; lower the learning rate");
        Model.ZeroGrad();
        Model.Backward();
        Model.RemoveDecoderParallelGradient();
        Optimizer.Update(Model.Parameters, Model.Gradients, _schedule.At(Step), Model.Pool);
        Model.NormalizeDecoderRows();
        TrackFiring(B);
        Step++;
        if (Options.ResampleEvery > 0 && Step % Options.ResampleEvery == 0 && Step <= Options.Steps / 2)
        {
            Resample();
        }
        return loss;
    }

    private void TrackFiring(int rows)
    {
        for (var l = 0; l < TokensSinceFired.Length; l++) TokensSinceFired[l] += rows;
        for (var n = 0; n < rows; n++)
        {
            foreach (var l in Model.ActiveLatents(n)) TokensSinceFired[l] = 0;
        }
    }

    /// <summary>
    /// Bricken et al. 2023's resampling of dead latents: score a sample of rows by their squared reconstruction error,
    /// draw one row per dead latent with probability ∝ error², point the latent's decoder row at that row's direction
    /// (x − b_pre, normalised), its encoder row the same way scaled to 0.2 × the mean encoder-row norm of live latents,
    /// zero its encoder bias and its Adam moments, and reset its firing clock. For TopK the encoder row gets the full mean
    /// live norm and the encoder bias the mean live bias (<see cref="TopKEncoderScale"/>): a latent is active only when it
    /// ranks among the k largest pre-activations, and at 0.2 × the norm it would rank on almost no row and die again.
    /// </summary>
    public int Resample()
    {
        int D = Config.Inputs, L = Config.Latents;
        var dead = Enumerable.Range(0, L).Where(l => TokensSinceFired[l] >= Options.DeadAfterTokens).ToArray();
        if (dead.Length == 0) return 0;
        var rng = new Rng(Options.Seed ^ 0xD1B54A32D192ED03UL ^ (ulong)Step);
        var sampleRows = Math.Min(_rows, 8 * Options.BatchRows);
        var candidates = new int[sampleRows];
        var weights = new double[sampleRows];
        for (var start = 0; start < sampleRows; start += Options.BatchRows)
        {
            var count = Math.Min(Options.BatchRows, sampleRows - start);
            for (var b = 0; b < count; b++)
            {
                candidates[start + b] = rng.NextInt(_rows);
                _data.AsSpan(candidates[start + b] * D, D).CopyTo(_batch.AsSpan(b * D, D));
            }
            Model.Forward(_batch.AsSpan(0, count * D), count);
            for (var b = 0; b < count; b++)
            {
                var e = TensorPrimitives.Distance(Model.Reconstruction.Slice(b * D, D), _batch.AsSpan(b * D, D));
                weights[start + b] = (double)e * e * e * e;
            }
        }
        double liveNorm = 0, liveBias = 0;
        var live = 0;
        for (var l = 0; l < L; l++)
        {
            if (TokensSinceFired[l] >= Options.DeadAfterTokens) continue;
            liveNorm += TensorPrimitives.Norm(Model.EncoderWeight.Slice(l * D, D));
            liveBias += Model.EncoderBias[l];
            live++;
        }
        var topK = Config.Family == SaeFamily.TopK;
        var factor = topK ? TopKEncoderScale : 0.2;
        var encoderNorm = live > 0 ? (float)(factor * liveNorm / live) : (float)factor;
        var encoderBias = topK && live > 0 ? (float)(liveBias / live) : 0f;
        var total = weights.Sum();
        var direction = new float[D];
        foreach (var l in dead)
        {
            var pick = PickWeighted(rng, weights, total);
            TensorPrimitives.Subtract(_data.AsSpan(candidates[pick] * D, D), Model.PreBias, direction);
            var norm = TensorPrimitives.Norm(direction);
            if (!(norm > 0)) continue;
            TensorPrimitives.Divide(direction, norm, Model.DecoderWeight.Slice(l * D, D));
            TensorPrimitives.Multiply(direction, encoderNorm / norm, Model.EncoderWeight.Slice(l * D, D));
            Model.EncoderBias[l] = encoderBias;
            foreach (var offset in new[] { Config.EncoderWeightOffset + l * D, Config.DecoderWeightOffset + l * D })
            {
                Optimizer.M.AsSpan(offset, D).Clear();
                Optimizer.V.AsSpan(offset, D).Clear();
            }
            Optimizer.M[Config.EncoderBiasOffset + l] = 0;
            Optimizer.V[Config.EncoderBiasOffset + l] = 0;
            TokensSinceFired[l] = 0;
        }
        return dead.Length;
    }

    /// <summary>A resampled TopK latent's encoder-row norm as a multiple of the live latents' mean (ReLU+L1: 0.2).</summary>
    public const double TopKEncoderScale = 1.0;

    private static int PickWeighted(Rng rng, double[] weights, double total)
    {
        if (!(total > 0)) return rng.NextInt(weights.Length);
        var u = rng.NextDouble() * total;
        for (var i = 0; i < weights.Length; i++)
        {
            u -= weights[i];
            if (u < 0) return i;
        }
        return weights.Length - 1;
    }

    /// <summary>Puts the trainer back where a saved state left it.</summary>
    public void Restore(long step, ReadOnlySpan<float> parameters, ReadOnlySpan<float> m, ReadOnlySpan<float> v, ReadOnlySpan<long> tokensSinceFired)
    {
        if (parameters.Length != Model.Parameters.Length || tokensSinceFired.Length != TokensSinceFired.Length)
        {
            throw new InvalidDataException($"SAE state holds {parameters.Length} parameters and {tokensSinceFired.Length} latents; this SAE has {Model.Parameters.Length} and {TokensSinceFired.Length}");
        }
        parameters.CopyTo(Model.Parameters);
        Optimizer.Restore(step, m, v);
        tokensSinceFired.CopyTo(TokensSinceFired);
        Step = step;
    }

    public void Dispose() => Model.Dispose();
}
