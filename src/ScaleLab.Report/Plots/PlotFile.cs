using ScottPlot;
using SkiaSharp;

namespace ScaleLab.Report.Plots;

/// <summary>Shared file handling for the plots in this folder: format by extension, 10^x tick labels.</summary>
internal static class PlotFile
{
    /// <summary>PNG for ".png", SVG for ".svg" (case-insensitive); any other extension is a user mistake.</summary>
    public static ImageFormat FormatOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".png" => ImageFormat.Png,
        ".svg" => ImageFormat.Svg,
        _ => throw new ArgumentException($"{path}: plot file must end in .png or .svg"),
    };

    /// <summary>Two panels side by side (left, right) written as one figure, PNG or SVG.</summary>
    public static void SaveColumns(Plot left, Plot right, string path, ImageFormat format, int width, int height)
    {
        // A new Multiplot holds one empty plot: Reset replaces it, so the figure has exactly two panels.
        var multiplot = new Multiplot();
        multiplot.Reset(left);
        multiplot.AddPlot(right);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        if (format == ImageFormat.Svg)
        {
            using var stream = File.Create(path);
            using (var canvas = SKSvgCanvas.Create(new SKRect(0, 0, width, height), stream))
            {
                multiplot.Render(canvas, new PixelRect(0, width, height, 0));
            }
        }
        else
        {
            multiplot.SavePng(path, width, height);
        }
    }

    public static void Save(Plot plot, string path, ImageFormat format, int width, int height)
    {
        if (format == ImageFormat.Svg)
        {
            plot.SaveSvg(path, width, height);
        }
        else
        {
            plot.SavePng(path, width, height);
        }
    }

    /// <summary>Tick label for a log10 axis position v: 10^v in the one number style (1e+21; plainly below 1e6).</summary>
    public static string Pow10Label(double v)
    {
        // A tick at log10 x = v, labelled with x in the one number style (1000, 1e+6, 0.01).
        return ScaleLab.Laws.NumberStyle.Format(Math.Pow(10, v), 3);
    }
}
