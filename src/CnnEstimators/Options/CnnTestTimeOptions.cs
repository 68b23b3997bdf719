using MLNetCnn.Zoo;

namespace MLNetCnn;

/// <summary>Test-time augmentation: the views of each image the trained classifier scores and averages, everywhere it scores.</summary>
public sealed record CnnTestTimeOptions
{
    /// <summary>
    /// Score each image and its mirror image and average the probabilities, in validation, both inference engines and the ONNX
    /// graph <c>mlContext.Model.Save</c> writes, so a reloaded model scores the same.
    /// </summary>
    public bool Flip { get; init; }

    /// <summary>
    /// Also score five square crops of this side (the four corners and the centre, in input pixels, each resized back to the input
    /// size) and average them with the whole image; with <see cref="Flip"/> every view is mirrored too (AlexNet's ten-crop evaluation,
    /// plus the whole image). Must be smaller than the input; null for none.
    /// </summary>
    public int? CropSize { get; init; }

    /// <summary>The views these options ask for.</summary>
    internal TestTimeAugmentation Views => new(Flip, CropSize);

    internal IEnumerable<string> Problems((int Height, int Width)? inputSize)
    {
        if (CropSize is < 1)
            yield return $"TestTime.CropSize must be at least 1; got {CropSize}.";
        // The input size is known here for vectors and for a given ImageSize; otherwise Fit checks the crops against the model's size.
        else if (CropSize is not null && inputSize is var (height, width) && Views.Problem(height, width) is string problem)
            yield return $"TestTime.CropSize: {problem}.";
    }
}
