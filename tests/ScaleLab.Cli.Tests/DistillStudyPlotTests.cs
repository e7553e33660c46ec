namespace ScaleLab.Cli.Tests;

/// <summary><c>distill --study S --plot FILE</c>: both figures written for a trained study; a plot without a study, or to
/// a folder that does not exist, refused in one line before any work.</summary>
public sealed class DistillStudyPlotTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("scalelab-distill-plot-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void DistillStudy_Plot_WritesLossVsComputeAndCapacityGap()
    {
        // Given: one student size, two budgets, two seeds, on samples and from the oracle.
        var spec = Path.Combine(_directory, "study.toml");
        File.WriteAllText(spec, """
            study = "plot-distill"
            kind = "distill"
            [settings]
            teachers = ["none", "oracle"]
            student = { corpus = "synthetic", seq_len = 16, batch_size = 4, tokens = [640, 1280], seeds = [1, 2], eval_batches = 2, models = [{ layers = 1, d_model = 16, heads = 2 }] }
            """);
        var registry = "sqlite:" + Path.Combine(_directory, "study.db");
        var plot = Path.Combine(_directory, "distill.svg");

        // When
        var (code, _, err) = FitCli.Run("distill", "--study", "plot-distill", "--spec", spec, "--registry", registry, "--plot", plot);

        // Then: two SVG files; the oracle-teacher limit is drawn (its legend names the floor).
        Assert.True(code == 0, err);
        var curves = File.ReadAllText(plot);
        Assert.Contains("<svg", curves, StringComparison.Ordinal);
        Assert.Contains("oracle-teacher limit", curves, StringComparison.Ordinal);
        Assert.Contains("<svg", File.ReadAllText(Path.Combine(_directory, "distill-capacity-gap.svg")), StringComparison.Ordinal);
    }

    [Fact]
    public void Report_StudyWithDistillStudy_ShowsDistillationSectionAndFigures()
    {
        // Given: a language-model study "iso" (finished runs from a known law) and, in the same registry, a trained
        // distillation study "iso-distill" (one student size, two budgets, two seeds, on samples and from the oracle).
        var db = Path.Combine(_directory, "r.db");
        HumanNumberStyleTests.FakeStudy(db);
        var spec = Path.Combine(_directory, "study.toml");
        File.WriteAllText(spec, """
            study = "iso-distill"
            kind = "distill"
            [settings]
            teachers = ["none", "oracle"]
            student = { corpus = "synthetic", seq_len = 16, batch_size = 4, tokens = [640, 1280], seeds = [1, 2], eval_batches = 2, models = [{ layers = 1, d_model = 16, heads = 2 }] }
            """);
        var (trained, _, trainErr) = FitCli.Run("distill", "--study", "iso-distill", "--spec", spec, "--registry", "sqlite:" + db);
        Assert.True(trained == 0, trainErr);
        var html = Path.Combine(Directory.CreateDirectory(Path.Combine(_directory, "out")).FullName, "report.html");

        // When
        var (code, _, err) = FitCli.Run("report", "--study", "iso", "--registry", "sqlite:" + db, "--out", html, "--bootstrap", "30");

        // Then: the section (table, crossover sentences, capacity gap) in the Markdown and the HTML, both figures beside
        // them, every number of the section in the report's one style.
        Assert.True(code == 0, err);
        var md = File.ReadAllText(Path.ChangeExtension(html, ".md"));
        var section = md[md.IndexOf("## Distillation", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n## ", 3, StringComparison.Ordinal)];
        Assert.Contains("Study iso-distill.", section, StringComparison.Ordinal);
        Assert.Contains("- Student N_S = ", section, StringComparison.Ordinal);
        Assert.Contains("Capacity gap (student N_S = ", section, StringComparison.Ordinal);
        Assert.Empty(HumanNumberStyleTests.Unstyled(section));
        Assert.Contains("<h2>Distillation</h2>", File.ReadAllText(html), StringComparison.Ordinal);
        var figures = Directory.GetFiles(Path.GetDirectoryName(html)!, "*.svg").Select(Path.GetFileName).ToList();
        Assert.Contains("distillation-loss-vs-compute.svg", figures);
        Assert.Contains("distillation-capacity-gap.svg", figures);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void Report_DistillStudyWithTwoSizes_SectionStatesTheLawCrossoversDistillStudyPrints()
    {
        // Given: "iso" and a trained "iso-distill" with two student sizes and three budgets (so each teacher gets a law
        // L(N, D) and a back-test), and what
        // distill --study prints for it with its default law options.
        var db = Path.Combine(_directory, "r.db");
        HumanNumberStyleTests.FakeStudy(db);
        var spec = Path.Combine(_directory, "study.toml");
        File.WriteAllText(spec, """
            study = "iso-distill"
            kind = "distill"
            [settings]
            teachers = ["none", "oracle"]
            student = { corpus = "synthetic", seq_len = 16, batch_size = 4, tokens = [640, 1280, 2560], seeds = [1, 2], eval_batches = 2, models = [{ layers = 1, d_model = 8, heads = 2 }, { layers = 1, d_model = 16, heads = 2 }] }
            """);
        var (trained, _, trainErr) = FitCli.Run("distill", "--study", "iso-distill", "--spec", spec, "--registry", "sqlite:" + db);
        Assert.True(trained == 0, trainErr);
        var (read, json, readErr) = FitCli.Run("distill", "--study", "iso-distill", "--registry", "sqlite:" + db, "--json");
        Assert.True(read == 0, readErr);
        var html = Path.Combine(Directory.CreateDirectory(Path.Combine(_directory, "out")).FullName, "report.html");

        // When
        var (code, _, err) = FitCli.Run("report", "--study", "iso", "--registry", "sqlite:" + db, "--out", html, "--bootstrap", "30");

        // Then: one sentence per student size for the oracle's law crossing, each with the command's kind, compute, interval
        // and draws (a report reading the laws with other options would print other intervals or draw counts).
        Assert.True(code == 0, err);
        var md = File.ReadAllText(Path.ChangeExtension(html, ".md"));
        var section = md[md.IndexOf("## Distillation", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n## ", 3, StringComparison.Ordinal)];
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        var crossovers = doc.RootElement.GetProperty("laws").GetProperty("law_crossovers").EnumerateArray()
            .Where(c => c.GetProperty("teacher").GetString() == "oracle" && c.GetProperty("view").GetString() == "WithTeacherForward").ToList();
        Assert.Equal(2, crossovers.Count);
        foreach (var c in crossovers)
        {
            var n = c.GetProperty("student_parameters").GetInt64();
            var line = section.Split('\n').Single(l => l.StartsWith($"- From the laws, student N_S = {n}, teacher oracle, counting the teacher's forward passes: ", StringComparison.Ordinal));
            var draws = c.GetProperty("draws").GetInt32();
            Assert.Equal(400, draws);
            Assert.Contains($" of {draws} bootstrap draws agree", line, StringComparison.Ordinal);
            Assert.Contains(ScaleLab.Laws.NumberStyle.Percent(c.GetProperty("fraction_agreeing").GetDouble(), 2), line, StringComparison.Ordinal);
            if (c.GetProperty("compute").ValueKind == System.Text.Json.JsonValueKind.Number)
            {
                Assert.Contains(ScaleLab.Laws.NumberStyle.Format(c.GetProperty("compute").GetDouble(), 2) + " FLOP", line, StringComparison.Ordinal);
                if (c.GetProperty("low").ValueKind == System.Text.Json.JsonValueKind.Number)
                {
                    Assert.Contains($"[{ScaleLab.Laws.NumberStyle.Format(c.GetProperty("low").GetDouble(), 2)}, {ScaleLab.Laws.NumberStyle.Format(c.GetProperty("high").GetDouble(), 2)}]", line, StringComparison.Ordinal);
                }
            }
            else
            {
                Assert.Contains("over the whole search range", line, StringComparison.Ordinal);
            }
        }
        Assert.Contains("Fitted laws: per teacher L(N_S, D)", section, StringComparison.Ordinal);
        Assert.Contains("- Back-test of teacher none's law", section, StringComparison.Ordinal);
        Assert.Empty(HumanNumberStyleTests.Unstyled(section));
    }

    [Theory]
    [InlineData(false, "--plot needs --study")]
    [InlineData(true, "--plot")]
    public void Distill_BadPlot_ExitTwoWithOneLine(bool withStudy, string expected)
    {
        // Given: --plot without --study, or into a folder that does not exist.
        string[] args = withStudy
            ? ["distill", "--study", "s", "--registry", "sqlite:" + Path.Combine(_directory, "none.db"), "--plot", Path.Combine(_directory, "no", "such", "d.svg")]
            : ["distill", "--teacher", "oracle", "--plot", Path.Combine(_directory, "d.svg")];

        // When
        var (code, _, err) = FitCli.Run(args);

        // Then
        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains(expected, err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.False(File.Exists(Path.Combine(_directory, "none.db")));
    }
}
