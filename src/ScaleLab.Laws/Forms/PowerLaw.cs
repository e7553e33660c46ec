namespace ScaleLab.Laws;

/// <summary>
/// Saturating power law in one variable x ∈ {N, D, C} (Kaplan et al. 2020 eq. 1.1–1.3 with an irreducible
/// term, as in Hoffmann et al. 2022 eq. 2 restricted to one input):
/// <code>
///   L(x) = E + A·x^(−alpha)
///   ln L̂ = LSE(a − alpha·ln x, e),  a = ln A, e = ln E
///   ∂/∂a = p1,  ∂/∂e = p2,  ∂/∂alpha = −p1·ln x
/// </code>
/// Start grid (data-driven, 40 starts): alpha ∈ {0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 1.5}, E a fraction
/// {0.001, 0.25, 0.5, 0.75, 0.9} of the smallest loss, and A set so the curve passes through the median point.
/// </summary>
public sealed class PowerLaw(LawInputs x) : IScalingLaw
{
    public LawInputs X { get; } = x is LawInputs.N or LawInputs.D or LawInputs.C
        ? x : throw new ArgumentException($"powerlaw: x must be N, D or C, not {x}", nameof(x));

    public string Name => "powerlaw";
    public string Formula => $"L = E + A*{X}^(-alpha)";
    public IReadOnlyList<string> Coordinates { get; } = ["a", "e", "alpha"];
    public IReadOnlyList<string> Symbols { get; } = ["E", "A", "alpha"];
    public IReadOnlyList<string> DerivedNames { get; } = [];
    public LawInputs Inputs => X;
    public int FeatureCount => 1;
    public LossKind DefaultLoss => LossKind.Huber;

    public void Features(in LawPoint point, Span<double> features) => features[0] = Math.Log(point.Variable(X));

    public double LogPredict(ReadOnlySpan<double> theta, ReadOnlySpan<double> features, Span<double> gradient)
    {
        double lnx = features[0];
        double lse = LogSumExp.Of(theta[0] - theta[2] * lnx, theta[1], out var p1);
        if (!gradient.IsEmpty)
        {
            gradient[0] = p1;
            gradient[1] = 1 - p1;
            gradient[2] = -p1 * lnx;
        }
        return lse;
    }

    public IReadOnlyList<double[]> StartGrid(ReadOnlySpan<double> features, ReadOnlySpan<double> logY)
    {
        var (lnxMed, yMed, yMin) = Summary(features, logY);
        var grid = new List<double[]>();
        foreach (var alpha in new[] { 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5 })
        {
            foreach (var frac in new[] { 0.001, 0.25, 0.5, 0.75, 0.9 })
            {
                double e = frac * yMin;
                double a = Math.Log(Math.Max(yMed - e, 1e-3 * yMed)) + alpha * lnxMed;
                grid.Add([a, Math.Log(e), alpha]);
            }
        }
        return grid;
    }

    /// <summary>Median ln x, median y and smallest y of a data set (features with stride 1).</summary>
    internal static (double LnxMed, double YMed, double YMin) Summary(ReadOnlySpan<double> lnx, ReadOnlySpan<double> logY)
    {
        var xs = lnx.ToArray();
        var ys = logY.ToArray();
        Array.Sort(xs);
        Array.Sort(ys);
        return (xs[xs.Length / 2], Math.Exp(ys[ys.Length / 2]), Math.Exp(ys[0]));
    }

    public void ToSymbols(ReadOnlySpan<double> theta, Span<double> symbols)
    {
        symbols[0] = Math.Exp(theta[1]);
        symbols[1] = Math.Exp(theta[0]);
        symbols[2] = theta[2];
    }

    public void FromSymbols(ReadOnlySpan<double> symbols, Span<double> theta)
    {
        theta[0] = Math.Log(symbols[1]);
        theta[1] = Math.Log(symbols[0]);
        theta[2] = symbols[2];
    }

    public void Derived(ReadOnlySpan<double> symbols, Span<double> derived)
    {
    }
}
