using ScottPlot;

namespace MLNetCnn.Charts;

/// <summary>
/// The lecture's "comparing complexity" figure for the user's data: validation accuracy against G-MACs per image,
/// bubble area proportional to the parameter count.
/// </summary>
public static class ComplexityChart
{
    private const float LargestBubble = 70;   // pixels across for the run with the most parameters
    private const float SmallestBubble = 8;

    /// <summary>Draws the successful runs of <paramref name="result"/> and writes the chart as a PNG file.</summary>
    /// <param name="result">A finished experiment.</param>
    /// <param name="pngPath">Where to write the PNG; its folder must exist.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <exception cref="ArgumentException">No run succeeded, so there is nothing to draw.</exception>
    public static void Save(CnnExperimentResult result, string pngPath, int width = 900, int height = 600)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentException.ThrowIfNullOrWhiteSpace(pngPath);
        var runs = result.Runs.Where(r => r.Exception is null && r.Accuracy is not null).ToList();
        if (runs.Count == 0)
            throw new ArgumentException($"The experiment has no successful run to chart ({result.Runs.Count} run(s), all failed).", nameof(result));

        var plot = new Plot();
        var mostParameters = runs.Max(r => r.Parameters);
        var palette = new ScottPlot.Palettes.Category10();
        var bubbles = runs.Select((run, i) => (run, X: run.Macs / 1e9, Y: run.Accuracy!.Value * 100,
            // Area, not diameter, follows the parameter count, as in the lecture's figure.
            Size: Math.Max(SmallestBubble, LargestBubble * (float)Math.Sqrt((double)run.Parameters / mostParameters)), Colour: palette.GetColor(i))).ToList();
        foreach (var b in bubbles)
            plot.Add.Marker(b.X, b.Y, MarkerShape.FilledCircle, b.Size, b.Colour.WithAlpha(0.6));
        // Labels after every bubble, so none hides under a bigger one; beside the bubble, on the side towards the
        // middle of the plot, so none runs off its edge.
        var middle = (bubbles.Min(b => b.X) + bubbles.Max(b => b.X)) / 2;
        foreach (var b in bubbles)
        {
            var label = plot.Add.Text($"{b.run.Architecture} ({b.run.Parameters / 1e6:0.##}M)", b.X, b.Y);
            var leftOfBubble = bubbles.Count > 1 && b.X > middle;
            label.LabelFontSize = 12;
            label.LabelAlignment = leftOfBubble ? Alignment.MiddleRight : Alignment.MiddleLeft;
            label.LabelOffsetX = (leftOfBubble ? -1 : 1) * (b.Size / 2 + 3);
        }
        plot.Title("Accuracy against operations (bubble area: parameters, in millions)");
        plot.XLabel("G-MACs per image");
        plot.YLabel("validation accuracy (%)");
        plot.Axes.Margins(0.25, 0.15);
        plot.SavePng(pngPath, width, height);
    }
}
