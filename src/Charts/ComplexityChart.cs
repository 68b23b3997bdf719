using OxyPlot;
using OxyPlot.Annotations;
using OxyPlot.Axes;
using OxyPlot.Series;

namespace MLNetCnn.Charts;

/// <summary>
/// The lecture's "comparing complexity" figure for the user's data: validation accuracy against G-MACs per image,
/// bubble area proportional to the parameter count.
/// </summary>
public static class ComplexityChart
{
    private const double LargestBubble = 35;   // radius in pixels of the run with the most parameters
    private const double SmallestBubble = 4;

    /// <summary>Draws the successful runs of <paramref name="result"/> and writes the chart as a PNG file.</summary>
    /// <param name="result">A finished experiment.</param>
    /// <param name="pngPath">Where to write the PNG; its folder must exist.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <exception cref="ArgumentException">No run succeeded, so there is nothing to draw.</exception>
    public static void Save(CnnExperimentResult result, string pngPath, int width = 900, int height = 600)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pngPath);
        File.WriteAllBytes(pngPath, ToPng(result, width, height));   // rendered in memory first: written whole or not at all
    }

    /// <summary>Draws the successful runs of <paramref name="result"/> and returns the chart as PNG bytes.</summary>
    /// <param name="result">A finished experiment.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <exception cref="ArgumentException">No run succeeded, so there is nothing to draw.</exception>
    public static byte[] ToPng(CnnExperimentResult result, int width = 900, int height = 600)
    {
        ArgumentNullException.ThrowIfNull(result);
        var runs = result.Runs.Where(r => r.Exception is null && r.Accuracy is not null).ToList();
        if (runs.Count == 0)
            throw new ArgumentException($"The experiment has no successful run to chart ({result.Runs.Count} run(s), all failed).", nameof(result));

        var model = new PlotModel { Title = "Accuracy against operations (bubble area: parameters, in millions)", TitleFontSize = 15 };
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "G-MACs per image", MinimumPadding = 0.25, MaximumPadding = 0.25 });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "validation accuracy (%)", MinimumPadding = 0.15, MaximumPadding = 0.15 });
        var mostParameters = runs.Max(r => r.Parameters);
        var bubbles = runs.Select((run, i) => (Run: run, X: run.Macs / 1e9, Y: run.Accuracy!.Value * 100,
            // Area, not diameter, follows the parameter count, as in the lecture's figure.
            Radius: Math.Max(SmallestBubble, LargestBubble * Math.Sqrt((double)run.Parameters / mostParameters)),
            Colour: OxyColor.FromAColor(150, ChartColours.Palette[i % ChartColours.Palette.Count]))).ToList();
        foreach (var b in bubbles)
        {
            var series = new ScatterSeries { MarkerType = MarkerType.Circle, MarkerFill = b.Colour, MarkerSize = b.Radius };
            series.Points.Add(new ScatterPoint(b.X, b.Y));
            model.Series.Add(series);
        }
        // Labels beside each bubble, on the side towards the middle of the plot, so none runs off its edge.
        var middle = (bubbles.Min(b => b.X) + bubbles.Max(b => b.X)) / 2;
        foreach (var b in bubbles)
        {
            var leftOfBubble = bubbles.Count > 1 && b.X > middle;
            model.Annotations.Add(new TextAnnotation
            {
                Text = $"{b.Run.Architecture} ({b.Run.Parameters / 1e6:0.##}M)", TextPosition = new DataPoint(b.X, b.Y), FontSize = 12,
                TextHorizontalAlignment = leftOfBubble ? HorizontalAlignment.Right : HorizontalAlignment.Left, TextVerticalAlignment = VerticalAlignment.Middle,
                Offset = new ScreenVector((leftOfBubble ? -1 : 1) * (b.Radius + 3), 0), Stroke = OxyColors.Transparent,
            });
        }
        return ChartFile.Png(model, width, height);
    }
}
