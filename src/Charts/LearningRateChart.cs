using OxyPlot;
using OxyPlot.Annotations;
using OxyPlot.Axes;
using OxyPlot.Series;

namespace MLNetCnn.Charts;

/// <summary>The learning-rate finder's curve: smoothed loss against learning rate (log scale), the suggested rate marked.</summary>
public static class LearningRateChart
{
    /// <summary>Draws the curve and returns it as PNG bytes.</summary>
    /// <exception cref="ArgumentException">The curve has no point.</exception>
    public static byte[] ToPng(CnnLearningRateCurve curve, int width = 900, int height = 600)
    {
        ArgumentNullException.ThrowIfNull(curve);
        if (curve.Points.Count == 0)
            throw new ArgumentException("The curve has no point to draw.", nameof(curve));
        var model = new PlotModel { Title = "Learning-rate finder", TitleFontSize = 15 };
        model.Axes.Add(new LogarithmicAxis { Position = AxisPosition.Bottom, Title = "learning rate" });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "smoothed training loss" });
        var line = new LineSeries { Color = ChartColours.Palette[0], StrokeThickness = 2 };
        line.Points.AddRange(curve.Points.Where(p => double.IsFinite(p.SmoothedLoss)).Select(p => new DataPoint(p.Rate, p.SmoothedLoss)));
        model.Series.Add(line);
        model.Annotations.Add(new LineAnnotation
        {
            Type = LineAnnotationType.Vertical, X = curve.SuggestedRate, Color = ChartColours.Palette[3], LineStyle = LineStyle.Dash,
            Text = $"suggested {curve.SuggestedRate:G2}",
        });
        return ChartFile.Png(model, width, height);
    }

    /// <summary>Writes <see cref="ToPng"/> to <paramref name="pngPath"/> (its folder must exist).</summary>
    public static void Save(CnnLearningRateCurve curve, string pngPath, int width = 900, int height = 600)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pngPath);
        File.WriteAllBytes(pngPath, ToPng(curve, width, height));
    }
}
