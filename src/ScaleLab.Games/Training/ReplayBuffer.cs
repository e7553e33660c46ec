using ScaleLab.Engine;

namespace ScaleLab.Games.Training;

/// <summary>A ring buffer of self-play samples in the mover's frame: input planes (2n²), search policy over the
/// canonical cells (n²) and the game's result for the mover (±1). When full, the oldest samples go first.</summary>
public sealed class ReplayBuffer
{
    private readonly int _inputs, _cells;

    public ReplayBuffer(int size, int capacity)
    {
        Size = size;
        _cells = size * size;
        _inputs = 2 * _cells;
        Capacity = capacity;
        Inputs = new float[capacity * _inputs];
        Policies = new float[capacity * _cells];
        Values = new float[capacity];
    }

    public int Size { get; }

    public int Capacity { get; }

    public int Count { get; private set; }

    /// <summary>Where the next sample goes.</summary>
    public int Head { get; private set; }

    internal float[] Inputs { get; }

    internal float[] Policies { get; }

    internal float[] Values { get; }

    public void Add(ReadOnlySpan<float> input, ReadOnlySpan<float> policy, float value)
    {
        input.CopyTo(Inputs.AsSpan(Head * _inputs, _inputs));
        policy.CopyTo(Policies.AsSpan(Head * _cells, _cells));
        Values[Head] = value;
        Head = (Head + 1) % Capacity;
        Count = Math.Min(Count + 1, Capacity);
    }

    /// <summary>
    /// Draws <paramref name="batch"/> samples uniformly with replacement. Each is rotated by 180° with probability
    /// 1/2: in the mover's frame that maps the mover's top–bottom goal onto itself, so it is the same position's
    /// twin, a free doubling of the data.
    /// </summary>
    public void Sample(Rng rng, int batch, Span<float> inputs, Span<float> policies, Span<float> values)
    {
        for (var b = 0; b < batch; b++)
        {
            var i = rng.NextInt(Count);
            var rotate = (rng.NextUInt64() & 1) == 1;
            var src = Inputs.AsSpan(i * _inputs, _inputs);
            var dst = inputs.Slice(b * _inputs, _inputs);
            var pSrc = Policies.AsSpan(i * _cells, _cells);
            var pDst = policies.Slice(b * _cells, _cells);
            for (var c = 0; c < _cells; c++)
            {
                var to = rotate ? _cells - 1 - c : c;
                dst[to] = src[c];
                dst[_cells + to] = src[_cells + c];
                pDst[to] = pSrc[c];
            }
            values[b] = Values[i];
        }
    }

    internal void Restore(int count, int head)
    {
        Count = count;
        Head = head;
    }
}
