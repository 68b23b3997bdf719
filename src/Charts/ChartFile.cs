using OxyPlot;

namespace MLNetCnn.Charts;

/// <summary>The palette every chart uses (Tableau's ten categories, as matplotlib's default).</summary>
internal static class ChartColours
{
    public static readonly IReadOnlyList<OxyColor> Palette =
    [
        OxyColor.FromRgb(31, 119, 180), OxyColor.FromRgb(255, 127, 14), OxyColor.FromRgb(44, 160, 44), OxyColor.FromRgb(214, 39, 40),
        OxyColor.FromRgb(148, 103, 189), OxyColor.FromRgb(140, 86, 75), OxyColor.FromRgb(227, 119, 194), OxyColor.FromRgb(127, 127, 127),
        OxyColor.FromRgb(188, 189, 34), OxyColor.FromRgb(23, 190, 207),
    ];
}

/// <summary>Renders a chart to PNG with OxyPlot's SkiaSharp exporter, on the SkiaSharp 2.88 line ML.NET's image transforms use.</summary>
internal static class ChartFile
{
    /// <summary>The chart as PNG bytes, on a white background.</summary>
    public static byte[] Png(PlotModel model, int width, int height)
    {
        model.Background = OxyColors.White;
        using var png = new MemoryStream();
        new OxyPlot.SkiaSharp.PngExporter { Width = width, Height = height }.Export(model, png);
        return png.ToArray();
    }
}
