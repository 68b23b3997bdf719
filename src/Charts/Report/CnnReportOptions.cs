namespace MLNetCnn.Charts;

/// <summary>What a report shows beyond what the model and the data tell.</summary>
public sealed class CnnReportOptions
{
    /// <summary>The page's title; default names the architecture (or "Architecture comparison").</summary>
    public string? Title { get; set; }

    /// <summary>The test data's label column: text, or a key with text values.</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>How many of the most confident mistakes to show, with their Grad-CAM overlays (0 for none).</summary>
    public int Mistakes { get; set; } = 12;

    /// <summary>Training images, when known (a classifier does not remember its data).</summary>
    public long? TrainingImages { get; set; }

    /// <summary>Wall time of training, when known; default the sum of the history's epoch times.</summary>
    public TimeSpan? TrainingTime { get; set; }
}
