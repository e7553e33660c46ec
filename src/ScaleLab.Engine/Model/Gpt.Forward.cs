using ScaleLab.Engine.Kernels;

namespace ScaleLab.Engine;

// B = batch, T = sequence, C = channels, V = vocab, NH = heads.
public sealed unsafe partial class Gpt
{
    /// <summary>Runs the model on <paramref name="inputs"/> (B,T) token ids. With <paramref name="targets"/> (B,T)
    /// returns the mean cross-entropy in nats over the B·T positions; with targets empty computes only the
    /// logits and returns NaN. <paramref name="seqLen"/> may be shorter than <see cref="MaxSeqLen"/>.</summary>
    public float Forward(ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, int batch, int seqLen)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckBatch(inputs, targets, batch, seqLen);
        int B = batch, T = seqLen, C = Config.DModel, V = Config.Vocab, BT = B * T;
        inputs.CopyTo(_inputs);
        targets.CopyTo(_targets);
        _batch = B;
        _seqLen = T;
        _hasTargets = !targets.IsEmpty;
        _spliced = false;
        var p = Parameters.AsSpan();

        // encoded (B,T,C) = wte[inputs] + wpe[t]
        Encoder.Forward(_inputs.AsSpan(0, BT), p.Slice(_layout.Wte, V * C), p.Slice(_layout.Wpe, Config.SeqLen * C), B, T, C,
            S(_encoded, BT * C), _pool);
        return ForwardBlocks(0, fromMlpHidden: false);
    }

    /// <summary>Blocks <paramref name="first"/>..L−1 on the residual stream before block <paramref name="first"/> (or, with
    /// <paramref name="fromMlpHidden"/>, from block <paramref name="first"/>'s MLP hidden fchGelu and its residual2), then
    /// the head; returns the loss as <see cref="Forward"/> does.</summary>
    private float ForwardBlocks(int first, bool fromMlpHidden)
    {
        int B = _batch, T = _seqLen, C = Config.DModel, V = Config.Vocab, NH = Config.Heads, BT = B * T;
        var p = Parameters.AsSpan();
        var pool = _pool;
        var residual = first == 0 ? _encoded : _layers[first - 1].Residual3;
        for (var l = first; l < Config.Layers; l++)
        {
            var o = _layout.Layers[l];
            var x = _layers[l];
            if (!(fromMlpHidden && l == first))
            {
                LayerNorm.Forward(S(residual, BT * C), p.Slice(o.Ln1W, C), p.Slice(o.Ln1B, C), BT, C,
                    S(x.Ln1, BT * C), S(x.Ln1Mean, BT), S(x.Ln1Rstd, BT), pool);
                Matmul.Forward(S(x.Ln1, BT * C), p.Slice(o.QkvW, 3 * C * C), p.Slice(o.QkvB, 3 * C), BT, C, 3 * C, S(x.Qkv, 3 * BT * C), pool);
                Attention.Forward(S(x.Qkv, 3 * BT * C), B, T, C, NH, S(x.Atty, BT * C), S(x.Att, (long)B * NH * T * T), pool);
                // proj (B,T,C) is scratch: the residual add consumes it and backward never needs it.
                Matmul.Forward(S(x.Atty, BT * C), p.Slice(o.AttProjW, C * C), p.Slice(o.AttProjB, C), BT, C, C, S(_proj, BT * C), pool);
                Residual.Forward(S(residual, BT * C), S(_proj, BT * C), BT * C, S(x.Residual2, BT * C), pool);
                LayerNorm.Forward(S(x.Residual2, BT * C), p.Slice(o.Ln2W, C), p.Slice(o.Ln2B, C), BT, C,
                    S(x.Ln2, BT * C), S(x.Ln2Mean, BT), S(x.Ln2Rstd, BT), pool);
                Matmul.Forward(S(x.Ln2, BT * C), p.Slice(o.FcW, 4 * C * C), p.Slice(o.FcB, 4 * C), BT, C, 4 * C, S(x.Fch, 4 * BT * C), pool);
                Gelu.Forward(S(x.Fch, 4 * BT * C), 4 * BT * C, S(x.FchGelu, 4 * BT * C), pool);
            }
            Matmul.Forward(S(x.FchGelu, 4 * BT * C), p.Slice(o.FcProjW, 4 * C * C), p.Slice(o.FcProjB, C), BT, 4 * C, C, S(_proj, BT * C), pool);
            Residual.Forward(S(x.Residual2, BT * C), S(_proj, BT * C), BT * C, S(x.Residual3, BT * C), pool);
            residual = x.Residual3;
        }
        LayerNorm.Forward(S(residual, BT * C), p.Slice(_layout.LnfW, C), p.Slice(_layout.LnfB, C), BT, C,
            S(_lnf, BT * C), S(_lnfMean, BT), S(_lnfRstd, BT), pool);
        // logits (B,T,V) = lnf · wteᵀ (tied output embedding, no bias)
        Matmul.Forward(S(_lnf, BT * C), p.Slice(_layout.Wte, V * C), [], BT, C, V, S(_logits, BT * V), pool);
        if (!_hasTargets)
        {
            return float.NaN;
        }
        CrossEntropy.Forward(S(_logits, BT * V), _targets.AsSpan(0, BT), BT, V, S(_probs, BT * V), S(_losses, BT), pool);
        // Mean over positions, summed in position order in double so the loss does not depend on the thread count.
        var sum = 0.0;
        for (var i = 0; i < BT; i++) sum += _losses[i];
        return (float)(sum / BT);
    }

    private void CheckBatch(ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, int batch, int seqLen)
    {
        if (batch < 1 || batch > MaxBatch) throw new ArgumentException($"batch must be in 1..{MaxBatch}, got {batch}");
        if (seqLen < 1 || seqLen > MaxSeqLen) throw new ArgumentException($"sequence length must be in 1..{MaxSeqLen}, got {seqLen}");
        var n = batch * seqLen;
        if (inputs.Length != n) throw new ArgumentException($"inputs hold {inputs.Length} tokens, expected batch·seqLen = {n}");
        var V = Config.Vocab;
        for (var i = 0; i < n; i++)
        {
            if ((uint)inputs[i] >= (uint)V) throw new ArgumentException($"input token {inputs[i]} at position {i} is outside the vocabulary 0..{V - 1}");
        }
        CheckTargets(targets, n);
    }

    private void CheckTargets(ReadOnlySpan<int> targets, int n)
    {
        if (!targets.IsEmpty && targets.Length != n) throw new ArgumentException($"targets hold {targets.Length} tokens, expected batch·seqLen = {n} or none");
        var V = Config.Vocab;
        for (var i = 0; i < targets.Length; i++)
        {
            if ((uint)targets[i] >= (uint)V) throw new ArgumentException($"target token {targets[i]} at position {i} is outside the vocabulary 0..{V - 1}");
        }
    }
}
