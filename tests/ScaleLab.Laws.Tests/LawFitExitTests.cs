using MathNet.Numerics.Optimization;

namespace ScaleLab.Laws.Tests;

public sealed class LawFitExitTests
{
    private static readonly double[] Truth = [1.7, 2e3, 0.15]; // E, A, alpha

    private static ScalingDataset Data() =>
        Synthetic.FromLaw(new PowerLaw(LawInputs.C), Truth,
            Synthetic.LogSpace(1e18, 1e23, 20).Select(c => new LawPoint(C: c)).ToList(), 0.01, seed: 12);

    [Fact]
    public void OfFailure_EachExceptionTheMinimiserRaises_HasItsOwnReason()
    {
        // Given / When / Then: Math.NET's iteration limit, its other optimisation failures (the line search), our non-finite guard
        Assert.Equal(StopReason.IterationLimit, StopReasons.OfFailure(new MaximumIterationsException("limit")));
        Assert.Equal(StopReason.LineSearchFailure, StopReasons.OfFailure(new OptimizationException("line search")));
        Assert.Equal(StopReason.NonFinite, StopReasons.OfFailure(new InvalidOperationException("non-finite result")));
    }

    [Fact]
    public void Minimize_IterationLimitBeforeConvergence_SaysSo()
    {
        // Given a start far from the optimum, and the same start with room to converge
        var law = new PowerLaw(LawInputs.C);
        var data = Data();
        var (features, logY) = LogResidualObjective.Prepare(law, data);
        var objective = new LogResidualObjective(law, features, logY, LossKind.Huber, 1e-3);
        var best = LawFitter.Fit(law, data);
        double[] far = [best.Theta[0] + 5, best.Theta[1] - 3, 0.9];

        // When
        var limited = new LbfgsMinimizer(maximumIterations: 1).Minimize(objective, far);
        var full = new LbfgsMinimizer().Minimize(objective, far);

        // Then the first stopped on the limit (not "lack of progress"), the second on the gradient test
        Assert.Equal(StopReason.IterationLimit, limited.Stop);
        Assert.Equal("iteration limit reached", limited.ExitReason);
        Assert.Equal(StopReason.RelativeGradient, full.Stop);
    }

    [Fact]
    public void Fit_FailedStarts_AreCountedByReason()
    {
        // Given the full-data optimum as one start, a start with a NaN coordinate and one at 1e300 (no line-search step)
        var law = new PowerLaw(LawInputs.C);
        var data = Data();
        var best = LawFitter.Fit(law, data);
        double[][] starts = [best.Theta, [double.NaN, 0, 0.1], [1e300, 1e300, 1e300]];

        // When
        var fit = LawFitter.Fit(law, data, new FitOptions { Starts = starts });

        // Then the optimum's start ends at a point and each failure has its typed reason
        Assert.Equal(2, fit.StartsFailed);
        Assert.Equal(1, fit.FailedStarts[StopReason.NonFinite]);
        Assert.Equal(1, fit.FailedStarts[StopReason.LineSearchFailure]);
        Assert.Equal(StopReason.RelativeGradient, fit.Stop);
        Assert.Empty(best.FailedStarts);
    }

    [Fact]
    public void Fit_AsymptoticErrors_SitBesideTheBootstrapOnTheFit()
    {
        // Given a fit with its Gauss–Newton diagnostics
        var fit = LawFitter.Fit(new PowerLaw(LawInputs.C), Data());

        // When
        var se = fit.StandardErrors!;
        var cov = fit.Covariance!;

        // Then one standard error per reported parameter, and a symmetric covariance whose diagonal gives the coordinates' errors
        Assert.Equal(fit.Symbols.Count, se.Length);
        Assert.All(se, s => Assert.True(s > 0 && double.IsFinite(s)));
        for (var i = 0; i < cov.Length; i++)
        {
            Assert.Equal(Math.Sqrt(cov[i][i]), fit.Diagnostics!.StandardErrors[i], 12);
            for (var j = 0; j < cov.Length; j++)
            {
                Assert.Equal(cov[i][j], cov[j][i], 12);
            }
        }
    }
}
