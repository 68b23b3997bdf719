using Microsoft.ML.Data;

namespace MLNetCnn;

/// <summary>Where the network looked for one image: a Grad-CAM heatmap over its input, for one class.</summary>
/// <param name="Heatmap">Height x Width values in [0, 1], row-major, over the network's input (the image as resized for it); 1 is the hottest pixel.</param>
/// <param name="Height">Rows of <paramref name="Heatmap"/>.</param>
/// <param name="Width">Columns of <paramref name="Heatmap"/>.</param>
/// <param name="Label">The class explained.</param>
/// <param name="Probability">The network's probability for that class.</param>
/// <param name="PredictedLabel">The class the network predicts.</param>
/// <param name="Layer">The layer whose activation maps were weighed.</param>
public sealed record CnnExplanation(float[] Heatmap, int Height, int Width, string Label, float Probability, string PredictedLabel, string Layer)
{
    /// <summary>The heat at (row, column) of the network's input.</summary>
    public float this[int row, int column] => Heatmap[row * Width + column];

    /// <summary>
    /// <paramref name="image"/> with the heatmap over it (resized to the image, "jet" colours, hot regions more opaque), as PNG bytes.
    /// </summary>
    /// <param name="image">The picture explained, at any size (the heatmap is stretched over it as the network's resize stretched it).</param>
    /// <param name="opacity">How strongly the hottest regions are covered, from 0 (picture only) to 1.</param>
    public byte[] OverlayPng(MLImage image, float opacity = 0.6f)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(opacity, 0f);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(opacity, 1f);
        return Explanation.HeatmapOverlay.Png(image, Heatmap, Height, Width, opacity);
    }

    /// <summary>Writes <see cref="OverlayPng"/> to <paramref name="path"/> (its folder must exist).</summary>
    public void SaveOverlay(MLImage image, string path, float opacity = 0.6f)
    {
        ArgumentNullException.ThrowIfNull(path);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null && !Directory.Exists(folder))
            throw new DirectoryNotFoundException($"Cannot write the overlay '{path}': folder '{folder}' does not exist.");
        File.WriteAllBytes(path, OverlayPng(image, opacity));
    }
}
