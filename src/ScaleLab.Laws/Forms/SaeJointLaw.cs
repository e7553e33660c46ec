namespace ScaleLab.Laws;

/// <summary>
/// Gao et al. 2024 ("Scaling and evaluating sparse autoencoders", §3.1, the joint law of their Figure 1): the normalised
/// MSE (our held-out FVU) of a TopK SAE with n latents and k active ones,
/// <code>
///   L(n, k) = exp(alpha + beta_k·ln k + beta_n·ln n + gamma·ln k·ln n) + exp(zeta + eta·ln k)
/// </code>
/// a reducible term whose exponent in n, −(beta_n + gamma·ln k), changes with k, plus an irreducible term that depends on
/// k only. Reported as A = e^alpha and Z = e^zeta (positive scales, so their identification is judged in decades) and
/// the four exponents beta_k, beta_n, gamma, eta. Fitted in log space, θ = (alpha, beta_k, beta_n, gamma, zeta, eta):
/// <code>
///   ln L̂ = LSE(u, v),  u = alpha + beta_k·ln k + beta_n·ln n + gamma·ln k·ln n,  v = zeta + eta·ln k
///   ∂/∂alpha = p,  ∂/∂beta_k = p·ln k,  ∂/∂beta_n = p·ln n,  ∂/∂gamma = p·ln k·ln n,  ∂/∂zeta = 1 − p,  ∂/∂eta = (1 − p)·ln k
/// </code>
/// with p the softmax weight of u. The data set carries n in its N column and k in its D column (a
/// <see cref="ScalingDataset"/> has no column named k). Start grid (data-driven, 324 starts): beta_n ∈ {−1, −0.5, −0.25, −0.1},
/// gamma ∈ {−0.1, 0, 0.1}, beta_k, eta ∈ {−0.5, 0, 0.5}, Z·k^eta at the median k a fraction {0.01, 0.3, 0.7} of the smallest
/// loss, and alpha set so the curve passes through the median loss at the median n and k.
/// </summary>
public sealed class SaeJointLaw : IScalingLaw
{
    public static SaeJointLaw Instance { get; } = new();

    public string Name => "sae-joint";
    public string Formula => "L = A*k^beta_k*n^(beta_n + gamma*ln k) + Z*k^eta  (Gao et al. 2024: A = e^alpha, Z = e^zeta; n in N, k in D)";
    public IReadOnlyList<string> Coordinates { get; } = ["alpha", "beta_k", "beta_n", "gamma", "zeta", "eta"];
    public IReadOnlyList<string> Symbols { get; } = ["A", "beta_k", "beta_n", "gamma", "Z", "eta"];
    public IReadOnlyList<string> DerivedNames { get; } = [];
    public LawInputs Inputs => LawInputs.N | LawInputs.D;
    public int FeatureCount => 2;
    public LossKind DefaultLoss => LossKind.Huber;

    /// <summary>Features (ln n, ln k) of a point whose N is n and whose D is k.</summary>
    public void Features(in LawPoint point, Span<double> features)
    {
        features[0] = Math.Log(point.N);
        features[1] = Math.Log(point.D);
    }

    public double LogPredict(ReadOnlySpan<double> theta, ReadOnlySpan<double> features, Span<double> gradient)
    {
        double lnN = features[0], lnK = features[1];
        var u = theta[0] + theta[1] * lnK + theta[2] * lnN + theta[3] * lnK * lnN;
        var v = theta[4] + theta[5] * lnK;
        var lse = LogSumExp.Of(u, v, out var p);
        if (!gradient.IsEmpty)
        {
            gradient[0] = p;
            gradient[1] = p * lnK;
            gradient[2] = p * lnN;
            gradient[3] = p * lnK * lnN;
            gradient[4] = 1 - p;
            gradient[5] = (1 - p) * lnK;
        }
        return lse;
    }

    public IReadOnlyList<double[]> StartGrid(ReadOnlySpan<double> features, ReadOnlySpan<double> logY)
    {
        var count = logY.Length;
        var lnN = new double[count];
        var lnK = new double[count];
        for (var i = 0; i < count; i++)
        {
            lnN[i] = features[2 * i];
            lnK[i] = features[2 * i + 1];
        }
        static double Median(double[] a)
        {
            var s = (double[])a.Clone();
            Array.Sort(s);
            return s[s.Length / 2];
        }
        double nMed = Median(lnN), kMed = Median(lnK), yMed = Math.Exp(Median(logY.ToArray())), yMin = Math.Exp(logY.ToArray().Min());
        var grid = new List<double[]>();
        foreach (var betaN in new[] { -1.0, -0.5, -0.25, -0.1 })
        {
            foreach (var gamma in new[] { -0.1, 0.0, 0.1 })
            {
                foreach (var betaK in new[] { -0.5, 0.0, 0.5 })
                {
                    foreach (var eta in new[] { -0.5, 0.0, 0.5 })
                    {
                        foreach (var frac in new[] { 0.01, 0.3, 0.7 })
                        {
                            var floor = frac * yMin;
                            var zeta = Math.Log(floor) - eta * kMed;
                            var alpha = Math.Log(Math.Max(yMed - floor, 1e-3 * yMed)) - betaK * kMed - betaN * nMed - gamma * kMed * nMed;
                            grid.Add([alpha, betaK, betaN, gamma, zeta, eta]);
                        }
                    }
                }
            }
        }
        return grid;
    }

    public void ToSymbols(ReadOnlySpan<double> theta, Span<double> symbols)
    {
        symbols[0] = Math.Exp(theta[0]);
        symbols[1] = theta[1];
        symbols[2] = theta[2];
        symbols[3] = theta[3];
        symbols[4] = Math.Exp(theta[4]);
        symbols[5] = theta[5];
    }

    public void FromSymbols(ReadOnlySpan<double> symbols, Span<double> theta)
    {
        theta[0] = Math.Log(symbols[0]);
        theta[1] = symbols[1];
        theta[2] = symbols[2];
        theta[3] = symbols[3];
        theta[4] = Math.Log(symbols[4]);
        theta[5] = symbols[5];
    }

    public void Derived(ReadOnlySpan<double> symbols, Span<double> derived)
    {
    }

    /// <summary>The exponent of n in the reducible term at sparsity k: −(beta_n + gamma·ln k), so the term falls as
    /// n^−exponent.</summary>
    public static double ExponentInN(double betaN, double gamma, double k) => -(betaN + gamma * Math.Log(k));
}
