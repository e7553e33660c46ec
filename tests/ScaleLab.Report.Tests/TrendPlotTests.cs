using System.Xml.Linq;
using ScaleLab.Laws.Trend;
using ScaleLab.Report.Plots;
using SkiaSharp;

namespace ScaleLab.Report.Tests;

public sealed class TrendPlotTests
{
    /// <summary>Two eras of synthetic models (doubling 20 months to 2010, 6 months after), seeded.</summary>
    internal static TrendResult TwoEras()
    {
        var rng = new Random(3);
        var points = new List<TrendPoint>();
        for (var i = 0; i < 120; i++)
        {
            var year = 1990 + 30 * rng.NextDouble();
            var log = year < 2010 ? 10 + (year - 1990) * 12 * Math.Log10(2) / 20 : 13.6 + (year - 2010) * 12 * Math.Log10(2) / 6;
            var date = new DateOnly((int)year, 1, 1).AddDays((int)((year % 1) * 365));
            points.Add(new TrendPoint($"m{i}", date, year, Math.Pow(10, log + 0.4 * (rng.NextDouble() - 0.5)), i + 2));
        }
        return TrendAnalysis.Fit(points, new TrendOptions { Breaks = [2010], Bootstrap = 100, Seed = 1 });
    }

    [Fact]
    public void Save_Png_WritesValidColourfulImage()
    {
        // Given
        var path = Path.Combine(Path.GetTempPath(), $"trend-{Guid.NewGuid():N}.png");
        try
        {
            // When
            TrendPlot.Save(TwoEras(), "training compute (FLOP)", path);

            // Then the PNG signature is there and the plot area holds many colours (dots, two era lines, text)
            var bytes = File.ReadAllBytes(path);
            Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, bytes[..4]);
            using var bitmap = SKBitmap.Decode(bytes);
            Assert.Equal(TrendPlot.Width, bitmap.Width);
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
        var path = Path.Combine(Path.GetTempPath(), $"trend-{Guid.NewGuid():N}.svg");
        try
        {
            // When
            TrendPlot.Save(TwoEras(), "training compute (FLOP)", path);

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

    [Fact]
    public void Save_UnknownExtension_ThrowsArgument()
    {
        Assert.Throws<ArgumentException>(() => TrendPlot.Save(TwoEras(), "compute", Path.Combine(Path.GetTempPath(), "x.jpg")));
    }
}

/// <summary>Pixel checks shared by the plot tests.</summary>
internal static class PlotImages
{
    /// <summary>Distinct colours in the central 80% of the image (the plot area, away from the margins).</summary>
    public static int DistinctColours(SKBitmap bitmap)
    {
        var colours = new HashSet<uint>();
        for (var y = bitmap.Height / 10; y < bitmap.Height * 9 / 10; y++)
        {
            for (var x = bitmap.Width / 10; x < bitmap.Width * 9 / 10; x++)
            {
                colours.Add((uint)bitmap.GetPixel(x, y));
            }
        }
        return colours.Count;
    }
}
