namespace ScaleLab.Laws;

/// <summary>
/// Broken neural scaling law, Caballero et al. 2022 ("Broken Neural Scaling Laws"), eq. 1, with k = 1 or 2 breaks:
/// <code>
///   y = a + b·x^(−c0)·Π_i (1 + (x/d_i)^(1/f_i))^(−c_i·f_i)
/// </code>
/// fitted in log space with coordinates θ = (ln a, ln b, c0, then per break c_i, ln d_i, ln f_i) so a, b, d_i,
/// f_i stay positive. With z_i = (ln x − ln d_i)/f_i, sp = ln(1 + e^z) and σ its derivative:
/// <code>
///   T = ln b − c0·ln x − Σ c_i·f_i·sp(z_i),   ln ŷ = LSE(ln a, T),   p = a/ŷ,  q = 1 − p
///   ∂/∂ln a = p, ∂/∂ln b = q, ∂/∂c0 = −q·ln x, ∂/∂c_i = −q·f_i·sp_i, ∂/∂ln d_i = q·c_i·σ_i,
///   ∂/∂ln f_i = q·f_i·c_i·(σ_i·z_i − sp_i)
/// </code>
/// Start grid (data-driven): a a fraction {0.01, 0.5, 0.9} of the smallest loss, c0 ∈ {0, 0.2, 0.5},
/// c_i ∈ {0.2, 0.5}, breaks at quantiles of ln x, f_i = 1 (and 0.3 for one break), b through the smallest-x point.
/// </summary>
public sealed class BrokenPowerLaw : IScalingLaw
{
    public BrokenPowerLaw(LawInputs x, int breaks)
    {
        X = x is LawInputs.N or LawInputs.D or LawInputs.C
            ? x : throw new ArgumentException($"bnsl: x must be N, D or C, not {x}", nameof(x));
        Breaks = breaks is 1 or 2 ? breaks : throw new ArgumentException("bnsl: 1 or 2 breaks", nameof(breaks));
        Coordinates = breaks == 1
            ? ["ln_a", "ln_b", "c0", "c1", "ln_d1", "ln_f1"]
            : ["ln_a", "ln_b", "c0", "c1", "ln_d1", "ln_f1", "c2", "ln_d2", "ln_f2"];
        Symbols = breaks == 1
            ? ["a", "b", "c0", "c1", "d1", "f1"]
            : ["a", "b", "c0", "c1", "d1", "f1", "c2", "d2", "f2"];
    }

    public LawInputs X { get; }
    public int Breaks { get; }
    public string Name => Breaks == 1 ? "bnsl" : "bnsl2";
    public string Formula => $"y = a + b*x^(-c0)*prod_i (1+(x/d_i)^(1/f_i))^(-c_i*f_i), x = {X}, {Breaks} break(s)";
    public IReadOnlyList<string> Coordinates { get; }
    public IReadOnlyList<string> Symbols { get; }
    public IReadOnlyList<string> DerivedNames { get; } = [];
    public LawInputs Inputs => X;
    public int FeatureCount => 1;
    public LossKind DefaultLoss => LossKind.Huber;

    public void Features(in LawPoint point, Span<double> features) => features[0] = Math.Log(point.Variable(X));

    public double LogPredict(ReadOnlySpan<double> theta, ReadOnlySpan<double> features, Span<double> gradient)
    {
        double lnx = features[0];
        double t = theta[1] - theta[2] * lnx;
        for (int i = 0; i < Breaks; i++)
        {
            double c = theta[3 + 3 * i], f = Math.Exp(theta[5 + 3 * i]);
            double z = (lnx - theta[4 + 3 * i]) / f;
            t -= c * f * LogSumExp.Softplus(z);
        }
        double lse = LogSumExp.Of(theta[0], t, out var p);
        if (!gradient.IsEmpty)
        {
            double q = 1 - p;
            gradient[0] = p;
            gradient[1] = q;
            gradient[2] = -q * lnx;
            for (int i = 0; i < Breaks; i++)
            {
                double c = theta[3 + 3 * i], f = Math.Exp(theta[5 + 3 * i]);
                double z = (lnx - theta[4 + 3 * i]) / f;
                double sp = LogSumExp.Softplus(z), sg = LogSumExp.Sigmoid(z);
                gradient[3 + 3 * i] = -q * f * sp;
                gradient[4 + 3 * i] = q * c * sg;
                gradient[5 + 3 * i] = q * f * c * (sg * z - sp);
            }
        }
        return lse;
    }

    public IReadOnlyList<double[]> StartGrid(ReadOnlySpan<double> features, ReadOnlySpan<double> logY)
    {
        int n = logY.Length;
        var lnx = features.ToArray();
        var order = Enumerable.Range(0, n).OrderBy(i => lnx[i]).ToArray();
        double lnxMin = features[order[0]];
        double yAtMin = Math.Exp(logY[order[0]]);
        double yMin = Math.Exp(logY.ToArray().Min());
        double Quantile(double q) => lnx[order[(int)Math.Round(q * (n - 1))]];
        var grid = new List<double[]>();
        foreach (var frac in new[] { 0.01, 0.5, 0.9 })
        {
            double la = Math.Log(frac * yMin);
            foreach (var c0 in new[] { 0.0, 0.2, 0.5 })
            {
                double lb = Math.Log(Math.Max(yAtMin - frac * yMin, 1e-3 * yAtMin)) + c0 * lnxMin;
                if (Breaks == 1)
                {
                    foreach (var c1 in new[] { 0.2, 0.5 })
                    {
                        foreach (var q in new[] { 0.25, 0.5, 0.75 })
                        {
                            foreach (var f in new[] { 0.3, 1.0 })
                            {
                                grid.Add([la, lb, c0, c1, Quantile(q), Math.Log(f)]);
                            }
                        }
                    }
                }
                else
                {
                    foreach (var c1 in new[] { 0.2, 0.5 })
                    {
                        foreach (var c2 in new[] { 0.2, 0.5 })
                        {
                            foreach (var (q1, q2) in new[] { (0.25, 0.75), (0.33, 0.67) })
                            {
                                grid.Add([la, lb, c0, c1, Quantile(q1), 0, c2, Quantile(q2), 0]);
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
        symbols[0] = Math.Exp(theta[0]);
        symbols[1] = Math.Exp(theta[1]);
        symbols[2] = theta[2];
        for (int i = 0; i < Breaks; i++)
        {
            symbols[3 + 3 * i] = theta[3 + 3 * i];
            symbols[4 + 3 * i] = Math.Exp(theta[4 + 3 * i]);
            symbols[5 + 3 * i] = Math.Exp(theta[5 + 3 * i]);
        }
    }

    public void FromSymbols(ReadOnlySpan<double> symbols, Span<double> theta)
    {
        theta[0] = Math.Log(symbols[0]);
        theta[1] = Math.Log(symbols[1]);
        theta[2] = symbols[2];
        for (int i = 0; i < Breaks; i++)
        {
            theta[3 + 3 * i] = symbols[3 + 3 * i];
            theta[4 + 3 * i] = Math.Log(symbols[4 + 3 * i]);
            theta[5 + 3 * i] = Math.Log(symbols[5 + 3 * i]);
        }
    }

    public void Derived(ReadOnlySpan<double> symbols, Span<double> derived)
    {
    }
}
