using ScaleLab.Engine;

namespace ScaleLab.Games.Agent;

/// <summary>
/// The policy/value network in float on the engine's SGEMM (<see cref="HexNetShape"/> for the layers): a batch of
/// positions goes through each layer as one GEMM, so the leaves of many parallel games cost one call per layer.
/// Parameters live in one buffer (<see cref="Parameters"/>) so Adam is one loop; work buffers grow to the largest
/// batch seen. Not thread-safe: one network object per thread (they may share a parameter array read-only).
/// </summary>
public sealed class HexNet
{
    private float[] _hidden = [], _act = [], _logits = [], _values = [], _dtop = [], _dscratch = [];
    private int _capacity;

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
    /// (canonical cells, <see cref="HexEncoding"/>), and values (B), the mover's expected result.</summary>
    public void Evaluate(ReadOnlySpan<float> inputs, int batch, Span<float> priors, Span<float> values)
    {
        Forward(inputs, batch);
        var cells = Shape.Cells;
        for (var b = 0; b < batch; b++)
        {
            var row = _logits.AsSpan(b * cells, cells);
            HexNetMath<float, FastLinear>.MaskedSoftmax(row, inputs.Slice(b * Shape.Inputs, Shape.Inputs), cells);
        }
        _logits.AsSpan(0, batch * cells).CopyTo(priors);
        _values.AsSpan(0, batch).CopyTo(values);
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
}
