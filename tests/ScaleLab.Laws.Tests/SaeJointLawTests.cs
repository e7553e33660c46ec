namespace ScaleLab.Laws.Tests;

public sealed class SaeJointLawTests
{
    private static readonly double[] Theta = [1.1, -0.3, -0.4, -0.05, -3.9, -0.2];

    public static TheoryData<double, double> Points() => new() { { 64, 8 }, { 4096, 64 }, { 300, 3 }, { 1e5, 128 } };

    [Theory]
    [MemberData(nameof(Points))]
    public void LogPredict_GradientMatchesCentralDifferences(double n, double k)
    {
        // Given
        var law = SaeJointLaw.Instance;
        Span<double> f = stackalloc double[2];
        law.Features(new LawPoint(N: n, D: k), f);
        var gradient = new double[6];

        // When
        var value = law.LogPredict(Theta, f, gradient);

        // Then: ln L̂ is the log of the two terms' sum, and each partial derivative matches a central difference in double
        var direct = Math.Exp(Theta[0] + Theta[1] * Math.Log(k) + Theta[2] * Math.Log(n) + Theta[3] * Math.Log(k) * Math.Log(n)) + Math.Exp(Theta[4] + Theta[5] * Math.Log(k));
        Assert.Equal(Math.Log(direct), value, 12);
        for (var j = 0; j < 6; j++)
        {
            var plus = (double[])Theta.Clone();
            var minus = (double[])Theta.Clone();
            plus[j] += 1e-6;
            minus[j] -= 1e-6;
            var numeric = (law.LogPredict(plus, f, []) - law.LogPredict(minus, f, [])) / 2e-6;
            Assert.Equal(numeric, gradient[j], 1e-7);
        }
    }

    [Fact]
    public void Symbols_RoundTripAndScalesAreExponentials()
    {
        var law = SaeJointLaw.Instance;
        var symbols = new double[6];
        law.ToSymbols(Theta, symbols);
        Assert.Equal(Math.Exp(1.1), symbols[0], 12);
        Assert.Equal(Math.Exp(-3.9), symbols[4], 12);
        var back = new double[6];
        law.FromSymbols(symbols, back);
        for (var j = 0; j < 6; j++) Assert.Equal(Theta[j], back[j], 12);
        Assert.Equal(0.4 + 0.05 * Math.Log(32), SaeJointLaw.ExponentInN(-0.4, -0.05, 32), 12);
    }
}
