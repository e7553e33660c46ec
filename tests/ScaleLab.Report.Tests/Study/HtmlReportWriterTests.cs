using ScaleLab.Report.Study;

namespace ScaleLab.Report.Tests.Study;

public sealed class HtmlReportWriterTests
{
    [Fact]
    public void Render_SampleStudy_IsSelfContainedWithEverySection()
    {
        // Given
        var report = SampleReports.Chinchilla();

        // When
        var html = HtmlReportWriter.Render(report);

        // Then: all sections, one inline image per figure, no external fetches.
        foreach (var heading in new[] { "Training curves", "Final loss vs compute", "Fitted laws", "Model comparison", "Back-test", "Compute-optimal plan", "Runs" })
        {
            Assert.Contains($"<h2>{heading}</h2>", html, StringComparison.Ordinal);
        }
        Assert.Equal(4, CountOf(html, "src=\"data:image/png;base64,"));
        Assert.Contains("id=\"residuals\"", html, StringComparison.Ordinal);
        Assert.Contains("<b>E fixed at the validation floor (the report&#39;s)</b>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.Contains("run-7", html, StringComparison.Ordinal);
        Assert.Contains("1.45", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_HostileStudyName_IsEscaped()
    {
        var report = SampleReports.Chinchilla() with { Study = "<script>alert(1)</script>" };
        var html = HtmlReportWriter.Render(report);
        Assert.DoesNotContain("<script>alert", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Markdown_SampleStudy_HasTablesForLawsBacktestPlanAndRuns()
    {
        var md = MarkdownReportWriter.Render(SampleReports.Chinchilla());
        Assert.Contains("## Back-test", md, StringComparison.Ordinal);
        Assert.Contains("| E | 1.5 [1.4, 1.6] |", md, StringComparison.Ordinal);
        Assert.Contains("| chinchilla, all configurations | E fitted (not fixed at the floor) | 8 | 5 | -78.5 | -75.7 | 2 | 0.27 | not every parameter |", md, StringComparison.Ordinal);
        // 8 rows in the run table plus the one held-out run in the back-test table.
        Assert.Equal(9, md.Split('\n').Count(l => l.StartsWith("| run-", StringComparison.Ordinal)));
    }

    private static int CountOf(string text, string needle)
    {
        var count = 0;
        for (var i = text.IndexOf(needle, StringComparison.Ordinal); i >= 0; i = text.IndexOf(needle, i + 1, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }
}
