using ScaleLab.Laws.IsoFlop;

namespace ScaleLab.Laws.Tests.IsoFlop;

public sealed class ParabolaTests
{
    [Fact]
    public void Fit_ExactQuadratic_RecoversVertex()
    {
        // Given loss = 2.5 + 0.3·(x − 9.2)² at x = log10 N in 8…10.5
        double[] x = [8.0, 8.5, 9.0, 9.5, 10.0, 10.5];
        var y = x.Select(v => 2.5 + 0.3 * (v - 9.2) * (v - 9.2)).ToArray();

        // When
        var p = Parabola.Fit(x, y)!;

        // Then
        Assert.True(p.OpensUpward);
        Assert.Equal(9.2, p.VertexX, 10);
        Assert.Equal(2.5, p.VertexLoss, 10);
        Assert.Equal(2.5 + 0.3 * 0.64, p.Evaluate(10.0), 10);
    }

    [Fact]
    public void Fit_TwoDistinctSizes_ReturnsNull()
    {
        // Given
        double[] x = [8.0, 8.0, 9.0, 9.0];
        double[] y = [3.0, 3.1, 2.9, 2.8];

        // When / Then
        Assert.Null(Parabola.Fit(x, y));
    }

    [Fact]
    public void Fit_NoisyPoints_MatchesMathNetPolynomial()
    {
        // Given
        double[] x = [7.1, 7.6, 8.0, 8.3, 8.9, 9.4, 9.8];
        double[] y = [3.9, 3.5, 3.31, 3.22, 3.2, 3.27, 3.41];

        // When
        var p = Parabola.Fit(x, y)!;
        var q = MathNet.Numerics.Fit.Polynomial(x, y, 2);

        // Then the two agree at every x
        foreach (var v in x)
        {
            Assert.Equal(q[0] + q[1] * v + q[2] * v * v, p.Evaluate(v), 9);
        }
    }
}
