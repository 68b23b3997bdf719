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
        for (var i = 0; i < runs.Count; i++)
        {
            var run = runs[i];
            var x = run.Macs / 1e9;
            var y = run.Accuracy!.Value * 100;
            // Area, not diameter, follows the parameter count, as in the lecture's figure.
            var size = Math.Max(SmallestBubble, LargestBubble * (float)Math.Sqrt((double)run.Parameters / mostParameters));
            var marker = plot.Add.Marker(x, y, MarkerShape.FilledCircle, size, palette.GetColor(i).WithAlpha(0.6));
            marker.LegendText = $"{run.Architecture} ({run.Parameters / 1e6:0.##}M params)";
            var label = plot.Add.Text(run.Architecture, x, y);
            label.LabelFontSize = 12;
            label.LabelOffsetY = -size / 2 - 4;
            label.LabelAlignment = Alignment.LowerCenter;
        }
        plot.Title("Accuracy against operations (bubble area: parameters)");
        plot.XLabel("G-MACs per image");
        plot.YLabel("validation accuracy (%)");
        plot.ShowLegend(Edge.Right);
        plot.Axes.Margins(0.15, 0.2);
        plot.SavePng(pngPath, width, height);
    }
}
