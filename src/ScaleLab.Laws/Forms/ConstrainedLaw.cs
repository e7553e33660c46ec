namespace ScaleLab.Laws;

/// <summary>
/// A law with some parameters fixed and some tied (<see cref="FitConstraints"/>). Its coordinates are the free
/// coordinates of <see cref="Inner"/>; a fixed coordinate takes the value of its fixed symbol, a tied follower the
/// value of its leader's coordinate. With θ_full = expand(θ):
/// <code>
///   ln L̂(θ) = ln L̂_inner(θ_full),   ∂ln L̂/∂θ_j = Σ_{k: source(k) = j} ∂ln L̂_inner/∂θ_full,k
/// </code>
/// (a tie adds the follower's gradient into the leader's). <see cref="Symbols"/> stay the inner law's full list, so
/// fits, plans and documents read every parameter by name; <see cref="Symbols"/> is then longer than
/// <see cref="Coordinates"/>. <see cref="Name"/> is the inner law's, so a constrained chinchilla still plans.
/// A tie needs two coordinates of the same kind (both logs or both plain, e.g. two exponents).
/// </summary>
public sealed class ConstrainedLaw : IScalingLaw
{
    private readonly int[] _source;       // inner coordinate k → reduced index, or −1 when fixed
    private readonly double[] _fixedTheta; // inner coordinate values of fixed coordinates
    private readonly int[] _free;         // reduced index → inner coordinate

    public ConstrainedLaw(IScalingLaw inner, FitConstraints constraints)
    {
        Inner = inner is ConstrainedLaw ? throw new ArgumentException("constraints do not nest") : inner;
        Constraints = constraints;
        var map = CoordinateMap.Of(inner);
        if (!map.IsOneToOne)
        {
            throw new ArgumentException($"{inner.Name}: its parameters cannot be fixed or tied one by one");
        }
        int p = inner.Coordinates.Count;
        int CoordinateOf(string symbol)
        {
            int j = inner.Symbols.ToList().IndexOf(symbol);
            if (j < 0)
            {
                throw new ArgumentException($"{inner.Name} has no parameter '{symbol}' (parameters: {string.Join(", ", inner.Symbols)})");
            }
            return Array.IndexOf(map.SymbolOfCoordinate, j);
        }
        _source = Enumerable.Range(0, p).ToArray();
        _fixedTheta = new double[p];
        var symbols = Enumerable.Repeat(1.0, inner.Symbols.Count).ToArray();
        foreach (var (symbol, value) in constraints.Fixed)
        {
            int k = CoordinateOf(symbol);
            if (map.IsLog[k] && !(value > 0))
            {
                throw new ArgumentException($"--fix {symbol}={value}: {symbol} must be positive");
            }
            symbols[map.SymbolOfCoordinate[k]] = value;
            _source[k] = -1;
        }
        var full = new double[p];
        inner.FromSymbols(symbols, full);
        foreach (var k in Enumerable.Range(0, p).Where(k => _source[k] < 0))
        {
            _fixedTheta[k] = full[k];
        }
        var leaderOf = Enumerable.Range(0, p).ToArray();
        foreach (var tie in constraints.Ties)
        {
            int f = CoordinateOf(tie.Follower), l = CoordinateOf(tie.Leader);
            if (f == l || _source[f] < 0 || _source[l] < 0 || leaderOf[l] != l || leaderOf[f] != f)
            {
                throw new ArgumentException($"--tie {tie}: each parameter may be tied once, not to itself and not when fixed");
            }
            if (map.IsLog[f] != map.IsLog[l])
            {
                throw new ArgumentException($"--tie {tie}: {tie.Follower} and {tie.Leader} are not of the same kind (a scale and an exponent)");
            }
            leaderOf[f] = l;
        }
        _free = Enumerable.Range(0, p).Where(k => _source[k] >= 0 && leaderOf[k] == k).ToArray();
        for (int k = 0; k < p; k++)
        {
            if (_source[k] >= 0)
            {
                _source[k] = Array.IndexOf(_free, leaderOf[k]);
            }
        }
        Coordinates = _free.Select(k => inner.Coordinates[k]).ToArray();
    }

    public IScalingLaw Inner { get; }
    public FitConstraints Constraints { get; }
    public string Name => Inner.Name;
    public string Formula => $"{Inner.Formula} ({Constraints.Describe()})";
    public IReadOnlyList<string> Coordinates { get; }
    public IReadOnlyList<string> Symbols => Inner.Symbols;
    public IReadOnlyList<string> DerivedNames => Inner.DerivedNames;
    public LawInputs Inputs => Inner.Inputs;
    public int FeatureCount => Inner.FeatureCount;
    public LossKind DefaultLoss => Inner.DefaultLoss;

    public void Features(in LawPoint point, Span<double> features) => Inner.Features(point, features);

    /// <summary>θ_full from the free coordinates θ.</summary>
    public void Expand(ReadOnlySpan<double> theta, Span<double> full)
    {
        for (int k = 0; k < _source.Length; k++)
        {
            full[k] = _source[k] >= 0 ? theta[_source[k]] : _fixedTheta[k];
        }
    }

    public double LogPredict(ReadOnlySpan<double> theta, ReadOnlySpan<double> features, Span<double> gradient)
    {
        int p = _source.Length;
        Span<double> full = stackalloc double[p];
        Span<double> g = stackalloc double[gradient.IsEmpty ? 0 : p];
        Expand(theta, full);
        double lp = Inner.LogPredict(full, features, g);
        if (!gradient.IsEmpty)
        {
            gradient.Clear();
            for (int k = 0; k < p; k++)
            {
                if (_source[k] >= 0)
                {
                    gradient[_source[k]] += g[k];
                }
            }
        }
        return lp;
    }

    /// <summary>The inner law's grid with fixed and follower coordinates dropped, duplicates removed (order kept).</summary>
    public IReadOnlyList<double[]> StartGrid(ReadOnlySpan<double> features, ReadOnlySpan<double> logY)
    {
        var seen = new HashSet<string>();
        var grid = new List<double[]>();
        foreach (var start in Inner.StartGrid(features, logY))
        {
            var reduced = _free.Select(k => start[k]).ToArray();
            if (seen.Add(string.Join(",", reduced.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))))
            {
                grid.Add(reduced);
            }
        }
        return grid;
    }

    public void ToSymbols(ReadOnlySpan<double> theta, Span<double> symbols)
    {
        Span<double> full = stackalloc double[_source.Length];
        Expand(theta, full);
        Inner.ToSymbols(full, symbols);
        var names = Inner.Symbols;
        foreach (var (symbol, value) in Constraints.Fixed)
        {
            // Exactly the given value (exp(ln v) may differ from v in the last bit).
            symbols[names.ToList().IndexOf(symbol)] = value;
        }
    }

    public void FromSymbols(ReadOnlySpan<double> symbols, Span<double> theta)
    {
        Span<double> full = stackalloc double[_source.Length];
        Inner.FromSymbols(symbols, full);
        for (int j = 0; j < _free.Length; j++)
        {
            theta[j] = full[_free[j]];
        }
    }

    public void Derived(ReadOnlySpan<double> symbols, Span<double> derived) => Inner.Derived(symbols, derived);
}
