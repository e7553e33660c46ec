using ScaleLab.Report.Study;

namespace ScaleLab.Report.Tests.Study;

public sealed class RateVerdictTests
{
    private static RateCheckRow Check(double rule, double lossHalf, double lossRule, double lossTwice)
    {
        var tried = new List<(double Rate, double Loss)> { (rule / 2, lossHalf), (rule, lossRule), (rule * 2, lossTwice) };
        return new RateCheckRow(1000, 100_000, 6e8, tried, tried.MinBy(t => t.Loss).Rate);
    }

    [Fact]
    public void RateVerdict_RuleBestAtMostSizes_Validated()
    {
        // Given: the rule's rate best at three of four checks, twice it best once by a small margin
        var checks = new[] { Check(0.01, 2.05, 2.00, 2.02), Check(0.01, 2.10, 2.01, 2.03), Check(0.02, 2.2, 2.1, 2.15), Check(0.02, 2.2, 2.11, 2.10) };

        // When
        var verdict = ReportRows.RateVerdict(checks);

        // Then
        Assert.NotNull(verdict);
        Assert.Contains("won 3, twice it 1, half of it 0", verdict, StringComparison.Ordinal);
        Assert.Contains("by 0 nats (median) and at most 0.01", verdict, StringComparison.Ordinal);
        Assert.Contains("validated to within a factor of 2", verdict, StringComparison.Ordinal);
    }

    [Fact]
    public void RateVerdict_TwiceTheRuleBestEverywhere_SaysTheRuleIsTooLow()
    {
        // Given: a rule whose rate is half the best at every size (the negative control of the check above)
        var checks = new[] { Check(0.01, 2.2, 2.1, 2.0), Check(0.01, 2.3, 2.2, 2.1), Check(0.02, 2.2, 2.1, 2.05) };

        // When
        var verdict = ReportRows.RateVerdict(checks);

        // Then
        Assert.NotNull(verdict);
        Assert.DoesNotContain("validated", verdict, StringComparison.Ordinal);
        Assert.Contains("too low", verdict, StringComparison.Ordinal);
    }

    [Fact]
    public void RateVerdict_NoThreeRateCheck_Null() =>
        Assert.Null(ReportRows.RateVerdict([new RateCheckRow(1000, 100_000, 6e8, [(0.01, 2.0), (0.02, 2.1)], 0.01)]));
}
