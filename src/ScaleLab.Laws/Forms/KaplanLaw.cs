namespace ScaleLab.Laws;

/// <summary>
/// Kaplan et al. 2020 ("Scaling Laws for Neural Language Models"), eq. 1.5 / 4.1:
/// <code>
///   L(N, D) = [ (N_c/N)^(alpha_N/alpha_D) + D_c/D ]^alpha_D
/// </code>
/// Coordinates θ = (n_c = ln N_c, d_c = ln D_c, alpha_N, alpha_D). With u = (alpha_N/alpha_D)(n_c − ln N),
/// v = d_c − ln D, S = LSE(u, v) and p = e^u/(e^u + e^v):
/// <code>
///   ln L̂ = alpha_D·S
///   ∂/∂n_c = alpha_N·p,  ∂/∂d_c = alpha_D·(1 − p),  ∂/∂alpha_N = p·(n_c − ln N),  ∂/∂alpha_D = S − p·u
/// </code>
/// Start grid (data-driven, 48 starts): alpha_N, alpha_D ∈ {0.05, 0.1, 0.3, 0.6}, and N_c, D_c placed so the
/// two terms share the median point's loss in proportions s : 1 − s, s ∈ {0.1, 0.5, 0.9}.
/// </summary>
public sealed class KaplanLaw : IScalingLaw
{
    public static KaplanLaw Instance { get; } = new();

    public string Name => "kaplan";
    public string Formula => "L = [(N_c/N)^(alpha_N/alpha_D) + D_c/D]^alpha_D";
    public IReadOnlyList<string> Coordinates { get; } = ["n_c", "d_c", "alpha_N", "alpha_D"];
    public IReadOnlyList<string> Symbols { get; } = ["N_c", "D_c", "alpha_N", "alpha_D"];
    public IReadOnlyList<string> DerivedNames { get; } = [];
    public LawInputs Inputs => LawInputs.N | LawInputs.D;
    public int FeatureCount => 2;
    public LossKind DefaultLoss => LossKind.Huber;

    public void Features(in LawPoint point, Span<double> features)
    {
        features[0] = Math.Log(point.N);
        features[1] = Math.Log(point.D);
    }

    public double LogPredict(ReadOnlySpan<double> theta, ReadOnlySpan<double> features, Span<double> gradient)
    {
        double nc = theta[0], dc = theta[1], aN = theta[2], aD = theta[3];
        double ratio = aN / aD;
        double u = ratio * (nc - features[0]);
        double v = dc - features[1];
        double s = LogSumExp.Of(u, v, out var p);
        if (!gradient.IsEmpty)
        {
            gradient[0] = aN * p;
            gradient[1] = aD * (1 - p);
            gradient[2] = p * (nc - features[0]);
            gradient[3] = s - p * u;
        }
        return aD * s;
    }

    public IReadOnlyList<double[]> StartGrid(ReadOnlySpan<double> features, ReadOnlySpan<double> logY)
    {
        int n = logY.Length;
        var lnN = new double[n];
        var lnD = new double[n];
        for (int i = 0; i < n; i++)
        {
            lnN[i] = features[2 * i];
            lnD[i] = features[2 * i + 1];
        }
        var (nMed, yMed, _) = PowerLaw.Summary(lnN, logY);
        var (dMed, _, _) = PowerLaw.Summary(lnD, logY);
        double lnY = Math.Log(yMed);
        var grid = new List<double[]>();
        foreach (var aN in new[] { 0.05, 0.1, 0.3, 0.6 })
        {
            foreach (var aD in new[] { 0.05, 0.1, 0.3, 0.6 })
            {
                foreach (var share in new[] { 0.1, 0.5, 0.9 })
                {
                    double nc = nMed + aD / aN * (Math.Log(share) + lnY / aD);
                    double dc = dMed + Math.Log(1 - share) + lnY / aD;
                    grid.Add([nc, dc, aN, aD]);
                }
            }
        }
        return grid;
    }

    public void ToSymbols(ReadOnlySpan<double> theta, Span<double> symbols)
    {
        symbols[0] = Math.Exp(theta[0]);
        symbols[1] = Math.Exp(theta[1]);
        symbols[2] = theta[2];
        symbols[3] = theta[3];
    }

    public void FromSymbols(ReadOnlySpan<double> symbols, Span<double> theta)
    {
        theta[0] = Math.Log(symbols[0]);
        theta[1] = Math.Log(symbols[1]);
        theta[2] = symbols[2];
        theta[3] = symbols[3];
    }

    public void Derived(ReadOnlySpan<double> symbols, Span<double> derived)
    {
    }
}
