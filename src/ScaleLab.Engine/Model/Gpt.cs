using ScaleLab.Engine.Kernels;
using ScaleLab.Engine.Parallelism;

namespace ScaleLab.Engine;

/// <summary>
/// GPT-2 style decoder-only transformer trained on the CPU in float: token + learned position embeddings,
/// pre-LayerNorm blocks (causal multi-head attention, GELU MLP of width 4C), a final LayerNorm and an output
/// layer tied to the token embedding (logits = x·wteᵀ). Parameters and gradients are one flat buffer each
/// (<see cref="Layout"/> names the views); all activations for <c>maxBatch × MaxSeqLen</c> tokens are allocated
/// once here, so <see cref="Forward"/> and <see cref="Backward"/> allocate nothing. For a given thread count the
/// results are bit-reproducible; with the kernels used here they are in fact identical for every thread count.
/// </summary>
public sealed unsafe partial class Gpt : IDisposable
{
    private readonly GptLayout _layout;
    private readonly float[] _arena;
    private readonly int[] _inputs;
    private readonly int[] _targets;
    private readonly LayerBuffers[] _layers;
    private readonly float* _encoded, _lnf, _lnfMean, _lnfRstd, _logits, _probs, _losses, _dlosses, _proj;
    private readonly float* _dlogits, _dres, _dbtc, _dqkv, _dfch, _dfchGelu;
    private WorkerPool? _pool;
    private int _threads;
    private int _batch;
    private int _seqLen;
    private bool _hasTargets;
    private bool _spliced;
    private bool _disposed;

    /// <summary>A trainable model (parameters, gradients, activations and backward scratch) for batches of up to
    /// <paramref name="maxBatch"/> sequences of up to the configured context. Weights start at zero: call
    /// <see cref="InitWeights"/> or copy trained ones into <see cref="Parameters"/>.</summary>
    public Gpt(GptConfig config, int maxBatch, int threads = 1)
        : this(config, maxBatch, config?.SeqLen ?? 0, threads, trainable: true)
    {
    }

    private Gpt(GptConfig config, int maxBatch, int maxSeqLen, int threads, bool trainable)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (maxBatch <= 0) throw new ArgumentException($"max batch must be positive, got {maxBatch}");
        if (maxSeqLen < 1 || maxSeqLen > config.SeqLen) throw new ArgumentException($"max sequence length must be in 1..{config.SeqLen} (the trained context), got {maxSeqLen}");
        Config = config;
        MaxBatch = maxBatch;
        MaxSeqLen = maxSeqLen;
        IsTrainable = trainable;
        _layout = new GptLayout(config);
        Parameters = GC.AllocateArray<float>(_layout.Total, pinned: true);
        Gradients = trainable ? GC.AllocateArray<float>(_layout.Total, pinned: true) : [];

        long B = maxBatch, T = maxSeqLen, C = config.DModel, V = config.Vocab, NH = config.Heads, BT = B * T;
        // Per block 16·BT·C + 4·BT + B·NH·T² (see LayerBuffers); shared: encoded, lnf, proj = 3·BT·C; logits,
        // probs = 2·BT·V; lnf mean/rstd, losses = 3·BT. A trainable model adds the backward scratch dres, dbtc,
        // dqkv (3), dfch (4), dfchGelu (4) = 13·BT·C, dlogits = BT·V and dlosses = BT.
        var perLayer = 16 * BT * C + 4 * BT + B * NH * T * T;
        var total = config.Layers * perLayer + 3 * BT * C + 2 * BT * V + 3 * BT + (trainable ? 13 * BT * C + BT * V + BT : 0);
        if (total > Array.MaxLength) throw new ArgumentException($"activations for batch {maxBatch} need {total} floats, more than one buffer holds; use a smaller batch");
        _arena = GC.AllocateArray<float>((int)total, pinned: true);
        _inputs = GC.AllocateArray<int>((int)BT, pinned: true);
        _targets = GC.AllocateArray<int>((int)BT, pinned: true);
        var next = (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref _arena[0]);
        float* Take(long n)
        {
            var p = next;
            next += n;
            return p;
        }

        _layers = new LayerBuffers[config.Layers];
        for (var l = 0; l < config.Layers; l++)
        {
            _layers[l] = new LayerBuffers
            {
                Ln1 = Take(BT * C), Ln1Mean = Take(BT), Ln1Rstd = Take(BT), Qkv = Take(3 * BT * C), Atty = Take(BT * C),
                Att = Take(B * NH * T * T), Residual2 = Take(BT * C), Ln2 = Take(BT * C), Ln2Mean = Take(BT), Ln2Rstd = Take(BT),
                Fch = Take(4 * BT * C), FchGelu = Take(4 * BT * C), Residual3 = Take(BT * C),
            };
        }
        _encoded = Take(BT * C);
        _lnf = Take(BT * C);
        _proj = Take(BT * C);
        _lnfMean = Take(BT);
        _lnfRstd = Take(BT);
        _losses = Take(BT);
        _logits = Take(BT * V);
        _probs = Take(BT * V);
        if (trainable)
        {
            _dlosses = Take(BT);
            _dlogits = Take(BT * V);
            _dres = Take(BT * C);
            _dbtc = Take(BT * C);
            _dqkv = Take(3 * BT * C);
            _dfch = Take(4 * BT * C);
            _dfchGelu = Take(4 * BT * C);
        }
        System.Diagnostics.Debug.Assert(next - (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref _arena[0]) == total);
        Threads = threads;
    }

    ~Gpt() => Dispose(false);

    public GptConfig Config { get; }

    /// <summary>Largest batch <see cref="Forward"/> accepts (activations are sized for it).</summary>
    public int MaxBatch { get; }

    /// <summary>Longest sequence <see cref="Forward"/> accepts: the configured context, or less for a model built
    /// for inference with a shorter one (activations are sized for MaxBatch × MaxSeqLen).</summary>
    public int MaxSeqLen { get; }

    /// <summary>False for a model built for inference (<see cref="ForInference"/>, <see cref="FromCheckpoint"/>):
    /// it has no gradients or backward scratch, and <see cref="Backward()"/> throws.</summary>
    public bool IsTrainable { get; }

    /// <summary>All parameters, one contiguous buffer laid out as <see cref="Layout"/> says.</summary>
    public float[] Parameters { get; }

    /// <summary>Gradients, same layout as <see cref="Parameters"/>; empty for a model built for inference.</summary>
    public float[] Gradients { get; }

    /// <summary>Named views into <see cref="Parameters"/> and <see cref="Gradients"/>; see <see cref="ParameterTensor"/> for which decay.</summary>
    public IReadOnlyList<ParameterTensor> Layout => _layout.Tensors;

    /// <summary>Logits (B,T,V) of the last <see cref="Forward"/>.</summary>
    public ReadOnlySpan<float> Logits => new(_logits, _batch * _seqLen * Config.Vocab);

    /// <summary>Per-position losses (B,T) of the last <see cref="Forward"/> with targets, in nats.</summary>
    public ReadOnlySpan<float> Losses => _hasTargets ? new(_losses, _batch * _seqLen) : default;

    /// <summary>Threads every kernel splits its work over (a fixed split, so results are reproducible).</summary>
    public int Threads
    {
        get => _threads;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (value == _threads) return;
            _pool?.Dispose();
            _pool = value > 1 ? new WorkerPool(value) : null;
            _threads = value;
        }
    }

    /// <summary>Bytes this model holds: parameters, gradients, activations and scratch for MaxBatch × MaxSeqLen tokens.</summary>
    public long AllocatedBytes => 4L * (Parameters.Length + Gradients.Length + _arena.Length + _inputs.Length + _targets.Length);

    /// <summary>The threads the kernels run on (null with one thread); the optimizer can share them.</summary>
    public WorkerPool? Pool => _pool;

    internal GptLayout ParameterLayout => _layout;

    /// <summary>GPT-2 initialisation; see <see cref="GptLayout.Init{TReal}"/>.</summary>
    public void InitWeights(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        _layout.Init<float>(Parameters, rng, Config.Layers);
    }

    public void ZeroGrad()
    {
        fixed (float* g = Gradients)
        {
            var args = new ClearArgs { Data = g, Length = Gradients.Length };
            WorkerPool.Run(_pool, &ClearPart, &args);
        }
    }

    private struct ClearArgs
    {
        public float* Data;
        public int Length;
    }

    private static void ClearPart(void* context, int part, int parts)
    {
        ref var a = ref *(ClearArgs*)context;
        var (start, end) = WorkerPool.Partition(a.Length, part, parts, unit: 16);
        new Span<float>(a.Data + start, end - start).Clear();
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    private void Dispose(bool disposing)
    {
        if (_disposed) return;
        _disposed = true;
        _pool?.Dispose();
        _pool = null;
    }

    private static Span<float> S(float* p, long n) => new(p, checked((int)n));

    private struct LayerBuffers
    {
        // Per block, for the B·T tokens of the last forward: ln1 (B,T,C), ln1 mean/rstd (B,T), qkv (B,T,3C),
        // atty (B,T,C) attention output before projection, att (B,NH,T,T) probabilities, residual2 (B,T,C),
        // ln2 (B,T,C), ln2 mean/rstd (B,T), fch (B,T,4C) pre-GELU, fchGelu (B,T,4C), residual3 (B,T,C).
        public float* Ln1, Ln1Mean, Ln1Rstd, Qkv, Atty, Att, Residual2, Ln2, Ln2Mean, Ln2Rstd, Fch, FchGelu, Residual3;
    }
}
