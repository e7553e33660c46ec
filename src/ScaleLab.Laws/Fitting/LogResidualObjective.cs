namespace ScaleLab.Laws;

/// <summary>The per-point loss ρ applied to log residuals.</summary>
public enum LossKind
{
    /// <summary>Huber: ρ(r) = r²/2 for |r| ≤ δ, δ·(|r| − δ/2) beyond (Huber 1964; Hoffmann et al. 2022 App. D.2).</summary>
    Huber,
    /// <summary>Least squares: ρ(r) = r²/2.</summary>
    Mse,
}

/// <summary>A differentiable objective f(θ) for the minimiser; separate from the minimiser itself.</summary>
public interface IFitObjective
{
    /// <summary>Number of coordinates θ.</summary>
    int Dimension { get; }

    /// <summary>Returns f(θ) and writes ∇f(θ) into <paramref name="gradient"/>. Must be thread-safe.</summary>
    double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient);
}

/// <summary>
/// Robust regression in log space (Hoffmann et al. 2022 App. D.2, Besiroglu et al. 2024 §2):
/// <code>
///   f(θ) = Σ_i w_i · ρ(r_i),   r_i = ln y_i − ln L̂(θ; x_i)
///   ∇f(θ) = − Σ_i w_i · ρ'(r_i) · ∇ ln L̂(θ; x_i),   ρ'(r) = r (|r| ≤ δ) or δ·sign(r)
/// </code>
/// A sum over points, as in Epoch's replication code (a mean has the same argmin; only the scale of f and so
/// the meaning of tolerances differs). The weights w_i are bootstrap multiplicities (1 for a plain fit, the
/// number of times point i was drawn for a resample), so a resample needs no copy of the data.
/// Features (e.g. ln N, ln D) and ln y are computed once; one pass computes f and ∇f without allocating.
/// </summary>
public sealed class LogResidualObjective : IFitObjective
{
    private readonly IScalingLaw _law;
    private readonly double[] _features; // (n, F) row-major
    private readonly double[] _logY;     // (n)
    private readonly double[]? _weights; // (n) or null for all ones
    private readonly int _featureCount;

    public LogResidualObjective(IScalingLaw law, double[] features, double[] logY, LossKind loss, double delta,
        double[]? weights = null)
    {
        _law = law;
        _features = features;
        _logY = logY;
        _weights = weights;
        _featureCount = law.FeatureCount;
        Loss = loss;
        Delta = delta;
        if (loss == LossKind.Huber && !(delta > 0))
        {
            throw new ArgumentException($"Huber delta must be positive, got {delta}", nameof(delta));
        }
    }

    /// <summary>Features and ln y of a data set, as the objective wants them.</summary>
    public static (double[] Features, double[] LogY) Prepare(IScalingLaw law, ScalingDataset data)
    {
        int f = law.FeatureCount;
        var features = new double[data.Count * f];
        var logY = new double[data.Count];
        for (int i = 0; i < data.Count; i++)
        {
            law.Features(LawPoint.At(data, i), features.AsSpan(i * f, f));
            logY[i] = Math.Log(data.Y[i]);
        }
        return (features, logY);
    }

    public LossKind Loss { get; }
    public double Delta { get; }
    public int Dimension => _law.Coordinates.Count;

    public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient) =>
        _law is ChinchillaLaw ? EvaluateChinchilla(theta, gradient) : EvaluateReference(theta, gradient);

    /// <summary>The generic path through <see cref="IScalingLaw.LogPredict"/>: the reference for fast kernels.</summary>
    public double EvaluateReference(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        int p = Dimension, fc = _featureCount;
        Span<double> g = stackalloc double[p];
        gradient.Clear();
        double value = 0, delta = Delta;
        bool huber = Loss == LossKind.Huber;
        for (int i = 0; i < _logY.Length; i++)
        {
            double w = _weights is null ? 1 : _weights[i];
            if (w == 0)
            {
                continue;
            }
            double r = _logY[i] - _law.LogPredict(theta, _features.AsSpan(i * fc, fc), g);
            double rho, psi;
            if (!huber || Math.Abs(r) <= delta)
            {
                rho = 0.5 * r * r;
                psi = r;
            }
            else
            {
                rho = delta * (Math.Abs(r) - 0.5 * delta);
                psi = delta * Math.Sign(r);
            }
            value += w * rho;
            double s = -w * psi;
            for (int k = 0; k < p; k++)
            {
                gradient[k] += s * g[k];
            }
        }
        return value;
    }

    /// <summary>
    /// Fast path for <see cref="ChinchillaLaw"/>: e^a, e^b, e^e are hoisted out of the loop, so a point costs two
    /// exponentials and one logarithm:
    /// <code>
    ///   u = e^a·e^(−alpha·ln N),  v = e^b·e^(−beta·ln D),  s = u + v + e^e,  ln L̂ = ln s
    ///   p1 = u/s, p2 = v/s, p3 = e^e/s   (the softmax weights of <see cref="ChinchillaLaw.LogPredict"/>)
    /// </code>
    /// A point whose s under- or overflows falls back to the shifted log-sum-exp of the law.
    /// </summary>
    private double EvaluateChinchilla(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        double a = theta[0], b = theta[1], e = theta[2], alpha = theta[3], beta = theta[4];
        double ea = Math.Exp(a), eb = Math.Exp(b), ee = Math.Exp(e);
        double g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, value = 0, delta = Delta;
        bool huber = Loss == LossKind.Huber;
        var f = _features;
        var logY = _logY;
        var weights = _weights;
        Span<double> gi = stackalloc double[5];
        for (int i = 0; i < logY.Length; i++)
        {
            double w = weights is null ? 1 : weights[i];
            if (w == 0)
            {
                continue;
            }
            double lnN = f[2 * i], lnD = f[2 * i + 1];
            double u = ea * Math.Exp(-alpha * lnN), v = eb * Math.Exp(-beta * lnD);
            double s = u + v + ee;
            double lp, p1, p2, p3;
            if (s > 0 && s < double.PositiveInfinity)
            {
                lp = Math.Log(s);
                double inv = 1 / s;
                p1 = u * inv;
                p2 = v * inv;
                p3 = ee * inv;
            }
            else
            {
                lp = _law.LogPredict(theta, f.AsSpan(2 * i, 2), gi);
                p1 = gi[0];
                p2 = gi[1];
                p3 = gi[2];
            }
            double r = logY[i] - lp;
            double rho, psi;
            if (!huber || Math.Abs(r) <= delta)
            {
                rho = 0.5 * r * r;
                psi = r;
            }
            else
            {
                rho = delta * (Math.Abs(r) - 0.5 * delta);
                psi = r > 0 ? delta : -delta;
            }
            value += w * rho;
            double sp = -w * psi;
            g0 += sp * p1;
            g1 += sp * p2;
            g2 += sp * p3;
            g3 -= sp * p1 * lnN;
            g4 -= sp * p2 * lnD;
        }
        gradient[0] = g0;
        gradient[1] = g1;
        gradient[2] = g2;
        gradient[3] = g3;
        gradient[4] = g4;
        return value;
    }

    /// <summary>Residuals r_i = ln y_i − ln L̂(θ; x_i).</summary>
    public double[] Residuals(ReadOnlySpan<double> theta)
    {
        var r = new double[_logY.Length];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = _logY[i] - _law.LogPredict(theta, _features.AsSpan(i * _featureCount, _featureCount), []);
        }
        return r;
    }
}
