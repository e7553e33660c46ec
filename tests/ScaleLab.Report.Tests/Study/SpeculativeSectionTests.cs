using System.Text;
using ScaleLab.Engine.Sampling;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Studies.Speculative;
using ScaleLab.Report.Study;

namespace ScaleLab.Report.Tests.Study;

public sealed class SpeculativeSectionTests
{
    private static SpeculativePairResult Pair(long draftN, double draftLoss, int accepted, int trials)
    {
        var target = new SpeculativeModel("t", "t.ckpt", null, 1.6, 40_000);
        var draft = new SpeculativeModel($"d{draftN}", "d.ckpt", null, draftLoss, draftN);
        SpeculativeRow Row(int gamma, bool auto, double speedup) =>
            new(gamma, auto, (double)accepted / trials, accepted, trials, 1.8, 1.85, 0.05, 1.2, speedup, speedup * 0.9, speedup * 1.1, 1.7, 1.5);
        return new SpeculativePairResult($"k{draftN}", RunStatus.Done, target, draft, [Row(1, false, 1.3), Row(2, false, 1.6), Row(2, true, 1.5)], null);
    }

    private static SpeculativeStudyResult Result()
    {
        var pairs = new[] { Pair(1_000, 2.1, 600, 1000), Pair(3_000, 1.9, 700, 1000), Pair(9_000, 1.75, 800, 1000), Pair(20_000, 1.65, 900, 1000) };
        var fit = AcceptanceGapFit.Fit([.. pairs.Select(p => new AcceptancePair(p.LossGap, p.PooledCounts.Accepted, p.PooledCounts.Trials))], out var why, resamples: 200);
        return new SpeculativeStudyResult("s-speculate", "s", pairs, fit, why);
    }

    [Fact]
    public void Markdown_FourPairs_OneRowEachWithFastestAndAutoAndTheLawWithItsRange()
    {
        // Given
        var md = new StringBuilder();

        // When
        SpeculativeSection.Markdown(md, Result());
        var text = md.ToString();

        // Then: pooled α̂ = 1200/2000 (the auto row left out), fastest fixed γ = 2, auto γ = 2.
        Assert.Contains("| 40,000 | 1,000 | 0.500 | 0.600 | γ = 2: 1.60× / 1.70× | γ = 2: 1.50× / 1.70× |", text, StringComparison.Ordinal);
        Assert.Equal(4, text.Split('\n').Count(l => l.StartsWith("| 40,000 |", StringComparison.Ordinal)));
        Assert.Contains("Acceptance law over 4 pairs", text, StringComparison.Ordinal);
        Assert.Contains("from 0.050 to 0.500 nats/token", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Law_ThreePairs_SaysWhyNotFitted()
    {
        // Given
        var pairs = Result().Pairs.Take(3).ToList();
        var fit = AcceptanceGapFit.Fit([.. pairs.Select(p => new AcceptancePair(p.LossGap, p.PooledCounts.Accepted, p.PooledCounts.Trials))], out var why);

        // When
        var law = SpeculativeSection.Law(new SpeculativeStudyResult("s-speculate", "s", pairs, fit, why));

        // Then
        Assert.Null(fit);
        Assert.StartsWith("Acceptance law not fitted: 3 draft/target pairs", law, StringComparison.Ordinal);
    }

    [Fact]
    public void Svgs_ReportWithSpeculativeStudy_AddsBothFiguresAndSafeBacktestNames()
    {
        // Given
        var report = SampleReports.Chinchilla() with { Speculative = Result() };

        // When
        var names = StudyPlots.Svgs(report).Select(f => f.Name).ToList();

        // Then
        Assert.Contains("speculative-speedup", names);
        Assert.Contains("speculative-acceptance", names);
        Assert.DoesNotContain("speculative-speedup", StudyPlots.Svgs(SampleReports.Chinchilla()).Select(f => f.Name));
        Assert.Equal("chinchilla-largest-budget-held-out", StudyPlots.FileSlug("chinchilla, largest budget held out"));
    }
}
