using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Double;
using MathNet.Numerics.Optimization;

namespace ScaleLab.Laws;

/// <summary>Why a minimisation stopped (re-derived from the final point; see <see cref="LbfgsMinimizer"/>).</summary>
public enum StopReason
{
    /// <summary>Math.NET's relative-gradient test passed: max_k |g_k|·max(|u_k|, 1)/max(|f|, 1) below tolerance.</summary>
    RelativeGradient,
    /// <summary>The gradient's Euclidean norm is below tolerance (the relative test did not pass).</summary>
    GradientNorm,
    /// <summary>Stopped on small steps or small function change with the gradient still above tolerance: not certified a minimum.</summary>
    LackOfProgress,
}

/// <summary>Where one minimisation ended; <see cref="ExitReason"/> is <see cref="Stop"/> in words.</summary>
public sealed record MinimizeOutcome(double[] Theta, double Value, int Iterations, string ExitReason)
{
    public StopReason Stop { get; init; } = StopReasons.Parse(ExitReason);
}

/// <summary>Words for <see cref="StopReason"/> (the strings fit documents have always carried).</summary>
public static class StopReasons
{
    public static string Describe(StopReason reason) => reason switch
    {
        StopReason.RelativeGradient => "relative gradient below tolerance",
        StopReason.GradientNorm => "gradient norm below tolerance",
        _ => "lack of progress",
    };

    /// <summary>The reason named by <see cref="Describe"/>; anything else is <see cref="StopReason.LackOfProgress"/>.</summary>
    public static StopReason Parse(string? words) => words switch
    {
        "relative gradient below tolerance" => StopReason.RelativeGradient,
        "gradient norm below tolerance" => StopReason.GradientNorm,
        _ => StopReason.LackOfProgress,
    };
}

/// <summary>
/// L-BFGS from Math.NET Numerics (<see cref="LimitedMemoryBfgsMinimizer"/>, weak-Wolfe line search) on an
/// <see cref="IFitObjective"/>. Optional per-coordinate scales s: the minimiser works on u = θ/s, which
/// conditions problems whose coordinates differ by orders of magnitude (NIST Misra1a: b1 ≈ 240, b2 ≈ 5e-4).
/// Math.NET reports every normal L-BFGS exit as "AbsoluteGradient", so the exit reason is re-derived here from
/// the final point. A line-search failure or an iteration limit throws (the caller counts the start as failed).
/// </summary>
public sealed class LbfgsMinimizer(double gradientTolerance = 1e-9, double parameterTolerance = 1e-12,
    double functionProgressTolerance = 1e-15, int memory = 10, int maximumIterations = 1000)
{
    public double GradientTolerance { get; } = gradientTolerance;
    public double ParameterTolerance { get; } = parameterTolerance;
    public double FunctionProgressTolerance { get; } = functionProgressTolerance;
    public int Memory { get; } = memory;
    public int MaximumIterations { get; } = maximumIterations;

    public MinimizeOutcome Minimize(IFitObjective objective, ReadOnlySpan<double> start, ReadOnlySpan<double> scale = default)
    {
        int p = objective.Dimension;
        var s = new double[p];
        for (int k = 0; k < p; k++)
        {
            s[k] = scale.IsEmpty ? 1 : scale[k];
        }
        var u0 = new DenseVector(p);
        for (int k = 0; k < p; k++)
        {
            u0[k] = start[k] / s[k];
        }
        var minimizer = new LimitedMemoryBfgsMinimizer(GradientTolerance, ParameterTolerance, FunctionProgressTolerance,
            Memory, MaximumIterations);
        var result = minimizer.FindMinimum(new ScaledObjective(objective, s), u0);
        var u = result.MinimizingPoint;
        var theta = new double[p];
        for (int k = 0; k < p; k++)
        {
            theta[k] = u[k] * s[k];
        }
        var eval = result.FunctionInfoAtMinimum;
        double value = eval.Value;
        if (!double.IsFinite(value) || theta.Any(t => !double.IsFinite(t)))
        {
            throw new InvalidOperationException("non-finite result");
        }
        var stop = Stop(eval.Point, eval.Gradient, value);
        return new MinimizeOutcome(theta, value, result.Iterations, StopReasons.Describe(stop)) { Stop = stop };
    }

    // Math.NET's relative-gradient test (MinimizerBase.ExitCriteriaSatisfied):
    // max_k |g_k|·max(|u_k|, 1) / max(|f|, 1) < tolerance.
    private StopReason Stop(Vector<double> u, Vector<double> g, double value)
    {
        double rel = 0;
        for (int k = 0; k < u.Count; k++)
        {
            rel = Math.Max(rel, Math.Abs(g[k]) * Math.Max(Math.Abs(u[k]), 1) / Math.Max(Math.Abs(value), 1));
        }
        if (rel < GradientTolerance)
        {
            return StopReason.RelativeGradient;
        }
        return g.L2Norm() < GradientTolerance ? StopReason.GradientNorm : StopReason.LackOfProgress;
    }

    /// <summary>Math.NET objective over u = θ/s: f(s⊙u), gradient s⊙∇f.</summary>
    private sealed class ScaledObjective(IFitObjective inner, double[] scale) : IObjectiveFunction
    {
        private readonly double[] _theta = new double[inner.Dimension];
        private readonly double[] _grad = new double[inner.Dimension];

        public Vector<double> Point { get; private set; } = null!;
        public double Value { get; private set; }
        public Vector<double> Gradient { get; private set; } = null!;
        public bool IsGradientSupported => true;
        public bool IsHessianSupported => false;
        public Matrix<double> Hessian => throw new NotSupportedException();

        public IObjectiveFunction CreateNew() => new ScaledObjective(inner, scale);

        public IObjectiveFunction Fork()
        {
            var copy = new ScaledObjective(inner, scale);
            if (Point is not null)
            {
                copy.Point = Point.Clone();
                copy.Value = Value;
                copy.Gradient = Gradient.Clone();
            }
            return copy;
        }

        public void EvaluateAt(Vector<double> point)
        {
            Point = point;
            for (int k = 0; k < _theta.Length; k++)
            {
                _theta[k] = point[k] * scale[k];
            }
            Value = inner.Evaluate(_theta, _grad);
            // A fresh vector per evaluation: the line search keeps references to earlier evaluations' gradients.
            var g = new DenseVector(_grad.Length);
            for (int k = 0; k < _grad.Length; k++)
            {
                g[k] = _grad[k] * scale[k];
            }
            Gradient = g;
        }
    }
}
