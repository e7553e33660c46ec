using System.Text.Json;
using ScaleLab.Cli.Commands;
using ScaleLab.Laws;
using ScaleLab.Report.Study;

namespace ScaleLab.Cli.Tests;

public sealed class StudyReportJsonTests
{
    /// <summary>
    /// A report with the non-finite numbers a degenerate study produces: a back-test whose bootstrap left no finite draw
    /// (NaN interval ends), a verification run that diverged (observed NaN, so its error is NaN), a plan whose interval
    /// reaches infinity, a run without a finite training loss.
    /// </summary>
    private static StudyAnalysisResult Degenerate()
    {
        var run = new RunRow("run-0", "L1-C32", 0, 10_000, 12_000, 2e5, 1.2e10, double.NaN, 2.5, "done", []);
        var backtest = new BacktestSummary("chinchilla", 5,
            [new BacktestRow("run-5", 1e11, 2.4, new Estimate(2.41, double.NaN, double.NaN), double.NaN, false)], double.NaN, double.NaN)
        {
            Baselines = [("last point", double.NaN, double.NegativeInfinity)],
        };
        var plan = new PlanRow("chinchilla", 1e13, new Estimate(1e5, 5e4, double.PositiveInfinity), new Estimate(2e6), new Estimate(20), new Estimate(2.2))
        {
            DecadesBeyondData = double.NaN,
        };
        var report = new StudyReport("degenerate", DateTimeOffset.UnixEpoch, "synthetic", null, "headline", [run], [], [backtest], [plan], [])
        {
            Verification = new VerificationRow("run-v", "L1-C32", 40_000, 1_000_000, 2.4e11, 10, new Estimate(2.3, double.NaN, 2.5), 0.95, double.NaN),
        };
        return new StudyAnalysisResult(report, [], [], []);
    }

    [Fact]
    public void ToJson_NaNIntervalEndsAndNaNErrors_WritesNullAndDoesNotThrow()
    {
        // Given a report whose interval ends and errors are not finite (on the previous writer: ArgumentException,
        // ".NaN is not a valid JSON number", from the unguarded relative_error and observed fields)
        var analysis = Degenerate();

        // When
        var json = StudyReportFiles.ToJson(analysis, "/tmp/report.html");

        // Then it parses, every non-finite number is null, and finite numbers are unchanged
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var held = root.GetProperty("backtests")[0].GetProperty("held_out")[0];
        Assert.Equal(JsonValueKind.Null, held.GetProperty("predicted").GetProperty("lo").ValueKind);
        Assert.Equal(2.41, held.GetProperty("predicted").GetProperty("value").GetDouble());
        Assert.Equal(JsonValueKind.Null, held.GetProperty("relative_error").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("backtests")[0].GetProperty("baselines")[0].GetProperty("skill").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("verification").GetProperty("observed").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("verification").GetProperty("predicted").GetProperty("lo").ValueKind);
        Assert.Equal(2.5, root.GetProperty("verification").GetProperty("predicted").GetProperty("hi").GetDouble());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("plans")[0].GetProperty("n").GetProperty("hi").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("plans")[0].GetProperty("d").GetProperty("lo").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("plans")[0].GetProperty("decades_beyond_data").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("runs")[0].GetProperty("final_train_loss").ValueKind);
        Assert.DoesNotContain("NaN", json, StringComparison.Ordinal);
    }
}
