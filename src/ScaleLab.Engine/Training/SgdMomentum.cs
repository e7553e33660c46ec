using System.Numerics;
using ScaleLab.Engine.Parallelism;

namespace ScaleLab.Engine.Training;

/// <summary>SGD-with-momentum hyper-parameters: momentum μ ∈ [0, 1) and decoupled weight decay λ ≥ 0 (0 = none).</summary>
public sealed record SgdOptions(double Momentum = 0.9, double WeightDecay = 0)
{
    public void Validate()
    {
        if (Momentum is < 0 or >= 1 || double.IsNaN(Momentum) || !(WeightDecay >= 0) || double.IsInfinity(WeightDecay))
        {
            throw new ArgumentException($"SGD needs momentum in [0, 1) and weight decay ≥ 0 (got momentum={Momentum}, wd={WeightDecay})");
        }
    }
}

/// <summary>
/// SGD with heavy-ball (Polyak 1964) momentum, not Nesterov, and optional decoupled weight decay (SGDW,
/// Loshchilov &amp; Hutter 2019, Algorithm 1 with the schedule multiplier folded into lr). For every element, at
/// update t = 1, 2, … (the order of operations of torch.optim.SGD with dampening 0 and nesterov=False, whose
/// first step sets b = g, which equals μ·0 + g):
///   b ← μ·b + g
///   θ ← θ·(1 − lr·wd)                            ONLY on segments with Decay (matrices), as in <see cref="AdamW"/>
///   θ ← θ − lr·b
/// Arithmetic is float per element; the vector and scalar paths do the same IEEE operations in the same order, so
/// results depend neither on the vector width nor on the thread count. The second state buffer <see cref="V"/>
/// stays zero; it exists so checkpoints keep one layout for every optimizer.
/// </summary>
public sealed unsafe class SgdMomentum : IOptimizer
{
    private readonly ParameterSegment[] _segments;

    public SgdMomentum(int parameterCount, IReadOnlyList<ParameterSegment> segments, SgdOptions? options = null)
    {
        Options = options ?? new SgdOptions();
        Options.Validate();
        _segments = ParameterSegment.Tiling(parameterCount, segments);
        M = new float[parameterCount];
        V = new float[parameterCount];
    }

    public SgdOptions Options { get; }

    /// <summary>Momentum buffer b, same layout as the parameters.</summary>
    public float[] M { get; }

    /// <summary>Unused (all zero); kept for the checkpoint layout.</summary>
    public float[] V { get; }

    public long Step { get; private set; }

    public void Update(Span<float> parameters, ReadOnlySpan<float> gradients, double learningRate, WorkerPool? pool = null)
    {
        if (parameters.Length != M.Length || gradients.Length != M.Length)
        {
            throw new ArgumentException($"SGD holds {M.Length} parameters; got {parameters.Length} parameters and {gradients.Length} gradients");
        }
        Step++;
        fixed (float* pTheta = parameters, pG = gradients, pB = M)
        fixed (ParameterSegment* pSegments = _segments)
        {
            var args = new UpdateArgs
            {
                Theta = pTheta, G = pG, B = pB, Segments = pSegments, SegmentCount = _segments.Length, Length = M.Length,
                Momentum = (float)Options.Momentum, LearningRate = (float)learningRate,
                Decay = (float)(1 - learningRate * Options.WeightDecay), HasDecay = Options.WeightDecay > 0,
            };
            WorkerPool.Run(pool, &UpdatePart, &args);
        }
    }

    public void Restore(long step, ReadOnlySpan<float> m, ReadOnlySpan<float> v)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (m.Length != M.Length || v.Length != V.Length)
        {
            throw new InvalidDataException($"optimizer state has {m.Length}/{v.Length} values, the model has {M.Length} parameters");
        }
        m.CopyTo(M);
        v.CopyTo(V);
        Step = step;
    }

    private struct UpdateArgs
    {
        public float* Theta, G, B;
        public ParameterSegment* Segments;
        public int SegmentCount, Length;
        public float Momentum, LearningRate, Decay;
        public bool HasDecay;
        public int Next;   // next chunk to claim
    }

    private static void UpdatePart(void* context, int part, int parts)
    {
        ref var a = ref *(UpdateArgs*)context;
        while (WorkerPool.TryClaim(ref a.Next, a.Length, 8192, out var start, out var end))
        {
            for (var k = 0; k < a.SegmentCount; k++)
            {
                var s = a.Segments[k];
                int from = Math.Max(start, s.Offset), to = Math.Min(end, s.Offset + s.Length);
                if (from >= to)
                {
                    continue;
                }
                var n = to - from;
                UpdateSegment(new Span<float>(a.Theta + from, n), new ReadOnlySpan<float>(a.G + from, n),
                    new Span<float>(a.B + from, n), a.Momentum, a.LearningRate, a.Decay, s.Decay && a.HasDecay);
            }
        }
    }

    private static void UpdateSegment(Span<float> theta, ReadOnlySpan<float> g, Span<float> b, float momentum, float lr, float decay, bool applyDecay)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && theta.Length >= Vector<float>.Count)
        {
            var mu = new Vector<float>(momentum);
            var rate = new Vector<float>(lr);
            var dec = new Vector<float>(decay);
            for (; i <= theta.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var bi = mu * new Vector<float>(b[i..]) + new Vector<float>(g[i..]);
                var ti = new Vector<float>(theta[i..]);
                if (applyDecay)
                {
                    ti *= dec;
                }
                ti -= rate * bi;
                bi.CopyTo(b[i..]);
                ti.CopyTo(theta[i..]);
            }
        }
        for (; i < theta.Length; i++)
        {
            var bi = momentum * b[i] + g[i];
            var ti = theta[i];
            if (applyDecay)
            {
                ti *= decay;
            }
            ti -= lr * bi;
            b[i] = bi;
            theta[i] = ti;
        }
    }
}
