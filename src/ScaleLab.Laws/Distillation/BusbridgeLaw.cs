namespace ScaleLab.Laws.Distillation;

/// <summary>
/// Busbridge et al. 2025 ("Distillation Scaling Laws", eq. 8): a distilled student's cross-entropy as a function of its
/// teacher's cross-entropy L_T and the loss L̃_S(N_S, D_S) the same student reaches by supervised training:
/// <code>
///   L_S = L_T + L_T^(−c0) · (1 + (L_T / (L̃_S·d1))^(1/f1))^(−c1·f1) · (A/N_S^alpha + B/D_S^beta)^gamma
/// </code>
/// The middle factor is a broken power law in the ratio L_T/L̃_S (the teacher's against the student's own capacity): ≈ 1
/// while the teacher is much weaker than the student could be on its own, ≈ (L_T/(L̃_S·d1))^(−c1) past the break d1, with
/// f1 the sharpness of the break. L̃_S is a supervised law fitted beforehand and held fixed here (its uncertainty is not
/// propagated). A point carries N_S in <see cref="LawPoint.N"/>, D_S in <see cref="LawPoint.D"/> and the teacher's loss
/// L_T in <see cref="LawPoint.T"/>.
/// Fitted in log space like every law (<see cref="LogResidualObjective"/>): with G the log of the second term,
/// <code>
///   G = −c0·ln L_T − c1·f1·softplus(u) + gamma·LSE(a − alpha·ln N, b − beta·ln D),   u = (ln L_T − ln L̃_S − ln d1)/f1
///   ln L̂ = LSE(ln L_T, G)
/// </code>
/// in coordinates θ = (c0, c1, ln d1, ln f1, a = ln A, b = ln B, alpha, beta, gamma).
/// </summary>
public sealed class BusbridgeLaw : IScalingLaw
{
    private readonly IScalingLaw _supervised;
    private readonly double[] _supervisedSymbols;

    /// <param name="supervised">The form of L̃_S (a law of N and D, e.g. chinchilla).</param>
    /// <param name="supervisedSymbols">Its fitted parameters, held fixed.</param>
    public BusbridgeLaw(IScalingLaw supervised, double[] supervisedSymbols)
    {
        ArgumentNullException.ThrowIfNull(supervised);
        ArgumentNullException.ThrowIfNull(supervisedSymbols);
        if (supervised.Inputs != (LawInputs.N | LawInputs.D)) throw new ArgumentException($"the supervised law must be a law of N and D, {supervised.Name} is not", nameof(supervised));
        _supervised = supervised;
        _supervisedSymbols = (double[])supervisedSymbols.Clone();
    }

    public string Name => "busbridge";
    public string Formula => "L_S = L_T + L_T^-c0 (1 + (L_T/(L~_S d1))^(1/f1))^(-c1 f1) (A/N^alpha + B/D^beta)^gamma";
    public IReadOnlyList<string> Coordinates { get; } = ["c0", "c1", "ln_d1", "ln_f1", "a", "b", "alpha", "beta", "gamma"];
    public IReadOnlyList<string> Symbols { get; } = ["c0", "c1", "d1", "f1", "A", "B", "alpha", "beta", "gamma"];
    public IReadOnlyList<string> DerivedNames { get; } = [];
    public LawInputs Inputs => LawInputs.N | LawInputs.D | LawInputs.T;
    public int FeatureCount => 4;
    public LossKind DefaultLoss => LossKind.Huber;

    /// <summary>The supervised loss L̃_S(N, D) the law compares the teacher with.</summary>
    public double Supervised(double n, double d) => _supervised.Predict(_supervisedSymbols, new LawPoint(n, d));

    public void Features(in LawPoint point, Span<double> features)
    {
        features[0] = Math.Log(point.N);
        features[1] = Math.Log(point.D);
        features[2] = Math.Log(point.T);
        features[3] = Math.Log(Supervised(point.N, point.D));
    }

    public double LogPredict(ReadOnlySpan<double> theta, ReadOnlySpan<double> features, Span<double> gradient)
    {
        double lnN = features[0], lnD = features[1], lnT = features[2], lnSup = features[3];
        double c0 = theta[0], c1 = theta[1], f1 = Math.Exp(theta[3]), gamma = theta[8];
        double u = (lnT - lnSup - theta[2]) / f1;
        double s = LogSumExp.Softplus(u), sigma = LogSumExp.Sigmoid(u);
        double m = LogSumExp.Of(theta[4] - theta[6] * lnN, theta[5] - theta[7] * lnD, out var q1);
        double q2 = 1 - q1;
        double g = -c0 * lnT - c1 * f1 * s + gamma * m;
        double result = LogSumExp.Of(lnT, g, out var wT);
        if (!gradient.IsEmpty)
        {
            double w = 1 - wT;
            gradient[0] = -w * lnT;
            gradient[1] = -w * f1 * s;
            gradient[2] = w * c1 * sigma;
            // ∂(f1·s)/∂ln f1 = f1·(s − sigma·u).
            gradient[3] = -w * c1 * f1 * (s - sigma * u);
            gradient[4] = w * gamma * q1;
            gradient[5] = w * gamma * q2;
            gradient[6] = -w * gamma * q1 * lnN;
            gradient[7] = -w * gamma * q2 * lnD;
            gradient[8] = w * m;
        }
        return result;
    }

    /// <summary>A product grid of 576 starts: c0 ∈ {0, 1, 3}, c1 ∈ {0.5, 3}, d1 ∈ {0.6, 1, 1.6}, f1 ∈ {0.5, 2}, ln A and
    /// ln B each ∈ {2, 8}, alpha = beta ∈ {0.25, 0.6}, gamma ∈ {0.5, 1}.</summary>
    public IReadOnlyList<double[]> StartGrid(ReadOnlySpan<double> features, ReadOnlySpan<double> logY)
    {
        var grid = new List<double[]>();
        foreach (var c0 in new[] { 0.0, 1.0, 3.0 })
        {
            foreach (var c1 in new[] { 0.5, 3.0 })
            {
                foreach (var d1 in new[] { 0.6, 1.0, 1.6 })
                {
                    foreach (var f1 in new[] { 0.5, 2.0 })
                    {
                        foreach (var a in new[] { 2.0, 8.0 })
                        {
                            foreach (var b in new[] { 2.0, 8.0 })
                            {
                                foreach (var exponent in new[] { 0.25, 0.6 })
                                {
                                    foreach (var gamma in new[] { 0.5, 1.0 })
                                    {
                                        grid.Add([c0, c1, Math.Log(d1), Math.Log(f1), a, b, exponent, exponent, gamma]);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return grid;
    }

    public void ToSymbols(ReadOnlySpan<double> theta, Span<double> symbols)
    {
        symbols[0] = theta[0];
        symbols[1] = theta[1];
        symbols[2] = Math.Exp(theta[2]);
        symbols[3] = Math.Exp(theta[3]);
        symbols[4] = Math.Exp(theta[4]);
        symbols[5] = Math.Exp(theta[5]);
        symbols[6] = theta[6];
        symbols[7] = theta[7];
        symbols[8] = theta[8];
    }

    public void FromSymbols(ReadOnlySpan<double> symbols, Span<double> theta)
    {
        theta[0] = symbols[0];
        theta[1] = symbols[1];
        theta[2] = Math.Log(symbols[2]);
        theta[3] = Math.Log(symbols[3]);
        theta[4] = Math.Log(symbols[4]);
        theta[5] = Math.Log(symbols[5]);
        theta[6] = symbols[6];
        theta[7] = symbols[7];
        theta[8] = symbols[8];
    }

    public void Derived(ReadOnlySpan<double> symbols, Span<double> derived)
    {
    }
}
