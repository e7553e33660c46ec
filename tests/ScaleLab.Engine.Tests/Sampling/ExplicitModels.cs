using ScaleLab.Engine.Sampling;

namespace ScaleLab.Engine.Tests.Sampling;

/// <summary>
/// A first-order Markov "language model" given by its table: the distribution of the next token is row
/// <c>rows[previous token]</c> (V, V). Its marginals and joints are known in closed form, so a sampler's output can
/// be tested against them exactly; a context-free model has every row equal.
/// </summary>
internal sealed class TableModel(double[][] rows, int context = 1 << 20) : INextTokenModel
{
    public int Vocab => rows.Length;

    public int Context => context;

    public int Position { get; private set; }

    public double[][] Rows => rows;

    public void Reset() => Position = 0;

    public void Rollback(int position)
    {
        if (position < 0 || position > Position) throw new ArgumentOutOfRangeException(nameof(position));
        Position = position;
    }

    public void Feed(ReadOnlySpan<int> tokens, Span<double> distributions)
    {
        if (Position + tokens.Length > context) throw new InvalidOperationException("past the context");
        for (var i = 0; i < tokens.Length; i++)
        {
            if (!distributions.IsEmpty) rows[tokens[i]].CopyTo(distributions.Slice(i * Vocab, Vocab));
        }
        Position += tokens.Length;
    }

    /// <summary>Distribution of the token at generated position j (0-based) after the prompt's last token <paramref name="start"/>.</summary>
    public double[] Marginal(int start, int j)
    {
        var d = (double[])rows[start].Clone();
        for (var step = 0; step < j; step++)
        {
            var next = new double[Vocab];
            for (var a = 0; a < Vocab; a++)
            {
                for (var b = 0; b < Vocab; b++) next[b] += d[a] * rows[a][b];
            }
            d = next;
        }
        return d;
    }

    /// <summary>Joint distribution of the first two generated tokens, flattened as a·V + b.</summary>
    public double[] FirstPair(int start)
    {
        var joint = new double[Vocab * Vocab];
        for (var a = 0; a < Vocab; a++)
        {
            for (var b = 0; b < Vocab; b++) joint[a * Vocab + b] = rows[start][a] * rows[a][b];
        }
        return joint;
    }
}

/// <summary>The draft/target pairs the exactness tests run on.</summary>
public enum PairKind
{
    /// <summary>q = p: every draft token is kept.</summary>
    Equal,

    /// <summary>p on the lower half of the vocabulary, q on the upper: every draft token is rejected.</summary>
    Disjoint,

    /// <summary>p one-hot (a deterministic successor per token), q spread over everything.</summary>
    OneHotTarget,

    /// <summary>Independent random p and q, about a third of each row zero.</summary>
    Random,
}

internal static class ExplicitPairs
{
    /// <summary>Target and draft tables of <paramref name="kind"/> over <paramref name="vocab"/> tokens; with
    /// <paramref name="contextFree"/> every row of each table is the same.</summary>
    public static (TableModel Target, TableModel Draft) Make(PairKind kind, int vocab, ulong seed, bool contextFree = false)
    {
        var rng = new Rng(seed);
        var half = vocab / 2;
        double[] P(int a) => kind switch
        {
            PairKind.Disjoint => RandomRow(rng, vocab, 0, half, sparsity: 0),
            PairKind.OneHotTarget => OneHot(vocab, (3 * a + 1) % vocab),
            _ => RandomRow(rng, vocab, 0, vocab, sparsity: kind == PairKind.Random ? 0.35 : 0.2),
        };
        double[] Q(int a, double[] p) => kind switch
        {
            PairKind.Equal => (double[])p.Clone(),
            PairKind.Disjoint => RandomRow(rng, vocab, half, vocab, sparsity: 0),
            PairKind.OneHotTarget => RandomRow(rng, vocab, 0, vocab, sparsity: 0),
            _ => RandomRow(rng, vocab, 0, vocab, sparsity: 0.35),
        };
        var p = new double[vocab][];
        var q = new double[vocab][];
        for (var a = 0; a < vocab; a++)
        {
            p[a] = contextFree && a > 0 ? p[0] : P(a);
            q[a] = contextFree && a > 0 ? q[0] : Q(a, p[a]);
        }
        return (new TableModel(p), new TableModel(q));
    }

    private static double[] OneHot(int vocab, int at)
    {
        var row = new double[vocab];
        row[at] = 1;
        return row;
    }

    /// <summary>Weights −ln u (a flat Dirichlet) on tokens from..to−1, each zeroed with probability <paramref name="sparsity"/>
    /// (at least one kept), normalised.</summary>
    private static double[] RandomRow(Rng rng, int vocab, int from, int to, double sparsity)
    {
        var row = new double[vocab];
        var total = 0.0;
        for (var i = from; i < to; i++)
        {
            var keep = rng.NextDouble() >= sparsity;
            var w = -Math.Log(1 - rng.NextDouble());
            row[i] = keep ? w : 0;
            total += row[i];
        }
        if (total == 0)
        {
            row[from] = 1;
            total = 1;
        }
        for (var i = from; i < to; i++) row[i] /= total;
        return row;
    }
}

/// <summary>The negative controls (<see cref="SpeculativeVariant"/> is internal to the engine).</summary>
public enum WrongSampler
{
    AlwaysAccept,
    ResampleFromTarget,
}
