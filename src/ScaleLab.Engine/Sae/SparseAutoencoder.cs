using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using ScaleLab.Engine.Kernels;
using ScaleLab.Engine.Parallelism;

namespace ScaleLab.Engine.Sae;

// N = rows (tokens) of a batch, D = input width, L = latents (n), S = code slots per row (k or L, plus AuxK).
/// <summary>
/// A sparse autoencoder in float on flat buffers (<see cref="SaeConfig"/> states the model and loss). Parameters and
/// gradients are one pinned buffer each in the config's layout, so AdamW is one loop; every buffer for
/// <see cref="MaxRows"/> rows is allocated once here. The encoder is one dense SGEMM; everything after it works on each
/// row's list of active latents (k of L for TopK), so the decoder and all of backward cost O(N·k·D), not O(N·L·D).
/// Results are bit-identical for every thread count: rows are split between threads for per-row work, latents for the
/// gradients of per-latent parameters (each summed over rows in row order by one thread), input channels for b_pre.
/// </summary>
public sealed unsafe partial class SparseAutoencoder : IDisposable
{
    private readonly int _slots;      // S = CodeCapacity + AuxCapacity
    private readonly float[] _x, _xc, _pre, _xhat, _diff, _auxDiff, _rowScratch;
    private readonly int[] _index, _count, _auxCount;
    private readonly float[] _value, _dvalue;
    private readonly double[] _rowRecon, _rowAux, _rowL1;
    private readonly int[] _columnStart, _columnEntries, _columnFill;
    private int[] _deadList = [];
    private WorkerPool? _pool;
    private int _threads;
    private int _rows;
    private bool _hasAux;
    private bool _disposed;

    public SparseAutoencoder(SaeConfig config, int maxRows, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (maxRows < 1) throw new ArgumentException($"max rows must be ≥ 1, got {maxRows}");
        Config = config;
        MaxRows = maxRows;
        int D = config.Inputs, L = config.Latents;
        _slots = config.CodeCapacity + config.AuxCapacity;
        long nd = (long)maxRows * D, nl = (long)maxRows * L, ns = (long)maxRows * _slots;
        if (nl > Array.MaxLength || ns > Array.MaxLength) throw new ArgumentException($"{maxRows} rows of n = {L} latents need more than one buffer holds; use smaller batches");
        Parameters = GC.AllocateArray<float>(config.ParameterCount, pinned: true);
        Gradients = GC.AllocateArray<float>(config.ParameterCount, pinned: true);
        _x = GC.AllocateArray<float>((int)nd, pinned: true);
        _xc = GC.AllocateArray<float>((int)nd, pinned: true);
        _xhat = GC.AllocateArray<float>((int)nd, pinned: true);
        _diff = GC.AllocateArray<float>((int)nd, pinned: true);
        _auxDiff = GC.AllocateArray<float>(config.AuxCapacity > 0 ? (int)nd : 0, pinned: true);
        _rowScratch = GC.AllocateArray<float>((int)nd, pinned: true);
        _pre = GC.AllocateArray<float>((int)nl, pinned: true);
        _index = GC.AllocateArray<int>((int)ns, pinned: true);
        _value = GC.AllocateArray<float>((int)ns, pinned: true);
        _dvalue = GC.AllocateArray<float>((int)ns, pinned: true);
        _count = new int[maxRows];
        _auxCount = new int[maxRows];
        _rowRecon = new double[maxRows];
        _rowAux = new double[maxRows];
        _rowL1 = new double[maxRows];
        _columnStart = new int[L + 1];
        _columnFill = new int[L];
        _columnEntries = GC.AllocateArray<int>((int)ns, pinned: true);
        Threads = threads;
    }

    public SaeConfig Config { get; }

    /// <summary>Largest batch <see cref="Forward"/> accepts.</summary>
    public int MaxRows { get; }

    /// <summary>All parameters in <see cref="SaeConfig"/>'s layout: W_enc (L,D), b_enc (L), W_dec (L,D), b_pre (D).</summary>
    public float[] Parameters { get; }

    /// <summary>Gradients, same layout; <see cref="Backward"/> adds into them.</summary>
    public float[] Gradients { get; }

    public Span<float> EncoderWeight => Parameters.AsSpan(Config.EncoderWeightOffset, Config.Latents * Config.Inputs);
    public Span<float> EncoderBias => Parameters.AsSpan(Config.EncoderBiasOffset, Config.Latents);
    public Span<float> DecoderWeight => Parameters.AsSpan(Config.DecoderWeightOffset, Config.Latents * Config.Inputs);
    public Span<float> PreBias => Parameters.AsSpan(Config.PreBiasOffset, Config.Inputs);

    /// <summary>Rows of the last <see cref="Forward"/>.</summary>
    public int Rows => _rows;

    /// <summary>Reconstruction x̂ (N,D) of the last forward.</summary>
    public ReadOnlySpan<float> Reconstruction => _xhat.AsSpan(0, _rows * Config.Inputs);

    /// <summary>Pre-activations (N,L) of the last forward.</summary>
    public ReadOnlySpan<float> PreActivations => _pre.AsSpan(0, _rows * Config.Latents);

    /// <summary>The reconstruction term Σ‖x̂ − x‖²/(N·D) of the last forward (summed in double by row, rows in order).</summary>
    public double ReconstructionLoss { get; private set; }

    /// <summary>The AuxK term of the last forward (0 with no dead latents or no AuxK).</summary>
    public double AuxLoss { get; private set; }

    /// <summary>Σ_n ‖e_n − ē‖² of the last forward with dead latents for AuxK (e = x − x̂; 0 otherwise): the AuxK term's
    /// denominator, a constant of the backward pass as e is.</summary>
    public double AuxResidualVariance { get; private set; }

    /// <summary>The L1 term of the last forward (ReluL1 only).</summary>
    public double L1Loss { get; private set; }

    /// <summary>Reconstruction + AuxK + L1: what <see cref="Backward"/> differentiates.</summary>
    public double Loss => ReconstructionLoss + AuxLoss + L1Loss;

    /// <summary>Active latents of row <paramref name="row"/> (z &gt; 0), in selection order.</summary>
    public ReadOnlySpan<int> ActiveLatents(int row) => _index.AsSpan(CheckRow(row) * _slots, _count[row]);

    /// <summary>Their code values z, matching <see cref="ActiveLatents"/>.</summary>
    public ReadOnlySpan<float> ActiveValues(int row) => _value.AsSpan(CheckRow(row) * _slots, _count[row]);

    /// <summary>Threads every kernel splits its work over (a fixed split, so results do not depend on it).</summary>
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

    /// <summary>The threads the kernels run on (null with one); the optimizer can share them.</summary>
    public WorkerPool? Pool => _pool;

    /// <summary>
    /// Encodes and decodes <paramref name="rows"/> rows of <paramref name="x"/> (N,D) and returns <see cref="Loss"/>.
    /// <paramref name="dead"/> (L, or empty) marks the latents the AuxK term may use; it is ignored without AuxK.
    /// </summary>
    public double Forward(ReadOnlySpan<float> x, int rows, ReadOnlySpan<bool> dead = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int D = Config.Inputs, L = Config.Latents;
        if (rows < 1 || rows > MaxRows) throw new ArgumentException($"rows must be in 1..{MaxRows}, got {rows}");
        if (x.Length != rows * D) throw new ArgumentException($"x holds {x.Length} values, expected rows·D = {rows * D}");
        if (!dead.IsEmpty && dead.Length != L) throw new ArgumentException($"dead mask has {dead.Length} entries, expected n = {L}");
        _rows = rows;
        _deadList = [];
        if (Config.AuxCapacity > 0 && !dead.IsEmpty)
        {
            var list = new List<int>();
            for (var l = 0; l < L; l++) if (dead[l]) list.Add(l);
            _deadList = [.. list];
        }
        _hasAux = _deadList.Length > 0;
        x.CopyTo(_x);
        fixed (float* pX = _x, pXc = _xc, pBPre = PreBias, pPre = _pre)
        {
            // xc = x − b_pre (N,D), row by row
            for (var n = 0; n < rows; n++) TensorPrimitives.Subtract(new ReadOnlySpan<float>(pX + (long)n * D, D), new ReadOnlySpan<float>(pBPre, D), new Span<float>(pXc + (long)n * D, D));
            // pre = xc·W_encᵀ + b_enc (N,L): the one dense product
            Matmul.Forward(_xc.AsSpan(0, rows * D), EncoderWeight, EncoderBias, rows, D, L, _pre.AsSpan(0, rows * L), _pool);
        }
        fixed (int* pDead = _deadList)
        {
            var args = new ForwardArgs { Self = this, Dead = pDead, DeadCount = _deadList.Length };
            WorkerPool.Run(_pool, &ForwardPart, Unsafe.AsPointer(ref args));
        }
        double recon = 0, aux = 0, l1 = 0;
        for (var n = 0; n < rows; n++)
        {
            recon += _rowRecon[n];
            aux += _rowAux[n];
            l1 += _rowL1[n];
        }
        var scale = 1.0 / ((double)rows * D);
        ReconstructionLoss = recon * scale;
        AuxResidualVariance = _hasAux ? ResidualSpread(rows) : 0;
        AuxLoss = AuxResidualVariance > 0 ? Config.AuxCoefficient * aux / AuxResidualVariance : 0;
        L1Loss = Config.Family == SaeFamily.ReluL1 ? Config.L1Coefficient * l1 / rows : 0;
        return Loss;
    }

    private struct ForwardArgs
    {
        public SparseAutoencoder Self;
        public int* Dead;
        public int DeadCount;
    }

    private static void ForwardPart(void* context, int part, int parts)
    {
        ref var a = ref Unsafe.AsRef<ForwardArgs>(context);
        var (start, end) = WorkerPool.Partition(a.Self._rows, part, parts);
        for (var n = start; n < end; n++) a.Self.ForwardRow(n, new ReadOnlySpan<int>(a.Dead, a.DeadCount));
    }

    /// <summary>Selects row n's codes, decodes it and sums its loss terms (double, in channel order).</summary>
    private void ForwardRow(int n, ReadOnlySpan<int> dead)
    {
        int D = Config.Inputs, L = Config.Latents;
        var pre = _pre.AsSpan(n * L, L);
        var slots = n * _slots;
        var cap = Config.CodeCapacity;
        _count[n] = Config.Family == SaeFamily.TopK
            ? TopK.Select(pre, default, Config.K, _index.AsSpan(slots, cap), _value.AsSpan(slots, cap))
            : TopK.Positive(pre, _index.AsSpan(slots, cap), _value.AsSpan(slots, cap));
        var wDec = DecoderWeight;
        // x̂ = b_pre + Σ_j z_j·W_dec[l_j]; diff = x̂ − x
        var xhat = _xhat.AsSpan(n * D, D);
        PreBias.CopyTo(xhat);
        for (var j = 0; j < _count[n]; j++)
        {
            TensorPrimitives.MultiplyAdd(wDec.Slice(_index[slots + j] * D, D), _value[slots + j], xhat, xhat);
        }
        var diff = _diff.AsSpan(n * D, D);
        TensorPrimitives.Subtract(xhat, _x.AsSpan(n * D, D), diff);
        _rowRecon[n] = SumSquares(diff);
        _rowL1[n] = 0;
        if (Config.Family == SaeFamily.ReluL1)
        {
            double s = 0;
            for (var j = 0; j < _count[n]; j++) s += _value[slots + j];
            _rowL1[n] = s;
        }
        _auxCount[n] = 0;
        _rowAux[n] = 0;
        if (_hasAux)
        {
            // ê = Σ z_aux·W_dec over the top AuxK dead latents; auxDiff = ê − e with e = x − x̂ = −diff
            var auxSlots = slots + cap;
            var count = TopK.Select(pre, dead, Config.AuxK, _index.AsSpan(auxSlots, Config.AuxK), _value.AsSpan(auxSlots, Config.AuxK));
            _auxCount[n] = count;
            var auxDiff = _auxDiff.AsSpan(n * D, D);
            diff.CopyTo(auxDiff);
            for (var j = 0; j < count; j++)
            {
                TensorPrimitives.MultiplyAdd(wDec.Slice(_index[auxSlots + j] * D, D), _value[auxSlots + j], auxDiff, auxDiff);
            }
            _rowAux[n] = SumSquares(auxDiff);
        }
    }

    /// <summary>Σ_n ‖e_n − ē‖² over the batch with e = x − x̂ = −diff and ē its mean over rows (double, rows in order):
    /// the AuxK term's denominator.</summary>
    private double ResidualSpread(int rows)
    {
        int D = Config.Inputs;
        var mean = new double[D];
        for (var n = 0; n < rows; n++)
        {
            var diff = _diff.AsSpan(n * D, D);
            for (var d = 0; d < D; d++) mean[d] += diff[d];
        }
        for (var d = 0; d < D; d++) mean[d] /= rows;
        double s = 0;
        for (var n = 0; n < rows; n++)
        {
            var diff = _diff.AsSpan(n * D, D);
            for (var d = 0; d < D; d++)
            {
                var c = diff[d] - mean[d];
                s += c * c;
            }
        }
        return s;
    }

    private static double SumSquares(ReadOnlySpan<float> v)
    {
        double s = 0;
        foreach (var e in v) s += (double)e * e;
        return s;
    }

    private int CheckRow(int row)
    {
        if ((uint)row >= (uint)_rows) throw new ArgumentOutOfRangeException(nameof(row), $"row must be in 0..{_rows - 1}");
        return row;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _pool?.Dispose();
        _pool = null;
    }
}
