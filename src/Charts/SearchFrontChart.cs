using OxyPlot;
using OxyPlot.Annotations;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace MLNetCnn.Charts;

/// <summary>
/// A search's trade-off: each measured trial's validation accuracy against its latency per image, the accuracy-latency front
/// (the trials no other beats on both) joined by a line, the best trial marked.
/// </summary>
public static class SearchFrontChart
{
    /// <summary>Draws the trials of <paramref name="search"/> and writes the chart as a PNG file.</summary>
    /// <param name="search">A finished search.</param>
    /// <param name="pngPath">Where to write the PNG; its folder must exist.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <exception cref="ArgumentException">No trial was both validated and measured.</exception>
    public static void Save(CnnSearchResult search, string pngPath, int width = 900, int height = 600)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pngPath);
        File.WriteAllBytes(pngPath, ToPng(search, width, height));   // rendered in memory first: written whole or not at all
    }

    /// <summary>Draws the trials of <paramref name="search"/> and returns the chart as PNG bytes.</summary>
    /// <param name="search">A finished search.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <exception cref="ArgumentException">No trial was both validated and measured.</exception>
    public static byte[] ToPng(CnnSearchResult search, int width = 900, int height = 600)
    {
        ArgumentNullException.ThrowIfNull(search);
        var measured = search.Trials.Where(t => t.ValidationAccuracy is not null && t.LatencyMs is not null).ToList();
        if (measured.Count == 0)
            throw new ArgumentException($"The search has no trial with both a validation accuracy and a latency to chart ({search.Trials.Count} trial(s)).", nameof(search));
        var model = new PlotModel { Title = "Validation accuracy against latency per image", TitleFontSize = 15 };
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.BottomRight });
        model.Axes.Add(new LogarithmicAxis { Position = AxisPosition.Bottom, Title = "latency per image (ms, PredictionEngine)", MinimumPadding = 0.1, MaximumPadding = 0.1 });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "validation accuracy (%)", MinimumPadding = 0.1, MaximumPadding = 0.1 });
        var others = new ScatterSeries { Title = "trials", MarkerType = MarkerType.Circle, MarkerSize = 4, MarkerFill = OxyColor.FromAColor(140, ChartColours.Palette[0]) };
        others.Points.AddRange(measured.Except(search.Front).Select(t => new ScatterPoint(t.LatencyMs!.Value, t.ValidationAccuracy!.Value * 100)));
        model.Series.Add(others);
        var front = new LineSeries { Title = "front", Color = ChartColours.Palette[1], MarkerType = MarkerType.Diamond, MarkerSize = 6, MarkerFill = ChartColours.Palette[1] };
        front.Points.AddRange(search.Front.Select(t => new DataPoint(t.LatencyMs!.Value, t.ValidationAccuracy!.Value * 100)));
        model.Series.Add(front);
        if (search.BestTrial is { LatencyMs: double latency, ValidationAccuracy: double accuracy } best)
            model.Annotations.Add(new PointAnnotation
            {
                X = latency, Y = accuracy * 100, Shape = MarkerType.Star, Size = 9, Fill = ChartColours.Palette[2],
                Text = $"best: #{best.Number} {best.Architecture} at {best.ImageSize} px", FontSize = 12, TextVerticalAlignment = VerticalAlignment.Bottom,
            });
        return ChartFile.Png(model, width, height);
    }
}
