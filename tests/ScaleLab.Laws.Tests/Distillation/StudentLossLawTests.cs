using ScaleLab.Laws.Distillation;

namespace ScaleLab.Laws.Tests.Distillation;

/// <summary>
/// Student loss laws L(N_S, D_S) per teacher: recovery of planted parameters inside their bootstrap intervals, and the
/// back-test, which passes on students that follow a law and fails (the negative control) when the law breaks at the
/// largest budget, where carrying the last loss forward is the better forecast.
/// </summary>
public sealed class StudentLossLawTests
{
    // E, A, B, alpha, beta on the study's scale: N 3e3-3e4, D 1e5-1.6e6.
    private static readonly double[] Truth = [1.6, 30, 80, 0.45, 0.42];

    private static readonly StudentLawOptions Options = new() { BootstrapSamples = 100, Starts = Synthetic.SmallChinchillaGrid() };

    private static List<StudentObservation> Planted(string teacher, Func<double, double, double>? bend = null, int seeds = 3, double sigma = 0.004)
    {
        var rng = new Random(17);
        var list = new List<StudentObservation>();
        foreach (var n in new[] { 3312.0, 12768.0, 25344.0 })
        {
            foreach (var d in new[] { 102400.0, 256000.0, 640000.0, 1600000.0 })
            {
                var mean = ChinchillaLaw.Instance.Predict(Truth, new LawPoint(n, d)) + (bend?.Invoke(n, d) ?? 0);
                for (int s = 1; s <= seeds; s++) list.Add(new StudentObservation(teacher, n, d, s, mean * Math.Exp(sigma * Synthetic.Gaussian(rng))));
            }
        }
        return list;
    }

    [Fact]
    public void Fit_PlantedStudents_PredictsTheLawAndCoversIdentifiedParameters()
    {
        // Given: 3 sizes × 4 budgets × 3 seeds from the planted law, 0.4% noise
        var students = Planted("oracle");

        // When
        var law = StudentLossLaws.Fit("oracle", students, Options);

        // Then: the mean curve within 1% of the truth over the data, its 95% band covers the truth at 10 or more of the 12
        // cells; each identified parameter's interval covers its true value
        var covered = 0;
        foreach (var cell in students.GroupBy(s => (s.StudentParameters, s.Tokens)).Select(g => g.Key))
        {
            var truth = ChinchillaLaw.Instance.Predict(Truth, new LawPoint(cell.StudentParameters, cell.Tokens));
            Assert.True(Math.Abs(law.Predict(cell.StudentParameters, cell.Tokens) / truth - 1) < 0.01);
            if (law.PredictBand(cell.StudentParameters, cell.Tokens)!.Contains(truth)) covered++;
        }
        Assert.True(covered >= 10, $"the band covers the truth at {covered} of 12 cells");
        foreach (var p in law.Identification.Parameters.Where(p => p.Status == ParameterStatus.Identified))
        {
            var k = law.Fit.Symbols.ToList().IndexOf(p.Symbol);
            Assert.True(law.Fit.Bootstrap!.Parameters[k].Contains(Truth[k]), $"{p.Symbol}: truth {Truth[k]} outside its interval");
        }
    }

    [Fact]
    public void FitAll_TooFewSizes_SaysWhyForThatTeacher()
    {
        // Given: a teacher with one student size
        var students = Planted("oracle").Concat(Planted("weak").Where(s => s.StudentParameters == 3312)).ToList();

        // When
        var (laws, failures) = StudentLossLaws.FitAll(students, Options);

        // Then
        Assert.Equal(["oracle"], laws.Select(l => l.Teacher));
        Assert.Equal("weak", Assert.Single(failures).Teacher);
        Assert.Contains("1 student size(s)", failures[0].Reason);
    }

    [Fact]
    public void Backtest_StudentsFollowTheLaw_BeatsCarryingTheLastLossForward()
    {
        // Given
        var students = Planted("none");

        // When
        var backtest = StudentLawBacktests.Run("none", students, Options);

        // Then: predicted from the three smaller budgets, every size's largest-budget loss is covered and the law's error is
        // well below that of carrying the 640k-token loss forward
        Assert.Null(backtest.NotRun);
        Assert.Equal((1600000.0, 640000.0), (backtest.HeldOutTokens, backtest.LastTrainTokens));
        Assert.Equal(3, backtest.Points.Count);
        Assert.True(backtest.Passed, $"law {backtest.LawMeanAbsError}, carried forward {backtest.CarriedForwardMeanAbsError}");
        Assert.True(backtest.LawMeanAbsError < 0.5 * backtest.CarriedForwardMeanAbsError);
        Assert.Equal(1.0, backtest.Coverage);
    }

    [Fact]
    public void Backtest_LawBrokenAtTheLargestBudget_Fails()
    {
        // Given: the students stop improving after 640k tokens (the largest budget's loss is the 640k loss)
        var students = Planted("none", (n, d) => d > 1e6
            ? ChinchillaLaw.Instance.Predict(Truth, new LawPoint(n, 640000)) - ChinchillaLaw.Instance.Predict(Truth, new LawPoint(n, d))
            : 0);

        // When
        var backtest = StudentLawBacktests.Run("none", students, Options);

        // Then: the law predicts progress that did not happen; carrying forward wins and the intervals miss
        Assert.Null(backtest.NotRun);
        Assert.False(backtest.Passed, $"law {backtest.LawMeanAbsError}, carried forward {backtest.CarriedForwardMeanAbsError}");
        Assert.True(backtest.Coverage < 0.5);
    }

    [Fact]
    public void Backtest_TwoBudgets_NotRunWithTheReason()
    {
        // Given
        var students = Planted("none").Where(s => s.Tokens < 300000).ToList();

        // When
        var backtest = StudentLawBacktests.Run("none", students, Options);

        // Then
        Assert.False(backtest.Passed);
        Assert.Contains("2 budget(s)", backtest.NotRun);
    }
}
