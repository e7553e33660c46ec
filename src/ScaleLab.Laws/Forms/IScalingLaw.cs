namespace ScaleLab.Laws;

/// <summary>One point at which a law is evaluated; inputs a law does not read may be NaN.</summary>
public readonly record struct LawPoint(double N = double.NaN, double D = double.NaN, double C = double.NaN, double T = double.NaN)
{
    public static LawPoint At(ScalingDataset data, int i) => new(
        data.N?[i] ?? double.NaN, data.D?[i] ?? double.NaN, data.C?[i] ?? double.NaN, data.T?[i] ?? double.NaN);

    /// <summary>The input a one-variable law (powerlaw, bnsl) reads: N, D, or otherwise C.</summary>
    public double Variable(LawInputs x) => x switch
    {
        LawInputs.N => N,
        LawInputs.D => D,
        _ => C,
    };
}

/// <summary>
/// A scaling-law form L̂(θ; x). Laws are fitted in log space: the objective (see <see cref="LogResidualObjective"/>)
/// compares ln y with <see cref="LogPredict"/>, so a law supplies ln L̂ and its gradient with respect to its
/// optimisation coordinates θ. Coordinates are chosen so the fit is unconstrained (logs of positive scales,
/// e.g. a = ln A); <see cref="Symbols"/> are the published parameters (E, A, alpha, ...) that results report.
/// Implementations are immutable and thread-safe.
/// </summary>
public interface IScalingLaw
{
    /// <summary>CLI name: powerlaw, chinchilla, kaplan, bnsl, bnsl2, exponential.</summary>
    string Name { get; }
    /// <summary>The law in one line, e.g. "L = E + A/N^alpha + B/D^beta".</summary>
    string Formula { get; }
    /// <summary>Names of the optimisation coordinates θ (e.g. a, b, e, alpha, beta).</summary>
    IReadOnlyList<string> Coordinates { get; }
    /// <summary>Names of the reported parameters (e.g. E, A, B, alpha, beta); same count as coordinates.</summary>
    IReadOnlyList<string> Symbols { get; }
    /// <summary>Names of quantities derived from the parameters (may be empty).</summary>
    IReadOnlyList<string> DerivedNames { get; }
    /// <summary>The data columns the law reads.</summary>
    LawInputs Inputs { get; }
    /// <summary>Number of per-point features (e.g. 2 for ln N, ln D).</summary>
    int FeatureCount { get; }
    /// <summary>Default loss for this form (Huber for the power-law families, MSE for the exponential trend).</summary>
    LossKind DefaultLoss { get; }

    /// <summary>Per-point features (logs of the inputs, computed once per data set).</summary>
    void Features(in LawPoint point, Span<double> features);

    /// <summary>
    /// ln L̂(θ; x) for one point's features. When <paramref name="gradient"/> is not empty, writes
    /// ∂ ln L̂ / ∂θ into it (length = coordinate count). Must not allocate.
    /// </summary>
    double LogPredict(ReadOnlySpan<double> theta, ReadOnlySpan<double> features, Span<double> gradient);

    /// <summary>Starting points for the multi-start fit, in coordinates; may look at the data (log y, features).</summary>
    IReadOnlyList<double[]> StartGrid(ReadOnlySpan<double> features, ReadOnlySpan<double> logY);

    /// <summary>Coordinates θ to reported parameters.</summary>
    void ToSymbols(ReadOnlySpan<double> theta, Span<double> symbols);

    /// <summary>Reported parameters to coordinates θ.</summary>
    void FromSymbols(ReadOnlySpan<double> symbols, Span<double> theta);

    /// <summary>Derived quantities from reported parameters (length = <see cref="DerivedNames"/>).</summary>
    void Derived(ReadOnlySpan<double> symbols, Span<double> derived);
}

/// <summary>Helpers shared by the law forms.</summary>
public static class ScalingLawExtensions
{
    /// <summary>L̂ at a point from reported parameters.</summary>
    public static double Predict(this IScalingLaw law, ReadOnlySpan<double> symbols, in LawPoint point)
    {
        Span<double> theta = stackalloc double[law.Coordinates.Count];
        Span<double> f = stackalloc double[law.FeatureCount];
        law.FromSymbols(symbols, theta);
        law.Features(point, f);
        return Math.Exp(law.LogPredict(theta, f, []));
    }

    /// <summary>Derived quantities as a new array.</summary>
    public static double[] Derived(this IScalingLaw law, ReadOnlySpan<double> symbols)
    {
        var d = new double[law.DerivedNames.Count];
        law.Derived(symbols, d);
        return d;
    }

    /// <summary>Number of fitted parameters.</summary>
    public static int ParameterCount(this IScalingLaw law) => law.Coordinates.Count;

    /// <summary>The law without constraints: <see cref="ConstrainedLaw.Inner"/> for a constrained law, else the law itself
    /// (so a check such as <c>law.Unconstrained() is ChinchillaLaw</c> holds for a chinchilla with E fixed).</summary>
    public static IScalingLaw Unconstrained(this IScalingLaw law) => law is ConstrainedLaw c ? c.Inner : law;
}
