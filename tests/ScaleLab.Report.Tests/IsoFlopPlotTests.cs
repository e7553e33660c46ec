using System.Xml.Linq;
using ScaleLab.Laws.IsoFlop;
using ScaleLab.Report.Plots;
using SkiaSharp;

namespace ScaleLab.Report.Tests;

public sealed class IsoFlopPlotTests
{
    /// <summary>Four budgets of exact Chinchilla-law losses (E 1.69, A 406.4, B 410.7, α 0.34, β 0.28) on a fixed N grid.</summary>
    private static IsoFlopResult Profiles()
    {
        var runs = new List<IsoFlopRun>();
        foreach (var logC in new[] { 18.0, 19.0, 20.0, 21.0 })
        {
            var c = Math.Pow(10, logC);
            for (var logN = 6.0; logN <= 12; logN += 0.2)
            {
                var n = Math.Pow(10, logN);
                var d = c / (6 * n);
                if (d / n is >= 2 and <= 2000)
                {
                    runs.Add(new IsoFlopRun(c, n, 1.69 + 406.4 / Math.Pow(n, 0.34) + 410.7 / Math.Pow(d, 0.28)));
                }
            }
        }
        return IsoFlopAnalysis.Fit(runs, new IsoFlopOptions { Bootstrap = 50, Seed = 1 });
    }

    [Fact]
    public void Save_Png_WritesValidColourfulImage()
    {
        // Given
        var path = Path.Combine(Path.GetTempPath(), $"isoflop-{Guid.NewGuid():N}.png");
        try
        {
            // When
            IsoFlopPlot.Save(Profiles(), path);

            // Then
            var bytes = File.ReadAllBytes(path);
            Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, bytes[..4]);
            using var bitmap = SKBitmap.Decode(bytes);
            Assert.Equal(IsoFlopPlot.Width, bitmap.Width);
            Assert.Equal(IsoFlopPlot.Height, bitmap.Height);
            Assert.True(PlotImages.DistinctColours(bitmap) > 50);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Save_Svg_WritesWellFormedSvgWithShapes()
    {
        // Given
        var path = Path.Combine(Path.GetTempPath(), $"isoflop-{Guid.NewGuid():N}.svg");
        try
        {
            // When
            IsoFlopPlot.Save(Profiles(), path);

            // Then
            var doc = XDocument.Load(path);
            Assert.Equal("svg", doc.Root!.Name.LocalName);
            Assert.True(doc.Descendants().Count() > 100);
            Assert.True(new FileInfo(path).Length > 10_000);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
