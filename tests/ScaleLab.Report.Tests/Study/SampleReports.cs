using ScaleLab.Laws;
using ScaleLab.Report.Study;

namespace ScaleLab.Report.Tests.Study;

/// <summary>Hand-made study data following L = 1.5 + 400/N^0.35 + 900/D^0.3, so plots have real shape.</summary>
internal static class SampleReports
{
    public static StudyReport Chinchilla(int runs = 8)
    {
        static double Law(double n, double d) => 1.5 + 400 / Math.Pow(n, 0.35) + 900 / Math.Pow(d, 0.3);
        var rows = new List<RunRow>();
        for (var i = 0; i < runs; i++)
        {
            var n = 1e4 * Math.Pow(2, i * 0.7);
            var d = 20 * n;
            var curve = Enumerable.Range(1, 20).Select(k => new CurvePoint(d * k / 20, Law(n, d * k / 20), null)).ToList();
            rows.Add(new RunRow($"run-{i}", $"L{1 + (i / 3)}-C{32 * (1 + i)}", 0, (long)n, (long)(n * 1.2), d, 6 * n * d, Law(n, d), Law(n, d) + 0.01, "done", curve));
        }
        var cs = Enumerable.Range(0, 30).Select(k => Math.Pow(10, 9 + k * 0.15)).ToArray();
        var lawCurve = cs.Select(c => new LawCurvePoint(c, Law(Math.Sqrt(c / 120), Math.Sqrt(c * 20 / 6)), Law(Math.Sqrt(c / 120), Math.Sqrt(c * 20 / 6)) * 0.97, Law(Math.Sqrt(c / 120), Math.Sqrt(c * 20 / 6)) * 1.03)).ToList();
        var law = new LawSummary("chinchilla", "L = E + A/N^alpha + B/D^beta",
            [("E", new Estimate(1.5, 1.4, 1.6)), ("alpha", new Estimate(0.35, 0.3, 0.4))], 1e-4, runs, lawCurve, rows.Max(r => r.Flops))
        {
            Residuals = rows.Select((r, i) => new ResidualPoint(r.Flops, r.NonEmbeddingParams, 0.004 * Math.Sin(i))).ToList(),
        };
        var backtest = new BacktestSummary("chinchilla", runs - 2,
            [new BacktestRow("run-7", rows[^1].Flops, rows[^1].FinalTrainLoss, new Estimate(rows[^1].FinalTrainLoss * 1.01, rows[^1].FinalTrainLoss * 0.98, rows[^1].FinalTrainLoss * 1.04), 0.01, true)],
            0.01, 1.0);
        var plan = new PlanRow("chinchilla", 1e16, new Estimate(1e6, 8e5, 1.2e6), new Estimate(2e7, 1.5e7, 2.5e7), new Estimate(20, 15, 25), new Estimate(2.1, 2.0, 2.2));
        return new StudyReport("sample", new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), "synthetic", 1.45,
            "Predicted loss at 1e16 FLOP: 2.1 [2.0, 2.2]", rows, [law], [backtest], [plan], ["a note"])
        {
            Comparison =
            [
                new ComparisonRow("chinchilla, all configurations", "E fixed at the validation floor (the report's)", runs, 4, -80.5, -78.1, 0, 0.73, true, true),
                new ComparisonRow("chinchilla, all configurations", "E fitted (not fixed at the floor)", runs, 5, -78.5, -75.7, 2.0, 0.27, false, false),
            ],
        };
    }
}
