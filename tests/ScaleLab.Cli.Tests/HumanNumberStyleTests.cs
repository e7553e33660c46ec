using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;
using ScaleLab.Laws;
using ScaleLab.Report.Study;

namespace ScaleLab.Cli.Tests;

/// <summary>
/// One number style in every human-readable output of fit, backtest, plan, isoflop and report (console text, the
/// report's HTML and Markdown, and the text of its figures): every number is written by <see cref="NumberStyle"/>,
/// recognised by reading back to itself (no 5.6264E+20, 1.661e+08, 0.50, 1,234 or 0.0000123).
/// </summary>
public sealed partial class HumanNumberStyleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("scalelab-style-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // A number as a reader sees one: digits with an optional fraction, exponent, or thousands groups, not part of a word.
    [GeneratedRegex(@"(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w])")]
    private static partial Regex Number();

    // Timestamps are not quantities.
    [GeneratedRegex(@"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?)?(?: ?UTC|Z|[+-]\d{2}:\d{2})?")]
    private static partial Regex Timestamp();

    /// <summary>The numbers of <paramref name="text"/> that are not in the one style.</summary>
    internal static List<string> Unstyled(string text) =>
        Number().Matches(Timestamp().Replace(text, " "))
            .Select(m => m.Value.TrimEnd(','))
            .Where(t => !NumberStyle.IsStyled(t))
            .Distinct()
            .ToList();

    [Theory]
    [InlineData("N = 335712, loss 1.69 at 5.6264e+20 FLOP, 3.1e-5, -2.5e-7, 94.7%", "")]
    [InlineData("5.6264E+20 and 1.661e+08 and 2.02E+12", "5.6264E+20 1.661e+08 2.02E+12")]
    [InlineData("loss 1.6900, skill 0.50, N 1,234,567, D 0.0000123, C 12345678", "1.6900 0.50 1,234,567 0.0000123 12345678")]
    [InlineData("run L2-C64 (2x64x4) on 2026-01-02 03:04:05 UTC", "")]
    public void Unstyled_KnownTexts_FindsExactlyTheOtherStyles(string text, string expected)
    {
        // The detector itself: the other styles are found, the one style and non-quantities are not.
        Assert.Equal(expected.Split(' ', StringSplitOptions.RemoveEmptyEntries), Unstyled(text));
    }

    [Fact]
    public void FitBacktestPlanIsoflop_ConsoleTextAndFigures_EveryNumberInTheOneStyle()
    {
        // Given: a Chinchilla-like sweep at real scales (N to 1e9, C to 1e21), a power law in C, and isoFLOP runs
        var chinchilla = ChinchillaCsv();
        var power = FitCli.PowerLawCsv(_dir, 12);
        var iso = IsoFlopCsv();
        var fitJson = Path.Combine(_dir, "fit.json");

        // When
        var outputs = new List<(string Name, (int Code, string Out, string Err) Result)>
        {
            ("fit chinchilla", FitCli.Run("fit", chinchilla, "--law", "chinchilla", "--bootstrap", "30", "--out", fitJson)),
            ("fit powerlaw", FitCli.Run("fit", power, "--law", "powerlaw", "--bootstrap", "30", "--plot", Path.Combine(_dir, "fit.svg"))),
            ("backtest", FitCli.Run("backtest", chinchilla, "--law", "chinchilla", "--holdout", "4", "--bootstrap", "20")),
        };
        outputs.Add(("plan", FitCli.Run("plan", fitJson, "--compute", "5.76e23", "--allow-unidentified")));
        outputs.Add(("isoflop", FitCli.Run("isoflop", iso, "--bootstrap", "30", "--no-approach3", "--plot", Path.Combine(_dir, "iso.svg"))));

        // Then
        foreach (var (name, result) in outputs)
        {
            Assert.True(result.Code == 0, $"{name}: exit {result.Code}: {result.Err}");
            var text = result.Out.Replace(_dir, "DIR", StringComparison.Ordinal);
            Assert.True(Unstyled(text).Count == 0, $"{name}: numbers not in the one style: {string.Join("  ", Unstyled(text))}\n{text}");
        }
        foreach (var figure in new[] { "fit.svg", "iso.svg" })
        {
            var text = SvgText(File.ReadAllText(Path.Combine(_dir, figure)));
            Assert.True(Unstyled(text).Count == 0, $"{figure}: numbers not in the one style: {string.Join("  ", Unstyled(text))}\n{text}");
        }
    }

    [Fact]
    public void Report_HtmlMarkdownAndFigures_EveryNumberInTheOneStyle()
    {
        // Given: a registry study of finished runs on an isoFLOP design (4 budgets, 6 sizes, one size at 3 rates),
        // losses from a known law
        var db = Path.Combine(_dir, "r.db");
        var keys = FakeStudy(db);
        var html = Path.Combine(Directory.CreateDirectory(Path.Combine(_dir, "out")).FullName, "report.html");

        // When
        var result = FitCli.Run("report", "--study", "iso", "--registry", "sqlite:" + db, "--out", html, "--bootstrap", "30");

        // Then: the console, the HTML text (outside style, script and inline figures), the Markdown and every figure's text
        Assert.True(result.Code == 0, $"exit {result.Code}: {result.Err}");
        var texts = new List<(string Name, string Text)>
        {
            ("console", result.Out),
            ("report.html", HtmlText(File.ReadAllText(html))),
            ("report.md", File.ReadAllText(Path.ChangeExtension(html, ".md"))),
        };
        var figures = Directory.GetFiles(Path.GetDirectoryName(html)!, "*.svg");
        Assert.NotEmpty(figures);
        texts.AddRange(figures.Select(f => (Path.GetFileName(f), SvgText(File.ReadAllText(f)))));
        foreach (var (name, raw) in texts)
        {
            var text = keys.Aggregate(raw.Replace(_dir, "DIR", StringComparison.Ordinal), (t, k) => t.Replace(k, "KEY", StringComparison.Ordinal));
            Assert.True(Unstyled(text).Count == 0, $"{name}: numbers not in the one style: {string.Join("  ", Unstyled(text))}\n{text}");
        }
        Assert.Contains("e+", File.ReadAllText(Path.ChangeExtension(html, ".md")), StringComparison.Ordinal);
    }

    [Fact]
    public void ReportWriters_HandMadeStudyAtLargeScale_EveryNumberInTheOneStyle()
    {
        // Given: a study at real scales (N to 7e8, C to 6e19) with every section: floors, a forecast check, rate
        // checks, isoFLOP budgets, a law, a back-test with baselines and a plan
        var runs = Enumerable.Range(0, 6).Select(i =>
        {
            var n = 3e6 * Math.Pow(3, i);
            var d = 20 * n;
            return new RunRow($"run-{i}", $"L{i + 1} C{256 * (i + 1)} H8", 1, (long)n, (long)(n * 1.3), d, 6 * n * d, 2.5 - (0.1 * i), 2.51 - (0.1 * i), "done",
                [new CurvePoint(d / 2, 3.0, 2.9), new CurvePoint(d, 2.5 - (0.1 * i), 2.51 - (0.1 * i))]) { LearningRate = 3e-4 };
        }).ToList();
        var law = new LawSummary("chinchilla", "L = E + A/N^alpha + B/D^beta",
            [("E", new Estimate(1.69, 1.6, 1.8)), ("A", new Estimate(406.4, 300, 500)), ("alpha", new Estimate(0.34, 0.3, 0.38))], 1.2345e-5, 6,
            [new LawCurvePoint(1e18, 2.6, 2.5, 2.7), new LawCurvePoint(1e20, 2.2, 2.1, 2.3), new LawCurvePoint(1e22, 2.0, 1.9, 2.1)], runs.Max(r => r.Flops));
        var backtest = new BacktestSummary("chinchilla", 4,
            [new BacktestRow("run-5", runs[^1].Flops, 2.0, new Estimate(2.02, 1.95, 2.1), 0.01, true), new BacktestRow("run-4", runs[^2].Flops, 2.1, new Estimate(2.05, 2.0, 2.08), -0.0238, false)],
            0.017, 0.5)
        {
            SpanDecades = 0.9542, MeanAbsReducibleRelativeError = 0.05, Baselines = [("log-log line", 0.031, 0.62)], HoldoutRule = "the 2 largest",
        };
        var plan = new PlanRow("chinchilla", 5.76e23, new Estimate(6.7e10, 5e10, 9e10), new Estimate(1.4e12, 1e12, 2e12), new Estimate(20.9, 15, 25), new Estimate(1.94, 1.9, 2.0))
        {
            Status = "identified", Label = "identified", DecadesBeyondData = 4.0,
        };
        var report = new StudyReport("big", new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), "synthetic", 1.5406, "a study at scale", runs, [law], [backtest], [plan], ["a note"])
        {
            Floors = new StudyFloors(1.5406, 1.588, 64, 1.522, 128),
            Verification = new VerificationRow("run-v", "L8 C1024 H16", 123_456_789, 2_469_135_780, 1.83e18, 10.2, new Estimate(2.01, 1.95, 2.07), 0.95, 2.03) { ReducibleRelativeError = -0.0412 },
            RateChecks = [new RateCheckRow(3_000_000, 60_000_000, 1.08e15, [(1.5e-4, 2.61), (3e-4, 2.55), (6e-4, 2.58)], 3e-4)],
            Budgets = [new BudgetRow(1e18, [3_000_000, 9_000_000, 27_000_000], 9_000_000, 2.41, true)],
        };

        // When
        var texts = new List<(string Name, string Text)>
        {
            ("html", HtmlText(HtmlReportWriter.Render(report))),
            ("markdown", MarkdownReportWriter.Render(report)),
        };
        texts.AddRange(StudyPlots.Svgs(report).Select(f => (f.Name, SvgText(f.Svg))));

        // Then
        foreach (var (name, text) in texts)
        {
            Assert.True(Unstyled(text).Count == 0, $"{name}: numbers not in the one style: {string.Join("  ", Unstyled(text))}\n{text}");
        }
        Assert.Contains("1.2346e+8", texts[0].Text, StringComparison.Ordinal);
    }

    /// <summary>The text a reader sees in an HTML page: no style, script or inline figures, no tags, entities decoded.</summary>
    private static string HtmlText(string html)
    {
        var text = Regex.Replace(html, @"<(style|script|svg)\b.*?</\1>", " ", RegexOptions.Singleline | RegexOptions.IgnoreCase);
        text = Regex.Replace(text, @"<img\b[^>]*>", " ", RegexOptions.IgnoreCase);
        text = Regex.Replace(text, "<[^>]+>", " ");
        return WebUtility.HtmlDecode(text);
    }

    /// <summary>The text of an SVG figure: its text elements (tick labels, axis labels, legends, titles).</summary>
    private static string SvgText(string svg) =>
        string.Join("\n", Regex.Matches(svg, @"<text\b[^>]*>(.*?)</text>", RegexOptions.Singleline)
            .Select(m => WebUtility.HtmlDecode(Regex.Replace(m.Groups[1].Value, "<[^>]+>", " "))));

    /// <summary>L = 1.69 + 406.4/N^0.34 + 410.7/D^0.28 with 1% seeded noise on a 5x5 grid of N (1e7..1e9) and D (1e9..1e11).</summary>
    private string ChinchillaCsv()
    {
        var rng = new Random(5);
        var sb = new StringBuilder("N,D,C,loss\n");
        foreach (var n in new[] { 1e7, 3e7, 1e8, 3e8, 1e9 })
        {
            foreach (var d in new[] { 1e9, 3e9, 1e10, 3e10, 1e11 })
            {
                double z = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
                double loss = (1.69 + 406.4 / Math.Pow(n, 0.34) + 410.7 / Math.Pow(d, 0.28)) * Math.Exp(0.01 * z);
                sb.Append(CultureInfo.InvariantCulture, $"{n:R},{d:R},{6 * n * d:R},{loss:R}\n");
            }
        }
        return FitCli.Write(_dir, "chinchilla.csv", sb.ToString());
    }

    /// <summary>isoFLOP runs of the same law on 4 budgets 1e18..1e19.5, N every 0.25 decade with 2 ≤ D/N ≤ 2000.</summary>
    private string IsoFlopCsv()
    {
        var sb = new StringBuilder("C,N,loss\n");
        var k = 0;
        foreach (var logC in new[] { 18.0, 18.5, 19.0, 19.5 })
        {
            var c = Math.Pow(10, logC);
            for (var logN = 6.0; logN <= 12; logN += 0.25)
            {
                var n = Math.Pow(10, logN);
                var d = c / (6 * n);
                if (d / n is < 2 or > 2000)
                {
                    continue;
                }
                var loss = 1.69 + 406.4 / Math.Pow(n, 0.34) + 410.7 / Math.Pow(d, 0.28) + 0.002 * Math.Sin(k++ * 2.3);
                sb.Append(CultureInfo.InvariantCulture, $"{c:R},{n:R},{loss:R}\n");
            }
        }
        return FitCli.Write(_dir, "iso.csv", sb.ToString());
    }

    /// <summary>A finished study "iso" whose runs' losses follow L = 1.6 + 60/N^0.4 + 250/D^0.35; returns the run keys.</summary>
    internal static List<string> FakeStudy(string db)
    {
        var spec = SweepSpec.Parse("""
            study = "iso"
            seq_len = 16
            batch_size = 4
            eval_batches = 2
            compute = [3e9, 1e10, 3e10, 1e11]
            models = [
              { layers = 1, d_model = 16, heads = 2 },
              { layers = 1, d_model = 24, heads = 2 },
              { layers = 1, d_model = 32, heads = 2, learning_rates = [1e-3, 3e-3, 1e-2] },
              { layers = 2, d_model = 32, heads = 2 },
              { layers = 2, d_model = 48, heads = 4 },
              { layers = 2, d_model = 64, heads = 4 },
            ]
            """);
        using var store = new SqliteRunStore(db);
        store.EnsureSchema();
        store.CreateStudy("iso", null);
        var runs = spec.NewRuns();
        store.Enqueue("iso", runs);
        var rng = new Random(7);
        while (store.Claim("iso", "w", TimeSpan.FromMinutes(1)) is { } run)
        {
            var lr = RunSpec.FromRecord(run).LearningRate;
            var penalty = 0.02 * Math.Abs(Math.Log(lr / 3e-3));
            var loss = 1.6 + (60 / Math.Pow(run.NonEmbeddingParameters, 0.4)) + (250 / Math.Pow(run.Tokens, 0.35)) + penalty
                + (0.003 * ((rng.NextDouble() * 2) - 1));
            store.AppendMetrics(run.Key, [new MetricRow(1, run.Tokens / 2, loss + 0.3, loss + 0.3, lr, 1), new MetricRow(2, run.Tokens, loss + 0.01, loss, lr, 1)]);
            Assert.True(store.Finish(run.Key, "w", loss + 0.01));
        }
        return runs.Select(r => r.Key).ToList();
    }
}
