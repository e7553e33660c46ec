using System.Globalization;
using MathNet.Numerics.LinearAlgebra;

namespace ScaleLab.Laws;

/// <summary>
/// The span of the fitted data (null where the data have no such column); <see cref="LogLossSum"/> = Σ ln y is a
/// fingerprint that lets <see cref="LawComparison"/> check that two fits saw the same losses.
/// </summary>
public sealed record DataRange(double? CMin, double? CMax, double? NMin, double? NMax, double? DMin, double? DMax,
    int Points, int DistinctPoints, int DistinctCompute, double LogLossSum);

/// <summary>
/// Likelihood-based model comparison of one fit. The likelihood is Gaussian on the log residuals r_i = ln y_i − ln L̂_i
/// with the maximum-likelihood variance σ̂² = Σr²/n, evaluated at the fit's (robust, Huber) optimum rather than at the
/// Gaussian maximum-likelihood point:
/// <code>
///   ln ℒ = −n/2·(ln(2π·σ̂²) + 1),   k = free parameters + 1 (σ)
///   AIC = 2k − 2 ln ℒ (Akaike 1974),  AICc = AIC + 2k(k+1)/(n − k − 1) (Hurvich &amp; Tsai 1989),  BIC = k·ln n − 2 ln ℒ (Schwarz 1978)
/// </code>
/// Comparable only across fits of the same points (the same y); <see cref="LawComparison"/> checks the count.
/// </summary>
public sealed record InformationCriteria(double LogLikelihood, int Parameters, int Points, double Aic, double Aicc, double Bic,
    double Sigma, string Likelihood);

/// <summary>
/// Asymptotic diagnostics of a fit at its optimum θ̂ (free coordinates only), from the Gauss–Newton Hessian of the
/// least-squares objective ½Σr_i² on log residuals (Seber &amp; Wild 1989, "Nonlinear Regression", §2.1, eq. 2.21;
/// Bates &amp; Watts 1988 §2.3):
/// <code>
///   J_ik = ∂ ln L̂(θ; x_i)/∂θ_k,   H ≈ JᵀJ,   s² = Σ r_i²/(n − p),   Cov(θ̂) ≈ s²·(JᵀJ)⁻¹
///   R = D⁻¹ JᵀJ D⁻¹ (D = diag √(JᵀJ)_kk),   condition number κ = λ_max(R)/λ_min(R),   leverage h_i = J_i (JᵀJ)⁻¹ J_iᵀ
/// </code>
/// Why Gauss–Newton and not the Hessian of the Huber objective itself: with Hoffmann et al.'s δ = 1e-3 nearly every
/// log residual lies beyond δ, where ρ'' = 0, so the Huber Hessian Σ ρ''(r_i)·J_iᵀJ_i is (nearly) zero; a Huber
/// sandwich (Huber 1967) would need the residual density at 0. The least-squares form treats the fit as
/// least squares near its optimum and is the standard large-sample approximation. Standard errors of the reported
/// parameters (E, A, alpha, ...) are by the delta method through the law's map from coordinates to symbols.
/// </summary>
public sealed record FitDiagnostics(
    IReadOnlyList<string> Names,
    IReadOnlyList<string> Coordinates,
    bool[] IsLog,
    double[] StandardErrors,
    double[][] Covariance,
    double[][] Correlation,
    double ConditionNumber,
    bool Singular,
    double ResidualSigma,
    int DegreesOfFreedom,
    string Method,
    double[] SymbolStandardErrors,
    double[] Leverage,
    InformationCriteria Information,
    DataRange Range,
    IReadOnlyList<string> Warnings)
{
    public const string GaussNewton = "gauss-newton, s^2 (J'J)^-1 of the log residuals at the optimum, s^2 = sum r^2/(n-p) (Seber & Wild 1989 eq. 2.21)";

    /// <summary>Condition number of the correlation-scaled JᵀJ above which the Hessian is called singular.</summary>
    public const double SingularCondition = 1e12;

    /// <summary>Leverage above which one point is said to pin the fit.</summary>
    public const double HighLeverage = 0.9;

    /// <summary>Diagnostics of a fit of <paramref name="law"/> to <paramref name="data"/> at <paramref name="theta"/>.</summary>
    public static FitDiagnostics Compute(IScalingLaw law, ScalingDataset data, double[] theta)
    {
        var (features, logY) = LogResidualObjective.Prepare(law, data);
        int n = data.Count, p = law.Coordinates.Count, fc = law.FeatureCount;
        var map = CoordinateMap.Of(law);
        var names = Enumerable.Range(0, p).Select(k => map.Name(law, k)).ToArray();
        var isLog = Enumerable.Range(0, p).Select(k => map.IsOneToOne && map.IsLog[k]).ToArray();

        // J (n, p) and residuals r (n).
        var jac = Matrix<double>.Build.Dense(n, p);
        var r = new double[n];
        var g = new double[p];
        for (int i = 0; i < n; i++)
        {
            r[i] = logY[i] - law.LogPredict(theta, features.AsSpan(i * fc, fc), g);
            for (int k = 0; k < p; k++)
            {
                jac[i, k] = g[k];
            }
        }
        double rss = r.Sum(x => x * x);
        int dof = n - p;
        double s2 = dof > 0 ? rss / dof : double.NaN;

        var jtj = jac.TransposeThisAndMultiply(jac);
        var scale = Enumerable.Range(0, p).Select(k => Math.Sqrt(jtj[k, k])).ToArray();
        bool zeroColumn = scale.Any(s => !(s > 0) || !double.IsFinite(s));
        var corrJ = Matrix<double>.Build.Dense(p, p, (a, b) => zeroColumn ? 0 : jtj[a, b] / (scale[a] * scale[b]));
        double condition = double.PositiveInfinity;
        Matrix<double>? inverseR = null;
        if (!zeroColumn)
        {
            var evd = corrJ.Evd(Symmetricity.Symmetric);
            var ev = evd.EigenValues.Select(e => e.Real).ToArray();
            double max = ev.Max(), min = ev.Min();
            condition = min > 0 ? max / min : double.PositiveInfinity;
            if (condition < SingularCondition)
            {
                inverseR = corrJ.Inverse();
            }
        }
        bool singular = inverseR is null;
        var cov = new double[p][];
        var corr = new double[p][];
        var se = new double[p];
        for (int a = 0; a < p; a++)
        {
            cov[a] = new double[p];
            corr[a] = new double[p];
            for (int b = 0; b < p; b++)
            {
                cov[a][b] = singular ? double.NaN : s2 * inverseR![a, b] / (scale[a] * scale[b]);
            }
        }
        for (int a = 0; a < p; a++)
        {
            se[a] = Math.Sqrt(cov[a][a]);
            for (int b = 0; b < p; b++)
            {
                corr[a][b] = singular ? double.NaN : inverseR![a, b] / Math.Sqrt(inverseR[a, a] * inverseR[b, b]);
            }
        }

        // Leverage h_i = z_iᵀ R⁻¹ z_i with z_i = D⁻¹ J_i (the hat matrix of the linearised fit).
        var leverage = new double[n];
        for (int i = 0; i < n; i++)
        {
            if (singular)
            {
                leverage[i] = double.NaN;
                continue;
            }
            double h = 0;
            for (int a = 0; a < p; a++)
            {
                for (int b = 0; b < p; b++)
                {
                    h += jac[i, a] / scale[a] * inverseR![a, b] * jac[i, b] / scale[b];
                }
            }
            leverage[i] = h;
        }

        var symbolSe = DeltaMethod(law, theta, cov, singular);
        var info = Likelihood(rss, n, p);
        var range = Span(data, features, fc);
        var warnings = Warn(law, data, range, names, condition, singular, leverage, n, p);
        return new FitDiagnostics(names, law.Coordinates, isLog, se, cov, corr, condition, singular, Math.Sqrt(s2), dof,
            GaussNewton, symbolSe, leverage, info, range, warnings);
    }

    /// <summary>Gaussian likelihood of the log residuals (see <see cref="InformationCriteria"/>).</summary>
    public static InformationCriteria Likelihood(double rss, int n, int freeParameters)
    {
        int k = freeParameters + 1;
        double sigma2 = rss / n;
        double lnL = -0.5 * n * (Math.Log(2 * Math.PI * sigma2) + 1);
        double aic = 2 * k - 2 * lnL;
        double aicc = n - k - 1 > 0 ? aic + 2.0 * k * (k + 1) / (n - k - 1) : double.NaN;
        double bic = k * Math.Log(n) - 2 * lnL;
        return new InformationCriteria(lnL, k, n, aic, aicc, bic, Math.Sqrt(sigma2),
            "gaussian on log residuals, sigma^2 = sum r^2/n at the fitted optimum");
    }

    /// <summary>Delta method: Var(s_j) = ∇s_j Cov ∇s_jᵀ with ∇s_j by central differences of the coordinate → symbol map.</summary>
    private static double[] DeltaMethod(IScalingLaw law, double[] theta, double[][] cov, bool singular)
    {
        int p = theta.Length, m = law.Symbols.Count;
        var grad = new double[m, p];
        var plus = new double[m];
        var minus = new double[m];
        for (int k = 0; k < p; k++)
        {
            double h = 1e-6 * Math.Max(1, Math.Abs(theta[k]));
            var t = (double[])theta.Clone();
            t[k] = theta[k] + h;
            law.ToSymbols(t, plus);
            t[k] = theta[k] - h;
            law.ToSymbols(t, minus);
            for (int j = 0; j < m; j++)
            {
                grad[j, k] = (plus[j] - minus[j]) / (2 * h);
            }
        }
        var se = new double[m];
        for (int j = 0; j < m; j++)
        {
            double v = 0;
            bool depends = false;
            for (int a = 0; a < p; a++)
            {
                depends |= grad[j, a] != 0;
                for (int b = 0; b < p; b++)
                {
                    if (grad[j, a] != 0 && grad[j, b] != 0)
                    {
                        v += grad[j, a] * cov[a][b] * grad[j, b];
                    }
                }
            }
            se[j] = !depends ? 0 : singular ? double.NaN : Math.Sqrt(v);
        }
        return se;
    }

    private static DataRange Span(ScalingDataset data, double[] features, int fc)
    {
        static (double?, double?) MinMax(double[]? a) => a is null ? (null, null) : (a.Min(), a.Max());
        var (cMin, cMax) = MinMax(data.C);
        var (nMin, nMax) = MinMax(data.N);
        var (dMin, dMax) = MinMax(data.D);
        int distinct = Enumerable.Range(0, data.Count)
            .Select(i => string.Join(",", features.AsSpan(i * fc, fc).ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture))))
            .Distinct().Count();
        int distinctC = data.C is null ? 0 : data.C.Select(c => Math.Round(Math.Log10(c), 9)).Distinct().Count();
        return new DataRange(cMin, cMax, nMin, nMax, dMin, dMax, data.Count, distinct, distinctC, data.Y.Sum(Math.Log));
    }

    private static List<string> Warn(IScalingLaw law, ScalingDataset data, DataRange range, string[] names,
        double condition, bool singular, double[] leverage, int n, int p)
    {
        var warnings = new List<string>();
        if (range.DistinctCompute == 1 && n > 1)
        {
            warnings.Add($"all {n} runs share one compute budget (C = {NumberStyle.Format(range.CMax, 4)}): on one isoFLOP line N and D = C/(6N) move together, " +
                "so the N and D terms are barely told apart; add budgets, or fix or tie a parameter");
        }
        if (singular)
        {
            warnings.Add($"the Hessian (Gauss-Newton J'J) is singular (condition number {NumberStyle.Format(condition, 3)}): " +
                $"some combination of {string.Join(", ", names)} is not fixed by these data; no standard errors");
        }
        for (int i = 0; i < n; i++)
        {
            if (leverage[i] > HighLeverage && n > p + 1)
            {
                warnings.Add($"data row {data.Rows[i]} has leverage {NumberStyle.Format(leverage[i], 3)}: the curve is pinned to this one point " +
                    "(e.g. a run far beyond the others), and so is any extrapolation");
            }
        }
        if (n - p < 3)
        {
            warnings.Add($"{n} points for {p} free parameters of {law.Name}: {n - p} degrees of freedom left");
        }
        return warnings;
    }
}
