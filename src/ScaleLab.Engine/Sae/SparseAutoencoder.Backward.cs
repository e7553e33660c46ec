using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using ScaleLab.Engine.Parallelism;

namespace ScaleLab.Engine.Sae;

// N = rows, D = input width, L = latents, S = code slots per row. Backward of the last forward and the decoder's
// unit-norm constraint.
public sealed unsafe partial class SparseAutoencoder
{
    /// <summary>Clears <see cref="Gradients"/> (backward adds into them).</summary>
    public void ZeroGrad() => Array.Clear(Gradients);

    /// <summary>
    /// Adds the gradient of <see cref="Loss"/> of the last <see cref="Forward"/> into <see cref="Gradients"/>, restating
    /// the forward lines (c = 2/(N·D), c_aux = 2/Σ‖e − ē‖², the AuxK residual e and so its spread held constant):
    /// <code>
    ///   x̂ = b_pre + Σ_j z_j·W_dec[l_j]:  db_pre += c·diff,  dW_dec[l] += z·c·diff,  dz_j = c·diff·W_dec[l_j] (+ λ/N)
    ///   ê = Σ_aux z·W_dec[l]:           dW_dec[l] += z·α·c_aux·auxDiff,  dz = α·c_aux·auxDiff·W_dec[l]
    ///   z = ReLU(pre), z &gt; 0 kept:     dpre = dz
    ///   pre = (x − b_pre)·W_encᵀ + b_enc: db_enc[l] += dpre, dW_enc[l] += dpre·xc,  db_pre −= dpre·W_enc[l]
    /// </code>
    /// Order of sums: per-latent gradients add rows in row order (one thread per latent), b_pre adds rows in row order
    /// (one thread per channel range), so the result does not depend on the thread count.
    /// </summary>
    public void Backward()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_rows == 0) throw new InvalidOperationException("call Forward before Backward");
        var args = new BackwardArgs
        {
            Self = this,
            C = (float)(2.0 / ((double)_rows * Config.Inputs)),
            CAux = AuxResidualVariance > 0 ? (float)(Config.AuxCoefficient * 2.0 / AuxResidualVariance) : 0f,
            Lambda = Config.Family == SaeFamily.ReluL1 ? (float)(Config.L1Coefficient / _rows) : 0f,
        };
        var p = Unsafe.AsPointer(ref args);
        WorkerPool.Run(_pool, &RowsPart, p);
        WorkerPool.Run(_pool, &PreBiasPart, p);
        BuildColumns();
        WorkerPool.Run(_pool, &LatentsPart, p);
    }

    private struct BackwardArgs
    {
        public SparseAutoencoder Self;
        public float C, CAux, Lambda;
        public int Next;   // next latent chunk to claim
    }

    /// <summary>dz of every active entry of each row, and rowScratch[n] = c·diff[n] − Σ_j dpre_j·W_enc[l_j] (b_pre's
    /// share of row n).</summary>
    private static void RowsPart(void* context, int part, int parts)
    {
        ref var a = ref Unsafe.AsRef<BackwardArgs>(context);
        var s = a.Self;
        int D = s.Config.Inputs, cap = s.Config.CodeCapacity;
        var (start, end) = WorkerPool.Partition(s._rows, part, parts);
        var wDec = s.DecoderWeight;
        var wEnc = s.EncoderWeight;
        for (var n = start; n < end; n++)
        {
            var diff = s._diff.AsSpan(n * D, D);
            var scratch = s._rowScratch.AsSpan(n * D, D);
            TensorPrimitives.Multiply(diff, a.C, scratch);
            var slots = n * s._slots;
            for (var j = 0; j < s._count[n]; j++)
            {
                var l = s._index[slots + j];
                var dz = a.C * TensorPrimitives.Dot(diff, wDec.Slice(l * D, D)) + a.Lambda;
                s._dvalue[slots + j] = dz;
                TensorPrimitives.MultiplyAdd(wEnc.Slice(l * D, D), -dz, scratch, scratch);
            }
            if (s._auxCount[n] == 0) continue;
            var auxDiff = s._auxDiff.AsSpan(n * D, D);
            for (var j = slots + cap; j < slots + cap + s._auxCount[n]; j++)
            {
                var l = s._index[j];
                var dz = a.CAux * TensorPrimitives.Dot(auxDiff, wDec.Slice(l * D, D));
                s._dvalue[j] = dz;
                TensorPrimitives.MultiplyAdd(wEnc.Slice(l * D, D), -dz, scratch, scratch);
            }
        }
    }

    /// <summary>db_pre += Σ_n rowScratch[n], rows in order, channels split between threads.</summary>
    private static void PreBiasPart(void* context, int part, int parts)
    {
        ref var a = ref Unsafe.AsRef<BackwardArgs>(context);
        var s = a.Self;
        var D = s.Config.Inputs;
        var (d0, d1) = WorkerPool.Partition(D, part, parts, unit: 16);
        if (d0 >= d1) return;
        var g = s.Gradients.AsSpan(s.Config.PreBiasOffset + d0, d1 - d0);
        for (var n = 0; n < s._rows; n++)
        {
            TensorPrimitives.Add(g, s._rowScratch.AsSpan(n * D + d0, d1 - d0), g);
        }
    }

    /// <summary>The active entries grouped by latent (a counting sort of the slots, rows in order within a latent), so
    /// each latent's gradient is summed by one thread.</summary>
    private void BuildColumns()
    {
        var L = Config.Latents;
        var cap = Config.CodeCapacity;
        Array.Clear(_columnStart);
        for (var n = 0; n < _rows; n++)
        {
            var slots = n * _slots;
            for (var j = 0; j < _count[n]; j++) _columnStart[_index[slots + j] + 1]++;
            for (var j = 0; j < _auxCount[n]; j++) _columnStart[_index[slots + cap + j] + 1]++;
        }
        for (var l = 0; l < L; l++) _columnStart[l + 1] += _columnStart[l];
        Array.Copy(_columnStart, _columnFill, L);
        for (var n = 0; n < _rows; n++)
        {
            var slots = n * _slots;
            for (var j = 0; j < _count[n]; j++) _columnEntries[_columnFill[_index[slots + j]]++] = slots + j;
            for (var j = 0; j < _auxCount[n]; j++) _columnEntries[_columnFill[_index[slots + cap + j]]++] = slots + cap + j;
        }
    }

    /// <summary>dW_dec[l], dW_enc[l], db_enc[l] for claimed chunks of latents; every latent is summed the same way by
    /// whichever thread claims it.</summary>
    private static void LatentsPart(void* context, int part, int parts)
    {
        ref var a = ref Unsafe.AsRef<BackwardArgs>(context);
        var s = a.Self;
        int D = s.Config.Inputs, cap = s.Config.CodeCapacity;
        var cfg = s.Config;
        var g = s.Gradients.AsSpan();
        while (WorkerPool.TryClaim(ref a.Next, cfg.Latents, 8, out var l0, out var l1))
        {
            for (var l = l0; l < l1; l++)
            {
                var dWDec = g.Slice(cfg.DecoderWeightOffset + l * D, D);
                var dWEnc = g.Slice(cfg.EncoderWeightOffset + l * D, D);
                var dBEnc = 0f;
                for (var e = s._columnStart[l]; e < s._columnStart[l + 1]; e++)
                {
                    var slot = s._columnEntries[e];
                    var n = slot / s._slots;
                    var aux = slot - n * s._slots >= cap;
                    var up = aux ? s._auxDiff.AsSpan(n * D, D) : s._diff.AsSpan(n * D, D);
                    TensorPrimitives.MultiplyAdd(up, s._value[slot] * (aux ? a.CAux : a.C), dWDec, dWDec);
                    var dpre = s._dvalue[slot];
                    TensorPrimitives.MultiplyAdd(s._xc.AsSpan(n * D, D), dpre, dWEnc, dWEnc);
                    dBEnc += dpre;
                }
                g[cfg.EncoderBiasOffset + l] += dBEnc;
            }
        }
    }

    /// <summary>Removes from each decoder row's gradient its component along the row, dW_dec[l] −= (dW_dec[l]·ŵ)ŵ
    /// (Gao et al. 2024 §A.2; Bricken et al. 2023): with unit-norm rows that component only changes the norm, which
    /// <see cref="NormalizeDecoderRows"/> undoes, and it would otherwise disturb Adam's moments.</summary>
    public void RemoveDecoderParallelGradient()
    {
        int D = Config.Inputs;
        var w = DecoderWeight;
        var g = Gradients.AsSpan(Config.DecoderWeightOffset, Config.Latents * D);
        for (var l = 0; l < Config.Latents; l++)
        {
            var row = w.Slice(l * D, D);
            var norm2 = TensorPrimitives.Dot(row, row);
            if (!(norm2 > 0)) continue;
            var gRow = g.Slice(l * D, D);
            TensorPrimitives.MultiplyAdd(row, -TensorPrimitives.Dot(gRow, row) / norm2, gRow, gRow);
        }
    }

    /// <summary>Scales every decoder row to unit Euclidean norm (a zero row is left as it is).</summary>
    public void NormalizeDecoderRows()
    {
        int D = Config.Inputs;
        var w = DecoderWeight;
        for (var l = 0; l < Config.Latents; l++)
        {
            var row = w.Slice(l * D, D);
            var norm = TensorPrimitives.Norm(row);
            if (norm > 0) TensorPrimitives.Divide(row, norm, row);
        }
    }
}
