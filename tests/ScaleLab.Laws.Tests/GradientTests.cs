namespace ScaleLab.Laws.Tests;

public sealed class GradientTests
{
    public static TheoryData<string, LossKind> Cases()
    {
        var data = new TheoryData<string, LossKind>();
        foreach (var law in new[] { "powerlaw", "chinchilla", "kaplan", "bnsl", "bnsl2", "exponential" })
        {
            data.Add(law, LossKind.Huber);
            data.Add(law, LossKind.Mse);
        }
        return data;
    }

    private static (IScalingLaw Law, ScalingDataset Data, double[] Theta) Setup(string name)
    {
        var law = LawCatalog.Create(name);
        var rng = new Random(7);
        var points = new List<LawPoint>();
        for (int i = 0; i < 40; i++)
        {
            double n = Math.Exp(16 + 6 * rng.NextDouble()), d = Math.Exp(20 + 6 * rng.NextDouble());
            points.Add(new LawPoint(n, d, 6 * n * d, 2000 + 20 * rng.NextDouble()));
        }
        // Parameters away from any optimum so residuals fall on both sides of the Huber threshold.
        double[] symbols = name switch
        {
            "powerlaw" => [1.5, 40, 0.08],
            "chinchilla" => [1.7, 400, 1500, 0.33, 0.3],
            "kaplan" => [8.8e13, 5.4e13, 0.076, 0.095],
            "bnsl" => [1.6, 60, 0.05, 0.2, 1e20, 0.7],
            "bnsl2" => [1.6, 60, 0.05, 0.2, 1e19, 0.7, 0.1, 1e22, 1.3],
            _ => [-600, 0.3],
        };
        var data = Synthetic.FromLaw(law, symbols, points, 0.01, 3);
        var theta = new double[law.Coordinates.Count];
        law.FromSymbols(symbols, theta);
        for (int k = 0; k < theta.Length; k++)
        {
            theta[k] += 0.01 * (k + 1) * (k % 2 == 0 ? 1 : -1) * Math.Max(1, Math.Abs(theta[k])) * 0.1;
        }
        return (law, data, theta);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Evaluate_AnalyticGradient_MatchesCentralDifferences(string name, LossKind loss)
    {
        // Given
        var (law, data, theta) = Setup(name);
        var (features, logY) = LogResidualObjective.Prepare(law, data);
        var weights = Enumerable.Range(0, data.Count).Select(i => (double)(i % 3)).ToArray();
        var objective = new LogResidualObjective(law, features, logY, loss, 0.01, weights);
        var gradient = new double[theta.Length];

        // When
        objective.Evaluate(theta, gradient);

        // Then: central differences, h scaled to the coordinate; mixed absolute/relative tolerance.
        var g = new double[theta.Length];
        for (int k = 0; k < theta.Length; k++)
        {
            double h = 1e-6 * Math.Max(1, Math.Abs(theta[k]));
            var plus = (double[])theta.Clone();
            var minus = (double[])theta.Clone();
            plus[k] += h;
            minus[k] -= h;
            double numeric = (objective.Evaluate(plus, g) - objective.Evaluate(minus, g)) / (2 * h);
            double scale = Math.Max(1e-3, Math.Abs(numeric));
            Assert.True(Math.Abs(gradient[k] - numeric) <= 1e-5 * scale,
                $"{name} {loss} d/d{law.Coordinates[k]}: analytic {gradient[k]:G10} numeric {numeric:G10}");
        }
    }

    [Fact]
    public void Evaluate_ChinchillaFastPath_MatchesReferencePath()
    {
        // Given
        var (law, data, theta) = Setup("chinchilla");
        var (features, logY) = LogResidualObjective.Prepare(law, data);
        var objective = new LogResidualObjective(law, features, logY, LossKind.Huber, 1e-3);
        var fast = new double[5];
        var reference = new double[5];

        // When
        double vf = objective.Evaluate(theta, fast);
        double vr = objective.EvaluateReference(theta, reference);

        // Then
        Assert.Equal(vr, vf, 1e-12 * Math.Abs(vr));
        for (int k = 0; k < 5; k++)
        {
            Assert.Equal(reference[k], fast[k], 1e-10 * Math.Max(1, Math.Abs(reference[k])));
        }
    }
}
