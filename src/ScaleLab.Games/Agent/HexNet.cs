using ScaleLab.Engine;
using System.Runtime.Intrinsics;
using ScaleLab.Engine.Kernels;

namespace ScaleLab.Games.Agent;

/// <summary>
/// The policy/value network in float (<see cref="HexNetShape"/> for the layers): a batch of positions goes through
/// each layer as one GEMM, so the leaves of many parallel games cost one call per layer. Inference runs on the
/// engine's feature-major kernel with the activations fused (<see cref="Evaluate"/>), training on its SGEMM.
/// Parameters live in one buffer (<see cref="Parameters"/>) so Adam is one loop; work buffers grow to the largest
/// batch seen. Not thread-safe: one network object per thread (they may share a parameter array read-only).
/// </summary>
public sealed class HexNet
{
    private float[] _hidden = [], _act = [], _logits = [], _values = [], _dtop = [], _dscratch = [];
    private float[] _colsA = [], _colsB = [], _logitsT = [];
    private int _capacity, _columns;

    public HexNet(HexNetShape shape, float[] parameters)
    {
        shape.Validate();
        if (parameters.Length != shape.ParameterCount)
        {
            throw new ArgumentException($"a {shape.BoardSize}x{shape.BoardSize} width-{shape.Width} depth-{shape.Depth} network has {shape.ParameterCount} parameters, got {parameters.Length}");
        }
        Shape = shape;
        Parameters = parameters;
    }

    public HexNetShape Shape { get; }

    public float[] Parameters { get; }

    /// <summary>
    /// Fresh weights from <paramref name="seed"/>: He-normal for the stem and the blocks (std √(2/fan_in)), the blocks'
    /// scaled by 1/√depth so the residual stream's variance stays O(1) with depth; the heads start at zero, so a new
    /// network plays uniformly over the legal moves with value 0.
    /// </summary>
    public static HexNet Create(HexNetShape shape, ulong seed)
    {
        shape.Validate();
        var p = new float[shape.ParameterCount];
        var rng = new Rng(seed);
        var w = shape.Width;
        var stemStd = Math.Sqrt(2.0 / shape.Inputs);
        for (var i = 0; i < w * shape.Inputs; i++) p[shape.StemOffset + i] = (float)(stemStd * rng.NextGaussian());
        var blockStd = Math.Sqrt(2.0 / w) / Math.Sqrt(Math.Max(1, shape.Depth));
        for (var l = 0; l < shape.Depth; l++)
        {
            var o = shape.BlockOffset(l);
            for (var i = 0; i < w * w; i++) p[o + i] = (float)(blockStd * rng.NextGaussian());
        }
        return new HexNet(shape, p);
    }

    /// <summary>Forward on a batch: inputs (B, 2n²) → priors (B, n²), a softmax over each position's empty cells
    /// (canonical cells, <see cref="HexEncoding"/>), and values (B), the mover's expected result. The layers run
    /// feature-major (<see cref="FeatureMajorLinear"/>: activations hᵀ (W, B), one column per position, so each weight
    /// is read in place and the bias, relu and residual are fused into the GEMM); the same function as
    /// <see cref="HexNetMath{T, TLinear}.Forward"/> (the training path), summed in another order.</summary>
    public void Evaluate(ReadOnlySpan<float> inputs, int batch, Span<float> priors, Span<float> values)
    {
        var s = Shape;
        int w = s.Width, cells = s.Cells, inp = s.Inputs, bw = batch * w;
        if (inputs.Length < batch * inp) throw new ArgumentException($"inputs hold {inputs.Length / inp} positions, batch is {batch}");
        if (priors.Length < batch * cells || values.Length < batch) throw new ArgumentException($"priors or values too short for a batch of {batch}");
        ReserveColumns(batch);
        ReadOnlySpan<float> p = Parameters;
        Span<float> h = _colsA.AsSpan(0, bw), next = _colsB.AsSpan(0, bw);
        // stem: h (W, B) = relu(W_s · xᵀ + b_s), x read batch-major (B, I) through strides.
        FeatureMajorLinear.Forward(inputs[..(batch * inp)], 1, inp, p.Slice(s.StemOffset, w * inp), p.Slice(s.StemOffset + w * inp, w),
            [], relu: true, batch, inp, w, h);
        for (var l = 0; l < s.Depth; l++)
        {
            // block: next = h + relu(W_l · h + b_l).
            var o = s.BlockOffset(l);
            FeatureMajorLinear.Forward(h, batch, 1, p.Slice(o, w * w), p.Slice(o + w * w, w), h, relu: true, batch, w, w, next);
            var done = h;
            h = next;
            next = done;
        }
        var logits = _logitsT.AsSpan(0, batch * cells);
        FeatureMajorLinear.Forward(h, batch, 1, p.Slice(s.PolicyOffset, cells * w), p.Slice(s.PolicyOffset + cells * w, cells),
            [], relu: false, batch, w, cells, logits);
        FeatureMajorLinear.Forward(h, batch, 1, p.Slice(s.ValueOffset, w), p.Slice(s.ValueOffset + w, 1), [], relu: false, batch, w, 1, values);
        for (var b = 0; b < batch; b++)
        {
            // logits (n², B) → priors (B, n²), then the masked softmax per position.
            var row = priors.Slice(b * cells, cells);
            for (var a = 0; a < cells; a++) row[a] = logits[a * batch + b];
            MaskedSoftmax(row, inputs.Slice(b * inp, inp), cells);
            values[b] = MathF.Tanh(values[b]);
        }
    }

    /// <summary><see cref="HexNetMath{T, TLinear}.MaskedSoftmax"/> in eight lanes (exp by <see cref="SimdMath.Exp"/>, within
    /// 2 ulp of MathF.Exp): in place, a softmax over the cells empty in both input planes, 0 on the others.</summary>
    private static void MaskedSoftmax(Span<float> row, ReadOnlySpan<float> input, int cells)
    {
        if (!Vector256.IsHardwareAccelerated || cells < 8)
        {
            HexNetMath<float, FastLinear>.MaskedSoftmax(row, input, cells);
            return;
        }
        // The last vector overlaps the one before it when cells is not a multiple of 8 (every lane is recomputed alike).
        var last = cells - 8;
        var ninf = Vector256.Create(float.NegativeInfinity);
        var vmax = ninf;
        for (var a = 0; ; a = Math.Min(a + 8, last))
        {
            var empty = Empty(input, a, cells);
            vmax = Vector256.Max(vmax, Vector256.ConditionalSelect(empty, Vector256.Create(row.Slice(a, 8)), ninf));
            if (a == last) break;
        }
        var max = Vector256.Create(Max(vmax));
        var e = row.Slice(0, cells);
        Span<float> exps = stackalloc float[cells];
        for (var a = 0; ; a = Math.Min(a + 8, last))
        {
            var empty = Empty(input, a, cells);
            Vector256.ConditionalSelect(empty, SimdMath.Exp(Vector256.Create(e.Slice(a, 8)) - max), Vector256<float>.Zero).CopyTo(exps.Slice(a, 8));
            if (a == last) break;
        }
        var sum = 0f;
        for (var a = 0; a < cells; a++) sum += exps[a];
        if (sum > 0f)
        {
            for (var a = 0; a < cells; a++) row[a] = exps[a] / sum;
        }
        else
        {
            row.Slice(0, cells).Clear();
        }
    }

    private static Vector256<float> Empty(ReadOnlySpan<float> input, int a, int cells) =>
        Vector256.Equals(Vector256.Create(input.Slice(a, 8)), Vector256<float>.Zero) & Vector256.Equals(Vector256.Create(input.Slice(cells + a, 8)), Vector256<float>.Zero);

    private static float Max(Vector256<float> v)
    {
        var m = Vector128.Max(v.GetLower(), v.GetUpper());
        m = Vector128.Max(m, Vector128.Shuffle(m, Vector128.Create(2, 3, 0, 1)));
        m = Vector128.Max(m, Vector128.Shuffle(m, Vector128.Create(1, 0, 3, 2)));
        return m.ToScalar();
    }

    /// <summary>The AlphaZero loss on a batch (<see cref="HexNetMath{T, TLinear}.Backward"/>); the gradient is
    /// ADDED into <paramref name="gradient"/> (parameter layout). Returns the batch means of the policy
    /// cross-entropy and the value squared error.</summary>
    public (double Policy, double Value) LossAndGradient(ReadOnlySpan<float> inputs, ReadOnlySpan<float> policyTargets,
        ReadOnlySpan<float> valueTargets, int batch, Span<float> gradient)
    {
        Forward(inputs, batch);
        var (policy, value) = HexNetMath<float, FastLinear>.Backward(Shape, Parameters, inputs, batch, policyTargets, valueTargets,
            _hidden, _act, _logits, _values, gradient, _dtop, _dscratch);
        return (policy, value);
    }

    private void Forward(ReadOnlySpan<float> inputs, int batch)
    {
        if (inputs.Length < batch * Shape.Inputs) throw new ArgumentException($"inputs hold {inputs.Length / Shape.Inputs} positions, batch is {batch}");
        Reserve(batch);
        HexNetMath<float, FastLinear>.Forward(Shape, Parameters, inputs, batch, _hidden, _act, _logits, _values);
    }

    private void Reserve(int batch)
    {
        if (batch <= _capacity) return;
        var s = Shape;
        _capacity = Math.Max(batch, _capacity * 2);
        var bw = _capacity * s.Width;
        _hidden = new float[(s.Depth + 1) * bw];
        _act = new float[Math.Max(1, s.Depth) * bw];
        _logits = new float[_capacity * s.Cells];
        _values = new float[_capacity];
        _dtop = new float[bw];
        _dscratch = new float[HexNetMath<float, FastLinear>.ScratchSize(s, _capacity)];
    }

    private void ReserveColumns(int batch)
    {
        if (batch <= _columns) return;
        _columns = Math.Max(batch, _columns * 2);
        _colsA = new float[_columns * Shape.Width];
        _colsB = new float[_columns * Shape.Width];
        _logitsT = new float[_columns * Shape.Cells];
    }
}
