namespace ScaleLab.Laws;

/// <summary>
/// Exponential trend in a linear variable t (e.g. publication year; Sevilla et al. 2022 "Compute Trends
/// Across Three Eras of Machine Learning" fit log10 compute on date this way):
/// <code>
///   log10 y = a + b·t,   ln ŷ = ln 10·(a + b·t),   ∂/∂a = ln 10,  ∂/∂b = ln 10·t
///   doubling time = log10(2)/b  (units of t; ×12 for months when t is in years)
/// </code>
/// Default loss: least squares (the fit is then ordinary least squares of log10 y on t). Starts: the OLS
/// solution and a flat line through the mean.
/// </summary>
public sealed class ExponentialLaw : IScalingLaw
{
    public static ExponentialLaw Instance { get; } = new();

    public string Name => "exponential";
    public string Formula => "log10 y = a + b*t";
    public IReadOnlyList<string> Coordinates { get; } = ["a", "b"];
    public IReadOnlyList<string> Symbols { get; } = ["a", "b"];
    public IReadOnlyList<string> DerivedNames { get; } = ["doubling_time", "doubling_months"];
    public LawInputs Inputs => LawInputs.T;
    public int FeatureCount => 1;
    public LossKind DefaultLoss => LossKind.Mse;

    public void Features(in LawPoint point, Span<double> features) => features[0] = point.T;

    public double LogPredict(ReadOnlySpan<double> theta, ReadOnlySpan<double> features, Span<double> gradient)
    {
        if (!gradient.IsEmpty)
        {
            gradient[0] = Math.Log(10);
            gradient[1] = Math.Log(10) * features[0];
        }
        return Math.Log(10) * (theta[0] + theta[1] * features[0]);
    }

    public IReadOnlyList<double[]> StartGrid(ReadOnlySpan<double> features, ReadOnlySpan<double> logY)
    {
        int n = logY.Length;
        double mt = 0, my = 0;
        for (int i = 0; i < n; i++)
        {
            mt += features[i] / n;
            my += logY[i] / Math.Log(10) / n;
        }
        double sty = 0, stt = 0;
        for (int i = 0; i < n; i++)
        {
            sty += (features[i] - mt) * (logY[i] / Math.Log(10) - my);
            stt += (features[i] - mt) * (features[i] - mt);
        }
        double b = stt > 0 ? sty / stt : 0;
        return [[my - b * mt, b], [my, 0]];
    }

    public void ToSymbols(ReadOnlySpan<double> theta, Span<double> symbols) => theta.CopyTo(symbols);

    public void FromSymbols(ReadOnlySpan<double> symbols, Span<double> theta) => symbols.CopyTo(theta);

    public void Derived(ReadOnlySpan<double> symbols, Span<double> derived)
    {
        derived[0] = Math.Log10(2) / symbols[1];
        derived[1] = 12 * derived[0];
    }
}
