using System.Text;
using ScaleLab.Engine;
using ScaleLab.Lab.Studies.Distillation;
using ScaleLab.Laws;
using ScaleLab.Laws.Distillation;
using ScaleLab.Report.Plots;
using ScaleLab.Report.Study;

namespace ScaleLab.Report.Tests.Study;

/// <summary>
/// The fitted-law part of the distillation section and figure: on planted students whose distilled law stops paying
/// (a worse floor, a faster start) the section states each law-based crossover with its bootstrap interval, the growth
/// with student size, the back-tests and why Busbridge's law is not fitted; a distilled law better everywhere (the
/// control) is said to pay over the whole search range and no crossing is claimed. The figure draws each law in the
/// issue's compute count.
/// </summary>
public sealed class DistillationLawSectionTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("scalelab-distill-laws-");

    public void Dispose() => _dir.Delete(recursive: true);

    // Scratch E 1.6; distilled: a worse floor (E 1.7) but a faster start (B 20 against 80): the laws cross at D* = 600^(1/0.42).
    private static readonly double[] Scratch = [1.6, 30, 80, 0.45, 0.42];
    private static readonly double[] Crossing = [1.7, 30, 20, 0.45, 0.42];
    private static readonly double[] BetterEverywhere = [1.5, 30, 80, 0.45, 0.42];
    private static readonly long[] Sizes = [3312, 12768, 25344];
    private static readonly long[] Tokens = [102400, 256000, 640000, 1600000];
    private const long TeacherParameters = 100_000;

    // Each study's laws are fitted once for all the tests that read it.
    private static readonly Lazy<DistillationStudyResult> CrossingStudy = new(() => Fit(Crossing));
    private static readonly Lazy<DistillationStudyResult> BetterStudy = new(() => Fit(BetterEverywhere));

    private static DistillationStudyResult Study(double[] distilled) => distilled == Crossing ? CrossingStudy.Value : BetterStudy.Value;

    private static DistillationStudyResult Fit(double[] distilled)
    {
        var rng = new Rng(5);
        var points = new List<DistillationPoint>();
        foreach (var n in Sizes)
        {
            foreach (var d in Tokens)
            {
                for (var s = 1; s <= 3; s++)
                {
                    points.Add(new DistillationPoint(n, "none", s, d, 6.0 * n * d, 0, 0,
                        ChinchillaLaw.Instance.Predict(Scratch, new LawPoint(n, d)) * Math.Exp(0.003 * rng.NextGaussian())));
                    points.Add(new DistillationPoint(n, "t", s, d, 6.0 * n * d, 2.0 * TeacherParameters * d, 1e9,
                        ChinchillaLaw.Instance.Predict(distilled, new LawPoint(n, d)) * Math.Exp(0.003 * rng.NextGaussian())));
                }
            }
        }
        var options = new StudentLawOptions { BootstrapSamples = 50, Starts = SmallGrid() };
        return new DistillationStudyResult("s-distill", points, [.. DistillationCrossovers.Compute(points, ComputeView.StudentOnly, 200)], [])
        {
            Laws = DistillationLaws.Analyse(points, new Dictionary<string, double> { ["t"] = 1.9 }, options),
        };
    }

    private static string Markdown(DistillationStudyResult result)
    {
        var md = new StringBuilder();
        DistillationSection.Markdown(md, result);
        return md.ToString();
    }

    [Fact]
    public void Markdown_PlantedCrossingLaws_StatesEachLawCrossoverWithItsInterval()
    {
        // Given
        var result = Study(Crossing);
        var laws = result.Laws!;

        // When
        var text = Markdown(result);

        // Then: per student size, teacher free, the law's crossing with its 95% interval as the analysis computed it; the
        // teacher-forward sentence too; the growth verdict, both back-tests and Busbridge's reason.
        var free = laws.Crossovers.Where(c => c.View == ComputeView.StudentOnly).ToList();
        Assert.Equal(3, free.Count);
        foreach (var c in free)
        {
            Assert.Equal(CrossoverKind.StopsPaying, c.Kind);
            var interval = $"[{NumberStyle.Format(c.Low, 2)}, {NumberStyle.Format(c.High, 2)}]";
            Assert.Contains($"- From the laws, student N_S = {NumberStyle.Format(c.StudentParameters)}, teacher t, counting the student's compute only (teacher logits free): distillation pays up to {NumberStyle.Format(c.Compute, 2)} FLOP {interval} and stops paying above it", text, StringComparison.Ordinal);
        }
        Assert.Equal(3, text.Split('\n').Count(l => l.StartsWith("- From the laws, student", StringComparison.Ordinal) && l.Contains("counting the teacher's forward passes", StringComparison.Ordinal)));
        Assert.Contains("- From the laws, teacher t, counting the student's compute only (teacher logits free): the compute where distillation stops paying grows with student size", text, StringComparison.Ordinal);
        Assert.Contains("- Back-test of teacher none's law (fitted on the budgets below D = 1.6e+6, predicting that budget): mean |error| ", text, StringComparison.Ordinal);
        Assert.Contains("- Back-test of teacher t's law", text, StringComparison.Ordinal);
        Assert.Contains("- Busbridge et al. (2025)'s law: not fitted: the students have 1 teacher(s) with a known loss", text, StringComparison.Ordinal);
        Assert.Contains("Fitted laws: per teacher L(N_S, D) = E + A/N_S^α + B/D^β over every seed's loss (Huber on log residuals, 50 bootstrap resamples", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Markdown_DistilledBetterEverywhere_NoLawCrossingClaimed()
    {
        // Given: the control
        var text = Markdown(Study(BetterEverywhere));

        // Then: teacher free, the distilled law is below the supervised one over the whole search range at every size.
        var free = text.Split('\n').Where(l => l.StartsWith("- From the laws, student", StringComparison.Ordinal) && l.Contains("compute only", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, free.Count);
        Assert.All(free, l => Assert.Contains("the distilled law stays below the supervised one over the whole search range", l, StringComparison.Ordinal));
        Assert.DoesNotContain("stops paying above it", string.Join('\n', free), StringComparison.Ordinal);
        Assert.DoesNotContain("grows with student size", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Markdown_LawPart_EveryNumberInTheReportsOneStyle()
    {
        // When
        var text = Markdown(Study(Crossing));
        var numbers = System.Text.RegularExpressions.Regex.Matches(text, @"(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w])")
            .Select(m => m.Value.TrimEnd(',')).ToList();

        // Then
        Assert.Contains("From the laws", text, StringComparison.Ordinal);
        Assert.All(numbers, n => Assert.True(NumberStyle.IsStyled(n), $"'{n}' is not in the one style"));
    }

    [Fact]
    public void LawCurve_TeacherForwardCounted_TheLawAtTheTokensThatComputeBuys()
    {
        // Given
        var result = Study(Crossing);
        var law = result.Laws!.StudentLaws.Single(l => l.Teacher == "t");
        var taught = result.Points.Where(p => p.StudentParameters == 3312 && p.Teacher == "t").ToList();

        // When
        var (inside, beyond) = DistillationPlot.LawCurve(law, 3312, taught);

        // Then: from the smallest measured compute 6·N_S·D + 2·N_T·D to the largest, then a decade on; at each compute the
        // law at D = C / (6·N_S + 2·N_T) (not C / (6·N_S), which gives the teacher's forward passes for free: control).
        var lo = 6.0 * 3312 * Tokens[0] + 2.0 * TeacherParameters * Tokens[0];
        var hi = 6.0 * 3312 * Tokens[^1] + 2.0 * TeacherParameters * Tokens[^1];
        Assert.Equal(Math.Log10(lo), inside.LogCompute[0], 12);
        Assert.Equal(Math.Log10(hi), inside.LogCompute[^1], 12);
        Assert.Equal(Math.Log10(hi * 10), beyond.LogCompute[^1], 12);
        Assert.Equal(law.Predict(3312, Tokens[0]), inside.Loss[0], 9);
        Assert.NotEqual(law.Predict(3312, lo / (6.0 * 3312)), inside.Loss[0], 3);
    }

    [Fact]
    public void Save_WithLaws_DrawsTheLawsAndTheirCrossovers()
    {
        // Given
        var path = Path.Combine(_dir.FullName, "distill.svg");
        var result = Study(Crossing);

        // When
        DistillationPlot.Save(result, path);
        DistillationPlot.Save(result with { Laws = null }, Path.Combine(_dir.FullName, "plain.svg"));

        // Then: the laws' legend entry only where the study was read with laws.
        var svg = File.ReadAllText(path);
        Assert.Contains("fitted law L = E + A/N_S^α + B/D^β of each teacher", svg, StringComparison.Ordinal);
        Assert.DoesNotContain("fitted law", File.ReadAllText(Path.Combine(_dir.FullName, "plain.svg")), StringComparison.Ordinal);
        var crosses = result.Laws!.Crossovers.Any(c => c.View == DistillationPlot.View && c.Kind is CrossoverKind.StopsPaying or CrossoverKind.StartsPaying);
        Assert.Equal(crosses, svg.Contains("crossover of the fitted laws, 95% bootstrap interval", StringComparison.Ordinal));
    }

    private static List<double[]> SmallGrid() =>
        [.. from alpha in new[] { 0.2, 0.5 } from beta in new[] { 0.2, 0.5 } from e in new[] { 0.0, 0.5 } from a in new[] { 3.0, 8.0 }
            from b in new[] { 3.0, 8.0 } select new[] { a, b, e, alpha, beta }];
}
