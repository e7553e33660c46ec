using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Double;
using MathNet.Numerics.Optimization;

namespace ScaleLab.Laws;

/// <summary>
/// Why a minimisation stopped. The first four end a start at a point (re-derived from the final point; see
/// <see cref="LbfgsMinimizer"/>); the last two end it without one, and the multi-start fit counts the start as failed
/// (<see cref="LawFit.FailedStarts"/>).
/// </summary>
public enum StopReason
{
    /// <summary>Math.NET's relative-gradient test passed: max_k |g_k|·max(|u_k|, 1)/max(|f|, 1) below tolerance.</summary>
    RelativeGradient,
    /// <summary>The gradient's Euclidean norm is below tolerance (the relative test did not pass).</summary>
    GradientNorm,
    /// <summary>Stopped on small steps or small function change with the gradient still above tolerance: not certified a minimum.</summary>
    LackOfProgress,
    /// <summary>
    /// The iteration limit was reached with the gradient above tolerance: Math.NET's L-BFGS returns its last point
    /// there (not certified a minimum; before this reason existed such a stop read <see cref="LackOfProgress"/>).
    /// A <c>MaximumIterationsException</c> (an inner iteration limit) also maps here, as a failed start.
    /// </summary>
    IterationLimit,
    /// <summary>The line search found no acceptable step (Math.NET's <c>InnerOptimizationException</c> and any other <c>OptimizationException</c>).</summary>
    LineSearchFailure,
    /// <summary>The objective, its gradient or the final point was not finite (Math.NET refuses NaN with an <c>ArithmeticException</c>).</summary>
    NonFinite,
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
        StopReason.IterationLimit => "iteration limit reached",
        StopReason.LineSearchFailure => "line search failed",
        StopReason.NonFinite => "non-finite objective or point",
        _ => "lack of progress",
    };

    /// <summary>The reason named by <see cref="Describe"/>; anything else is <see cref="StopReason.LackOfProgress"/>.</summary>
    public static StopReason Parse(string? words) => words switch
    {
        "relative gradient below tolerance" => StopReason.RelativeGradient,
        "gradient norm below tolerance" => StopReason.GradientNorm,
        "iteration limit reached" => StopReason.IterationLimit,
        "line search failed" => StopReason.LineSearchFailure,
        "non-finite objective or point" => StopReason.NonFinite,
        _ => StopReason.LackOfProgress,
    };

    /// <summary>Why a start that threw ended without a point (the exception classes <see cref="LbfgsMinimizer.Minimize"/> raises).</summary>
    public static StopReason OfFailure(Exception failure) => failure switch
    {
        MaximumIterationsException => StopReason.IterationLimit,
        OptimizationException => StopReason.LineSearchFailure,
        _ => StopReason.NonFinite,
    };
}

/// <summary>
/// L-BFGS from Math.NET Numerics (<see cref="LimitedMemoryBfgsMinimizer"/>, weak-Wolfe line search) on an
/// <see cref="IFitObjective"/>. Optional per-coordinate scales s: the minimiser works on u = θ/s, which
/// conditions problems whose coordinates differ by orders of magnitude (NIST Misra1a: b1 ≈ 240, b2 ≈ 5e-4).
/// Math.NET reports every normal L-BFGS exit as "AbsoluteGradient", so the exit reason is re-derived here from
/// the final point; a start that used up <see cref="MaximumIterations"/> without passing a gradient test is
/// <see cref="StopReason.IterationLimit"/> (Math.NET returns its last point, with Iterations = limit + 1). A line-search
/// failure or a non-finite objective throws (the caller counts the start as failed, <see cref="StopReasons.OfFailure"/>).
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
        if (stop == StopReason.LackOfProgress && result.Iterations > MaximumIterations)
        {
            stop = StopReason.IterationLimit;
        }
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
