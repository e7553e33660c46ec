using System.Numerics;
using ScaleLab.Engine.Kernels;

namespace ScaleLab.Games.Agent;

/// <summary>A fully connected layer's forward and backward (the engine's <see cref="Matmul"/> contract: out = inp·Wᵀ + b,
/// backward adds into dinp, dweight, dbias).</summary>
internal interface ILinear<T> where T : IFloatingPointIeee754<T>
{
    static abstract void Forward(ReadOnlySpan<T> inp, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, int n, int c, int oc, Span<T> output);

    static abstract void Backward(ReadOnlySpan<T> dout, ReadOnlySpan<T> inp, ReadOnlySpan<T> weight, int n, int c, int oc,
        Span<T> dinp, Span<T> dweight, Span<T> dbias);
}

/// <summary>The engine's blocked SGEMM path (the speed).</summary>
internal readonly struct FastLinear : ILinear<float>
{
    public static void Forward(ReadOnlySpan<float> inp, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int n, int c, int oc, Span<float> output) =>
        Matmul.Forward(inp, weight, bias, n, c, oc, output);

    public static void Backward(ReadOnlySpan<float> dout, ReadOnlySpan<float> inp, ReadOnlySpan<float> weight, int n, int c, int oc,
        Span<float> dinp, Span<float> dweight, Span<float> dbias) =>
        Matmul.Backward(dout, inp, weight, n, c, oc, dinp, dweight, dbias);
}

/// <summary>The engine's reference loops, generic so gradient checks run in double.</summary>
internal readonly struct ReferenceLinear<T> : ILinear<T> where T : IFloatingPointIeee754<T>
{
    public static void Forward(ReadOnlySpan<T> inp, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, int n, int c, int oc, Span<T> output) =>
        Matmul.ForwardReference(inp, weight, bias, n, c, oc, output);

    public static void Backward(ReadOnlySpan<T> dout, ReadOnlySpan<T> inp, ReadOnlySpan<T> weight, int n, int c, int oc,
        Span<T> dinp, Span<T> dweight, Span<T> dbias) =>
        Matmul.BackwardReference(dout, inp, weight, n, c, oc, dinp, dweight, dbias);
}

/// <summary>
/// The network's forward and backward over a batch, once, generic over the number type and the layer kernel, so
/// the float network on the SGEMM and the double reference share every line but the matmul.
/// Shapes: B = batch, I = 2n², W = width, P = n² (policy cells). Activations are cached for backward:
/// h[0..depth] (B, W) each (h₀ the stem's relu output), a[1..depth] (B, W) each (the blocks' relu outputs).
/// </summary>
internal static class HexNetMath<T, TLinear> where T : IFloatingPointIeee754<T> where TLinear : ILinear<T>
{
    /// <summary>Forward: inputs (B, I) → logits (B, P) (illegal cells set to −∞ is the caller's job through the mask),
    /// values (B) = tanh(...). hidden: (depth+1)·B·W, act: depth·B·W.</summary>
    public static void Forward(HexNetShape s, ReadOnlySpan<T> p, ReadOnlySpan<T> inputs, int batch,
        Span<T> hidden, Span<T> act, Span<T> logits, Span<T> values)
    {
        int w = s.Width, bw = batch * w;
        var h0 = hidden[..bw];
        TLinear.Forward(inputs[..(batch * s.Inputs)], p.Slice(s.StemOffset, w * s.Inputs), p.Slice(s.StemOffset + w * s.Inputs, w), batch, s.Inputs, w, h0);
        Relu(h0);
        for (var l = 0; l < s.Depth; l++)
        {
            var o = s.BlockOffset(l);
            var hl = hidden.Slice(l * bw, bw);
            var a = act.Slice(l * bw, bw);
            TLinear.Forward(hl, p.Slice(o, w * w), p.Slice(o + w * w, w), batch, w, w, a);
            Relu(a);
            var next = hidden.Slice((l + 1) * bw, bw);
            for (var i = 0; i < bw; i++) next[i] = hl[i] + a[i];
        }
        var top = hidden.Slice(s.Depth * bw, bw);
        TLinear.Forward(top, p.Slice(s.PolicyOffset, s.Cells * w), p.Slice(s.PolicyOffset + s.Cells * w, s.Cells), batch, w, s.Cells, logits[..(batch * s.Cells)]);
        TLinear.Forward(top, p.Slice(s.ValueOffset, w), p.Slice(s.ValueOffset + w, 1), batch, w, 1, values[..batch]);
        for (var b = 0; b < batch; b++) values[b] = T.Tanh(values[b]);
    }

    /// <summary>
    /// Loss and gradient for a batch (after <see cref="Forward"/> on the same inputs). Per sample, with the policy a
    /// softmax over the empty cells (mask from the inputs: a cell is empty when both planes are 0):
    /// ℓ = −Σ_a π(a)·log p(a) + (z − v)², the AlphaZero loss (Silver et al. 2017) without the L2 term (the
    /// optimizer's weight decay plays that part). The batch loss is the mean; grad (parameter layout) is ADDED to.
    /// Returns (policy cross-entropy, value squared error), both batch means. logits is overwritten with p.
    /// </summary>
    public static (T Policy, T Value) Backward(HexNetShape s, ReadOnlySpan<T> p, ReadOnlySpan<T> inputs, int batch,
        ReadOnlySpan<T> policyTargets, ReadOnlySpan<T> valueTargets,
        Span<T> hidden, Span<T> act, Span<T> logits, Span<T> values, Span<T> grad, Span<T> dtop, Span<T> dscratch)
    {
        int w = s.Width, bw = batch * w, cells = s.Cells;
        var invB = T.One / T.CreateChecked(batch);
        T policyLoss = T.Zero, valueLoss = T.Zero;
        var dlogits = logits[..(batch * cells)];
        Span<T> dvalue = values[..batch];
        for (var b = 0; b < batch; b++)
        {
            var row = dlogits.Slice(b * cells, cells);
            var x = inputs.Slice(b * s.Inputs, s.Inputs);
            MaskedSoftmax(row, x, cells);
            for (var a = 0; a < cells; a++)
            {
                var t = policyTargets[b * cells + a];
                if (t > T.Zero) policyLoss -= t * T.Log(row[a]);
                // d(−Σ π log softmax)/dlogit = p − π (the targets sum to 1); masked cells have p = π = 0.
                row[a] = (row[a] - t) * invB;
            }
            var v = values[b];
            var err = v - valueTargets[b];
            valueLoss += err * err;
            // v = tanh(u): d(z − v)²/du = 2(v − z)(1 − v²).
            dvalue[b] = T.CreateChecked(2) * err * (T.One - v * v) * invB;
        }
        var top = hidden.Slice(s.Depth * bw, bw);
        var dh = dtop[..bw];
        dh.Clear();
        TLinear.Backward(dlogits, top, p.Slice(s.PolicyOffset, cells * w), batch, w, cells,
            dh, grad.Slice(s.PolicyOffset, cells * w), grad.Slice(s.PolicyOffset + cells * w, cells));
        TLinear.Backward(dvalue, top, p.Slice(s.ValueOffset, w), batch, w, 1,
            dh, grad.Slice(s.ValueOffset, w), grad.Slice(s.ValueOffset + w, 1));
        var da = dscratch[..bw];
        for (var l = s.Depth - 1; l >= 0; l--)
        {
            // h_{l+1} = h_l + a_l: dh_l = dh_{l+1} + (dh_{l+1} through a_l = relu(h_l·Wᵀ + b)).
            var a = act.Slice(l * bw, bw);
            for (var i = 0; i < bw; i++) da[i] = a[i] > T.Zero ? dh[i] : T.Zero;
            var o = s.BlockOffset(l);
            TLinear.Backward(da, hidden.Slice(l * bw, bw), p.Slice(o, w * w), batch, w, w, dh, grad.Slice(o, w * w), grad.Slice(o + w * w, w));
        }
        var h0 = hidden[..bw];
        for (var i = 0; i < bw; i++) da[i] = h0[i] > T.Zero ? dh[i] : T.Zero;
        // The stem's input gradient is not needed; dscratch's tail is a throwaway destination for it.
        var dx = dscratch.Slice(bw, batch * s.Inputs);
        TLinear.Backward(da, inputs[..(batch * s.Inputs)], p.Slice(s.StemOffset, w * s.Inputs), batch, s.Inputs, w,
            dx, grad.Slice(s.StemOffset, w * s.Inputs), grad.Slice(s.StemOffset + w * s.Inputs, w));
        return (policyLoss * invB, valueLoss * invB);
    }

    /// <summary>In place: softmax over the empty cells of one position (logits of occupied cells become 0).</summary>
    public static void MaskedSoftmax(Span<T> row, ReadOnlySpan<T> input, int cells)
    {
        var max = T.NegativeInfinity;
        for (var a = 0; a < cells; a++)
        {
            if (IsEmpty(input, a, cells) && row[a] > max) max = row[a];
        }
        var sum = T.Zero;
        for (var a = 0; a < cells; a++)
        {
            if (IsEmpty(input, a, cells))
            {
                row[a] = T.Exp(row[a] - max);
                sum += row[a];
            }
            else
            {
                row[a] = T.Zero;
            }
        }
        if (sum > T.Zero)
        {
            for (var a = 0; a < cells; a++) row[a] /= sum;
        }
    }

    private static bool IsEmpty(ReadOnlySpan<T> input, int a, int cells) => input[a] == T.Zero && input[cells + a] == T.Zero;

    private static void Relu(Span<T> x)
    {
        for (var i = 0; i < x.Length; i++)
        {
            if (!(x[i] > T.Zero)) x[i] = T.Zero;
        }
    }

    public static int ScratchSize(HexNetShape s, int batch) => batch * s.Width + batch * s.Inputs;
}
