using ScaleLab.Engine;
using ScaleLab.Lab.Studies.Distillation;
using ScaleLab.Laws;
using ScaleLab.Laws.Distillation;

namespace ScaleLab.Lab.Tests.Distillation;

/// <summary>
/// Crossovers read from fitted student laws: on planted laws the crossing is where the closed form puts it (student-only
/// view) and where Δ = 0 (teacher-forward view); end to end from planted students, the crossing compute grows in
/// proportion to student size as planted, while a distilled law better everywhere gives no crossing (the control).
/// </summary>
public sealed class DistillationLawAnalysisTests
{
    // Scratch E 1.6; distilled: a worse floor (E 1.7) but a faster start (B 20 against 80); A, alpha, beta shared.
    private static readonly double[] Scratch = [1.6, 30, 80, 0.45, 0.42];
    private static readonly double[] Distilled = [1.7, 30, 20, 0.45, 0.42];
    private static readonly long[] Sizes = [3312, 12768, 25344];
    private static readonly long[] Tokens = [102400, 256000, 640000, 1600000];

    private static StudentLossLaw Law(string teacher, double[] symbols)
    {
        var fit = new LawFit(ChinchillaLaw.Instance, ChinchillaLaw.Instance.Symbols, symbols, new double[5], [], [], 0, 1, 0, 1, "", 0, "", 0,
            LossKind.Huber, 1e-3, []);
        return new StudentLossLaw(teacher, fit, Identification.Assess(fit));
    }

    private static List<DistillationPoint> Points(double[] distilled, double noise = 0.003, long teacherParameters = 100_000)
    {
        var rng = new Rng(5);
        var list = new List<DistillationPoint>();
        foreach (var n in Sizes)
        {
            foreach (var d in Tokens)
            {
                for (var s = 1; s <= 3; s++)
                {
                    list.Add(new DistillationPoint(n, "none", s, d, 6.0 * n * d, 0, 0,
                        ChinchillaLaw.Instance.Predict(Scratch, new LawPoint(n, d)) * Math.Exp(noise * rng.NextGaussian())));
                    list.Add(new DistillationPoint(n, "teacher", s, d, 6.0 * n * d, 2.0 * teacherParameters * d, 1e9,
                        ChinchillaLaw.Instance.Predict(distilled, new LawPoint(n, d)) * Math.Exp(noise * rng.NextGaussian())));
                }
            }
        }
        return list;
    }

    [Fact]
    public void Cross_PlantedLawsStudentOnly_AtTheClosedFormCompute()
    {
        // Given: equal D on both axes, so Δ = 0.1 − 60/D^0.42 = 0 at D* = 600^(1/0.42)
        var points = Points(Distilled);
        var dStar = Math.Pow(600, 1 / 0.42);

        // When
        var c = DistillationLaws.Cross(Law("none", Scratch), Law("teacher", Distilled), 3312, 100_000, 1e9, ComputeView.StudentOnly, points);

        // Then: distillation stops paying at C* = 6·N·D*, beyond the measured compute (an extrapolation) but in the search range
        Assert.Equal(CrossoverKind.StopsPaying, c.Kind);
        Assert.Equal(6.0 * 3312 * dStar, c.Compute!.Value, 6.0 * 3312 * dStar * 1e-9);
        Assert.True(c.Extrapolated);
        Assert.True(c.SearchLow < c.Compute && c.Compute < c.SearchHigh);
    }

    [Fact]
    public void Cross_TeacherForwardCounted_CrossesEarlierWhereTheLawsAreEqual()
    {
        // Given
        var points = Points(Distilled);
        var scratch = Law("none", Scratch);
        var distilled = Law("teacher", Distilled);

        // When
        var free = DistillationLaws.Cross(scratch, distilled, 3312, 100_000, 1e9, ComputeView.StudentOnly, points);
        var counted = DistillationLaws.Cross(scratch, distilled, 3312, 100_000, 1e9, ComputeView.WithTeacherForward, points);

        // Then: with 2·N_T·D counted the distilled student gets fewer tokens per FLOP, so it stops paying at a smaller
        // compute (or never pays), and at the crossing both laws give the same loss
        if (counted.Kind == CrossoverKind.StopsPaying)
        {
            var c = counted.Compute!.Value;
            Assert.True(c < free.Compute);
            var gap = distilled.Predict(3312, c / (6.0 * 3312 + 2.0 * 100_000)) - scratch.Predict(3312, c / (6.0 * 3312));
            Assert.True(Math.Abs(gap) < 1e-9, $"Δ at the crossing {gap}");
        }
        else
        {
            Assert.Equal(CrossoverKind.NeverPays, counted.Kind);
        }
    }

    [Fact]
    public void Analyse_PlantedStudents_CrossingGrowsInProportionToStudentSize()
    {
        // Given: 3 sizes × 4 budgets × 3 seeds of each; D* does not depend on N, so C* = 6·N·D* ∝ N^1
        var points = Points(Distilled);
        var options = new StudentLawOptions { BootstrapSamples = 100, Starts = SmallGrid() };

        // When
        var analysis = DistillationLaws.Analyse(points, new Dictionary<string, double>(), options);

        // Then: both laws fitted; in the student-only view every size stops paying, and the growth exponent's interval
        // holds 1 and excludes 0
        Assert.Equal(["none", "teacher"], analysis.StudentLaws.Select(l => l.Teacher));
        var studentOnly = analysis.Crossovers.Where(c => c.View == ComputeView.StudentOnly).ToList();
        Assert.Equal(3, studentOnly.Count);
        Assert.All(studentOnly, c => Assert.Equal(CrossoverKind.StopsPaying, c.Kind));
        var growth = analysis.Growth.Single(g => g.View == ComputeView.StudentOnly);
        Assert.True(growth.Low > 0 && growth.Low <= 1 && growth.High >= 1, growth.Statement);
        Assert.Contains("grows with student size", growth.Statement);
        Assert.Contains("not fitted", analysis.Busbridge.NotFitted);
        Assert.Equal(2, analysis.Backtests.Count);
    }

    [Fact]
    public void Analyse_DistilledBetterEverywhere_NoCrossingAndNoGrowthClaimed()
    {
        // Given: the control, a distilled law with a lower floor and the same shape
        var points = Points([1.5, 30, 80, 0.45, 0.42]);
        var options = new StudentLawOptions { BootstrapSamples = 50, Starts = SmallGrid() };

        // When
        var analysis = DistillationLaws.Analyse(points, new Dictionary<string, double>(), options);

        // Then
        Assert.All(analysis.Crossovers.Where(c => c.View == ComputeView.StudentOnly), c => Assert.Equal(CrossoverKind.PaysThroughout, c.Kind));
        var growth = analysis.Growth.Single(g => g.View == ComputeView.StudentOnly);
        Assert.Null(growth.Exponent);
        Assert.Contains("0 student size(s)", growth.Statement);
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(40, true)]
    [InlineData(100, false)]
    public void Growth_DrawsThatDoNotCrossAtTheLargestSize_NoIntervalBeyondATenth(int missing, bool interval)
    {
        // Given: 3 sizes crossing at C* = 1e6·N (exponent 1) with noise, over 400 draws; at the largest size the draws
        // with the largest crossings (the 'missing' ones) do not cross in the searched range (NaN), as a crossing beyond
        // the range does. Dropping them leaves the low draws: the conditional interval at 100 of 400 misses the estimate.
        var rng = new Random(3);
        var sizes = new long[] { 3312, 12768, 25472 };
        var bySize = sizes.Select((n, i) =>
        {
            var draws = Enumerable.Range(0, 400).Select(_ => 1e6 * n * Math.Exp(0.3 * (rng.NextDouble() - 0.5) + (i == 2 ? 0.6 * rng.NextDouble() : 0))).ToArray();
            if (i == 2)
            {
                var cut = draws.OrderDescending().ElementAt(Math.Max(missing - 1, 0));
                for (var k = 0; k < draws.Length && missing > 0; k++) if (draws[k] >= cut) draws[k] = double.NaN;
            }
            var point = 1e6 * n * (i == 2 ? Math.Exp(0.3) : 1);
            return new LawCrossover(n, "t", ComputeView.StudentOnly, CrossoverKind.StopsPaying, point, null, null, 1, 400, 1, 1e15, 1, 1e15) { DrawCrossings = draws };
        }).ToList();

        // When
        var growth = DistillationLaws.Growth("t", ComputeView.StudentOnly, bySize);

        // Then: an interval (that holds the estimate) only while at least 90% of the draws cross at every size
        Assert.NotNull(growth.Exponent);
        Assert.Equal(interval, growth.Low is not null);
        if (interval) Assert.True(growth.Low <= growth.Exponent && growth.Exponent <= growth.High, growth.Statement);
        else Assert.Contains($"only {400 - missing} of 400", growth.Statement);
    }

    private static List<double[]> SmallGrid() =>
        [.. from alpha in new[] { 0.2, 0.5 } from beta in new[] { 0.2, 0.5 } from e in new[] { 0.0, 0.5 } from a in new[] { 3.0, 8.0 }
            from b in new[] { 3.0, 8.0 } select new[] { a, b, e, alpha, beta }];
}
