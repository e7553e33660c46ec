using System.Numerics;
using ScaleLab.Engine.Parallelism;

namespace ScaleLab.Engine.Training;

/// <summary>AdamW hyper-parameters (Loshchilov &amp; Hutter 2019); defaults are the usual GPT ones.</summary>
public sealed record AdamWOptions(double Beta1 = 0.9, double Beta2 = 0.95, double Epsilon = 1e-8, double WeightDecay = 0.1)
{
    public void Validate()
    {
        if (Beta1 is < 0 or >= 1 || Beta2 is < 0 or >= 1 || !(Epsilon > 0) || !(WeightDecay >= 0))
        {
            throw new ArgumentException($"AdamW needs 0 ≤ β1, β2 < 1, ε > 0 and weight decay ≥ 0 (got β1={Beta1}, β2={Beta2}, ε={Epsilon}, wd={WeightDecay})");
        }
    }
}

/// <summary>A contiguous run of the flat parameter buffer and whether weight decay applies to it.</summary>
public readonly record struct ParameterSegment(int Offset, int Length, bool Decay)
{
    /// <summary>The segments sorted by offset, checked to tile [0, parameterCount) without gaps or overlaps (the
    /// optimizers' one check of a layout).</summary>
    public static ParameterSegment[] Tiling(int parameterCount, IReadOnlyList<ParameterSegment> segments)
    {
        ParameterSegment[] sorted = [.. segments.OrderBy(s => s.Offset)];
        var next = 0;
        foreach (var s in sorted)
        {
            if (s.Offset != next || s.Length < 0)
            {
                throw new ArgumentException($"parameter segments must tile [0, {parameterCount}) without gaps or overlaps; found one at offset {s.Offset}, expected {next}");
            }
            next += s.Length;
        }
        if (next != parameterCount)
        {
            throw new ArgumentException($"parameter segments cover {next} values, the buffer has {parameterCount}");
        }
        return sorted;
    }
}

/// <summary>
/// AdamW over one flat parameter buffer and the gradient buffer with the same layout. For every element,
/// at update t = 1, 2, … (Loshchilov &amp; Hutter 2019, Algorithm 2; the order of operations is PyTorch's
/// torch.optim.AdamW so the two agree to rounding):
///   m ← β1·m + (1−β1)·g,   v ← β2·v + (1−β2)·g²
///   θ ← θ·(1 − lr·wd)                            decoupled weight decay, ONLY on segments with Decay
///                                               (matrices; biases, LayerNorm gains and offsets are not decayed)
///   θ ← θ − (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + ε)     = θ − lr·m̂/(√v̂ + ε) with bias-corrected m̂, v̂
/// Arithmetic is float per element; the vector and scalar paths do the same IEEE operations in the same
/// order, so results do not depend on the vector width — nor on the thread count, since every element is
/// updated on its own.
/// </summary>
public sealed unsafe class AdamW : IOptimizer
{
    private readonly ParameterSegment[] _segments;

    public AdamW(int parameterCount, IReadOnlyList<ParameterSegment> segments, AdamWOptions? options = null)
    {
        Options = options ?? new AdamWOptions();
        Options.Validate();
        _segments = ParameterSegment.Tiling(parameterCount, segments);
        M = new float[parameterCount];
        V = new float[parameterCount];
    }

    public AdamWOptions Options { get; }

    /// <summary>First moment m, same layout as the parameters.</summary>
    public float[] M { get; }

    /// <summary>Second moment v, same layout as the parameters.</summary>
    public float[] V { get; }

    /// <summary>Number of updates taken (t of the last update).</summary>
    public long Step { get; private set; }

    public IReadOnlyList<ParameterSegment> Segments => _segments;

    /// <summary>One AdamW update of <paramref name="parameters"/> with <paramref name="gradients"/> at learning rate
    /// <paramref name="learningRate"/>, split over <paramref name="pool"/>'s threads when one is given.</summary>
    public void Update(Span<float> parameters, ReadOnlySpan<float> gradients, double learningRate, WorkerPool? pool = null)
    {
        if (parameters.Length != M.Length || gradients.Length != M.Length)
        {
            throw new ArgumentException($"AdamW holds {M.Length} parameters; got {parameters.Length} parameters and {gradients.Length} gradients");
        }
        Step++;
        var o = Options;
        var bc1 = 1 - Math.Pow(o.Beta1, Step);
        var bc2 = 1 - Math.Pow(o.Beta2, Step);
        var c = new Coefficients(
            (float)o.Beta1, (float)(1 - o.Beta1), (float)o.Beta2, (float)(1 - o.Beta2),
            (float)(learningRate / bc1), (float)Math.Sqrt(bc2), (float)o.Epsilon);
        var decay = (float)(1 - learningRate * o.WeightDecay);
        fixed (float* pTheta = parameters, pG = gradients, pM = M, pV = V)
        fixed (ParameterSegment* pSegments = _segments)
        {
            var args = new UpdateArgs
            {
                Theta = pTheta, G = pG, M = pM, V = pV, Segments = pSegments, SegmentCount = _segments.Length,
                Length = M.Length, C = c, Decay = decay,
            };
            WorkerPool.Run(pool, &UpdatePart, &args);
        }
    }

    private struct UpdateArgs
    {
        public float* Theta, G, M, V;
        public ParameterSegment* Segments;
        public int SegmentCount, Length;
        public Coefficients C;
        public float Decay;
        public int Next;   // next chunk to claim
    }

    /// <summary>Updates this thread's share of the flat buffer, segment by segment (decay differs between them).</summary>
    private static void UpdatePart(void* context, int part, int parts)
    {
        ref var a = ref *(UpdateArgs*)context;
        // Chunks are claimed one at a time, so a thread slowed by other work on its core does fewer;
        // every item is computed the same way by whichever thread takes it.
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
                    new Span<float>(a.M + from, n), new Span<float>(a.V + from, n), a.C, s.Decay ? a.Decay : 1f, s.Decay);
            }
        }
    }

    /// <summary>Puts the optimizer back where a checkpoint left it.</summary>
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

    private readonly record struct Coefficients(float Beta1, float OneMinusBeta1, float Beta2, float OneMinusBeta2, float StepSize, float SqrtBc2, float Epsilon);

    private static void UpdateSegment(Span<float> theta, ReadOnlySpan<float> g, Span<float> m, Span<float> v, Coefficients c, float decay, bool applyDecay)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && theta.Length >= Vector<float>.Count)
        {
            var b1 = new Vector<float>(c.Beta1);
            var nb1 = new Vector<float>(c.OneMinusBeta1);
            var b2 = new Vector<float>(c.Beta2);
            var nb2 = new Vector<float>(c.OneMinusBeta2);
            var step = new Vector<float>(c.StepSize);
            var sqrtBc2 = new Vector<float>(c.SqrtBc2);
            var eps = new Vector<float>(c.Epsilon);
            var dec = new Vector<float>(decay);
            for (; i <= theta.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var gi = new Vector<float>(g[i..]);
                var mi = b1 * new Vector<float>(m[i..]) + nb1 * gi;
                var vi = b2 * new Vector<float>(v[i..]) + nb2 * (gi * gi);
                var ti = new Vector<float>(theta[i..]);
                if (applyDecay)
                {
                    ti *= dec;
                }
                ti -= step * (mi / (Vector.SquareRoot(vi) / sqrtBc2 + eps));
                mi.CopyTo(m[i..]);
                vi.CopyTo(v[i..]);
                ti.CopyTo(theta[i..]);
            }
        }
        for (; i < theta.Length; i++)
        {
            var gi = g[i];
            var mi = c.Beta1 * m[i] + c.OneMinusBeta1 * gi;
            var vi = c.Beta2 * v[i] + c.OneMinusBeta2 * (gi * gi);
            var ti = theta[i];
            if (applyDecay)
            {
                ti *= decay;
            }
            ti -= c.StepSize * (mi / (MathF.Sqrt(vi) / c.SqrtBc2 + c.Epsilon));
            m[i] = mi;
            v[i] = vi;
            theta[i] = ti;
        }
    }
}
