namespace ScaleLab.Laws;

/// <summary>A model y = f(x; b) with its gradient ∂f/∂b, for general least squares.</summary>
public interface ICurveModel
{
    int ParameterCount { get; }

    /// <summary>f(x; b); writes ∂f/∂b into <paramref name="gradient"/> when it is not empty.</summary>
    double Value(double x, ReadOnlySpan<double> b, Span<double> gradient);
}

/// <summary>Result of a least-squares curve fit.</summary>
public sealed record CurveFit(double[] Parameters, double ResidualSumOfSquares, int Iterations, string ExitReason);

/// <summary>
/// Ordinary least squares, minimise ½·Σ (y_i − f(x_i; b))², with the same Math.NET L-BFGS machinery the law
/// fits use. Coordinates are scaled by the magnitude of the start (u_k = b_k/|b0_k|), which is what lets
/// L-BFGS reach NIST StRD certified values on badly scaled problems such as Misra1a.
/// </summary>
public static class CurveFitter
{
    public static CurveFit LeastSquares(ICurveModel model, double[] x, double[] y, double[] start,
        double gradientTolerance = 1e-13, int maxIterations = 5000)
    {
        var objective = new Objective(model, x, y);
        var scale = start.Select(s => s == 0 ? 1 : Math.Abs(s)).ToArray();
        var minimizer = new LbfgsMinimizer(gradientTolerance, 1e-15, 1e-20, 10, maxIterations);
        var outcome = minimizer.Minimize(objective, start, scale);
        // Polish: restart from the result so L-BFGS rebuilds its curvature pairs at the optimum.
        try
        {
            var again = minimizer.Minimize(objective, outcome.Theta, scale);
            if (again.Value <= outcome.Value)
            {
                outcome = again with { Iterations = outcome.Iterations + again.Iterations };
            }
        }
        catch (MathNet.Numerics.Optimization.OptimizationException)
        {
            // Already at the optimum to line-search precision.
        }
        return new CurveFit(outcome.Theta, 2 * outcome.Value, outcome.Iterations, outcome.ExitReason);
    }

    private sealed class Objective(ICurveModel model, double[] x, double[] y) : IFitObjective
    {
        public int Dimension => model.ParameterCount;

        public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient)
        {
            Span<double> g = stackalloc double[model.ParameterCount];
            gradient.Clear();
            double value = 0;
            for (int i = 0; i < x.Length; i++)
            {
                double r = y[i] - model.Value(x[i], theta, g);
                value += 0.5 * r * r;
                for (int k = 0; k < g.Length; k++)
                {
                    gradient[k] -= r * g[k];
                }
            }
            return value;
        }
    }
}
