namespace MLNetCnn;

/// <summary>The columns the trainer reads and the trained classifier adds.</summary>
public sealed record CnnColumnOptions
{
    /// <summary>The key-typed label column (use <c>MapValueToKey</c> on raw labels).</summary>
    public string Label { get; init; } = "Label";

    /// <summary>The image column: an <c>MLImage</c> or a float vector of <c>C*H*W</c> pixels (then set <see cref="CnnInputOptions.VectorShape"/>).</summary>
    public string Image { get; init; } = "Image";

    /// <summary>Output column of class probabilities.</summary>
    public string Score { get; init; } = "Score";

    /// <summary>Output column of the predicted key.</summary>
    public string PredictedLabel { get; init; } = "PredictedLabel";

    internal IEnumerable<string> Problems()
    {
        string[] names = [Label, Image, Score, PredictedLabel];
        if (names.Any(string.IsNullOrWhiteSpace))
            yield return "Columns: every column name (Label, Image, Score, PredictedLabel) must be set.";
        else if (Score == PredictedLabel || Score == Image || PredictedLabel == Image)
            yield return $"Columns: Score ('{Score}'), PredictedLabel ('{PredictedLabel}') and Image ('{Image}') must be different columns.";
    }
}
