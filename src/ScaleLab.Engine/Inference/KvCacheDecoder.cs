using System.Runtime.Intrinsics;
using ScaleLab.Engine.Kernels;

namespace ScaleLab.Engine;

/// <summary>
/// Incremental decoding with a key/value cache: <see cref="Step"/> feeds one token at the next position and
/// returns the logits (V) for the token after it, attending to the keys and values cached from earlier steps
/// instead of recomputing them. Equal to the logits of a full <see cref="Gpt.Forward"/> at that position up to
/// summation order. <see cref="Feed"/> takes k tokens in one pass (a speculative-sampling verify step) and
/// <see cref="Rollback"/> drops the last ones.
/// The decoder packs the model's matrix weights when it is built (<see cref="PackedLinear"/>: a copy about the model's
/// size, laid out so a verify pass of up to 17 rows reads each weight once and runs near the CPU's peak); it decodes with
/// the weights as they were then, so build a new decoder after changing <see cref="Gpt.Parameters"/>. The embeddings,
/// LayerNorms and a prompt longer than 17 tokens read the model's parameters. <see cref="Step"/> allocates nothing after
/// construction. With the model's <see cref="Gpt.Threads"/> above one, every packed product is split over its
/// output panels on the model's pool; each element is still summed in one order by one thread, so the logits are the
/// same bits at any thread count; so are a block's attention heads (each row and head claimed by one thread). A block of
/// k rows gives the same bits as k steps. The rest (LayerNorm, a step's attention) stays on the calling thread.
/// </summary>
/// <remarks>C = channels, V = vocab, NH = heads, hs = C/NH, Tmax = the model's SeqLen, L = layers.</remarks>
public sealed unsafe class KvCacheDecoder
{
    private readonly Gpt _model;
    private readonly GptLayout _layout;
    private readonly float[] _keys;    // (L, NH, hs, Tpad): each head's keys transposed, a position's C/NH values Tpad apart
    private readonly int _tpad;        // Tmax rounded up to a whole vector of 8 positions
    private readonly float[] _values;  // (L, Tmax, C)
    private readonly float[] _x;       // (C) residual stream
    private readonly float[] _h;       // (C) LayerNorm output
    private readonly float[] _qkv;     // (3C)
    private readonly float[] _y;       // (C) attention output, then projection outputs
    private readonly float[] _fc;      // (4C)
    private readonly float[] _fcGelu;  // (4C)
    private readonly float[] _scores;  // (Tpad)
    private readonly float[] _logits;  // (V)
    private readonly float[] _stats;   // (2) LayerNorm mean and rstd, unused here
    private readonly PackedLayer[] _packed;    // each layer's four products, packed for few rows
    private readonly PackedLinear _packedLogits;  // wte as the output layer (V,C)
    private FeedBuffers? _feed;        // for Feed, sized on first use

    /// <summary>The four matrix products of one layer, packed (<see cref="PackedLinear"/>).</summary>
    private sealed record PackedLayer(PackedLinear Qkv, PackedLinear AttProj, PackedLinear Fc, PackedLinear FcProj);

    /// <summary>A decoder of <paramref name="model"/>, its weights packed as they are now (see the type's summary).</summary>
    public KvCacheDecoder(Gpt model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _layout = model.ParameterLayout;
        var c = model.Config;
        int C = c.DModel;
        var p = model.Parameters.AsSpan();
        _packed = new PackedLayer[c.Layers];
        for (var l = 0; l < c.Layers; l++)
        {
            var o = _layout.Layers[l];
            _packed[l] = new PackedLayer(
                new PackedLinear(p.Slice(o.QkvW, 3 * C * C), p.Slice(o.QkvB, 3 * C), C, 3 * C),
                new PackedLinear(p.Slice(o.AttProjW, C * C), p.Slice(o.AttProjB, C), C, C),
                new PackedLinear(p.Slice(o.FcW, 4 * C * C), p.Slice(o.FcB, 4 * C), C, 4 * C),
                new PackedLinear(p.Slice(o.FcProjW, 4 * C * C), p.Slice(o.FcProjB, C), 4 * C, C));
        }
        _packedLogits = new PackedLinear(p.Slice(_layout.Wte, c.Vocab * C), [], C, c.Vocab);
        _tpad = (c.SeqLen + 7) & ~7;
        _keys = new float[c.Layers * _tpad * C];
        _values = new float[c.Layers * c.SeqLen * C];
        _x = new float[C];
        _h = new float[C];
        _qkv = new float[3 * C];
        _y = new float[C];
        _fc = new float[4 * C];
        _fcGelu = new float[4 * C];
        _scores = new float[_tpad];
        _logits = new float[c.Vocab];
        _stats = new float[2];
    }

    /// <summary>Position the next <see cref="Step"/> writes (the number of tokens fed since the last <see cref="Reset"/>).</summary>
    public int Position { get; private set; }

    /// <summary>Forgets the cached context; the next token goes to position 0.</summary>
    public void Reset() => Position = 0;

    /// <summary>Rolls the context back to its first <paramref name="position"/> tokens (0 ≤ position ≤ <see cref="Position"/>),
    /// as if the later ones had never been fed: a rejected speculative draft is dropped this way. The cache entries
    /// past it are simply overwritten by the next feed (a position's keys and values depend only on the tokens up to
    /// it), so this costs nothing.</summary>
    public void Rollback(int position)
    {
        if (position < 0 || position > Position) throw new ArgumentOutOfRangeException(nameof(position), position, $"can roll back only to a position in 0..{Position}");
        Position = position;
    }

    /// <summary>Feeds <paramref name="tokens"/> (k of them) at positions <see cref="Position"/>.. in one pass and returns
    /// their logits (k,V): row i is the distribution of the token after tokens[i] (the verify step of speculative
    /// sampling). Each block reads its weights once for all k rows (row blocks or the blocked SGEMM, both split over the
    /// model's pool), and row i attends to the cached positions and rows 0..i. Equal to k <see cref="Step"/> calls, and to the rows of a
    /// full <see cref="Gpt.Forward"/>, up to summation order. The span is overwritten by the next call.</summary>
    public ReadOnlySpan<float> Feed(ReadOnlySpan<int> tokens)
    {
        var cfg = _model.Config;
        int C = cfg.DModel, V = cfg.Vocab, NH = cfg.Heads, hs = C / NH, T = cfg.SeqLen, t0 = Position, k = tokens.Length;
        if (k == 0) return [];
        if (t0 + k > T) throw new InvalidOperationException($"feeding {k} tokens at position {t0} passes the context of {T} positions; call Rollback or Reset");
        for (var i = 0; i < k; i++)
        {
            if ((uint)tokens[i] >= (uint)V) throw new ArgumentException($"token {tokens[i]} at index {i} is outside the vocabulary 0..{V - 1}");
        }
        var b = Rows(k);
        var p = _model.Parameters.AsSpan();
        var pool = _model.Pool;
        // LayerNorm claims rows in chunks of 32, so a small block is one chunk: splitting it would only cost a dispatch.
        var rowPool = k > SmallBlock ? pool : null;
        var scale = 1f / MathF.Sqrt(hs);
        var x = b.X.AsSpan(0, k * C);
        var h = b.H.AsSpan(0, k * C);
        var y = b.Y.AsSpan(0, k * C);
        var qkv = b.Qkv.AsSpan(0, 3 * k * C);
        var fc = b.Fc.AsSpan(0, 4 * k * C);
        var fcGelu = b.FcGelu.AsSpan(0, 4 * k * C);
        var mean = b.Mean.AsSpan(0, k);
        var rstd = b.Rstd.AsSpan(0, k);

        // x (k,C) = wte[tokens[i]] + wpe[t0 + i]
        for (var i = 0; i < k; i++)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(p.Slice(_layout.Wte + tokens[i] * C, C), p.Slice(_layout.Wpe + (t0 + i) * C, C), x.Slice(i * C, C));
        }
        for (var l = 0; l < cfg.Layers; l++)
        {
            var o = _layout.Layers[l];
            LayerNorm.Forward(x, p.Slice(o.Ln1W, C), p.Slice(o.Ln1B, C), k, C, h, mean, rstd, rowPool);
            Linear(_packed[l].Qkv, h, p.Slice(o.QkvW, 3 * C * C), p.Slice(o.QkvB, 3 * C), k, qkv, pool);
            var cacheBase = (long)l * T * C;
            var keysBase = (long)l * _tpad * C;
            for (var i = 0; i < k; i++)
            {
                StoreKey(qkv.Slice(i * 3 * C + C, C), keysBase, t0 + i);
                qkv.Slice(i * 3 * C + 2 * C, C).CopyTo(_values.AsSpan((int)(cacheBase + (long)(t0 + i) * C), C));
            }
            // Every (row, head) attends on its own (row i to the cache and rows 0..i), so the pool's threads claim them in
            // turn, each with its own scores scratch; each is computed as Step computes it, whoever takes it.
            fixed (float* q = qkv, keys = _keys, values = _values, py = y, scores = b.Scores)
            {
                var att = new AttentionArgs { Q = q, Keys = keys + keysBase, Values = values + cacheBase, Y = py, Scores = scores, C = C, Heads = NH, HeadSize = hs, Rows = k, T0 = t0, Context = _tpad, Scale = scale };
                Parallelism.WorkerPool.RunClaimed(pool, &AttentionPart, &att);
            }
            Linear(_packed[l].AttProj, y, p.Slice(o.AttProjW, C * C), p.Slice(o.AttProjB, C), k, h, pool);
            System.Numerics.Tensors.TensorPrimitives.Add(x, h, x);
            LayerNorm.Forward(x, p.Slice(o.Ln2W, C), p.Slice(o.Ln2B, C), k, C, h, mean, rstd, rowPool);
            Linear(_packed[l].Fc, h, p.Slice(o.FcW, 4 * C * C), p.Slice(o.FcB, 4 * C), k, fc, pool);
            Gelu.Forward(fc, 4 * k * C, fcGelu, pool);
            Linear(_packed[l].FcProj, fcGelu, p.Slice(o.FcProjW, 4 * C * C), p.Slice(o.FcProjB, C), k, h, pool);
            System.Numerics.Tensors.TensorPrimitives.Add(x, h, x);
        }
        LayerNorm.Forward(x, p.Slice(_layout.LnfW, C), p.Slice(_layout.LnfB, C), k, C, h, mean, rstd, rowPool);
        // logits (k,V) = h · wteᵀ (tied output embedding)
        var logits = b.Logits.AsSpan(0, k * V);
        Linear(_packedLogits, h, p.Slice(_layout.Wte, V * C), [], k, logits, pool);
        Position = t0 + k;
        return logits;
    }

    private struct AttentionArgs
    {
        public float* Q, Keys, Values, Y, Scores;
        public int C, Heads, HeadSize, Rows, T0, Context, Next;
        public float Scale;
    }

    private static void AttentionPart(void* context, int part, int parts)
    {
        var a = (AttentionArgs*)context;
        var scores = a->Scores + (long)part * a->Context;
        int C = a->C, hs = a->HeadSize;
        while (Parallelism.WorkerPool.TryClaim(ref a->Next, a->Rows * a->Heads, 1, out var start, out var end))
        {
            for (var job = start; job < end; job++)
            {
                int i = job / a->Heads, hd = job % a->Heads;
                AttendHead(a->Q + (long)i * 3 * C + hd * hs, a->Keys + (long)hd * hs * a->Context, a->Context, a->Values + hd * hs, C, hs, a->T0 + i, a->Scale, scores, a->Y + (long)i * C + hd * hs);
            }
        }
    }

    /// <summary>Writes one position's keys (C) into the layer's transposed key cache (each head's hs × Tpad block).</summary>
    private void StoreKey(ReadOnlySpan<float> key, long keysBase, int t)
    {
        var keys = _keys.AsSpan((int)keysBase, _tpad * key.Length);
        for (var j = 0; j < key.Length; j++) keys[j * _tpad + t] = key[j];
    }

    /// <summary>One head of one row at position t: scores[t2] = softmax_t2≤t(q·k_t2/√hs), y = Σ scores[t2]·v_t2, over the
    /// layer's cached keys (transposed: dimension d of position t2 at keys[d·tpad + t2]) and values (rows C apart); q,
    /// keys, values and y already at the head's offset. Both products run across vectors of 8 positions or 8 dimensions
    /// with the sums in registers: score t2 is the fused chain q[0]·k[0] + q[1]·k[1] + ... over d, then times the scale;
    /// y[j] the fused chain over t2 in order. The one code for <see cref="Step"/> and <see cref="Feed"/>, so both give
    /// the same bits.</summary>
    private static void AttendHead(float* q, float* keys, int tpad, float* values, int C, int hs, int t, float scale, float* scores, float* y)
    {
        var vscale = Vector256.Create(scale);
        for (var p0 = 0; p0 <= t; p0 += 32)
        {
            var n = Math.Min(4, ((t - p0) >> 3) + 1);
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
            var kd = keys + p0;
            for (var d = 0; d < hs; d++, kd += tpad)
            {
                var qd = Vector256.Create(q[d]);
                s0 = Vector256.FusedMultiplyAdd(Vector256.Load(kd), qd, s0);
                if (n > 1) s1 = Vector256.FusedMultiplyAdd(Vector256.Load(kd + 8), qd, s1);
                if (n > 2) s2 = Vector256.FusedMultiplyAdd(Vector256.Load(kd + 16), qd, s2);
                if (n > 3) s3 = Vector256.FusedMultiplyAdd(Vector256.Load(kd + 24), qd, s3);
            }
            (s0 * vscale).Store(scores + p0);
            if (n > 1) (s1 * vscale).Store(scores + p0 + 8);
            if (n > 2) (s2 * vscale).Store(scores + p0 + 16);
            if (n > 3) (s3 * vscale).Store(scores + p0 + 24);
        }
        SimdMath.SoftmaxInPlace(scores, t + 1, 1f, out _);
        var j0 = 0;
        for (; j0 + 8 <= hs; j0 += 32)
        {
            var n = Math.Min(4, (hs - j0) >> 3);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            var v = values + j0;
            for (var t2 = 0; t2 <= t; t2++, v += C)
            {
                var p = Vector256.Create(scores[t2]);
                a0 = Vector256.FusedMultiplyAdd(Vector256.Load(v), p, a0);
                if (n > 1) a1 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 8), p, a1);
                if (n > 2) a2 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 16), p, a2);
                if (n > 3) a3 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 24), p, a3);
            }
            a0.Store(y + j0);
            if (n > 1) a1.Store(y + j0 + 8);
            if (n > 2) a2.Store(y + j0 + 16);
            if (n > 3) a3.Store(y + j0 + 24);
            if (n < 4)
            {
                j0 += 8 * n;
                break;
            }
        }
        for (var j = j0; j < hs; j++)
        {
            var s = 0f;
            for (var t2 = 0; t2 <= t; t2++) s = MathF.FusedMultiplyAdd(values[(long)t2 * C + j], scores[t2], s);
            y[j] = s;
        }
    }

    /// <summary>Buffers for <see cref="Feed"/>, grown to the largest k (and thread count) asked for so far.</summary>
    private sealed class FeedBuffers(int rows, int threads, int C, int V, int tpad)
    {
        public int Rows { get; } = rows;
        public int Threads { get; } = threads;
        public float[] Scores { get; } = new float[threads * tpad];   // attention scores, one padded context's worth per thread
        public float[] X { get; } = new float[rows * C];
        public float[] H { get; } = new float[rows * C];
        public float[] Y { get; } = new float[rows * C];
        public float[] Qkv { get; } = new float[rows * 3 * C];
        public float[] Fc { get; } = new float[rows * 4 * C];
        public float[] FcGelu { get; } = new float[rows * 4 * C];
        public float[] Mean { get; } = new float[rows];
        public float[] Rstd { get; } = new float[rows];
        public float[] Logits { get; } = new float[rows * V];
    }

    private FeedBuffers Rows(int k)
    {
        var threads = _model.Pool?.Threads ?? 1;
        if (_feed is null || _feed.Rows < k || _feed.Threads < threads)
        {
            _feed = new FeedBuffers(Math.Max(k, _feed?.Rows ?? 0), Math.Max(threads, _feed?.Threads ?? 1), _model.Config.DModel, _model.Config.Vocab, _tpad);
        }
        return _feed;
    }

    /// <summary>Feeds <paramref name="token"/> at <see cref="Position"/> and returns the logits (V) for the next
    /// token; the span is overwritten by the next call.</summary>
    public ReadOnlySpan<float> Step(int token)
    {
        var cfg = _model.Config;
        int C = cfg.DModel, V = cfg.Vocab, NH = cfg.Heads, hs = C / NH, T = cfg.SeqLen, t = Position;
        if ((uint)token >= (uint)V) throw new ArgumentException($"token {token} is outside the vocabulary 0..{V - 1}");
        if (t >= T) throw new InvalidOperationException($"the context of {T} positions is full; call Reset");
        var p = _model.Parameters.AsSpan();
        var pool = _model.Pool;
        var scale = 1f / MathF.Sqrt(hs);

        // x (C) = wte[token] + wpe[t]
        System.Numerics.Tensors.TensorPrimitives.Add(p.Slice(_layout.Wte + token * C, C), p.Slice(_layout.Wpe + t * C, C), _x);
        for (var l = 0; l < cfg.Layers; l++)
        {
            var o = _layout.Layers[l];
            LayerNorm.Forward(_x, p.Slice(o.Ln1W, C), p.Slice(o.Ln1B, C), 1, C, _h, _stats.AsSpan(0, 1), _stats.AsSpan(1, 1));
            _packed[l].Qkv.Forward(_h, 1, _qkv, pool);
            var cacheBase = (long)l * T * C;
            var keysBase = (long)l * _tpad * C;
            StoreKey(_qkv.AsSpan(C, C), keysBase, t);
            _qkv.AsSpan(2 * C, C).CopyTo(_values.AsSpan((int)(cacheBase + (long)t * C), C));
            fixed (float* q = _qkv, keys = _keys, values = _values, y = _y, scores = _scores)
            {
                for (var h = 0; h < NH; h++)
                {
                    AttendHead(q + h * hs, keys + keysBase + (long)h * hs * _tpad, _tpad, values + cacheBase + h * hs, C, hs, t, scale, scores, y + h * hs);
                }
            }
            _packed[l].AttProj.Forward(_y, 1, _h, pool);
            System.Numerics.Tensors.TensorPrimitives.Add(_x, _h, _x);
            LayerNorm.Forward(_x, p.Slice(o.Ln2W, C), p.Slice(o.Ln2B, C), 1, C, _h, _stats.AsSpan(0, 1), _stats.AsSpan(1, 1));
            _packed[l].Fc.Forward(_h, 1, _fc, pool);
            Gelu.Forward(_fc, 4 * C, _fcGelu);
            _packed[l].FcProj.Forward(_fcGelu, 1, _h, pool);
            System.Numerics.Tensors.TensorPrimitives.Add(_x, _h, _x);
        }
        LayerNorm.Forward(_x, p.Slice(_layout.LnfW, C), p.Slice(_layout.LnfB, C), 1, C, _h, _stats.AsSpan(0, 1), _stats.AsSpan(1, 1));
        // logits (V) = wte · h (tied output embedding)
        _packedLogits.Forward(_h, 1, _logits, pool);
        Position = t + 1;
        return _logits;
    }

    /// <summary>Blocks of at most this many rows go through the packed weights (<see cref="PackedLinear"/>), larger ones
    /// (a prompt) through the SGEMM: every verify pass γ = auto can choose (γ ≤ 16, so γ + 1 ≤ 17 rows).</summary>
    internal const int SmallBlock = 17;

    /// <summary>output (k,OC) = inp (k,C) · weightᵀ + bias. A small block (a speculative verify of γ+1 ≤ 17 tokens) goes
    /// through the packed weights, which sum every element in the order <see cref="Step"/> uses, so the result equals
    /// <see cref="Step"/>'s bit for bit at any thread count; a larger block (a prompt) through the blocked SGEMM on the
    /// model's weights.</summary>
    private static void Linear(PackedLinear packed, ReadOnlySpan<float> inp, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int k, Span<float> output, Parallelism.WorkerPool? pool)
    {
        if (k <= SmallBlock)
        {
            packed.Forward(inp, k, output, pool);
        }
        else
        {
            Matmul.Forward(inp, weight, bias, k, packed.C, packed.OC, output, pool);
        }
    }
}
