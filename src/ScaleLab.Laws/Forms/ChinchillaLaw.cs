namespace ScaleLab.Laws;

/// <summary>
/// Hoffmann et al. 2022 ("Training Compute-Optimal Large Language Models"), eq. 2 and Approach 3 (§3.3, App. D.2):
/// <code>
///   L(N, D) = E + A / N^alpha + B / D^beta
/// </code>
/// fitted in log space with coordinates θ = (a, b, e, alpha, beta), a = ln A, b = ln B, e = ln E:
/// <code>
///   ln L̂ = LSE(a − alpha·ln N, b − beta·ln D, e)            (LSE = log-sum-exp)
///   ∂ln L̂/∂a = p1,  ∂/∂b = p2,  ∂/∂e = p3,  ∂/∂alpha = −p1·ln N,  ∂/∂beta = −p2·ln D
/// </code>
/// where (p1, p2, p3) are the softmax weights of the three terms. The default start grid is Hoffmann et al.'s
/// (App. D.2; also used by Besiroglu et al. 2024): alpha, beta ∈ {0, 0.5, 1, 1.5, 2}, e ∈ {−1, −0.5, 0, 0.5, 1},
/// a, b ∈ {0, 5, 10, 15, 20, 25}: 4,500 starts.
/// Derived: the compute-optimal allocation exponents a_N = beta/(alpha+beta), b_D = alpha/(alpha+beta) and
/// G = (alpha·A/(beta·B))^(1/(alpha+beta)) of Hoffmann et al. eq. 4 (N_opt = G·(C/6)^a_N, D_opt = G⁻¹·(C/6)^b_D).
/// </summary>
public sealed class ChinchillaLaw : IScalingLaw
{
    public static ChinchillaLaw Instance { get; } = new();

    public string Name => "chinchilla";
    public string Formula => "L = E + A/N^alpha + B/D^beta";
    public IReadOnlyList<string> Coordinates { get; } = ["a", "b", "e", "alpha", "beta"];
    public IReadOnlyList<string> Symbols { get; } = ["E", "A", "B", "alpha", "beta"];
    public IReadOnlyList<string> DerivedNames { get; } = ["a_n", "b_d", "G"];
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
        double lnN = features[0], lnD = features[1];
        double lse = LogSumExp.Of(theta[0] - theta[3] * lnN, theta[1] - theta[4] * lnD, theta[2],
            out var p1, out var p2, out var p3);
        if (!gradient.IsEmpty)
        {
            gradient[0] = p1;
            gradient[1] = p2;
            gradient[2] = p3;
            gradient[3] = -p1 * lnN;
            gradient[4] = -p2 * lnD;
        }
        return lse;
    }

    /// <summary>Hoffmann et al.'s 4,500-point grid, in the order (alpha, beta, e, a, b) varying fastest last.</summary>
    public static IReadOnlyList<double[]> HoffmannGrid()
    {
        double[] exps = [0, 0.5, 1.0, 1.5, 2.0];
        double[] es = [-1, -0.5, 0, 0.5, 1];
        double[] abs = [0, 5, 10, 15, 20, 25];
        var grid = new List<double[]>(4500);
        foreach (var alpha in exps)
        {
            foreach (var beta in exps)
            {
                foreach (var e in es)
                {
                    foreach (var a in abs)
                    {
                        foreach (var b in abs)
                        {
                            grid.Add([a, b, e, alpha, beta]);
                        }
                    }
                }
            }
        }
        return grid;
    }

    public IReadOnlyList<double[]> StartGrid(ReadOnlySpan<double> features, ReadOnlySpan<double> logY) => HoffmannGrid();

    public void ToSymbols(ReadOnlySpan<double> theta, Span<double> symbols)
    {
        symbols[0] = Math.Exp(theta[2]);
        symbols[1] = Math.Exp(theta[0]);
        symbols[2] = Math.Exp(theta[1]);
        symbols[3] = theta[3];
        symbols[4] = theta[4];
    }

    public void FromSymbols(ReadOnlySpan<double> symbols, Span<double> theta)
    {
        theta[0] = Math.Log(symbols[1]);
        theta[1] = Math.Log(symbols[2]);
        theta[2] = Math.Log(symbols[0]);
        theta[3] = symbols[3];
        theta[4] = symbols[4];
    }

    public void Derived(ReadOnlySpan<double> symbols, Span<double> derived)
    {
        double bigA = symbols[1], bigB = symbols[2], alpha = symbols[3], beta = symbols[4];
        derived[0] = beta / (alpha + beta);
        derived[1] = alpha / (alpha + beta);
        derived[2] = Math.Pow(alpha * bigA / (beta * bigB), 1 / (alpha + beta));
    }
}
