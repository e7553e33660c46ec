using System.Diagnostics;
using System.Text.RegularExpressions;
using ScaleLab.Report.Study;
using SkiaSharp;

namespace ScaleLab.Report.Tests.Study;

/// <summary>
/// Opens the report in a real headless Chromium, screenshots it, and checks that every figure rendered:
/// the region where the page laid out each plot (read back from the rendered DOM's data-rect) must hold a
/// drawing, not a blank box. A report whose images are blank must fail the same check (negative control).
/// Runs where Debian's chromium is installed; CI installs it and sets SCALELAB_REQUIRE_CHROMIUM=1 so a
/// missing browser fails there instead of skipping.
/// </summary>
public sealed partial class ChromiumRenderTests
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public void Screenshot_SampleReport_EveryPlotRegionIsDrawnAndHeadingsPresent()
    {
        if (!BrowserAvailable())
        {
            return;
        }
        // Given
        var html = HtmlReportWriter.Render(SampleReports.Chinchilla());

        // When
        var (dom, shot) = Render(html);

        // Then
        foreach (var heading in new[] { "Training curves", "Final loss vs compute", "Back-test", "Compute-optimal plan", "Runs" })
        {
            Assert.Contains($"<h2>{heading}</h2>", dom, StringComparison.Ordinal);
        }
        var rects = PlotRects(dom);
        Assert.Equal(4, rects.Count);
        foreach (var rect in rects)
        {
            Assert.True(IsDrawn(shot, rect, out var why), $"plot at {rect} looks blank: {why}");
        }
    }

    [Fact]
    public void Screenshot_ReportWithBlankImages_FailsTheSameCheck()
    {
        if (!BrowserAvailable())
        {
            return;
        }
        // Given: the same page with every plot swapped for a white PNG of the same size.
        using var white = new SKBitmap(StudyPlots.Width, StudyPlots.Height);
        white.Erase(SKColors.White);
        using var data = white.Encode(SKEncodedImageFormat.Png, 100);
        var blank = Convert.ToBase64String(data.ToArray());
        var html = ImageData().Replace(HtmlReportWriter.Render(SampleReports.Chinchilla()), $"src=\"data:image/png;base64,{blank}\"");

        // When
        var (dom, shot) = Render(html);

        // Then
        var rects = PlotRects(dom);
        Assert.Equal(4, rects.Count);
        Assert.All(rects, rect => Assert.False(IsDrawn(shot, rect, out _)));
    }

    private static bool BrowserAvailable()
    {
        if (File.Exists(Chromium))
        {
            return true;
        }
        Assert.True(Environment.GetEnvironmentVariable("SCALELAB_REQUIRE_CHROMIUM") != "1", $"{Chromium} is required here (SCALELAB_REQUIRE_CHROMIUM=1) but missing");
        return false;
    }

    /// <summary>A region is drawn when a visible share of it is not background and it has many colours (lines, text, fills).</summary>
    private static bool IsDrawn(SKBitmap shot, SKRectI rect, out string why)
    {
        var inked = 0;
        var colours = new HashSet<uint>();
        var total = 0;
        for (var y = rect.Top; y < Math.Min(rect.Bottom, shot.Height); y += 2)
        {
            for (var x = rect.Left; x < Math.Min(rect.Right, shot.Width); x += 2)
            {
                var c = shot.GetPixel(x, y);
                total++;
                if (c.Red < 235 || c.Green < 235 || c.Blue < 235)
                {
                    inked++;
                }
                colours.Add((uint)c);
            }
        }
        var share = total == 0 ? 0 : (double)inked / total;
        why = $"{share:P1} inked, {colours.Count} colours over {total} samples";
        return total > 1000 && share > 0.02 && colours.Count > 20;
    }

    private static List<SKRectI> PlotRects(string dom) =>
        DataRect().Matches(dom).Select(m =>
        {
            var v = m.Groups[1].Value.Split(',').Select(int.Parse).ToArray();
            return new SKRectI(v[0], v[1], v[0] + v[2], v[1] + v[3]);
        }).ToList();

    private static (string Dom, SKBitmap Shot) Render(string html)
    {
        var dir = Directory.CreateTempSubdirectory("scalelab-chromium-");
        try
        {
            var page = Path.Combine(dir.FullName, "report.html");
            File.WriteAllText(page, html);
            var png = Path.Combine(dir.FullName, "shot.png");
            RunChromium(dir.FullName, $"--screenshot={png} --window-size=1200,4000 file://{page}");
            var dom = RunChromium(dir.FullName, $"--dump-dom --window-size=1200,4000 file://{page}");
            Assert.True(File.Exists(png), "chromium wrote no screenshot");
            return (dom, SKBitmap.Decode(png));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static string RunChromium(string workDir, string args)
    {
        var flags = $"--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking " +
                    $"--disable-component-update --disable-sync --hide-scrollbars --force-device-scale-factor=1 " +
                    $"--user-data-dir={Path.Combine(workDir, "profile")} ";
        using var process = Process.Start(new ProcessStartInfo(Chromium, flags + args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(90)), "chromium did not finish within 90 s");
        return stdout.Result;
    }

    [GeneratedRegex("data-rect=\"([0-9]+,[0-9]+,[0-9]+,[0-9]+)\"")]
    private static partial Regex DataRect();

    [GeneratedRegex("src=\"data:image/png;base64,[A-Za-z0-9+/=]+\"")]
    private static partial Regex ImageData();
}
