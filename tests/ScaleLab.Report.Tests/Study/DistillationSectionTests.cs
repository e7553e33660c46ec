using System.Text;
using ScaleLab.Lab.Studies.Distillation;
using ScaleLab.Report.Plots;
using ScaleLab.Report.Study;

namespace ScaleLab.Report.Tests.Study;

/// <summary>The report's distillation section and figures: one row per student size and teacher, the crossovers and the
/// capacity gap in words (with the verdicts that must not be claimed), and figures only when the study is present.</summary>
public sealed class DistillationSectionTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("scalelab-distill-report-");

    public void Dispose() => _dir.Delete(recursive: true);

    private const long Small = 3_312;
    private const long Large = 12_768;

    /// <summary>Two student sizes × three budgets × two seeds, on samples and from the oracle and a teacher t (N_T = 50,000).</summary>
    private static List<DistillationPoint> Points()
    {
        var points = new List<DistillationPoint>();
        foreach (var n in new[] { Small, Large })
        {
            foreach (var teacher in new[] { "none", "oracle", "t" })
            {
                foreach (var d in new[] { 100_000L, 300_000L, 900_000L })
                {
                    foreach (var seed in new[] { 1L, 2L })
                    {
                        var scratch = 1.8 + 30.0 / Math.Pow(n, 0.4) + 40.0 / Math.Pow(d, 0.3);
                        var loss = teacher switch { "oracle" => scratch - 0.05, "t" => scratch - 0.02, _ => scratch } + 0.001 * seed;
                        points.Add(new DistillationPoint(n, teacher, seed, d, 6.0 * n * d, teacher == "t" ? 2.0 * 50_000 * d : 0, 0, loss));
                    }
                }
            }
        }
        return points;
    }

    private static DistillationCrossover Crossover(long n, string teacher, ComputeView view, CrossoverKind kind, double? at, double? lo, double? hi, double agree) =>
        new(n, teacher, view, kind, at, lo, hi, agree, 1e9, 1e11, 2);

    private static DistillationStudyResult Result(IReadOnlyList<CapacityGapRow>? gap = null) => new("s-distill", Points(),
    [
        Crossover(Small, "oracle", ComputeView.WithTeacherForward, CrossoverKind.PaysThroughout, null, null, null, 1.0),
        Crossover(Small, "oracle", ComputeView.StudentOnly, CrossoverKind.PaysThroughout, null, null, null, 1.0),
        Crossover(Small, "t", ComputeView.WithTeacherForward, CrossoverKind.StopsPaying, 9.0e9, 5.3e9, 2.3e10, 0.83),
        Crossover(Small, "t", ComputeView.StudentOnly, CrossoverKind.PaysThroughout, null, null, null, 0.97),
        Crossover(Large, "t", ComputeView.WithTeacherForward, CrossoverKind.StartsPaying, 3.0e10, null, null, 0.41),
        Crossover(Large, "t", ComputeView.WithTeacherTraining, CrossoverKind.NeverPays, null, null, null, 1.0),
    ], gap ?? Gap(studentOfT: 2.0886, seT: 0.0010));

    /// <summary>The smallest student's capacity-gap rows: on samples 2.20, the oracle (floor 1.95) 2.0957 ± 0.0015, t
    /// (teacher loss 2.10) at <paramref name="studentOfT"/>.</summary>
    private static List<CapacityGapRow> Gap(double studentOfT, double seT) =>
    [
        new(Small, "none", null, 900_000, 2.20, 0.002, 3),
        new(Small, "oracle", 1.95, 900_000, 2.0957, 0.0015, 3),
        new(Small, "t", 2.10, 900_000, studentOfT, seT, 3),
        new(Large, "none", null, 900_000, 2.05, double.NaN, 1),
    ];

    [Fact]
    public void Markdown_Study_OneRowPerSizeAndTeacherAndTheCrossoversInWords()
    {
        // Given
        var md = new StringBuilder();

        // When
        DistillationSection.Markdown(md, Result());
        var text = md.ToString();

        // Then: 4 table rows, the crossover in the table and in words with its interval, the low-agreement one not claimed.
        Assert.Contains("\n## Distillation\n", text, StringComparison.Ordinal);
        Assert.Equal(4, text.Split('\n').Count(l => l.StartsWith("| 3312 |", StringComparison.Ordinal) || l.StartsWith("| 12768 |", StringComparison.Ordinal)));
        Assert.Contains("| 3312 | t | 2.1 | 2.0886 ± 0.001 | 3 | pays up to 9e+9 [5.3e+9, 2.3e+10]; 83% of draws agree |", text, StringComparison.Ordinal);
        Assert.Contains("| 12768 | none (trained on samples) |  | 2.05 (one seed) | 1 |  |", text, StringComparison.Ordinal);
        Assert.Contains("- Student N_S = 3312, teacher t, counting the teacher's forward passes: distillation pays up to 9e+9 FLOP [5.3e+9, 2.3e+10] and stops paying above it (83% of bootstrap draws agree, 2 seeds).", text, StringComparison.Ordinal);
        Assert.Contains("- Student N_S = 3312, teacher t, counting the student's compute only (teacher logits free): distillation pays over the whole measured range 1e+9-1e+11 FLOP; a crossover, if any, lies above it", text, StringComparison.Ordinal);
        Assert.Contains("distillation loses below 3e+10 FLOP (no bootstrap draw crosses the same way, so no interval) and pays above it — but only 41% of bootstrap draws agree (2 seeds): not a result.", text, StringComparison.Ordinal);
        // The oracle costs no forward pass: its two views are said once; the amortised-training view is not in the words.
        Assert.Single(text.Split('\n'), l => l.StartsWith("- Student", StringComparison.Ordinal) && l.Contains("teacher oracle", StringComparison.Ordinal));
        Assert.DoesNotContain("never pays", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Markdown_Study_EveryNumberInTheReportsOneStyle()
    {
        // Given
        var md = new StringBuilder();
        DistillationSection.Markdown(md, Result());

        // When: every number a reader sees (the pattern of HumanNumberStyleTests: digits, fraction, exponent, groups).
        var numbers = System.Text.RegularExpressions.Regex.Matches(md.ToString(), @"(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w])")
            .Select(m => m.Value.TrimEnd(',')).ToList();

        // Then: each reads back to itself (no 3,312, no 2.1000); the detector finds the old style (control).
        Assert.NotEmpty(numbers);
        Assert.All(numbers, n => Assert.True(ScaleLab.Laws.NumberStyle.IsStyled(n), $"'{n}' is not in the one style"));
        Assert.False(ScaleLab.Laws.NumberStyle.IsStyled("3,312") || ScaleLab.Laws.NumberStyle.IsStyled("2.1000"));
    }

    [Fact]
    public void CapacityGap_WeakerTeacherBetterByMoreThanTwoStandardErrors_SaysUShape()
    {
        // When: t (teacher loss 2.10) gives 2.0886 ± 0.0010, the oracle (1.95) 2.0957 ± 0.0015: 0.0071 lower, 3.9 s.e.
        var text = DistillationSection.CapacityGap(Result());

        // Then
        Assert.StartsWith("Capacity gap (student N_S = 3312, at its largest budget): the best student came from t, not from the strongest teacher oracle: 0.0071 nats/token, 3.9 standard errors lower; a U-shape", text, StringComparison.Ordinal);
        Assert.Contains("oracle (teacher 1.95) → 2.0957, t (teacher 2.1) → 2.0886", text, StringComparison.Ordinal);
    }

    [Fact]
    public void CapacityGap_DifferenceWithinNoise_NoGapEstablished()
    {
        // Given: the same order, but t's student only 0.0017 lower with a wide error (0.9 s.e.) — the control of the U-shape verdict.
        var result = Result(Gap(studentOfT: 2.0940, seT: 0.0015));

        // When
        var text = DistillationSection.CapacityGap(result);

        // Then
        Assert.Contains("within twice its standard error, so no capacity gap is established", text, StringComparison.Ordinal);
        Assert.DoesNotContain("U-shape", text, StringComparison.Ordinal);
    }

    [Fact]
    public void CapacityGap_StrongestTeacherBest_NoGapAppears()
    {
        // Given
        var result = Result(Gap(studentOfT: 2.1200, seT: 0.0010));

        // When / Then
        Assert.Contains("the strongest teacher gave the best student, so no capacity gap appears here", DistillationSection.CapacityGap(result), StringComparison.Ordinal);
    }

    [Fact]
    public void Report_WithAndWithoutDistillationStudy_SectionAndFiguresOnlyWhenPresent()
    {
        // Given
        var without = SampleReports.Chinchilla();
        var with = without with { Distillation = Result() };

        // When
        var names = StudyPlots.Svgs(with).Select(f => f.Name).ToList();
        var (htmlWith, htmlWithout) = (new StringBuilder(), new StringBuilder());
        DistillationSection.Html(htmlWith, Result());
        var mdWithout = MarkdownReportWriter.Render(without);

        // Then
        Assert.Contains("distillation-loss-vs-compute", names);
        Assert.Contains("distillation-capacity-gap", names);
        Assert.DoesNotContain("distillation-loss-vs-compute", StudyPlots.Svgs(without).Select(f => f.Name));
        Assert.Contains("<h2>Distillation</h2>", htmlWith.ToString(), StringComparison.Ordinal);
        Assert.Contains("distillation-capacity-gap", htmlWith.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Distillation", mdWithout, StringComparison.Ordinal);
        Assert.Contains("## Distillation", MarkdownReportWriter.Render(with), StringComparison.Ordinal);
        Assert.Equal("s-distill", DistillationSection.StudyName("s"));
    }

    [Fact]
    public void Save_Study_WritesBothFigures()
    {
        // Given
        var path = Path.Combine(_dir.FullName, "distill.svg");

        // When
        DistillationPlot.Save(Result(), path);

        // Then: both files are SVG; the oracle limit is the oracle's teacher loss (the floor).
        Assert.Contains("<svg", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.Contains("<svg", File.ReadAllText(Path.Combine(_dir.FullName, "distill-capacity-gap.svg")), StringComparison.Ordinal);
        Assert.Equal(1.95, DistillationPlot.OracleFloor(Result()));
    }

    [Fact]
    public void Curve_SeedMeansByBudget_InIssueComputeCount()
    {
        // When: teacher t's curve for the small student.
        var (x, y) = DistillationPlot.Curve(Points().Where(p => p.StudentParameters == Small && p.Teacher == "t"));

        // Then: three budgets; compute 6·N_S·D + 2·N_T·D; the mean over seeds 1 and 2 (+0.0015).
        Assert.Equal(3, x.Length);
        Assert.Equal(Math.Log10(6.0 * Small * 100_000 + 2.0 * 50_000 * 100_000), x[0], 12);
        Assert.Equal(1.8 + 30.0 / Math.Pow(Small, 0.4) + 40.0 / Math.Pow(100_000, 0.3) - 0.02 + 0.0015, y[0], 12);
        Assert.Equal(3.5, DistillationPlot.Interpolate([1, 2, 3], [2, 3, 5], 2.25), 12);
    }
}
