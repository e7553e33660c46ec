using System.Text.Json;
using ScaleLab.Laws;
using ScaleLab.Report.Study;

namespace ScaleLab.Report.Tests.Study;

/// <summary>
/// The study report's JSON document (report.json and <c>report --json</c>). The golden files were written by the
/// command's anonymous-object writer before the document moved into this library, so an equal text means the move
/// changed no byte of what users and scripts read.
/// </summary>
public sealed class StudyReportDocumentTests
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

    /// <summary>A report with every section filled (floors, verification, identification, rate checks, budgets, laws
    /// with residuals, model comparison, a back-test with baselines, plans, runs and notes), plain finite numbers.</summary>
    private static StudyAnalysisResult Full()
    {
        var runs = new[]
        {
            new RunRow("run-0", "L1-C32", 0, 10_000, 12_000, 2e5, 1.2e10, 2.71, 2.75, "done", []) { LearningRate = 3e-3, TrainLossSteps = 5 },
            new RunRow("run-1", "L2-C64", 1, 80_000, 90_000, 8e5, 3.84e11, 2.31, null, "failed", []),
        };
        var laws = new[]
        {
            new LawSummary("chinchilla", "L = E + A/N^alpha + B/D^beta",
                [("E", new Estimate(1.54)), ("A", new Estimate(410, 300, 520)), ("alpha", new Estimate(0.34, 0.3, 0.38))], 0.0123, 12, [], 3.84e11)
            {
                FittedTo = "validation loss",
                Residuals = [new ResidualPoint(1.2e10, 10_000, -0.012), new ResidualPoint(3.84e11, 80_000, 0.008)],
            },
        };
        var backtest = new BacktestSummary("chinchilla", 9,
            [new BacktestRow("run-1", 3.84e11, 2.31, new Estimate(2.35, 2.28, 2.44), 0.0173, true)], 0.0173, 1.0)
        {
            HoldoutRule = "compute above 3.8e10",
            SpanDecades = 1.5,
            MeanAbsReducibleRelativeError = 0.051,
            Baselines = [("last point", 0.08, 0.78)],
            Level = 0.9,
            IntervalMethod = "bootstrap percentile",
            Warnings = ["few points"],
        };
        var plans = new[]
        {
            new PlanRow("chinchilla", 1e13, new Estimate(1e5, 5e4, 2e5), new Estimate(2e6, 1e6, 4e6), new Estimate(20, 10, 40), new Estimate(2.2, 2.1, 2.3))
            {
                Status = "extrapolated",
                Label = "10x",
                DecadesBeyondData = 1.4,
            },
        };
        var report = new StudyReport("full", DateTimeOffset.UnixEpoch, "synthetic order-2 source", 1.5406, "headline", runs, laws, [backtest], plans,
            ["a note", "another note"])
        {
            Floors = new StudyFloors(1.5406, 1.61, 64, 1.63, 256),
            Verification = new VerificationRow("run-v", "L2-C64", 80_000, 1_000_000, 4.8e11, 1.25, new Estimate(2.3, 2.2, 2.4), 0.9, 2.28)
            {
                ReducibleRelativeError = 0.03,
                IntervalMethod = "bootstrap percentile",
                Basis = "non-embedding",
            },
            RateChecks = [new RateCheckRow(10_000, 200_000, 1.2e10, [(1.5e-3, 2.8), (3e-3, 2.71), (6e-3, 2.9)], 3e-3)],
            Budgets = [new BudgetRow(1.2e10, [10_000, 20_000], 10_000, 2.71, false)],
            Identification = [("chinchilla", ["E is identified", "beta is not identified"])],
            Comparison = [new ComparisonRow("validation", "free E", 12, 5, -40.5, -38.1, 0, 0.73, true, true)],
        };
        return new StudyAnalysisResult(report, [], [], []);
    }

    [Theory]
    [InlineData("full")]
    [InlineData("degenerate")]
    public void ToJson_SampleReport_ByteIdenticalToTheCommandWriterItReplaced(string sample)
    {
        // Given
        var analysis = sample == "full" ? Full() : Degenerate();
        var expected = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Study", "Golden", $"study-report-{sample}.json"));

        // When
        var json = StudyReportDocument.From(analysis.Report, "/tmp/report.html").ToJson();

        // Then
        Assert.Equal(expected, json);
    }

    [Fact]
    public void ToJson_FullReport_EveryTopLevelSectionInTheDocumentOrder()
    {
        // Given / When
        using var doc = JsonDocument.Parse(StudyReportDocument.From(Full().Report, "r.html").ToJson());

        // Then
        Assert.Equal(["study", "report", "headline", "corpus", "true_loss_floor", "floors", "verification", "identification", "rate_checks",
            "budgets", "laws", "model_comparison", "backtests", "plans", "runs", "notes"], doc.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("r.html", doc.RootElement.GetProperty("report").GetString());
        Assert.Equal(JsonValueKind.Array, doc.RootElement.GetProperty("identification").GetProperty("chinchilla").ValueKind);
    }

    [Fact]
    public void ToJson_NaNIntervalEndsAndNaNErrors_WritesNullAndDoesNotThrow()
    {
        // Given a report whose interval ends and errors are not finite (on the previous writer: ArgumentException,
        // ".NaN is not a valid JSON number", from the unguarded relative_error and observed fields)
        var analysis = Degenerate();

        // When
        var json = StudyReportDocument.From(analysis.Report, "/tmp/report.html").ToJson();

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
