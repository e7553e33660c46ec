using ScaleLab.Laws.Distillation;

namespace ScaleLab.Laws.Tests.Distillation;

/// <summary>
/// Busbridge et al.'s distillation law: its gradient against central differences, recovery of planted parameters from
/// synthetic students of five teachers, and the negative controls (teacher losses shuffled among the teachers, and a
/// form that ignores the teacher) that must fit markedly worse; too few teachers is refused in words.
/// </summary>
public sealed class BusbridgeLawTests
{
    // Supervised L~ = 1.55 + 40/N^0.5 + 60/D^0.4 over N 3e3-1e5, D 1e5-1e7 (about 1.6 to 2.9 nats).
    private static readonly double[] Supervised = [1.55, 40, 60, 0.5, 0.4];
    // c0, c1, d1, f1, A, B, alpha, beta, gamma: a break at L_T ≈ 0.9·L~, inside the teachers' range.
    private static readonly double[] Truth = [1.0, 2.0, 0.9, 0.5, 30, 50, 0.45, 0.35, 1.1];
    private static readonly double[] TeacherLosses = [1.55, 1.65, 1.8, 2.0, 2.3];

    private static BusbridgeLaw Law() => new(ChinchillaLaw.Instance, Supervised);

    // Every 8th start of the law's grid (72 of 576), to keep these tests to seconds.
    private static readonly FitOptions FewStarts = new() { Starts = Law().StartGrid([], []).Where((_, i) => i % 8 == 0).ToList() };

    private static List<StudentObservation> Planted(double[] teacherLosses, double sigma = 0.003, int seed = 3)
    {
        var law = Law();
        var rng = new Random(seed);
        var list = new List<StudentObservation>();
        for (int t = 0; t < teacherLosses.Length; t++)
        {
            foreach (var n in Synthetic.LogSpace(3e3, 1e5, 4))
            {
                foreach (var d in Synthetic.LogSpace(1e5, 1e7, 5))
                {
                    var y = law.Predict(Truth, new LawPoint(n, d, double.NaN, teacherLosses[t])) * Math.Exp(sigma * Synthetic.Gaussian(rng));
                    list.Add(new StudentObservation($"t{t}", n, d, 1, y));
                }
            }
        }
        return list;
    }

    private static StudentLossLaw SupervisedLaw()
    {
        var fit = new LawFit(ChinchillaLaw.Instance, ChinchillaLaw.Instance.Symbols, Supervised, new double[5], [], [], 0, 1, 0, 1, "", 0, "", 0, LossKind.Huber, 1e-3, []);
        return new StudentLossLaw("none", fit, Identification.Assess(fit));
    }

    private static Dictionary<string, double> Losses(double[] losses) =>
        losses.Select((l, t) => (l, t)).ToDictionary(x => $"t{x.t}", x => x.l);

    private static double ResidualSigma(LawFit fit, ScalingDataset data) =>
        Math.Sqrt(Enumerable.Range(0, data.Count).Average(i => Math.Pow(Math.Log(data.Y[i]) - Math.Log(fit.Predict(LawPoint.At(data, i))), 2)));

    [Fact]
    public void LogPredict_AnalyticGradient_MatchesCentralDifferences()
    {
        // Given: a point on each side of the break and parameters away from the truth
        var law = Law();
        var theta = new double[9];
        law.FromSymbols([0.7, 1.5, 1.1, 0.8, 20, 70, 0.4, 0.3, 0.9], theta);
        foreach (var (n, d, lt) in new[] { (3e3, 1e5, 1.55), (1e5, 1e7, 2.3), (1e4, 3e5, 1.9) })
        {
            var features = new double[4];
            law.Features(new LawPoint(n, d, double.NaN, lt), features);
            var gradient = new double[9];

            // When
            law.LogPredict(theta, features, gradient);

            // Then
            for (int k = 0; k < 9; k++)
            {
                var h = 1e-6 * Math.Max(1, Math.Abs(theta[k]));
                var plus = (double[])theta.Clone();
                var minus = (double[])theta.Clone();
                plus[k] += h;
                minus[k] -= h;
                var numeric = (law.LogPredict(plus, features, []) - law.LogPredict(minus, features, [])) / (2 * h);
                Assert.True(Math.Abs(gradient[k] - numeric) <= 1e-7 * Math.Max(1e-3, Math.Abs(numeric)),
                    $"d/d{law.Coordinates[k]} at L_T {lt}: analytic {gradient[k]:G10}, numeric {numeric:G10}");
            }
        }
    }

    [Fact]
    public void Fit_PlantedStudentsOfFiveTeachers_RecoversTheLawInsideItsIntervals()
    {
        // Given: 100 students (5 teachers × 4 sizes × 5 budgets), 0.3% noise
        var students = Planted(TeacherLosses);

        // When
        var result = BusbridgeFitter.Fit(students, Losses(TeacherLosses), SupervisedLaw(), bootstrapSamples: 100, fitOptions: FewStarts);

        // Then: fitted; every parameter the data identify has a bootstrap interval covering the truth, and the teacher's
        // exponent c0 and the student exponents are among them; predictions within 0.5% of the noiseless law everywhere
        Assert.Null(result.NotFitted);
        var fit = result.Fit!;
        foreach (var p in fit.Identification.Parameters.Where(p => p.Status == ParameterStatus.Identified))
        {
            var k = fit.Fit.Symbols.ToList().IndexOf(p.Symbol);
            Assert.True(fit.Fit.Bootstrap!.Parameters[k].Contains(Truth[k]),
                $"{p.Symbol}: truth {Truth[k]} outside [{fit.Fit.Bootstrap.Parameters[k].Lo}, {fit.Fit.Bootstrap.Parameters[k].Hi}]");
        }
        Assert.True(fit.Identification.AreIdentified(["c0", "alpha", "beta"]), string.Join("; ", fit.Identification.Statements));
        foreach (var s in students)
        {
            var truth = Law().Predict(Truth, new LawPoint(s.StudentParameters, s.Tokens, double.NaN, Losses(TeacherLosses)[s.Teacher]));
            Assert.True(Math.Abs(fit.Predict(s.StudentParameters, s.Tokens, Losses(TeacherLosses)[s.Teacher]) / truth - 1) < 0.005);
        }
    }

    [Fact]
    public void Fit_TeacherLossesShuffledOrTeacherIgnored_FitsMarkedlyWorse()
    {
        // Given: the same planted students; the control fits see each teacher's students with another teacher's loss, or
        // a law of N and D alone (chinchilla) across all teachers
        var students = Planted(TeacherLosses);
        double[] shuffled = [2.0, 2.3, 1.55, 1.8, 1.65];
        var data = new ScalingDataset("planted", [.. students.Select(s => s.Loss)], [.. students.Select(s => s.StudentParameters)],
            [.. students.Select(s => s.Tokens)], t: [.. students.Select(s => Losses(TeacherLosses)[s.Teacher])]);
        var shuffledData = new ScalingDataset("shuffled", data.Y, data.N, data.D, t: [.. students.Select(s => Losses(shuffled)[s.Teacher])]);

        // When
        var right = BusbridgeFitter.Fit(students, Losses(TeacherLosses), SupervisedLaw(), bootstrapSamples: 0, fitOptions: FewStarts).Fit!;
        var wrong = BusbridgeFitter.Fit(students, Losses(shuffled), SupervisedLaw(), bootstrapSamples: 0, fitOptions: FewStarts).Fit!;
        var ignored = LawFitter.Fit(ChinchillaLaw.Instance, data, new FitOptions { Starts = Synthetic.SmallChinchillaGrid() });

        // Then: the true teacher losses fit to the noise (0.3%); both controls leave residuals at least 3× larger
        var sigma = ResidualSigma(right.Fit, data);
        Assert.True(sigma < 0.004, $"true teacher losses: residual sigma {sigma}");
        Assert.True(ResidualSigma(wrong.Fit, shuffledData) > 3 * sigma, $"shuffled: {ResidualSigma(wrong.Fit, shuffledData)} vs {sigma}");
        Assert.True(ResidualSigma(ignored, data) > 3 * sigma, $"teacher ignored: {ResidualSigma(ignored, data)} vs {sigma}");
    }

    [Fact]
    public void Fit_TwoTeachers_NotFittedAndSaysWhyInWords()
    {
        // Given: students of two teachers only
        var students = Planted([1.55, 2.0]);

        // When
        var result = BusbridgeFitter.Fit(students, Losses([1.55, 2.0]), SupervisedLaw());

        // Then
        Assert.Null(result.Fit);
        Assert.Contains("2 teacher(s) with a known loss", result.NotFitted);
        Assert.Contains("at least 3 distinct teacher losses", result.NotFitted);
    }

    /// <summary>The planted distilled students plus supervised ("none") students of the supervised law at the same cells.</summary>
    private static List<StudentObservation> WithSupervised(List<StudentObservation> distilled)
    {
        var rng = new Random(9);
        var none = distilled.Select(s => (s.StudentParameters, s.Tokens)).Distinct().Select(c => new StudentObservation("none", c.StudentParameters, c.Tokens, 1,
            ChinchillaLaw.Instance.Predict(Supervised, new LawPoint(c.StudentParameters, c.Tokens)) * Math.Exp(0.003 * Synthetic.Gaussian(rng))));
        return [.. distilled, .. none];
    }

    private static readonly StudentLawOptions SmallSupervisedFit = new() { Starts = Synthetic.SmallChinchillaGrid() };

    [Fact]
    public void Backtest_StudentsFollowTheLaw_BeatsCarryingTheLastLossForward()
    {
        // Given: five teachers' students and the supervised students, budgets 1e5..1e7
        var students = WithSupervised(Planted(TeacherLosses));

        // When: fitted on the four smaller budgets, predicting 1e7
        var backtest = BusbridgeBacktest.Run(students, Losses(TeacherLosses), SmallSupervisedFit, FewStarts);

        // Then: 20 cells (5 teachers × 4 sizes), the law's error well under carrying the 3.2e6 loss forward
        Assert.Null(backtest.NotRun);
        Assert.Equal(20, backtest.Points.Count);
        Assert.True(backtest.Passed, $"law {backtest.LawMeanAbsError}, carried forward {backtest.CarriedForwardMeanAbsError}");
        Assert.True(backtest.LawMeanAbsError < 0.5 * backtest.CarriedForwardMeanAbsError);
    }

    [Fact]
    public void Backtest_DistilledStudentsStopImprovingAtTheLargestBudget_Fails()
    {
        // Given: every distilled student's loss at 1e7 equals its loss at the budget below (the law broken there)
        var planted = Planted(TeacherLosses);
        var lastBudget = planted.Select(s => s.Tokens).Distinct().Order().ToList()[^2];
        var broken = planted.Select(s => s.Tokens < 9e6 ? s
            : s with { Loss = planted.Single(p => p.Teacher == s.Teacher && p.StudentParameters == s.StudentParameters && p.Tokens == lastBudget).Loss }).ToList();

        // When
        var backtest = BusbridgeBacktest.Run(WithSupervised(broken), Losses(TeacherLosses), SmallSupervisedFit, FewStarts);

        // Then
        Assert.Null(backtest.NotRun);
        Assert.False(backtest.Passed, $"law {backtest.LawMeanAbsError}, carried forward {backtest.CarriedForwardMeanAbsError}");
    }
}
