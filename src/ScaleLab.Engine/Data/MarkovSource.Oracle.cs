namespace ScaleLab.Engine.Data;

/// <summary>The Bayes-optimal predictions of the source (the oracle of floors and of distillation) and the order-k tables and entropies they come from.</summary>
public sealed partial class MarkovSource
{
    /// <summary>
    /// Mean log-loss of the Bayes-optimal predictor on a window that starts with no history: the symbol at
    /// position i (i = 1..n−1) is scored with P(x_i | x_{i−j..i−1}), j = min(i, K), where for j &lt; K the
    /// unseen older history is marginalized under π (the order-j tables). Its expectation is
    /// <see cref="WindowLossFloor"/>(n−1); on a fixed validation set it is the exact floor of that set, so a
    /// model's gap to it is a paired comparison, free of the sampling noise of the set itself.
    /// </summary>
    public double OracleLogLoss(ReadOnlySpan<int> window)
    {
        if (window.Length < 2)
        {
            throw new ArgumentException("a window needs at least two tokens");
        }
        var total = 0.0;
        for (var i = 1; i < window.Length; i++)
        {
            var x = SymbolOrThrow(window[i]);
            total -= Math.Log(OracleDistribution(window[..i])[x]);
        }
        return total / (window.Length - 1);
    }

    /// <summary>
    /// The Bayes-optimal next-symbol distribution (A) after <paramref name="history"/>, the visible tokens of a window
    /// that starts with no history (at least one): P(· | last j symbols) with j = min(|history|, K), the source's leaf
    /// for j = K and the order-j table (older history marginalized under π) for j &lt; K. This is the oracle teacher of
    /// distillation and the predictor <see cref="OracleLogLoss"/> scores. The span is the source's own table.
    /// </summary>
    public ReadOnlySpan<double> OracleDistribution(ReadOnlySpan<int> history)
    {
        if (history.IsEmpty)
        {
            throw new ArgumentException("the oracle needs at least one visible token");
        }
        var j = Math.Min(history.Length, _k);
        var c = 0;
        for (var m = j; m >= 1; m--)
        {
            c = c * _a + SymbolOrThrow(history[^m]); // oldest symbol ends in the highest digit
        }
        return j == _k ? _leaves[_leafOf[c]] : _orderTables[j].AsSpan(c * _a, _a);
    }

    private double ConditionalEntropyOfOrder(int order, out double[] table)
    {
        // q(c, x) = Σ_{s: last `order` symbols = c} π(s)·P(x|s); H_k = −Σ_c Σ_x q(c,x)·ln(q(c,x)/q(c)).
        var contexts = (int)Math.Pow(_a, order);
        var q = new double[contexts * _a];
        for (var s = 0; s < _states; s++)
        {
            var c = s % contexts;
            var p = _leaves[_leafOf[s]];
            for (var x = 0; x < _a; x++)
            {
                q[c * _a + x] += Stationary[s] * p[x];
            }
        }
        var h = 0.0;
        table = new double[q.Length];
        for (var c = 0; c < contexts; c++)
        {
            var row = q.AsSpan(c * _a, _a);
            var total = 0.0;
            foreach (var v in row)
            {
                total += v;
            }
            for (var x = 0; x < _a; x++)
            {
                var v = row[x];
                table[c * _a + x] = total > 0 ? v / total : 1.0 / _a;
                if (v > 0)
                {
                    h -= v * Math.Log(v / total);
                }
            }
        }
        return h;
    }

    private static double Entropy(ReadOnlySpan<double> p)
    {
        var h = 0.0;
        foreach (var v in p)
        {
            if (v > 0)
            {
                h -= v * Math.Log(v);
            }
        }
        return h;
    }
}
