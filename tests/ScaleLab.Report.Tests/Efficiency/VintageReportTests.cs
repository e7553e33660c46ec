using ScaleLab.Laws;
using ScaleLab.Report.Efficiency;
using ScaleLab.Report.Plots;

namespace ScaleLab.Report.Tests.Efficiency;

public sealed class VintageReportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vintage-report-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Three recipes on log10 L = 0.6 − 0.04·log10(C·gain), gains 1, 2 and 6, 5 budgets each, noiseless but for a
    /// 0.2% wobble so the lines have residuals to resample; the last recipe's first budget not bracketed.</summary>
    private static VintageStudyResult Result()
    {
        var gains = new[] { 1.0, 2.0, 6.0 };
        var recipes = gains.Select((g, i) =>
        {
            var frontier = Enumerable.Range(0, 5).Select(k =>
            {
                var c = Math.Pow(10, 9 + 0.5 * k);
                return new FrontierPoint(c, Math.Pow(10, 0.6 - 0.04 * Math.Log10(c * g)) * (1 + 0.002 * (k % 2 == 0 ? 1 : -1)));
            }).ToList();
            var budgets = frontier.Select((p, k) => new VintageBudget(p.C, 2000, 1000, 4000, 3, p.Loss) with { BestN = i == 2 && k == 0 ? 4000 : 2000 }).ToList();
            return new VintageRecipe($"vintage-r{i}", $"r{i}", $"recipe {i}", frontier, budgets, 15, 0);
        }).ToList();
        var ladder = GainLadder.Measure([.. recipes.Select(r => (r.Study, (IReadOnlyList<FrontierPoint>)r.Frontier))], new ComputeGainOptions { Bootstrap = 200 });
        return new VintageStudyResult(recipes, ladder, Quick: true);
    }

    [Fact]
    public void Markdown_ThreeRecipes_HeadlineTablesAndBracketing()
    {
        // Given
        var result = Result();

        // When
        var md = VintageReport.Markdown(result, "vintages.svg");

        // Then the headline names the best recipe (gain 6 over the oldest) and the edge budget; every section is there
        Assert.Contains("the best recipe, vintage-r2", md);
        Assert.Contains("1 of 15 recipe budgets have their best size at the edge", md);
        foreach (var section in new[] { "## Recipes (oldest first)", "## Compute to reach each target loss", "## Gain over the oldest recipe", "## Gain step by step", "## Budgets", "## Method", "![frontiers side by side" })
        {
            Assert.Contains(section, md);
        }
        Assert.Contains("| vintage-r2 | vintage-r1 |", md);
        Assert.Contains("(headline)", md);
    }

    [Theory]
    [InlineData("vintages.svg")]
    [InlineData("vintages.png")]
    public void Save_ThreeRecipes_WritesTheFigure(string name)
    {
        // Given
        var path = Path.Combine(_dir, name);

        // When
        VintagePlot.Save(Result(), path);

        // Then an SVG document, or a PNG with its signature
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 1000);
        if (name.EndsWith(".svg", StringComparison.Ordinal))
        {
            Assert.Contains("<svg", System.Text.Encoding.UTF8.GetString(bytes));
        }
        else
        {
            Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, bytes[..4]);
        }
    }
}
