using ScaleLab.Engine.Kernels;
using ScaleLab.Engine.Parallelism;

namespace ScaleLab.Engine;

// B = batch, T = sequence, C = channels, V = vocab, NH = heads.
public sealed unsafe partial class Gpt
{
    /// <summary>Adds d(mean loss of the last <see cref="Forward"/>)/dθ into <see cref="Gradients"/>. Accumulating
    /// over micro-batches is Forward/Backward repeatedly, then scaling the gradients by 1/(number of micro-batches).
    /// The cross-entropy entry of <see cref="Backward(ReadOnlySpan{float})"/>: it forms dlogits = (probs − onehot)/(B·T)
    /// and runs the same pass, so the two give the same bits for the same dlogits.</summary>
    public void Backward()
    {
        CheckBackward();
        if (!_hasTargets) throw new InvalidOperationException("the last Forward had no targets; there is no loss to differentiate");
        int BT = _batch * _seqLen, V = Config.Vocab;
        // loss = mean_bt losses[bt] → dlosses = 1/(B·T); dlogits (B,T,V) += (probs − onehot)·dlosses
        S(_dlosses, BT).Fill(1f / BT);
        Clear(_dlogits, (long)BT * V);
        CrossEntropy.Backward(S(_probs, BT * V), _targets.AsSpan(0, BT), S(_dlosses, BT), BT, V, S(_dlogits, BT * V), _pool);
        BackwardFromLogits(S(_dlogits, BT * V));
    }

    /// <summary>Adds dL/dθ into <see cref="Gradients"/> for any scalar objective L of the logits of the last
    /// <see cref="Forward"/> (with or without targets), given <paramref name="dlogits"/> = dL/dlogits (B,T,V) for that
    /// forward's B and T. A distillation loss, a KL penalty or a reweighted cross-entropy plugs in here: for a mean over
    /// the B·T positions, divide each position's gradient by B·T as <see cref="Backward()"/> does.</summary>
    public void Backward(ReadOnlySpan<float> dlogits)
    {
        CheckBackward();
        var n = (long)_batch * _seqLen * Config.Vocab;
        if (dlogits.Length != n) throw new ArgumentException($"dlogits hold {dlogits.Length} values, expected B·T·V = {_batch}·{_seqLen}·{Config.Vocab} = {n}");
        BackwardFromLogits(dlogits);
    }

    private void CheckBackward()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!IsTrainable) throw new InvalidOperationException("this model was built for inference and has no gradients; train with new Gpt(config, maxBatch) or a Trainer");
        if (_batch == 0) throw new InvalidOperationException("call Forward before Backward");
        if (_spliced) throw new InvalidOperationException("the last pass was ForwardFrom a replaced activation, whose caches upstream of the site belong to the clean pass; call Forward before Backward");
    }

    /// <remarks>Activation gradients use a handful of scratch buffers reused by every block rather than one per
    /// activation: dres (B,T,C) holds d loss/d residual stream. A residual connection passes its gradient unchanged
    /// to both branches, so dres serves directly as d(projection output) and then collects the LayerNorm branch.
    /// Every backward kernel adds into its outputs (<see cref="BackwardContract"/>), so each scratch buffer is cleared
    /// right before the kernel that fills it.</remarks>
    private void BackwardFromLogits(ReadOnlySpan<float> dlogits)
    {
        int B = _batch, T = _seqLen, C = Config.DModel, V = Config.Vocab, NH = Config.Heads, BT = B * T;
        var p = Parameters.AsSpan();
        var g = Gradients.AsSpan();
        var pool = _pool;

        // logits = lnf·wteᵀ → dlnf (B,T,C) = dlogits·wte, dwte += dlogitsᵀ·lnf.
        Clear(_dbtc, BT * C);
        Matmul.Backward(dlogits, S(_lnf, BT * C), p.Slice(_layout.Wte, V * C), BT, C, V,
            S(_dbtc, BT * C), g.Slice(_layout.Wte, V * C), [], pool);
        var last = Config.Layers > 0 ? _layers[^1].Residual3 : _encoded;
        Clear(_dres, BT * C);
        LayerNorm.Backward(S(_dbtc, BT * C), S(last, BT * C), p.Slice(_layout.LnfW, C), S(_lnfMean, BT), S(_lnfRstd, BT), BT, C,
            S(_dres, BT * C), g.Slice(_layout.LnfW, C), g.Slice(_layout.LnfB, C), pool);

        for (var l = Config.Layers - 1; l >= 0; l--)
        {
            var o = _layout.Layers[l];
            var x = _layers[l];
            var residual = l == 0 ? _encoded : _layers[l - 1].Residual3;
            // residual3 = residual2 + fcproj(fchGelu): dres is d residual3 = d fcproj, and keeps accumulating d residual2.
            Clear(_dfchGelu, 4L * BT * C);
            Matmul.Backward(S(_dres, BT * C), S(x.FchGelu, 4 * BT * C), p.Slice(o.FcProjW, 4 * C * C), BT, 4 * C, C,
                S(_dfchGelu, 4 * BT * C), g.Slice(o.FcProjW, 4 * C * C), g.Slice(o.FcProjB, C), pool);
            Clear(_dfch, 4L * BT * C);
            Gelu.Backward(S(_dfchGelu, 4 * BT * C), S(x.Fch, 4 * BT * C), 4 * BT * C, S(_dfch, 4 * BT * C), pool);
            Clear(_dbtc, BT * C);
            Matmul.Backward(S(_dfch, 4 * BT * C), S(x.Ln2, BT * C), p.Slice(o.FcW, 4 * C * C), BT, C, 4 * C,
                S(_dbtc, BT * C), g.Slice(o.FcW, 4 * C * C), g.Slice(o.FcB, 4 * C), pool);
            LayerNorm.Backward(S(_dbtc, BT * C), S(x.Residual2, BT * C), p.Slice(o.Ln2W, C), S(x.Ln2Mean, BT), S(x.Ln2Rstd, BT), BT, C,
                S(_dres, BT * C), g.Slice(o.Ln2W, C), g.Slice(o.Ln2B, C), pool);
            // residual2 = residual + attproj(atty): dres is now d residual2 = d attproj, and keeps accumulating d residual.
            Clear(_dbtc, BT * C);
            Matmul.Backward(S(_dres, BT * C), S(x.Atty, BT * C), p.Slice(o.AttProjW, C * C), BT, C, C,
                S(_dbtc, BT * C), g.Slice(o.AttProjW, C * C), g.Slice(o.AttProjB, C), pool);
            Clear(_dqkv, 3L * BT * C);
            Attention.Backward(S(_dbtc, BT * C), S(x.Qkv, 3 * BT * C), S(x.Att, (long)B * NH * T * T), B, T, C, NH,
                S(_dqkv, 3 * BT * C), pool);
            Clear(_dbtc, BT * C);
            Matmul.Backward(S(_dqkv, 3 * BT * C), S(x.Ln1, BT * C), p.Slice(o.QkvW, 3 * C * C), BT, C, 3 * C,
                S(_dbtc, BT * C), g.Slice(o.QkvW, 3 * C * C), g.Slice(o.QkvB, 3 * C), pool);
            LayerNorm.Backward(S(_dbtc, BT * C), S(residual, BT * C), p.Slice(o.Ln1W, C), S(x.Ln1Mean, BT), S(x.Ln1Rstd, BT), BT, C,
                S(_dres, BT * C), g.Slice(o.Ln1W, C), g.Slice(o.Ln1B, C), pool);
        }
        Encoder.Backward(S(_dres, BT * C), _inputs.AsSpan(0, BT), B, T, C, g.Slice(_layout.Wte, V * C), g.Slice(_layout.Wpe, Config.SeqLen * C), pool);
    }

    /// <summary>Zeroes n floats at p, split across the pool's threads.</summary>
    private void Clear(float* p, long n)
    {
        var args = new ClearArgs { Data = p, Length = checked((int)n) };
        WorkerPool.Run(_pool, &ClearPart, &args);
    }
}
